/**
 * Content hash of a corpus: 64-bit FNV-1a over the UTF-8 bytes of every example's fields. The
 * 64-bit state is kept as four 16-bit limbs so every step stays in small-integer arithmetic (no
 * BigInt, no float rounding). Synchronous, pure JS; UTF-8 comes from the platform's TextEncoder.
 *
 * The byte stream for each example is, for each of id, question, sql, schema, dbId in that order:
 * a presence byte (1 = present, 0 = undefined), the field's UTF-8 bytes, then the unit separator
 * 0x1F; each example ends with the record separator 0x1E. So `schema: undefined` and `schema: ''`
 * hash differently, moving text between fields changes the hash, and example order matters.
 */
import type { Example } from '../types.ts';

// FNV-1a 64: offset basis 0xcbf29ce484222325, prime 2^40 + 0x1b3.
const P = 0x1b3;
const utf8 = new TextEncoder();

class Fnv1a64 {
  private h0 = 0x2325;
  private h1 = 0x8422;
  private h2 = 0x9ce4;
  private h3 = 0xcbf2;

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

  /** Feed a string as UTF-8 (TextEncoder: a lone surrogate becomes U+FFFD). */
  text(s: string): void {
    const bytes = utf8.encode(s);
    for (let i = 0; i < bytes.length; i++) this.byte(bytes[i]);
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
