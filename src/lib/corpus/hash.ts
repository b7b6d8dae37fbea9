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

  /** Resume from a state written by `hex()` (the hash of everything fed so far). */
  static resume(hex: string): Fnv1a64 {
    if (!/^[0-9a-f]{16}$/.test(hex)) throw new Error(`not a corpus hash: "${hex}"`);
    const h = new Fnv1a64();
    h.h3 = parseInt(hex.slice(0, 4), 16);
    h.h2 = parseInt(hex.slice(4, 8), 16);
    h.h1 = parseInt(hex.slice(8, 12), 16);
    h.h0 = parseInt(hex.slice(12, 16), 16);
    return h;
  }

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
  return feedExamples(new Fnv1a64(), examples);
}

/**
 * The hash of a corpus after appending `more` to a corpus whose hash is `prev`, without reading
 * the earlier examples: the 64-bit FNV state is the hash itself, so hashing goes on from it, and
 * `corpusHashAppend(corpusHash(a), b) === corpusHash([...a, ...b])`. An index extended by appended
 * rows therefore gets exactly the key a full rebuild of the longer corpus would get (stale-index
 * detection is unchanged: any edit of an earlier row, or of the order, still changes the hash).
 */
export function corpusHashAppend(prev: string, more: readonly Example[]): string {
  return feedExamples(Fnv1a64.resume(prev), more);
}

function feedExamples(h: Fnv1a64, examples: readonly Example[]): string {
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
