/**
 * Simple edits of an example's SQL, tried when no example fits exactly: DISTINCT added to or
 * dropped from the outer SELECT, and one selected column fewer (the last one). Each edit is new
 * SQL text, parsed into a template like any example. Never throws.
 */
import { isKw, isPunct, splitClauses, splitList } from '../sql/syntax.ts';
import { significantTokens } from '../sql/tokenize.ts';

export function simpleEdits(sql: string): string[] {
  try {
    const toks = significantTokens(sql);
    const semi = toks.findIndex((t) => isPunct(t, ';'));
    const hi = semi < 0 ? toks.length : semi;
    const clauses = splitClauses(toks, 0, hi);
    const sel = clauses[0];
    if (
      !sel ||
      sel.kind !== 'SELECT' ||
      clauses.some((c) => c.kind === 'UNION' || c.kind === 'INTERSECT' || c.kind === 'EXCEPT')
    )
      return [];
    const out: string[] = [];
    const body = toks[sel.body];
    if (!body) return [];
    if (isKw(body, 'DISTINCT')) {
      out.push(sql.slice(0, body.start) + sql.slice(toks[sel.body + 1]?.start ?? body.end));
    } else {
      out.push(`${sql.slice(0, body.start)}DISTINCT ${sql.slice(body.start)}`);
    }
    const first = isKw(body, 'DISTINCT') ? sel.body + 1 : sel.body;
    const items = splitList(toks, first, sel.hi);
    if (items.length > 1) {
      const prevEnd = toks[items[items.length - 2][1] - 1].end;
      const lastEnd = toks[items[items.length - 1][1] - 1].end;
      out.push(sql.slice(0, prevEnd) + sql.slice(lastEnd));
    }
    return out;
  } catch {
    return [];
  }
}
