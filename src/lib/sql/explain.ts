/**
 * A deterministic, rule-based explanation of a SQLite query, clause by clause.
 *
 * It is the fallback for models that cannot explain SQL (tiny-sql-lm only knows the text-to-SQL
 * format), and it gives every explanation item the character range of its clause, so the UI can
 * highlight the clause in the editor while the reader looks at the sentence.
 *
 * The explainer works on tokens (sql/tokenize.ts) and never throws: anything it does not
 * understand is quoted back as SQL. Subqueries (in FROM, WHERE, SELECT, WITH) are explained after
 * the clause that uses them, one level deeper.
 */
import {
  AGGREGATE_FUNCTIONS,
  JOIN_WORDS,
  SET_OPERATORS,
  isKw,
  isKwIn,
  isName,
  isPunct as isP,
  matchParens,
  nameOf,
  splitClauses,
  splitList,
  splitStatements,
  type Clause,
  type ClauseKind,
} from './syntax.ts';
import { significantTokens, type Token } from './tokenize.ts';

export interface ExplainItem {
  /** The clause keyword(s): WITH, SELECT, FROM, WHERE, GROUP BY, HAVING, ORDER BY, LIMIT, UNION, … */
  clause: string;
  /** The clause's SQL, shortened for display. */
  sql: string;
  /** The explanation in plain English. */
  text: string;
  /** Character range of the clause in the SQL (`sql.slice(from, to)`). */
  from: number;
  to: number;
  /** 0 for the main query, 1 for a subquery of it, and so on. */
  depth: number;
}

const MAX_SQL_LABEL = 80;

interface Ctx {
  sql: string;
  toks: Token[];
  /** For each `(` token index the index of its matching `)` (or toks.length - 1), else -1. */
  match: Int32Array;
  items: ExplainItem[];
}

/** Explain every statement of `sql`, clause by clause. */
export function explainSql(sql: string): ExplainItem[] {
  const toks = significantTokens(sql);
  const ctx: Ctx = { sql, toks, match: matchParens(toks, toks.length - 1), items: [] };
  for (const [lo, hi] of splitStatements(toks)) statement(ctx, lo, hi, 0);
  return ctx.items;
}

function statement(ctx: Ctx, lo: number, hi: number, depth: number): void {
  const first = ctx.toks[lo];
  if (isKw(first, 'SELECT', 'WITH', 'VALUES')) {
    query(ctx, lo, hi, depth);
    return;
  }
  if (isP(first, '(')) {
    // a parenthesised query
    const close = ctx.match[lo];
    if (close > lo) return statement(ctx, lo + 1, close, depth);
  }
  push(ctx, 'OTHER', lo, hi, depth, 'this is not a SELECT query; the explainer only describes queries.');
}

function push(ctx: Ctx, clause: string, lo: number, hi: number, depth: number, text: string): void {
  const from = ctx.toks[lo].start;
  const to = ctx.toks[hi - 1].end;
  ctx.items.push({ clause, sql: shorten(oneLine(ctx.sql.slice(from, to))), text, from, to, depth });
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function shorten(s: string): string {
  return s.length > MAX_SQL_LABEL ? s.slice(0, MAX_SQL_LABEL - 1).trimEnd() + ' …' : s;
}

/** UNION [ALL], INTERSECT and EXCEPT separate the SELECT cores of a compound query. */
const isCompoundOp = (kind: ClauseKind) => kind === 'UNION ALL' || SET_OPERATORS.has(kind);

function query(ctx: Ctx, lo: number, hi: number, depth: number): void {
  const clauses = splitClauses(ctx.toks, lo, hi);
  // Which clauses each SELECT core has, for remarks such as "one summary row".
  let coreStart = 0;
  for (let c = 0; c < clauses.length; c++) {
    const cl = clauses[c];
    if (isCompoundOp(cl.kind)) coreStart = c + 1;
    let coreEnd = c;
    while (coreEnd + 1 < clauses.length && !isCompoundOp(clauses[coreEnd + 1].kind)) coreEnd++;
    const core = clauses.slice(coreStart, coreEnd + 1).map((x) => x.kind);
    const subs: [number, number][] = [];
    const text = describe(ctx, cl, core, clauses, subs);
    if (cl.hi > cl.lo) push(ctx, cl.kind, cl.lo, cl.hi, depth, text);
    for (const [a, b] of subs) if (b > a) statement(ctx, a, b, depth + 1);
  }
}

function describe(ctx: Ctx, cl: Clause, core: ClauseKind[], all: Clause[], subs: [number, number][]): string {
  const r = (a: number, b: number) => phrase(ctx, a, b, subs);
  switch (cl.kind) {
    case 'WITH':
    case 'WITH RECURSIVE':
      return describeWith(ctx, cl, subs);
    case 'SELECT':
      return describeSelect(ctx, cl, core, subs);
    case 'FROM':
      return describeFrom(ctx, cl, subs);
    case 'WHERE':
      return `keeps only the rows where ${r(cl.body, cl.hi)}.`;
    case 'GROUP BY': {
      const keys = splitList(ctx.toks, cl.body, cl.hi).map(([a, b]) => positional(ctx, a, b) ?? r(a, b));
      return `puts rows with the same ${andList(keys)} into one group each; aggregates such as count or sum are then computed per group, giving one row per group.`;
    }
    case 'HAVING':
      return `keeps only the groups where ${r(cl.body, cl.hi)}.`;
    case 'ORDER BY':
      return describeOrder(ctx, cl, subs);
    case 'LIMIT':
      return describeLimit(ctx, cl, all, subs);
    case 'UNION':
      return 'adds the rows of the next query and removes duplicate rows.';
    case 'UNION ALL':
      return 'adds the rows of the next query, keeping duplicates.';
    case 'INTERSECT':
      return 'keeps only the rows that the next query also returns.';
    case 'EXCEPT':
      return 'removes the rows that the next query returns.';
    case 'VALUES':
      return `lists literal rows: ${r(cl.body, cl.hi)}.`;
    case 'WINDOW':
      return `names window definitions used by window functions: ${r(cl.body, cl.hi)}.`;
    default:
      return `(not explained) ${oneLine(ctx.sql.slice(ctx.toks[cl.lo].start, ctx.toks[cl.hi - 1].end))}`;
  }
}

function andList(parts: string[]): string {
  if (parts.length <= 1) return parts[0] ?? '';
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/** An expression part with an optional alias (`expr AS name` or `expr name`). */
function splitAlias(ctx: Ctx, a: number, b: number): { expr: [number, number]; alias?: string } {
  const { toks } = ctx;
  if (b - a >= 3 && isKw(toks[b - 2], 'AS') && isName(toks[b - 1]))
    return { expr: [a, b - 2], alias: nameOf(toks[b - 1]) };
  if (b - a >= 2 && isName(toks[b - 1])) {
    const p = toks[b - 2];
    if (isName(p) || p.kind === 'number' || p.kind === 'string' || isP(p, ')') || isKw(p, 'END'))
      return { expr: [a, b - 1], alias: nameOf(toks[b - 1]) };
  }
  return { expr: [a, b] };
}

function describeSelect(ctx: Ctx, cl: Clause, core: ClauseKind[], subs: [number, number][]): string {
  const { toks } = ctx;
  let a = cl.body;
  let distinct = false;
  if (isKw(toks[a], 'DISTINCT')) {
    distinct = true;
    a++;
  } else if (isKw(toks[a], 'ALL')) a++;
  const items = splitList(ctx.toks, a, cl.hi);
  let hasAggregate = false;
  const parts = items.map(([x, y]) => {
    if (y - x === 1 && toks[x].text === '*') return 'every column';
    if (y - x === 3 && isP(toks[x + 1], '.') && toks[x + 2].text === '*') return `every column of ${nameOf(toks[x])}`;
    const { expr, alias } = splitAlias(ctx, x, y);
    for (let i = expr[0]; i < expr[1]; i++) if (isKwIn(toks[i], AGGREGATE_FUNCTIONS)) hasAggregate = true;
    const p = phrase(ctx, expr[0], expr[1], subs);
    return alias && alias !== p ? `${p} (as ${alias})` : p;
  });
  const shown = parts.length > 6 ? [...parts.slice(0, 5), `${parts.length - 5} more columns`] : parts;
  let s = distinct ? `returns the distinct combinations of ${andList(shown)}` : `returns ${andList(shown)}`;
  if (hasAggregate && !core.includes('GROUP BY'))
    s += '; with aggregates and no GROUP BY, the result is a single summary row';
  if (!core.includes('FROM')) s += ' (computed without reading a table)';
  return s + '.';
}

function describeWith(ctx: Ctx, cl: Clause, subs: [number, number][]): string {
  const { toks, match } = ctx;
  const recursive = cl.kind === 'WITH RECURSIVE';
  const names: string[] = [];
  for (const [a, b] of splitList(ctx.toks, cl.body, cl.hi)) {
    if (!isName(toks[a])) continue;
    let name = nameOf(toks[a]);
    let i = a + 1;
    if (isP(toks[i], '(')) {
      const close = match[i];
      const cols = splitList(ctx.toks, i + 1, close).map(([x, y]) =>
        oneLine(ctx.sql.slice(toks[x].start, toks[y - 1].end)),
      );
      name += `(${cols.join(', ')})`;
      i = close + 1;
    }
    while (i < b && !isP(toks[i], '(')) i++; // AS [NOT] [MATERIALIZED]
    if (i < b) subs.push([i + 1, match[i]]);
    names.push(name);
  }
  const what =
    names.length === 1 ? `a temporary result named ${names[0]}` : `temporary results named ${andList(names)}`;
  return recursive
    ? `defines ${what} recursively: it starts from the first SELECT and each step adds rows built from the previous ones (a row generator); the main query reads it like a table.`
    : `defines ${what}, used by the main query like a table.`;
}

function describeFrom(ctx: Ctx, cl: Clause, subs: [number, number][]): string {
  const { toks, match } = ctx;
  // Sources separated by commas or JOINs.
  interface Source {
    label: string;
    join: string;
    cond?: string;
  }
  const sources: Source[] = [];
  let i = cl.body;
  let join = 'first';
  while (i < cl.hi) {
    // a source: table [AS alias] | (subquery) [AS alias]
    let label: string;
    if (isP(toks[i], '(')) {
      const close = match[i];
      if (isKw(toks[i + 1], 'SELECT', 'WITH', 'VALUES')) {
        subs.push([i + 1, close]);
        label = 'a subquery (explained below)';
      } else label = oneLine(ctx.sql.slice(toks[i].start, toks[close].end));
      i = close + 1;
    } else {
      let name = toks[i] ? nameOf(toks[i]) : '';
      i++;
      if (isP(toks[i], '.') && isName(toks[i + 1])) {
        name += '.' + nameOf(toks[i + 1]);
        i += 2;
      }
      if (isP(toks[i], '(')) {
        name += ctx.sql.slice(toks[i].start, toks[match[i]].end);
        i = match[i] + 1;
      } // table-valued function
      label = name;
    }
    if (isKw(toks[i], 'AS')) i++;
    if (isName(toks[i]) && !JOIN_WORDS.has(toks[i].text.toUpperCase())) {
      label += ` (as ${nameOf(toks[i])})`;
      i++;
    }
    const src: Source = { label, join };
    // join constraint
    if (isKw(toks[i], 'ON')) {
      let j = i + 1;
      while (j < cl.hi && !isP(toks[j], ',') && !isKwIn(toks[j], JOIN_WORDS)) {
        if (isP(toks[j], '(')) j = match[j];
        j++;
      }
      src.cond = phrase(ctx, i + 1, Math.min(j, cl.hi), subs);
      i = j;
    } else if (isKw(toks[i], 'USING') && isP(toks[i + 1], '(')) {
      const close = match[i + 1];
      src.cond = `they have the same ${andList(splitList(ctx.toks, i + 2, close).map(([x, y]) => phrase(ctx, x, y, subs)))}`;
      i = close + 1;
    }
    sources.push(src);
    // the next join operator
    if (i >= cl.hi) break;
    if (isP(toks[i], ',')) {
      join = 'comma';
      i++;
      continue;
    }
    const words: string[] = [];
    while (i < cl.hi && isKwIn(toks[i], JOIN_WORDS)) {
      words.push(toks[i].value);
      i++;
    }
    if (!words.length) {
      // something the explainer does not model (INDEXED BY, …): quote the rest
      sources[sources.length - 1].label += ` ${oneLine(ctx.sql.slice(toks[i].start, toks[cl.hi - 1].end))}`;
      break;
    }
    join = words.join(' ');
  }
  if (!sources.length) return 'names no table (the FROM clause is empty).';
  const first = sources[0].label.startsWith('a subquery') ? sources[0].label : `the table ${sources[0].label}`;
  if (sources.length === 1) return `reads ${first}.`;
  const parts: string[] = [];
  for (const s of sources.slice(1)) {
    const on = s.cond ? `, pairing rows where ${s.cond}` : '';
    if (s.join === 'comma' || s.join.includes('CROSS')) parts.push(`with every row of ${s.label}${on}`);
    else if (s.join.includes('LEFT'))
      parts.push(`with ${s.label}${on}, keeping rows of the left side that have no match`);
    else if (s.join.includes('RIGHT'))
      parts.push(`with ${s.label}${on}, keeping rows of ${s.label} that have no match`);
    else if (s.join.includes('FULL')) parts.push(`with ${s.label}${on}, keeping unmatched rows of both sides`);
    else if (s.join.includes('NATURAL'))
      parts.push(`with ${s.label}, pairing rows that agree on every column with the same name`);
    else parts.push(`with ${s.label}${on}`);
  }
  return `combines ${sources[0].label} ${parts.join('; then ')}.`;
}

/** `ORDER BY 2` / `GROUP BY 1` refer to a column of the result by position. */
function positional(ctx: Ctx, a: number, b: number): string | null {
  return b - a === 1 && ctx.toks[a].kind === 'number' ? `result column ${ctx.toks[a].text}` : null;
}

function describeOrder(ctx: Ctx, cl: Clause, subs: [number, number][]): string {
  const { toks } = ctx;
  const keys = splitList(ctx.toks, cl.body, cl.hi).map(([a, b]) => {
    let end = b;
    let dir = 'ascending: smallest first';
    let nulls = '';
    if (isKw(toks[end - 1], 'FIRST', 'LAST') && isKw(toks[end - 2], 'NULLS')) {
      nulls = toks[end - 1].value === 'FIRST' ? ', empty values first' : ', empty values last';
      end -= 2;
    }
    if (isKw(toks[end - 1], 'DESC')) {
      dir = 'descending: largest first';
      end--;
    } else if (isKw(toks[end - 1], 'ASC')) end--;
    return `${positional(ctx, a, end) ?? phrase(ctx, a, end, subs)} (${dir}${nulls})`;
  });
  return `sorts the rows by ${keys.join(', then by ')}.`;
}

function describeLimit(ctx: Ctx, cl: Clause, all: Clause[], subs: [number, number][]): string {
  const { toks } = ctx;
  let count: string;
  let offset: string | null = null;
  let off = -1;
  for (let i = cl.body; i < cl.hi; i++)
    if (isKw(toks[i], 'OFFSET') || isP(toks[i], ',')) {
      off = i;
      break;
    }
  if (off < 0) count = phrase(ctx, cl.body, cl.hi, subs);
  else if (isP(toks[off], ',')) {
    offset = phrase(ctx, cl.body, off, subs);
    count = phrase(ctx, off + 1, cl.hi, subs);
  } else {
    count = phrase(ctx, cl.body, off, subs);
    offset = phrase(ctx, off + 1, cl.hi, subs);
  }
  const ordered = all.some((c) => c.kind === 'ORDER BY' && c.lo < cl.lo);
  const what = count === '1' ? 'only the first row' : `only the first ${count} rows`;
  let s = offset
    ? `skips the first ${offset} rows, then keeps ${count === '1' ? 'the next row' : `the next ${count} rows`}`
    : `keeps ${what}`;
  if (!ordered) s += ' (in no guaranteed order, as there is no ORDER BY before it)';
  else if (count === '1' && !offset) s += ' (the top one in that order)';
  return s + '.';
}

function likePhrase(pattern: string, negated: boolean): string {
  const inner = pattern.replace(/^%+|%+$/g, '');
  const simple = !/[%_]/.test(inner);
  const q = `'${inner}'`;
  let s: string;
  if (simple && pattern.startsWith('%') && pattern.endsWith('%') && pattern.length > 1) s = `contains ${q}`;
  else if (simple && pattern.endsWith('%') && !pattern.startsWith('%')) s = `starts with ${q}`;
  else if (simple && pattern.startsWith('%') && !pattern.endsWith('%')) s = `ends with ${q}`;
  else return negated ? `does not match the pattern '${pattern}'` : `matches the pattern '${pattern}'`;
  return negated
    ? `does not ${s.replace(/^(contains|starts|ends)/, (m) => (m === 'contains' ? 'contain' : m.slice(0, -1)))}`
    : s;
}

const OP_WORDS: Record<string, string> = {
  '=': 'is',
  '==': 'is',
  '!=': 'is not',
  '<>': 'is not',
  '>': 'is greater than',
  '>=': 'is at least',
  '<': 'is less than',
  '<=': 'is at most',
};

const AGG_WORDS: Record<string, string> = {
  SUM: 'the total of',
  TOTAL: 'the total of',
  AVG: 'the average of',
  MIN: 'the smallest',
  MAX: 'the largest',
  GROUP_CONCAT: 'the list of',
};

/**
 * Render an expression as readable text: comparison operators become words, aggregates become
 * phrases, subqueries become "a subquery (explained below)" (and are queued in `subs`).
 */
function phrase(ctx: Ctx, a: number, b: number, subs: [number, number][]): string {
  const { toks, match } = ctx;
  const out: string[] = [];
  let glue = false; // the next piece attaches without a space
  const put = (s: string, attach = false) => {
    if (!out.length || glue || attach) out.push(s);
    else out.push(' ' + s);
    glue = false;
  };
  for (let i = a; i < b; i++) {
    const t = toks[i];
    const next = toks[i + 1];
    if (isKwIn(t, AGGREGATE_FUNCTIONS) && isP(next, '(')) {
      const close = Math.min(match[i + 1], b - 1);
      let x = i + 2;
      let distinct = false;
      if (isKw(toks[x], 'DISTINCT')) {
        distinct = true;
        x++;
      }
      const inner = close > x ? phrase(ctx, x, close, subs) : '';
      let s: string;
      if (t.value === 'COUNT')
        s =
          inner === '*' || inner === ''
            ? 'the number of rows'
            : distinct
              ? `the number of different ${inner} values`
              : `the number of ${inner} values`;
      else s = `${AGG_WORDS[t.value]} ${distinct ? 'different ' : ''}${inner}`;
      put(s);
      i = close;
      continue;
    }
    if (isP(t, '(') && isKw(next, 'SELECT', 'WITH', 'VALUES')) {
      const close = match[i];
      subs.push([i + 1, close]);
      put('a subquery (explained below)');
      i = Math.min(close, b - 1);
      continue;
    }
    if (isKw(t, 'IS')) {
      if (isKw(next, 'NOT') && isKw(toks[i + 2], 'NULL')) {
        put('is not empty (NOT NULL)');
        i += 2;
        continue;
      }
      if (isKw(next, 'NULL')) {
        put('is empty (NULL)');
        i += 1;
        continue;
      }
      if (isKw(next, 'NOT')) {
        put('is not');
        i += 1;
        continue;
      }
      put('is');
      continue;
    }
    if (isKw(t, 'NOT') && isKw(next, 'LIKE') && toks[i + 2]?.kind === 'string') {
      put(likePhrase(toks[i + 2].value, true));
      i += 2;
      continue;
    }
    if (isKw(t, 'LIKE') && next?.kind === 'string') {
      put(likePhrase(next.value, false));
      i += 1;
      continue;
    }
    if (isKw(t, 'NOT') && isKw(next, 'IN')) {
      put('is not one of');
      i += 1;
      continue;
    }
    if (isKw(t, 'IN')) {
      put('is one of');
      continue;
    }
    if (isKw(t, 'NOT') && isKw(next, 'BETWEEN')) {
      put('is not between');
      i += 1;
      continue;
    }
    if (isKw(t, 'BETWEEN')) {
      put('is between');
      continue;
    }
    if (isKw(t, 'NOT') && isKw(next, 'EXISTS')) {
      put('there is no row in');
      i += 1;
      continue;
    }
    if (isKw(t, 'EXISTS')) {
      put('there is a row in');
      continue;
    }
    if (t.kind === 'op' && OP_WORDS[t.text]) {
      put(OP_WORDS[t.text]);
      continue;
    }
    if (isKw(t, 'AND', 'OR', 'NOT')) {
      put(t.value.toLowerCase());
      continue;
    }
    if (t.kind === 'string') {
      put(t.text);
      continue;
    }
    if (isP(t, ',') || isP(t, ')')) {
      put(t.text, true);
      continue;
    }
    if (isP(t, '.')) {
      put('.', true);
      glue = true;
      continue;
    }
    if (isP(t, '(')) {
      const prev = toks[i - 1];
      put(
        '(',
        i > a &&
          (isName(prev) || prev.kind === 'keyword') &&
          !isKw(prev, 'AND', 'OR', 'NOT', 'IN', 'WHEN', 'THEN', 'ELSE', 'ON', 'EXISTS'),
      );
      glue = true;
      continue;
    }
    put(t.kind === 'keyword' ? t.value : t.text);
  }
  return out.join('').trim();
}

/**
 * Link a model's free-text explanation to clause ranges: each line that starts with a clause
 * keyword ("WHERE: …", "- ORDER BY …") gets the range of the next unused clause of that kind.
 */
export function linkExplanation(sql: string, text: string): ExplainItem[] {
  const clauses = explainSql(sql);
  const used = new Set<number>();
  const out: ExplainItem[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^\s*(?:[-*•]|\d+[.)])\s*/, '').trim();
    if (!line) continue;
    const m = line.match(
      /^\**`?(WITH RECURSIVE|WITH|SELECT|FROM|JOIN|WHERE|GROUP BY|HAVING|ORDER BY|LIMIT|OFFSET|UNION ALL|UNION|INTERSECT|EXCEPT)\b/i,
    );
    let item: ExplainItem = { clause: '', sql: '', text: line, from: -1, to: -1, depth: 0 };
    if (m) {
      const kw = m[1].toUpperCase();
      const want = kw === 'JOIN' ? 'FROM' : kw === 'OFFSET' ? 'LIMIT' : kw;
      const idx = clauses.findIndex((c, i) => !used.has(i) && c.clause === want);
      if (idx >= 0) {
        used.add(idx);
        const c = clauses[idx];
        item = { clause: c.clause, sql: c.sql, text: line, from: c.from, to: c.to, depth: c.depth };
      }
    }
    out.push(item);
  }
  return out;
}
