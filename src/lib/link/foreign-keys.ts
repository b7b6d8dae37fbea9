/**
 * Foreign keys and join paths. Declared keys come from `PRAGMA foreign_key_list` through the
 * injected executor; when a database declares none, `*_id`-style joins are inferred from column
 * names (a column named like another table's key: `singer_id` -> `singer.singer_id` or
 * `singer.id`). A join path is the shortest chain of keys between two tables (breadth first).
 */
import type { TableInfo } from '../types.ts';
import { quoteName, tryExec, type SqlExec } from './exec.ts';
import { splitName, stem } from './words.ts';

export interface ForeignKey {
  fromTable: string;
  fromColumn: string;
  toTable: string;
  toColumn: string;
  /** True when inferred from names rather than declared. */
  inferred: boolean;
}

const lower = (s: string) => s.toLowerCase();

/** Resolves a name case-insensitively against a list (SQLite names are case-insensitive). */
function resolveName(list: readonly string[], name: string): string | undefined {
  return list.find((n) => n === name) ?? list.find((n) => lower(n) === lower(name));
}

/**
 * Declared foreign keys of every table (PRAGMA foreign_key_list), with references to a missing
 * table or column dropped and an omitted target column (`REFERENCES t`) resolved to the target's
 * key (its first column). Never throws: a table whose PRAGMA fails contributes nothing.
 */
export async function readForeignKeys(
  db: SqlExec,
  tables: readonly TableInfo[],
  timeoutMs = 1000,
): Promise<ForeignKey[]> {
  const out: ForeignKey[] = [];
  const names = tables.map((t) => t.name);
  for (const t of tables) {
    const res = await tryExec(db, `PRAGMA foreign_key_list(${quoteName(t.name)})`, { timeoutMs });
    if (!res) continue;
    const col = (n: string) => res.columns.indexOf(n);
    const [iTable, iFrom, iTo] = [col('table'), col('from'), col('to')];
    if (iTable < 0 || iFrom < 0) continue;
    for (const row of res.rows) {
      const toTable = resolveName(names, String(row[iTable] ?? ''));
      if (!toTable) continue;
      const target = tables.find((x) => x.name === toTable)!;
      const fromColumn = resolveName(t.columns, String(row[iFrom] ?? ''));
      const rawTo = iTo >= 0 && row[iTo] != null ? String(row[iTo]) : '';
      const toColumn = rawTo ? resolveName(target.columns, rawTo) : target.columns[0];
      if (!fromColumn || !toColumn) continue;
      if (out.some((f) => f.fromTable === t.name && f.fromColumn === fromColumn && f.toTable === toTable)) continue;
      out.push({ fromTable: t.name, fromColumn, toTable, toColumn, inferred: false });
    }
  }
  return out;
}

/**
 * Joins inferred from names: a column `<x>_id` / `<x>id` (or any column that shares its exact
 * name with a column called like its table's key) refers to the table named `<x>` (plural or
 * not) when that table has a column of the same name, or an `id` column.
 */
export function inferForeignKeys(tables: readonly TableInfo[]): ForeignKey[] {
  const out: ForeignKey[] = [];
  const tableStem = new Map(tables.map((t) => [t.name, splitName(t.name).map(stem).join(' ')]));
  for (const t of tables) {
    for (const c of t.columns) {
      const words = splitName(c);
      if (words.length < 2 || words[words.length - 1] !== 'id') continue;
      const subject = words.slice(0, -1).map(stem).join(' ');
      for (const u of tables) {
        if (u === t) continue;
        if (tableStem.get(u.name) !== subject) continue;
        const toColumn = resolveName(u.columns, c) ?? u.columns.find((x) => lower(x) === 'id');
        if (!toColumn) continue;
        out.push({ fromTable: t.name, fromColumn: c, toTable: u.name, toColumn, inferred: true });
      }
    }
  }
  // Shared key names (`Stadium_ID` in two tables where one table is `stadium`) are covered above;
  // also join two tables that share an `..._id` column when one of them has it as first column.
  for (const t of tables) {
    const key = t.columns[0];
    if (!key || splitName(key).pop() !== 'id') continue;
    for (const u of tables) {
      if (u === t) continue;
      const c = resolveName(u.columns, key);
      if (!c || u.columns[0] === c) continue;
      if (out.some((f) => f.fromTable === u.name && f.toTable === t.name)) continue;
      out.push({ fromTable: u.name, fromColumn: c, toTable: t.name, toColumn: key, inferred: true });
    }
  }
  return out;
}

/** Declared keys, or inferred ones when the database declares none. */
export async function foreignKeys(db: SqlExec, tables: readonly TableInfo[], timeoutMs = 1000): Promise<ForeignKey[]> {
  const declared = await readForeignKeys(db, tables, timeoutMs);
  return declared.length ? declared : inferForeignKeys(tables);
}

/** One step of a join path: join `to` on `fromTable.fromColumn = toTable.toColumn`. */
export interface JoinStep {
  from: string;
  to: string;
  /** Column of `from` and of `to` that are equal. */
  fromColumn: string;
  toColumn: string;
  key: ForeignKey;
}

/** The foreign keys between two tables (either direction), as steps from `a` to `b`. */
export function directJoins(keys: readonly ForeignKey[], a: string, b: string): JoinStep[] {
  const out: JoinStep[] = [];
  for (const k of keys) {
    if (k.fromTable === a && k.toTable === b)
      out.push({ from: a, to: b, fromColumn: k.fromColumn, toColumn: k.toColumn, key: k });
    else if (k.fromTable === b && k.toTable === a)
      out.push({ from: a, to: b, fromColumn: k.toColumn, toColumn: k.fromColumn, key: k });
  }
  return out;
}

/**
 * The shortest join path from table `a` to table `b` (breadth first over the keys, at most
 * `maxSteps` joins); [] when a === b, null when they are not connected.
 */
export function joinPath(keys: readonly ForeignKey[], a: string, b: string, maxSteps = 4): JoinStep[] | null {
  if (a === b) return [];
  const prev = new Map<string, JoinStep>();
  let frontier = [a];
  const seen = new Set([a]);
  for (let depth = 0; depth < maxSteps && frontier.length; depth++) {
    const next: string[] = [];
    for (const t of frontier) {
      for (const k of keys) {
        const other = k.fromTable === t ? k.toTable : k.toTable === t ? k.fromTable : null;
        if (other === null || seen.has(other)) continue;
        seen.add(other);
        const [fromColumn, toColumn] = k.fromTable === t ? [k.fromColumn, k.toColumn] : [k.toColumn, k.fromColumn];
        prev.set(other, { from: t, to: other, fromColumn, toColumn, key: k });
        if (other === b) {
          const path: JoinStep[] = [];
          for (let s = prev.get(b); s; s = s.from === a ? undefined : prev.get(s.from)) path.unshift(s);
          return path;
        }
        next.push(other);
      }
    }
    frontier = next;
  }
  return null;
}
