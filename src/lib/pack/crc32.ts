/**
 * CRC-32 (IEEE 802.3, the zlib/PNG polynomial 0xEDB88320, reflected), table-driven: the per-section
 * checksum of corpus packs and index shards. Chosen over the corpus hash's FNV-1a because it runs a
 * byte per table lookup (tens of MB per second in plain JS) and every platform can recompute it.
 */
let table: Uint32Array | null = null;

function crcTable(): Uint32Array {
  if (table) return table;
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  table = t;
  return t;
}

/** CRC-32 of `bytes` as an unsigned 32-bit integer; `prev` continues an earlier run. */
export function crc32(bytes: Uint8Array, prev = 0): number {
  const t = crcTable();
  let c = ~prev >>> 0;
  for (let i = 0; i < bytes.length; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** CRC-32 as 8 lowercase hex digits (how pack headers record it). */
export function crc32Hex(bytes: Uint8Array): string {
  return crc32(bytes).toString(16).padStart(8, '0');
}
