/**
 * Base64 for byte arrays and little-endian Float32 arrays, on the platform's `btoa`/`atob`
 * (present in pages, workers and Node). Only the error messages are ours: `atob` says neither
 * what nor where, and a user importing a broken adapter file deserves both.
 */

/** Characters per `String.fromCharCode` call (its argument list is bounded). */
const CHUNK = 0x8000;

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let s = 0; s < bytes.length; s += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(s, Math.min(bytes.length, s + CHUNK)));
  }
  return btoa(binary);
}

/**
 * Decode base64. Whitespace is ignored; padding is optional. Throws `Error` with the offending
 * position for a character outside the alphabet or an impossible length.
 */
export function base64ToBytes(text: string): Uint8Array {
  const s = /\s/.test(text) ? text.replace(/\s+/g, '') : text;
  const body = s.replace(/=+$/, '');
  if (s.length - body.length > 2) throw new Error('too much "=" padding');
  const bad = body.search(/[^A-Za-z0-9+/]/);
  if (bad >= 0) throw new Error(`invalid base64 character ${JSON.stringify(body[bad])} at position ${bad}`);
  if (body.length % 4 === 1) throw new Error(`impossible length (${body.length} base64 characters)`);
  const binary = atob(body + '='.repeat((4 - (body.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
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
