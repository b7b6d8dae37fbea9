/**
 * Find where in the SQL an SQLite error message points, so an editor can mark it inline.
 *
 * SQLite messages name a token, not a position (`near "FRM": syntax error`,
 * `no such column: c.nme`, `no such table: custmers`, `no such function: foo`, …). This finds
 * that token in the SQL. When the token occurs more than once (`near ")"`), an optional `check`
 * (prepare the SQL without running it, return the error message or null) tells which
 * occurrence the parser stopped at: the first one whose prefix already fails the same way.
 */
import { findTopLevel, isKw, isName, isPunct, matchParens, nameOf, splitList } from './syntax.ts';
import { significantTokens, type Token } from './tokenize.ts';

export interface SqlErrorSpot {
  from: number;
  to: number;
  message: string;
}

/** Prepare `sql` without running it: the error message, or null when it compiles. */
export type SqlCheck = (sql: string) => string | null;

const lower = (s: string) => s.toLowerCase();
/** SQLite names a keyword used as a name (`no such column: date`) like any other. */
const isNameTok = (t: Token | undefined) => isName(t) || t?.kind === 'keyword';

/** Keywords after which an ORDER BY / GROUP BY term list is over. */
const TERM_LIST_ENDS = ['LIMIT', 'HAVING', 'ORDER', 'UNION', 'INTERSECT', 'EXCEPT', 'WINDOW'];

function spot(from: number, to: number, message: string): SqlErrorSpot {
  return { from, to, message };
}

/** Token indexes whose (unquoted) text matches `name`, case-insensitively. */
function findNames(toks: Token[], name: string): number[] {
  const want = lower(name);
  const out: number[] = [];
  toks.forEach((t, i) => {
    if (isNameTok(t) && lower(nameOf(t)) === want) out.push(i);
  });
  return out;
}

/** `a.b` or `b`: token ranges [first, last] that spell the (possibly qualified) name. */
function findQualified(toks: Token[], qname: string): [number, number][] {
  const parts = qname.split('.');
  const out: [number, number][] = [];
  for (const i of findNames(toks, parts[0])) {
    let ok = true;
    let j = i;
    for (let p = 1; p < parts.length && ok; p++) {
      if (
        isPunct(toks[j + 1], '.') &&
        toks[j + 2] &&
        isNameTok(toks[j + 2]) &&
        lower(nameOf(toks[j + 2])) === lower(parts[p])
      )
        j += 2;
      else ok = false;
    }
    if (ok) out.push([i, j]);
  }
  return out;
}

export function locateSqlError(sql: string, message: string, check?: SqlCheck): SqlErrorSpot | null {
  const toks = significantTokens(sql);
  if (!toks.length) return null;
  const msg = message.trim();
  let m: RegExpMatchArray | null;

  if ((m = msg.match(/near "((?:[^"]|"")*)": syntax error/))) {
    const text = m[1].replace(/""/g, '"');
    const cands = toks.filter((t) => t.text === text || lower(t.text) === lower(text));
    if (cands.length > 1 && check) {
      for (const t of cands) {
        const e = check(sql.slice(0, t.end));
        if (e && e.includes(`near "${m[1]}": syntax error`)) return spot(t.start, t.end, msg);
      }
    }
    if (cands.length) return spot(cands[0].start, cands[0].end, msg);
    const at = sql.indexOf(text);
    return at >= 0 ? spot(at, at + text.length, msg) : null;
  }
  if ((m = msg.match(/unrecognized token: "((?:[^"]|"")*)"/))) {
    const text = m[1].replace(/""/g, '"');
    const at = sql.indexOf(text);
    return at >= 0 ? spot(at, Math.min(sql.length, at + Math.max(1, text.length)), msg) : null;
  }
  if (/incomplete input/.test(msg)) {
    const last = toks[toks.length - 1];
    return spot(last.start, last.end, msg);
  }
  if ((m = msg.match(/no such (?:column|table): ([^\s,:]+)/))) {
    let q = m[1];
    if (/^main\./i.test(q) && !findQualified(toks, q).length) q = q.slice(5);
    const hits = findQualified(toks, q);
    // prefer a use that is not the alias of something (`… AS name`)
    const best = hits.find(([a]) => lower(toks[a - 1]?.text ?? '') !== 'as') ?? hits[0];
    if (best) return spot(toks[best[0]].start, toks[best[1]].end, msg);
    return null;
  }
  if ((m = msg.match(/ambiguous column name: (\S+)/))) {
    const hits = findQualified(toks, m[1]).filter(([a]) => toks[a - 1]?.text !== '.');
    return hits.length ? spot(toks[hits[0][0]].start, toks[hits[0][1]].end, msg) : null;
  }
  if (
    (m = msg.match(
      /(?:no such function|wrong number of arguments to function|misuse of aggregate(?: function)?|misuse of window function):? ([A-Za-z_][\w$]*)/,
    ))
  ) {
    const calls = findNames(toks, m[1]).filter((i) => isPunct(toks[i + 1], '('));
    if (!calls.length) return null;
    // with a call, mark up to its closing parenthesis (only the name when it is never closed)
    const i = calls[/misuse of aggregate/.test(msg) && calls.length > 1 ? 1 : 0];
    const close = matchParens(toks)[i + 1];
    return spot(toks[i].start, close >= 0 ? toks[close].end : toks[i].end, msg);
  }
  if ((m = msg.match(/(\d+)(?:st|nd|rd|th) (ORDER|GROUP) BY term out of range/))) {
    const n = Number(m[1]);
    const kw = m[2];
    let at = -1;
    toks.forEach((t, i) => {
      if (isKw(t, kw) && isKw(toks[i + 1], 'BY')) at = i + 2;
    });
    if (at < 0) return null;
    // The term list ends at a keyword that follows it (LIMIT, HAVING, ...), at a `;`, or at the `)`
    // that closes the subquery it belongs to.
    let end = findTopLevel(
      toks,
      at,
      toks.length,
      (i) => isPunct(toks[i], ')') || isPunct(toks[i], ';') || isKw(toks[i], ...TERM_LIST_ENDS),
    );
    if (end < 0) end = toks.length;
    const term = splitList(toks, at, end)[n - 1];
    if (term) return spot(toks[term[0]].start, toks[term[1] - 1].end, msg);
    return null;
  }
  if ((m = msg.match(/to the left and right of (UNION ALL|UNION|INTERSECT|EXCEPT)/))) {
    const word = m[1].split(' ')[0];
    const t = toks.find((x) => isKw(x, word));
    return t ? spot(t.start, t.end, msg) : null;
  }
  return null;
}
