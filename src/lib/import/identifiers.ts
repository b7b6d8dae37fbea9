/**
 * Column and table names from file headers: cleaned into plain SQL identifiers (lower-case
 * letters, digits and underscores, not starting with a digit, not an SQL keyword), unique within
 * their table. The original header is kept by the caller (TableInfo.columnNotes[i].text).
 */

/** Words that would need quoting as a bare identifier (the ones people actually use as headers). */
const RESERVED = new Set(
  (
    'abort action add all alter analyze and as asc attach autoincrement before begin between by cascade case cast ' +
    'check collate column commit conflict constraint create cross current current_date current_time ' +
    'current_timestamp database default deferrable deferred delete desc detach distinct do drop each else end ' +
    'escape except exclusive exists explain fail filter for foreign from full glob group having if ignore ' +
    'immediate in index indexed initially inner insert instead intersect into is isnull join key left like limit ' +
    'match natural no not nothing notnull null of offset on or order outer over partition plan pragma primary ' +
    'query raise range recursive references regexp reindex release rename replace restrict right rollback row ' +
    'rows savepoint select set table temp temporary then to transaction trigger union unique update using ' +
    'vacuum values view virtual when where window with without'
  ).split(' '),
);

/** Longest identifier we produce (long headers are cut, their full text stays in the note). */
export const MAX_IDENTIFIER = 60;

/**
 * One header → one identifier: accents folded, anything else than letters and digits becomes
 * `_`, runs of `_` collapsed, lower case; empty → `fallback`; leading digit or a keyword → `_` or
 * a suffix. Not yet unique: see `uniqueIdentifiers`.
 */
export function cleanIdentifier(header: string, kind: 'column' | 'table' = 'column', fallback: string = kind): string {
  let s = header
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/%/g, ' pct ')
    .replace(/#/g, ' num ')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (s.length > MAX_IDENTIFIER) s = s.slice(0, MAX_IDENTIFIER).replace(/_+$/, '');
  if (!s) s = fallback;
  if (/^[0-9]/.test(s)) s = `${kind === 'column' ? 'c' : 't'}_${s}`;
  if (RESERVED.has(s)) s = `${s}_`;
  return s;
}

/** Clean every header and make the results unique (`name`, `name_2`, `name_3`, …), in order. */
export function uniqueIdentifiers(headers: readonly string[], taken: Iterable<string> = []): string[] {
  const used = new Set<string>([...taken].map((t) => t.toLowerCase()));
  return headers.map((h, i) => {
    const base = cleanIdentifier(h, 'column', `column_${i + 1}`);
    let name = base;
    for (let k = 2; used.has(name); k++) name = `${base}_${k}`;
    used.add(name);
    return name;
  });
}

/** A table name from a file name (extension dropped) and, for workbooks, the sheet name. */
export function tableNameFor(fileName: string, sheet?: string): string {
  const stem = fileName.replace(/^.*[\\/]/, '').replace(/\.(csv|tsv|txt|xlsx|parquet|jsonl|ndjson|json)$/i, '');
  return cleanIdentifier(sheet ? `${stem} ${sheet}` : stem, 'table');
}

/** Whether `name` is already a clean identifier (what a user-typed table name must be). */
export function isCleanIdentifier(name: string): boolean {
  return /^[a-z_][a-z0-9_]*$/i.test(name) && !RESERVED.has(name.toLowerCase()) && name.length <= MAX_IDENTIFIER;
}
