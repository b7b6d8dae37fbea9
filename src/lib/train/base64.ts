/**
 * Base64 (RFC 4648, standard alphabet, `=` padding) for byte arrays, and Float32 arrays stored
 * little-endian. Plain JS: no Node Buffer, no atob/btoa, so it runs the same in workers and Node.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = (() => {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) t[ALPHABET.charCodeAt(i)] = i;
  return t;
})();

const ENCODE = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));

export function bytesToBase64(bytes: Uint8Array): string {
  const n = bytes.length;
  // ASCII codes first, then strings in chunks (fromCharCode takes a bounded argument list).
  const out = new Uint8Array(Math.ceil(n / 3) * 4);
  let o = 0;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out[o++] = ENCODE[v >>> 18];
    out[o++] = ENCODE[(v >>> 12) & 63];
    out[o++] = ENCODE[(v >>> 6) & 63];
    out[o++] = ENCODE[v & 63];
  }
  const rest = n - i;
  if (rest > 0) {
    const v = (bytes[i] << 16) | (rest === 2 ? bytes[i + 1] << 8 : 0);
    out[o++] = ENCODE[v >>> 18];
    out[o++] = ENCODE[(v >>> 12) & 63];
    out[o++] = rest === 2 ? ENCODE[(v >>> 6) & 63] : 61;
    out[o++] = 61;
  }
  const parts: string[] = [];
  const CHUNK = 8192;
  for (let s = 0; s < out.length; s += CHUNK) {
    parts.push(
      String.fromCharCode.apply(null, out.subarray(s, Math.min(out.length, s + CHUNK)) as unknown as number[]),
    );
  }
  return parts.join('');
}

/**
 * Decode base64. Whitespace is ignored; padding is optional. Throws `Error` with the offending
 * position for a character outside the alphabet or an impossible length.
 */
export function base64ToBytes(text: string): Uint8Array {
  const s = /\s/.test(text) ? text.replace(/\s+/g, '') : text;
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 61 /* = */) end--;
  if (s.length - end > 2) throw new Error('too much "=" padding');
  if (end % 4 === 1) throw new Error(`impossible length (${end} base64 characters)`);
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let o = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? DECODE[c] : -1;
    if (v < 0) throw new Error(`invalid base64 character ${JSON.stringify(s[i])} at position ${i}`);
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >>> bits) & 0xff;
    }
  }
  return out;
}

/** Float32 values as little-endian bytes, base64-encoded (independent of the host's byte order). */
export function float32ToBase64(values: Float32Array): string {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return bytesToBase64(bytes);
}

/** Inverse of `float32ToBase64`; throws when the byte count is not a multiple of 4. */
export function base64ToFloat32(text: string): Float32Array {
  const bytes = base64ToBytes(text);
  if (bytes.length % 4 !== 0) throw new Error(`${bytes.length} bytes is not a whole number of float32 values`);
  const out = new Float32Array(bytes.length / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
