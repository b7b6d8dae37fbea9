/**
 * Helpers shared by the corpus loaders: text decoding, JSON Lines splitting, field access with
 * readable row issues, and duplicate-id checks. Pure TypeScript, no DOM, no Node APIs.
 */
import { CodeRagError } from '../errors.ts';
import type { Example, LoadResult, RowIssue } from '../types.ts';

/** A corpus file that cannot be read at all (wrong format, missing columns...). `message` is for the user. */
export class CorpusFormatError extends CodeRagError {
  constructor(message: string) {
    super(message, 'corpus-format');
  }
}

/** Text decoded from a file, with the encoding used and a note for the user when it was not plain UTF-8. */
export interface DecodedText {
  text: string;
  /** 'utf-8', 'utf-16le', 'utf-16be', 'windows-1252', or 'text' for a string passed in. */
  encoding: string;
  /** Set when the file was not plain UTF-8 or looks damaged: say it, with what was done. */
  note?: string;
}

/** 1-based line of byte `offset` (LF, CR and CRLF each end a line). */
function lineOfByte(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 10) line++;
    else if (bytes[i] === 13 && bytes[i + 1] !== 10) line++;
  }
  return line;
}

/** Offset of the first byte that breaks UTF-8, or -1 when the bytes are valid UTF-8. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** UTF-16 without a byte order mark: most ASCII characters then have a zero byte on one side. */
function sniffUtf16(bytes: Uint8Array): 'utf-16le' | 'utf-16be' | null {
  const n = Math.min(bytes.length, 4096) & ~1;
  if (n < 4) return null;
  let evenZero = 0;
  let oddZero = 0;
  for (let i = 0; i < n; i += 2) {
    if (bytes[i] === 0) evenZero++;
    if (bytes[i + 1] === 0) oddZero++;
  }
  const pairs = n / 2;
  if (oddZero > pairs * 0.3 && evenZero < pairs * 0.05) return 'utf-16le';
  if (evenZero > pairs * 0.3 && oddZero < pairs * 0.05) return 'utf-16be';
  return null;
}

/** Share of characters that are control characters other than tab, CR and LF (binary data has many). */
function controlShare(text: string): number {
  const n = Math.min(text.length, 65536);
  if (!n) return 0;
  let c = 0;
  for (let i = 0; i < n; i++) {
    const x = text.charCodeAt(i);
    if (x < 32 && x !== 9 && x !== 10 && x !== 13) c++;
  }
  return c / n;
}

/**
 * Decode a text file's bytes, saying what was done when it was not plain UTF-8:
 * - a byte order mark picks UTF-8, UTF-16LE or UTF-16BE (dropped from the text);
 * - UTF-16 without a mark is recognised by its zero bytes;
 * - bytes that are not valid UTF-8 are read as Latin-1 (Windows-1252), with a note naming the
 *   line of the first bad byte;
 * - binary data (many control characters, NUL bytes) is refused with CorpusFormatError.
 * A string passed in is used as is, with a note when it holds U+FFFD (it was decoded from
 * something that was not UTF-8 before it got here).
 */
export function decodeFile(data: ArrayBuffer | Uint8Array | string, name = 'the file'): DecodedText {
  let out: DecodedText;
  if (typeof data === 'string') {
    const text = data.charCodeAt(0) === 0xfeff ? data.slice(1) : data;
    out = { text, encoding: 'text' };
    const bad = text.indexOf('\uFFFD');
    if (bad >= 0) {
      const line = text.slice(0, bad).split(/\r\n|\n|\r/).length;
      out.note = `${name} holds replacement characters (\uFFFD, first on line ${line}): it was probably not saved as UTF-8, so some letters are lost. Re-save it as UTF-8.`;
    }
  } else {
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    const bom16 =
      bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf-16le' : bytes[0] === 0xfe && bytes[1] === 0xff ? 'utf-16be' : null;
    const utf16 = bom16 ?? sniffUtf16(bytes);
    if (utf16) {
      let text = new TextDecoder(utf16).decode(bytes);
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      out = {
        text,
        encoding: utf16,
        note: `${name} is UTF-16 (${utf16 === 'utf-16le' ? 'little' : 'big'}-endian${bom16 ? '' : ', no byte order mark'}): decoded as such.`,
      };
    } else {
      const bad = firstInvalidUtf8(bytes);
      if (bad < 0) {
        const text = new TextDecoder('utf-8').decode(bytes);
        out = { text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, encoding: 'utf-8' };
      } else {
        out = {
          text: new TextDecoder('windows-1252').decode(bytes),
          encoding: 'windows-1252',
          note: `${name} is not valid UTF-8 (first bad byte on line ${lineOfByte(bytes, bad)}): read as Latin-1 (Windows-1252). Check accented letters, or re-save the file as UTF-8.`,
        };
      }
    }
  }
  if (out.text.includes('\0') || controlShare(out.text) > 0.01) {
    throw new CorpusFormatError(`${name} looks like a binary file, not text (it holds NUL or control bytes).`);
  }
  return out;
}

/** Decode a file to text (see decodeFile), dropping a leading byte order mark. */
export function decodeText(data: ArrayBuffer | Uint8Array | string): string {
  return decodeFile(data).text;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface JsonLine {
  /** 1-based line number. */
  row: number;
  value: unknown;
}

/** Split JSON Lines text; blank lines are skipped, unparsable lines become issues. */
export function parseJsonLines(text: string): { lines: JsonLine[]; issues: RowIssue[] } {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines: JsonLine[] = [];
  const issues: RowIssue[] = [];
  const parts = text.split(/\r\n|\n|\r/);
  // A last line with no line break after it that does not parse is most likely a cut download.
  const endsOpen = !/[\r\n]\s*$/.test(text);
  let last = parts.length - 1;
  while (last >= 0 && !parts[last].trim()) last--;
  for (let i = 0; i < parts.length; i++) {
    const s = parts[i].trim();
    if (!s) continue;
    try {
      lines.push({ row: i + 1, value: JSON.parse(s) });
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      const cut = i === last && endsOpen;
      issues.push({
        row: i + 1,
        reason: cut
          ? `the last line is cut short (the file may be incomplete): invalid JSON: ${why}; line skipped`
          : `invalid JSON: ${why}; line skipped`,
      });
    }
  }
  return { lines, issues };
}

/**
 * Read a text field for an example. Strings are trimmed; finite numbers and bigints are turned into
 * text (ids are often integers). Returns `undefined` when absent, null or blank, and an error string
 * when the value has the wrong type.
 */
export function textField(obj: Record<string, unknown>, key: string): string | undefined | { error: string } {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') {
    const s = v.trim();
    return s ? s : undefined;
  }
  if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'bigint') return String(v);
  return { error: `"${key}" is ${Array.isArray(v) ? 'an array' : typeof v}, expected text` };
}

/** First key of `keys` that the object has (not undefined/null). */
export function firstKey(obj: Record<string, unknown>, keys: readonly string[]): string | undefined {
  for (const k of keys) if (obj[k] !== undefined && obj[k] !== null) return k;
  return undefined;
}

/**
 * Pull required and optional text fields out of a record. Returns the values, or a reason why the
 * record must be skipped (missing/blank required field, wrong type).
 */
export function readFields<R extends string, O extends string>(
  obj: Record<string, unknown>,
  required: readonly (R | readonly R[])[],
  optional: readonly O[] = [],
): { values: Record<R, string> & Partial<Record<O, string>> } | { reason: string } {
  const values: Record<string, string> = {};
  const missing: string[] = [];
  for (const spec of required) {
    const alts: readonly string[] = typeof spec === 'string' ? [spec] : spec;
    const key = firstKey(obj, alts) ?? alts[0];
    const v = textField(obj, key);
    if (v === undefined) {
      missing.push(alts.map((a) => `"${a}"`).join(' or '));
      continue;
    }
    if (typeof v !== 'string') return { reason: `${v.error}; skipped` };
    values[alts[0]] = v;
  }
  if (missing.length) return { reason: `missing or empty ${missing.join(', ')}; skipped` };
  for (const key of optional) {
    const v = textField(obj, key);
    if (typeof v === 'string') values[key] = v;
  }
  return { values: values as Record<R, string> & Partial<Record<O, string>> };
}

/** Collects examples, refusing duplicate ids (the second one is reported and skipped). */
export class ExampleSink {
  readonly examples: Example[] = [];
  readonly issues: RowIssue[] = [];
  private readonly seen = new Map<string, number>();

  constructor(initialIssues: readonly RowIssue[] = []) {
    this.issues.push(...initialIssues);
  }

  issue(row: number, reason: string): void {
    this.issues.push({ row, reason });
  }

  add(row: number, ex: Example): void {
    const first = this.seen.get(ex.id);
    if (first !== undefined) {
      this.issue(row, `duplicate id "${ex.id}" (first used on row ${first}); skipped`);
      return;
    }
    this.seen.set(ex.id, row);
    this.examples.push(ex);
  }

  result(): LoadResult {
    this.issues.sort((a, b) => a.row - b.row);
    return { examples: this.examples, issues: this.issues };
  }
}

/** Find a CSV column by any of its accepted names (case-insensitive, trimmed). */
export function csvColumn(header: readonly string[], names: readonly string[]): number {
  const norm = header.map((h) => h.trim().toLowerCase());
  for (const n of names) {
    const i = norm.indexOf(n);
    if (i >= 0) return i;
  }
  return -1;
}
