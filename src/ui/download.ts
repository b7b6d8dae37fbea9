/** Save text or bytes as a file (a temporary object URL and a click on a hidden link). */
export function downloadBlob(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Save text as a file. */
export function download(name: string, text: string, type: string): void {
  downloadBlob(name, new Blob([text], { type }));
}

/** Save bytes as a file (a `.sqlite` export, a workspace file). */
export function downloadBytes(name: string, bytes: Uint8Array<ArrayBuffer>, type: string): void {
  downloadBlob(name, new Blob([bytes], { type }));
}
