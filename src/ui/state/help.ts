/**
 * First-use help for the Ask page, as plain functions (no DOM, no state): example questions for
 * the open database, and the small wording helpers its labels need.
 */
import type { Example, TableInfo } from '../../lib/types.ts';

export interface ExampleQuestions {
  questions: string[];
  /** 'corpus': questions of the corpus written for this database; 'schema': made up from its tables. */
  source: 'corpus' | 'schema';
}

/** "1 issue", "2 issues" (the plural is the singular plus s unless given). */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/** The corpus name with its size, without repeating a count the name already ends with. */
export function corpusLabel(name: string, count: number): string {
  const n = count.toLocaleString('en-US');
  return name.includes(`(${n})`) ? name : `${name} (${n})`;
}

/** A database name as a corpus would spell its id: file stem, lower case, words joined by _. */
function dbKey(name: string): string {
  return name
    .replace(/\.(sqlite3?|db)$/i, '')
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** Table names that a CREATE TABLE script defines. */
function ddlTables(ddl: string): string[] {
  return [...ddl.matchAll(/CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?["`[]?([\w$]+)/gi)].map((m) => m[1].toLowerCase());
}

/** Pick `n` of the questions, spread over the list (stable: the same corpus gives the same picks). */
function spread(questions: string[], n: number): string[] {
  const short = [...new Set(questions.map((q) => q.trim()).filter((q) => q.length > 0 && q.length <= 90))];
  if (short.length <= n) return short;
  const step = short.length / n;
  return Array.from({ length: n }, (_, i) => short[Math.floor(i * step)]);
}

/** The examples of the corpus that belong to this database: by id (its file name), else by schema. */
function examplesFor(examples: readonly Example[], dbName: string, tables: readonly TableInfo[]): Example[] {
  const key = dbKey(dbName);
  const byName = examples.filter((e) => e.dbId && e.dbId.toLowerCase() === key);
  if (byName.length) return byName;
  const names = new Set(tables.map((t) => t.name.toLowerCase()));
  if (!names.size) return [];
  // the database whose schema (as the examples carry it) is made of this database's tables
  const fits = new Map<string, boolean>();
  for (const e of examples) {
    // one DDL parse per database (not per example: this runs on the page when a database opens)
    if (!e.dbId || !e.schema || fits.has(e.dbId)) continue;
    const ts = ddlTables(e.schema);
    fits.set(e.dbId, ts.length > 0 && ts.every((t) => names.has(t)));
  }
  const ids = new Set([...fits].filter(([, ok]) => ok).map(([id]) => id));
  return examples.filter((e) => e.dbId && ids.has(e.dbId));
}

const NUMERIC = /int|real|floa|doub|num|dec/i;

/** Questions anyone could ask of these tables, when the corpus has none for this database. */
function fromSchema(tables: readonly TableInfo[], n: number): string[] {
  const out: string[] = [];
  const human = (s: string) => s.replace(/_/g, ' ');
  for (const t of tables) {
    out.push(`How many ${human(t.name)} are there?`);
    const types = t.types ?? [];
    const num = t.columns.findIndex((c, i) => NUMERIC.test(types[i] ?? '') && !/(^|_)id$/i.test(c));
    const text = t.columns.findIndex((c, i) => !NUMERIC.test(types[i] ?? '') && !/(^|_)id$/i.test(c));
    if (num >= 0) out.push(`What is the average ${human(t.columns[num])} of ${human(t.name)}?`);
    if (text >= 0) out.push(`List the ${human(t.columns[text])} of every ${human(t.name)}.`);
  }
  // one question per table first, then the others
  const first = tables.map((t) => `How many ${human(t.name)} are there?`);
  return [...new Set([...first.slice(0, Math.ceil(n / 2)), ...out])].slice(0, n);
}

/**
 * Example questions for the open database: from the corpus examples written for it (matched by
 * database id, or by the tables of their schema), else made up from its tables.
 */
export function exampleQuestions(
  examples: readonly Example[],
  db: { name: string; tables: readonly TableInfo[] },
  n = 4,
): ExampleQuestions {
  const own = examplesFor(examples, db.name, db.tables);
  const picked = spread(
    own.map((e) => e.question),
    n,
  );
  if (picked.length) return { questions: picked, source: 'corpus' };
  return { questions: fromSchema(db.tables, n), source: 'schema' };
}
