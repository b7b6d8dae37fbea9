/**
 * The one thing schema linking and the instant generator need from a database: run a read-only
 * query with a time limit. The in-process `SqlEngine` and the worker client both fit (a result or
 * a promise of one), so the linker never knows where SQLite runs.
 */
import type { QueryResult } from '../types.ts';

export interface SqlExec {
  exec(sql: string, opts?: { timeoutMs?: number; maxRows?: number }): QueryResult | Promise<QueryResult>;
}

/** Runs `sql`; null when it fails (an error, a timeout, the row limit). Never throws. */
export async function tryExec(
  db: SqlExec,
  sql: string,
  opts: { timeoutMs?: number; maxRows?: number } = {},
): Promise<QueryResult | null> {
  try {
    return await db.exec(sql, opts);
  } catch {
    return null;
  }
}

/** `"name"` with embedded quotes doubled: always safe as an identifier. */
export function quoteName(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A string literal for SQLite (`'` doubled). */
export function quoteString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
