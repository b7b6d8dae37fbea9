/**
 * Content hash of a corpus: 64-bit FNV-1a over the UTF-8 bytes of every example's fields. The
 * 64-bit state is kept as four 16-bit limbs so every step stays in small-integer arithmetic (no
 * BigInt, no float rounding): about 3 ns per byte in V8. Synchronous, pure JS.
 *
 * The byte stream for each example is, for each of id, question, sql, schema, dbId in that order:
 * a presence byte (1 = present, 0 = undefined), the field's UTF-8 bytes, then the unit separator
 * 0x1F; each example ends with the record separator 0x1E. So `schema: undefined` and `schema: ''`
 * hash differently, moving text between fields changes the hash, and example order matters.
 */
import type { Example } from '../types.ts';

// FNV-1a 64: offset basis 0xcbf29ce484222325, prime 2^40 + 0x1b3.
const P = 0x1b3;

class Fnv1a64 {
  private h0 = 0x2325;
  private h1 = 0x8422;
  private h2 = 0x9ce4;
  private h3 = 0xcbf2;
  private readonly scratch = new Uint8Array(4);

  /** Feed one byte. */
  byte(b: number): void {
    const h0 = this.h0 ^ b;
    const t0 = h0 * P;
    const t1 = this.h1 * P + (t0 >>> 16);
    const t2 = this.h2 * P + (t1 >>> 16) + (h0 << 8);
    const t3 = this.h3 * P + (t2 >>> 16) + (this.h1 << 8);
    this.h0 = t0 & 0xffff;
    this.h1 = t1 & 0xffff;
    this.h2 = t2 & 0xffff;
    this.h3 = t3 & 0xffff;
  }

  /** Feed a string as UTF-8 (a lone surrogate becomes U+FFFD, as TextEncoder does). */
  text(s: string): void {
    let h0 = this.h0;
    let h1 = this.h1;
    let h2 = this.h2;
    let h3 = this.h3;
    const buf = this.scratch;
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) {
        // ASCII fast path: one FNV-1a step on the locals.
        h0 ^= c;
        const t0 = h0 * P;
        const t1 = h1 * P + (t0 >>> 16);
        const t2 = h2 * P + (t1 >>> 16) + (h0 << 8);
        const t3 = h3 * P + (t2 >>> 16) + (h1 << 8);
        h0 = t0 & 0xffff;
        h1 = t1 & 0xffff;
        h2 = t2 & 0xffff;
        h3 = t3 & 0xffff;
        continue;
      }
      let n: number;
      if (c < 0x800) {
        buf[0] = 0xc0 | (c >> 6);
        buf[1] = 0x80 | (c & 0x3f);
        n = 2;
      } else {
        const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
        if (c >= 0xd800 && c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          i++;
          buf[0] = 0xf0 | (cp >> 18);
          buf[1] = 0x80 | ((cp >> 12) & 0x3f);
          buf[2] = 0x80 | ((cp >> 6) & 0x3f);
          buf[3] = 0x80 | (cp & 0x3f);
          n = 4;
        } else {
          if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
          buf[0] = 0xe0 | (c >> 12);
          buf[1] = 0x80 | ((c >> 6) & 0x3f);
          buf[2] = 0x80 | (c & 0x3f);
          n = 3;
        }
      }
      for (let k = 0; k < n; k++) {
        h0 ^= buf[k];
        const t0 = h0 * P;
        const t1 = h1 * P + (t0 >>> 16);
        const t2 = h2 * P + (t1 >>> 16) + (h0 << 8);
        const t3 = h3 * P + (t2 >>> 16) + (h1 << 8);
        h0 = t0 & 0xffff;
        h1 = t1 & 0xffff;
        h2 = t2 & 0xffff;
        h3 = t3 & 0xffff;
      }
    }
    this.h0 = h0;
    this.h1 = h1;
    this.h2 = h2;
    this.h3 = h3;
  }

  hex(): string {
    return [this.h3, this.h2, this.h1, this.h0].map((x) => x.toString(16).padStart(4, '0')).join('');
  }
}

/** 64-bit FNV-1a of a string's UTF-8 bytes, as 16 hex digits (e.g. "" -> "cbf29ce484222325"). */
export function fnv1a64Hex(s: string): string {
  const h = new Fnv1a64();
  h.text(s);
  return h.hex();
}

/** Deterministic content hash of a list of examples, 16 hex digits. */
export function corpusHash(examples: readonly Example[]): string {
  const h = new Fnv1a64();
  for (const e of examples) {
    for (const f of [e.id, e.question, e.sql, e.schema, e.dbId]) {
      if (f === undefined) {
        h.byte(0);
      } else {
        h.byte(1);
        h.text(f);
      }
      h.byte(0x1f);
    }
    h.byte(0x1e);
  }
  return h.hex();
}
