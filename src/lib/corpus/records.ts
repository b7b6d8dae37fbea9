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

/** Decode UTF-8 bytes (or pass a string through), dropping a leading byte order mark. */
export function decodeText(data: ArrayBuffer | Uint8Array | string): string {
  const text = typeof data === 'string' ? data : new TextDecoder('utf-8').decode(data);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
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
  for (let i = 0; i < parts.length; i++) {
    const s = parts[i].trim();
    if (!s) continue;
    try {
      lines.push({ row: i + 1, value: JSON.parse(s) });
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      issues.push({ row: i + 1, reason: `invalid JSON: ${why}; line skipped` });
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
