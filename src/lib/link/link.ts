/**
 * Schema linking: which tables, columns and values of a database does a question refer to?
 *
 * - Names: the question's words (stemmed) against table and column names split into words
 *   (`_`, camelCase, spaces). A name scores by the share of its words that the question contains
 *   (generic words such as `name` or `id` count half), exact stems above prefixes, and a bonus
 *   when the words stand together in the question in the name's order. A few general English
 *   adjectives stand for the attribute they measure (`oldest` -> age, `expensive` -> price).
 * - Values: see `ValueIndex` (values.ts); a linked value also links its column and table.
 * - Numbers: digits and number words of the question, for literal slots.
 * - Foreign keys: declared or inferred (foreign-keys.ts), for join paths.
 *
 * `linkSchema` never throws; a question that links to nothing gets empty lists.
 */
import type { TableInfo } from '../types.ts';
import type { SqlExec } from './exec.ts';
import { foreignKeys as readKeys, type ForeignKey } from './foreign-keys.ts';
import { ValueIndex, isNumericType, type ValueLink } from './values.ts';
import { STOPWORDS, WEAK_WORDS, questionWords, splitName, stem, stemsMatch, type QWord } from './words.ts';

export interface NameMatch {
  /** 0..1. */
  score: number;
  /** Index of the first question word that matched; -1 when none did. */
  position: number;
  /** Question word indices that matched. */
  words: number[];
}

export interface TableLink extends NameMatch {
  table: string;
  /** Name score of the table itself. */
  nameScore: number;
}

export interface ColumnLink extends NameMatch {
  table: string;
  column: string;
  /** Declared type ('' when none). */
  type: string;
  numeric: boolean;
}

export interface QuestionNumber {
  value: number;
  text: string;
  /** Word index in the question. */
  word: number;
}

export interface SchemaLinks {
  question: string;
  words: QWord[];
  /** Every table, best first. */
  tables: TableLink[];
  /** Every column with a score above 0, best first. */
  columns: ColumnLink[];
  values: ValueLink[];
  numbers: QuestionNumber[];
  foreignKeys: ForeignKey[];
  ms: number;
}

/** General English words that stand for the attribute they measure (matched by stem). */
const ATTRIBUTE_WORDS: Record<string, string[]> = {
  age: ['old', 'oldest', 'older', 'young', 'youngest', 'younger', 'age'],
  price: ['expensive', 'cheap', 'cheapest', 'costly', 'cost'],
  height: ['tall', 'tallest', 'taller', 'short', 'shortest', 'shorter', 'high'],
  weight: ['heavy', 'heaviest', 'heavier', 'light', 'lightest', 'lighter'],
  population: ['populous', 'people'],
  salary: ['paid', 'earn', 'earns', 'earning'],
  year: ['when'],
};
const ATTRIBUTE_STEMS = new Map<string, string>();
for (const [attr, ws] of Object.entries(ATTRIBUTE_WORDS)) for (const w of ws) ATTRIBUTE_STEMS.set(stem(w), attr);

const NUMBER_WORDS: Record<string, number> = {
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  twenty: 20,
  hundred: 100,
  thousand: 1000,
  million: 1000000,
};

/**
 * Scores a schema name against the question's words. `words` are the question's words; the name
 * is split with `splitName`.
 */
export function matchName(name: string, words: readonly QWord[]): NameMatch {
  const parts = splitName(name)
    .map(stem)
    .filter((p) => !/^\d+$/.test(p));
  if (!parts.length) return { score: 0, position: -1, words: [] };
  let got = 0;
  let total = 0;
  let exactAll = true;
  const matched: number[] = [];
  for (const p of parts) {
    const weight = WEAK_WORDS.has(p) ? 0.5 : 1;
    total += weight;
    let best: { kind: 'exact' | 'partial'; word: number } | null = null;
    for (const w of words) {
      if (STOPWORDS.has(w.text) && !WEAK_WORDS.has(w.stem)) continue;
      let kind = stemsMatch(w.stem, p);
      if (!kind && ATTRIBUTE_STEMS.get(w.stem) === p) kind = 'partial';
      if (kind && (!best || (kind === 'exact' && best.kind === 'partial'))) best = { kind, word: w.index };
      if (best?.kind === 'exact') break;
    }
    if (!best) {
      exactAll = false;
      continue;
    }
    got += best.kind === 'exact' ? weight : 0.75 * weight;
    if (best.kind !== 'exact') exactAll = false;
    matched.push(best.word);
  }
  if (!matched.length) return { score: 0, position: -1, words: [] };
  // Only weak words matched (a column `name` against "names"): a real but weak signal.
  let score = got / total;
  const sorted = [...matched].sort((a, b) => a - b);
  const contiguous = sorted.length === parts.length && sorted[sorted.length - 1] - sorted[0] === sorted.length - 1;
  if (!exactAll) score *= 0.95;
  if (parts.every((p) => WEAK_WORDS.has(p))) score *= 0.8;
  return { score: Math.min(1, score * (contiguous ? 1 : 0.75)), position: sorted[0], words: sorted };
}

/** The best match of a name or any of its synonyms (schema notes): synonyms count as names. */
export function matchNames(name: string, synonyms: readonly string[] | undefined, words: readonly QWord[]): NameMatch {
  let best = matchName(name, words);
  for (const s of synonyms ?? []) {
    const m = matchName(s, words);
    if (m.score > best.score) best = m;
  }
  return best;
}

/** Numbers in the question: digits (`56`, `3.5`, `1,000`) and number words (`three`). */
export function questionNumbers(words: readonly QWord[]): QuestionNumber[] {
  const out: QuestionNumber[] = [];
  for (const w of words) {
    const digits = w.text.replace(/,/g, '');
    if (/^-?\d+(\.\d+)?$/.test(digits)) out.push({ value: Number(digits), text: w.text, word: w.index });
    else if (w.text in NUMBER_WORDS) out.push({ value: NUMBER_WORDS[w.text], text: w.text, word: w.index });
  }
  return out;
}

export interface LinkOptions {
  foreignKeys?: ForeignKey[];
  /** A value index for this database (reuse one per database: it is built once). */
  values?: ValueIndex | null;
  /** Probe timeout (default 1,000 ms). */
  timeoutMs?: number;
}

/**
 * Links a question to a database's schema. `db` runs the bounded probes (foreign keys, value
 * index); without it only names and numbers are linked.
 */
export async function linkSchema(
  question: string,
  tables: readonly TableInfo[],
  db: SqlExec | null,
  opts: LinkOptions = {},
): Promise<SchemaLinks> {
  const t0 = performance.now();
  const q = typeof question === 'string' ? question : '';
  const words = questionWords(q);
  const safeTables = (Array.isArray(tables) ? tables : []).filter(
    (t) => t && typeof t.name === 'string' && Array.isArray(t.columns),
  );
  const fks = opts.foreignKeys ?? (db ? await readKeys(db, safeTables, opts.timeoutMs ?? 1000) : []);
  let values: ValueLink[] = [];
  const index =
    opts.values === undefined
      ? db
        ? new ValueIndex(db, safeTables, { timeoutMs: opts.timeoutMs })
        : null
      : opts.values;
  if (index) {
    try {
      values = await index.match(q);
    } catch {
      values = [];
    }
  }
  const columns: ColumnLink[] = [];
  const tableLinks: TableLink[] = [];
  for (const t of safeTables) {
    const own = matchNames(t.name, t.note?.synonyms, words);
    let best = 0;
    for (let i = 0; i < t.columns.length; i++) {
      const m = matchNames(t.columns[i], t.columnNotes?.[i]?.synonyms, words);
      const v = values.find((x) => x.table === t.name && x.column === t.columns[i]);
      const score = Math.max(m.score, v ? 0.5 * v.score : 0);
      if (score <= 0) continue;
      const type = t.types?.[i] ?? '';
      columns.push({
        table: t.name,
        column: t.columns[i],
        type,
        numeric: isNumericType(type),
        score,
        position: m.score > 0 ? m.position : (v?.word ?? -1),
        words: m.score > 0 ? m.words : [],
      });
      best = Math.max(best, m.score);
    }
    const valueHit = values.some((v) => v.table === t.name) ? 0.3 : 0;
    tableLinks.push({ table: t.name, nameScore: own.score, ...own, score: Math.max(own.score, 0.5 * best, valueHit) });
  }
  tableLinks.sort((a, b) => b.score - a.score);
  columns.sort((a, b) => b.score - a.score);
  return {
    question: q,
    words,
    tables: tableLinks,
    columns,
    values,
    numbers: questionNumbers(words),
    foreignKeys: fks,
    ms: performance.now() - t0,
  };
}
