/**
 * Value linking: which cell values of the database does the question mention? A lazily built,
 * capped index of the distinct values of every text column (one bounded `SELECT DISTINCT ... LIMIT`
 * per column, each under the SQL timeout, the whole build under a time budget), then the
 * question's word n-grams are looked up in it: exactly (case-insensitive), or as a part of a
 * longer value for capitalised and quoted phrases ("Ireland" in 'Republic of Ireland').
 */
import type { TableInfo } from '../types.ts';
import { quoteName, tryExec, type SqlExec } from './exec.ts';
import { STOPWORDS, questionWords } from './words.ts';

export interface ValueLink {
  table: string;
  column: string;
  /** The value as stored in the database. */
  value: string;
  /** 1 for an exact mention, less for a partial one (the mention is part of the value). */
  score: number;
  exact: boolean;
  /** Character offsets of the mention in the question. */
  start: number;
  end: number;
  /** Index of the mention's first word. */
  word: number;
}

export interface ValueIndexOptions {
  /** Distinct values read per column (default 3,000). */
  maxValuesPerColumn?: number;
  /** Text columns indexed at most (default 300). */
  maxColumns?: number;
  /** Timeout of each probe (default 1,000 ms). */
  timeoutMs?: number;
  /** Time budget of the whole build (default 3,000 ms); columns past it are not indexed. */
  budgetMs?: number;
  /** Values longer than this are not indexed (default 80 characters). */
  maxValueLength?: number;
}

/** True when a declared column type holds text (or is untyped, as SQLite allows). */
export function isTextType(type: string | undefined): boolean {
  const t = (type ?? '').toUpperCase();
  if (!t) return true;
  return /CHAR|CLOB|TEXT|STRING|VARCHAR/.test(t);
}

/** True when a declared column type is numeric. */
export function isNumericType(type: string | undefined): boolean {
  return /INT|REAL|FLOA|DOUB|NUM|DEC|BOOL/.test((type ?? '').toUpperCase());
}

interface Entry {
  table: string;
  column: string;
  value: string;
}

const norm = (s: string) => s.normalize('NFC').toLowerCase().replace(/\s+/g, ' ').trim();

export class ValueIndex {
  private exact: Map<string, Entry[]> | null = null;
  private all: Entry[] = [];
  private building: Promise<void> | null = null;
  /** Columns not indexed because of the caps or the budget. */
  skipped = 0;

  constructor(
    private readonly db: SqlExec,
    private readonly tables: readonly TableInfo[],
    private readonly opts: ValueIndexOptions = {},
  ) {}

  /** Builds the index once (later calls wait for the same build). Never throws. */
  ready(): Promise<void> {
    this.building ??= this.build();
    return this.building;
  }

  private async build(): Promise<void> {
    const { maxValuesPerColumn = 3000, maxColumns = 300, timeoutMs = 1000, budgetMs = 3000 } = this.opts;
    const maxLen = this.opts.maxValueLength ?? 80;
    const exact = new Map<string, Entry[]>();
    const t0 = performance.now();
    let columns = 0;
    for (const t of this.tables) {
      for (let i = 0; i < t.columns.length; i++) {
        if (!isTextType(t.types?.[i])) continue;
        if (columns >= maxColumns || performance.now() - t0 > budgetMs) {
          this.skipped++;
          continue;
        }
        columns++;
        const c = quoteName(t.columns[i]);
        const res = await tryExec(
          this.db,
          `SELECT DISTINCT ${c} FROM ${quoteName(t.name)} WHERE typeof(${c}) = 'text' LIMIT ${maxValuesPerColumn}`,
          { timeoutMs, maxRows: maxValuesPerColumn + 1 },
        );
        for (const row of res?.rows ?? []) {
          const v = row[0];
          if (typeof v !== 'string' || !v.trim() || v.length > maxLen) continue;
          const e = { table: t.name, column: t.columns[i], value: v };
          this.all.push(e);
          const k = norm(v);
          const list = exact.get(k);
          if (list) list.push(e);
          else exact.set(k, [e]);
        }
      }
    }
    this.exact = exact;
  }

  /** Number of values indexed. */
  get size(): number {
    return this.all.length;
  }

  /**
   * The values the question mentions, best first: every n-gram of up to 6 words that equals a
   * stored value (not a lone stopword, not a lone number), and capitalised or quoted phrases that
   * occur inside a longer value. Longer mentions win over the shorter mentions they contain.
   */
  async match(question: string): Promise<ValueLink[]> {
    await this.ready();
    const exact = this.exact!;
    const words = questionWords(question);
    const out: ValueLink[] = [];
    for (let i = 0; i < words.length; i++) {
      for (let n = Math.min(6, words.length - i); n >= 1; n--) {
        const first = words[i];
        const last = words[i + n - 1];
        const text = question.slice(first.start, last.end);
        if (n === 1 && (STOPWORDS.has(first.text) || /^\d+(\.\d+)?$/.test(first.text) || first.text.length < 2))
          continue;
        const hits = exact.get(norm(text));
        if (!hits) continue;
        // A capitalised or multi-word mention is a strong signal; a single lower-case common word less so.
        const score = n > 1 || first.capitalized || /\d/.test(text) ? 1 : 0.8;
        for (const h of hits)
          out.push({ ...h, score, exact: true, start: first.start, end: last.end, word: first.index });
      }
    }
    for (const p of phrases(question)) {
      const needle = norm(p.text);
      if (needle.length < 3) continue;
      if (out.some((v) => v.exact && v.start <= p.start && v.end >= p.end)) continue;
      let found = 0;
      for (const e of this.all) {
        if (found >= 20) break;
        const hay = norm(e.value);
        if (hay !== needle && hay.includes(needle)) {
          out.push({ ...e, score: 0.6, exact: false, start: p.start, end: p.end, word: p.word });
          found++;
        }
      }
    }
    // Drop mentions inside a longer exact mention.
    const kept = out.filter(
      (v) =>
        !out.some(
          (w) => w !== v && w.exact && w.start <= v.start && w.end >= v.end && w.end - w.start > v.end - v.start,
        ),
    );
    kept.sort((a, b) => b.score - a.score || b.end - b.start - (a.end - a.start) || a.start - b.start);
    return kept;
  }
}

/** Capitalised word runs (not the first word alone) and quoted strings of a question. */
export function phrases(question: string): { text: string; start: number; end: number; word: number }[] {
  const out: { text: string; start: number; end: number; word: number }[] = [];
  for (const m of question.matchAll(/["“'‘]([^"”'’]{1,60})["”'’]/g)) {
    const inner = m[1];
    const start = m.index + 1;
    out.push({ text: inner, start, end: start + inner.length, word: wordAt(question, start) });
  }
  const words = questionWords(question);
  let i = 0;
  while (i < words.length) {
    if (!words[i].capitalized || STOPWORDS.has(words[i].text)) {
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < words.length && words[j + 1].capitalized) j++;
    out.push({ text: question.slice(words[i].start, words[j].end), start: words[i].start, end: words[j].end, word: i });
    i = j + 1;
  }
  return out;
}

function wordAt(question: string, offset: number): number {
  return questionWords(question).findIndex((w) => w.end > offset);
}
