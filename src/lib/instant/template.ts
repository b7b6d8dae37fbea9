/**
 * An example's SQL as a template: its schema names and literals become typed slots, the rest is
 * kept as written. Tables are the names after FROM / JOIN (and after `,` in a FROM list); an
 * alias (`AS T1`, or implicit) is resolved within its SELECT block (Spider reuses T1 in
 * subqueries); a column is a qualified `T1.col` or a bare name resolved to its block's table(s).
 * Each distinct (table, column) pair is one slot, so a column used twice stays one column.
 * Column slots carry their roles (selected, aggregated with which function, compared, grouped,
 * ordered, a join key); literals carry their type and the column they are compared with.
 *
 * Works on `tokenize.ts` tokens; never throws (returns null for SQL it cannot use).
 */
import { AGGREGATE_FUNCTIONS, isKw, isKwIn, isName, isPunct, nameOf, parenDepths } from '../sql/syntax.ts';
import { markDoubleQuotedStrings } from '../sql/normalize.ts';
import { significantTokens, type Token } from '../sql/tokenize.ts';

export type ColumnRole = 'select' | 'where' | 'group' | 'order' | 'having' | 'join' | 'other';

export interface TableSlot {
  id: number;
  /** The example's table name (as written). */
  name: string;
}

export interface ColumnSlot {
  id: number;
  /** Owning table slot; null when a bare name could belong to several tables of its block. */
  table: number | null;
  /** Table slots of the column's SELECT block (candidates for an ambiguous bare name). */
  scope: number[];
  name: string;
  roles: Set<ColumnRole>;
  /** Aggregates applied to it (COUNT, SUM, ...). */
  aggs: Set<string>;
  /** Literal slots compared with it. */
  literals: number[];
  /** First token index (orders slots as written). */
  first: number;
}

export interface LiteralSlot {
  id: number;
  kind: 'number' | 'string';
  /** The literal's value as written in the example (string without quotes). */
  value: string;
  /** LIMIT / OFFSET count, a comparison operand, a LIKE pattern, or anywhere else. */
  role: 'limit' | 'compare' | 'like' | 'other';
  /** The operator before it (`=`, `>`, LIKE, BETWEEN, IN ...). */
  op: string;
  /** The column slot it is compared with, when known. */
  column: number | null;
  /** Token index. */
  at: number;
}

/** A join condition `a = b` between columns of two different table slots (ON, or WHERE in a comma join). */
export interface JoinEq {
  a: number;
  b: number;
}

type Part =
  | { kind: 'text'; text: string }
  | { kind: 'table'; slot: number }
  | { kind: 'column'; slot: number }
  | { kind: 'literal'; slot: number };

export interface Template {
  sql: string;
  tables: TableSlot[];
  columns: ColumnSlot[];
  literals: LiteralSlot[];
  joins: JoinEq[];
  /** The SQL as a sequence of kept text and slots (rendered by `render`). */
  parts: Part[];
}

const COMPARE_OPS = new Set(['=', '==', '!=', '<>', '<', '>', '<=', '>=']);
const CLAUSE_ROLE: Record<string, ColumnRole> = {
  SELECT: 'select',
  WHERE: 'where',
  GROUP: 'group',
  ORDER: 'order',
  HAVING: 'having',
  ON: 'join',
};

/** Parses example SQL into a template; null when it has no table or does not look like a query. */
export function parseTemplate(sql: string): Template | null {
  if (typeof sql !== 'string') return null;
  let toks: Token[];
  try {
    toks = markDoubleQuotedStrings(significantTokens(sql));
  } catch {
    return null;
  }
  const semi = toks.findIndex((t) => isPunct(t, ';'));
  if (semi >= 0) toks = toks.slice(0, semi);
  if (!toks.length || !(isKw(toks[0], 'SELECT', 'WITH') || isPunct(toks[0], '('))) return null;
  if (toks.some((t) => isKw(t, 'WITH'))) return null; // CTE names would look like tables; not worth it here

  const depth = parenDepths(toks);
  // SELECT blocks: a block starts at each SELECT; its depth is the SELECT's depth. A token belongs to
  // the innermost block opened at or above its depth and not closed yet.
  const blockOf: number[] = new Array(toks.length).fill(0);
  const blocks: { depth: number; parent: number }[] = [];
  const stack: number[] = [];
  for (let i = 0; i < toks.length; i++) {
    while (stack.length && depth[i] < blocks[stack[stack.length - 1]].depth) stack.pop();
    if (isKw(toks[i], 'SELECT')) {
      // A compound SELECT at the same depth replaces the previous block.
      while (stack.length && blocks[stack[stack.length - 1]].depth >= depth[i]) stack.pop();
      blocks.push({ depth: depth[i], parent: stack.length ? stack[stack.length - 1] : -1 });
      stack.push(blocks.length - 1);
    }
    blockOf[i] = stack.length ? stack[stack.length - 1] : 0;
  }
  if (!blocks.length) return null;

  // Clause of each token within its block (SELECT, FROM, WHERE, GROUP, ORDER, HAVING, LIMIT, ON).
  const clause: string[] = new Array(toks.length).fill('');
  {
    const current: string[] = [];
    for (let i = 0; i < toks.length; i++) {
      const b = blockOf[i];
      const t = toks[i];
      if (t.kind === 'keyword' && depth[i] === blocks[b].depth) {
        if (['SELECT', 'FROM', 'WHERE', 'GROUP', 'ORDER', 'HAVING', 'LIMIT'].includes(t.value)) current[b] = t.value;
        else if (t.value === 'ON') current[b] = 'ON';
        else if (t.value === 'JOIN' || t.value === 'USING') current[b] = 'FROM';
        else if (['UNION', 'INTERSECT', 'EXCEPT'].includes(t.value)) current[b] = '';
      }
      clause[i] = current[b] ?? '';
    }
  }

  const tables: TableSlot[] = [];
  const tableSlotByName = new Map<string, number>();
  const kind: Array<'table' | 'alias' | 'column' | 'keep' | 'qualifier'> = new Array(toks.length).fill('keep');
  const aliases: { name: string; slot: number; block: number }[] = [];
  const blockTables: number[][] = blocks.map(() => []);

  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (!isName(t)) continue;
    const prev = toks[i - 1];
    const inFrom = clause[i] === 'FROM' && depth[i] === blocks[blockOf[i]].depth;
    const isTablePos = inFrom && (isKw(prev, 'FROM', 'JOIN') || isPunct(prev, ','));
    if (!isTablePos || isPunct(toks[i + 1], '(') || isPunct(toks[i + 1], '.')) continue;
    const name = nameOf(t);
    const k = name.toLowerCase();
    let slot = tableSlotByName.get(k);
    if (slot === undefined) {
      slot = tables.length;
      tables.push({ id: slot, name });
      tableSlotByName.set(k, slot);
    }
    kind[i] = 'table';
    if (!blockTables[blockOf[i]].includes(slot)) blockTables[blockOf[i]].push(slot);
    let j = i + 1;
    if (isKw(toks[j], 'AS')) j++;
    if (isName(toks[j]) && j > i) {
      aliases.push({ name: nameOf(toks[j]).toLowerCase(), slot, block: blockOf[i] });
      kind[j] = 'alias';
    }
  }
  if (!tables.length) return null;

  const resolveQualifier = (name: string, block: number): number | undefined => {
    const k = name.toLowerCase();
    for (let b = block; b >= 0; b = blocks[b].parent) {
      const a = aliases.find((x) => x.name === k && x.block === b);
      if (a) return a.slot;
    }
    return aliases.find((x) => x.name === k)?.slot ?? tableSlotByName.get(k);
  };
  const scopeOf = (block: number): number[] => {
    for (let b = block; b >= 0; b = blocks[b].parent) if (blockTables[b].length) return blockTables[b];
    return [];
  };

  const columns: ColumnSlot[] = [];
  const columnAt = new Map<number, number>(); // token index of the column name -> slot
  const colKey = new Map<string, number>();
  // Aggregate enclosing each token: the function name of the innermost aggregate parenthesis.
  const aggAt: (string | null)[] = new Array(toks.length).fill(null);
  {
    const open: (string | null)[] = [];
    for (let i = 0; i < toks.length; i++) {
      if (isPunct(toks[i], '(')) open.push(isKwIn(toks[i - 1], AGGREGATE_FUNCTIONS) ? toks[i - 1].value : null);
      else if (isPunct(toks[i], ')')) open.pop();
      aggAt[i] = open.filter(Boolean).pop() ?? null;
    }
  }

  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (!isName(t) || kind[i] !== 'keep') continue;
    const next = toks[i + 1];
    const prev = toks[i - 1];
    if (isPunct(next, '(')) continue; // a function name
    if (isKw(prev, 'AS')) continue; // an output alias
    if (t.kind === 'ident' && /^(true|false)$/i.test(t.text)) continue;
    if (isPunct(prev, '.')) continue; // handled with its qualifier
    let table: number | null = null;
    let nameTok = i;
    if (isPunct(next, '.')) {
      const after = toks[i + 2];
      if (!isName(after)) continue; // T1.* stays as written (its qualifier is an alias)
      const q = resolveQualifier(nameOf(t), blockOf[i]);
      if (q === undefined) continue;
      table = q;
      kind[i] = 'qualifier';
      nameTok = i + 2;
    } else if (clause[i] === 'SELECT' && isName(prev) && kind[i - 1] !== 'keep') {
      continue;
    }
    const scope = scopeOf(blockOf[i]);
    if (table === null && scope.length === 1) table = scope[0];
    const name = nameOf(toks[nameTok]);
    const key = `${table ?? 'scope:' + scope.join(',')}|${name.toLowerCase()}`;
    let slot = colKey.get(key);
    if (slot === undefined) {
      slot = columns.length;
      columns.push({ id: slot, table, scope, name, roles: new Set(), aggs: new Set(), literals: [], first: nameTok });
      colKey.set(key, slot);
    }
    const c = columns[slot];
    const role = CLAUSE_ROLE[clause[i]] ?? 'other';
    c.roles.add(role);
    const agg = aggAt[i];
    if (agg) c.aggs.add(agg);
    kind[nameTok] = 'column';
    columnAt.set(nameTok, slot);
    if (nameTok !== i) kind[i] = 'qualifier';
  }

  // Literals, and the column each is compared with (the column just before the operator).
  const literals: LiteralSlot[] = [];
  const literalAt = new Map<number, number>();
  const columnBefore = (opIndex: number): number | null => {
    const j = opIndex - 1;
    if (columnAt.has(j)) return columnAt.get(j)!;
    // `COUNT(*) > 5` or `avg(x) > 5`: the column inside the aggregate call before the operator.
    if (isPunct(toks[j], ')')) {
      for (let k = j - 1; k >= 0 && !isPunct(toks[k], '('); k--) if (columnAt.has(k)) return columnAt.get(k)!;
    }
    return null;
  };
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    let lit = t;
    let at = i;
    if (t.kind === 'op' && (t.text === '-' || t.text === '+') && toks[i + 1]?.kind === 'number') {
      const p = toks[i - 1];
      const unary = !p || p.kind === 'op' || isPunct(p, '(') || isPunct(p, ',') || p.kind === 'keyword';
      if (!unary) continue;
      lit = toks[i + 1];
      at = i;
    } else if (t.kind !== 'number' && t.kind !== 'string') continue;
    const value = (at !== i || lit !== t ? t.text : '') + lit.value;
    let role: LiteralSlot['role'] = 'other';
    let op = '';
    let column: number | null = null;
    const prev = toks[at - 1];
    if (isKw(prev, 'LIMIT', 'OFFSET')) role = 'limit';
    else if (prev?.kind === 'op' && COMPARE_OPS.has(prev.text)) {
      role = 'compare';
      op = prev.text;
      column = columnBefore(at - 1);
    } else if (isKw(prev, 'LIKE', 'GLOB')) {
      role = 'like';
      op = prev.value;
      column = columnBefore(isKw(toks[at - 2], 'NOT') ? at - 2 : at - 1);
    } else if (isKw(prev, 'BETWEEN')) {
      role = 'compare';
      op = 'BETWEEN';
      column = columnBefore(at - 1);
    } else if (isKw(prev, 'AND') && isKw(toks[at - 3], 'BETWEEN')) {
      role = 'compare';
      op = 'BETWEEN';
      column = columnBefore(at - 3);
    }
    const slot = literals.length;
    literals.push({ id: slot, kind: lit.kind === 'number' ? 'number' : 'string', value, role, op, column, at });
    if (column !== null) columns[column].literals.push(slot);
    literalAt.set(at, slot);
    if (at === i && lit !== t) i++; // skip the number after its sign
  }

  // Join equalities: `a = b` with columns of two different table slots on both sides.
  const joins: JoinEq[] = [];
  for (let i = 1; i + 1 < toks.length; i++) {
    if (!(toks[i].kind === 'op' && (toks[i].text === '=' || toks[i].text === '=='))) continue;
    const a = columnAt.get(i - 1);
    const b = columnAt.get(i + 1) ?? (isPunct(toks[i + 2], '.') ? columnAt.get(i + 3) : undefined);
    if (a === undefined || b === undefined) continue;
    const ta = columns[a].table;
    const tb = columns[b].table;
    if (ta === null || tb === null || ta === tb) continue;
    joins.push({ a, b });
    columns[a].roles.add('join');
    columns[b].roles.add('join');
  }
  // Semi-joins: `a [NOT] IN (SELECT b FROM ...)` relate a key of one table to a key of another.
  for (let i = 1; i + 3 < toks.length; i++) {
    if (!isKw(toks[i], 'IN') || !isPunct(toks[i + 1], '(') || !isKw(toks[i + 2], 'SELECT')) continue;
    const a = columnAt.get(isKw(toks[i - 1], 'NOT') ? i - 2 : i - 1);
    const b = columnAt.get(i + 3) ?? (isPunct(toks[i + 4], '.') ? columnAt.get(i + 5) : undefined);
    if (a === undefined || b === undefined) continue;
    const ta = columns[a].table;
    const tb = columns[b].table;
    if (ta === null || tb === null || ta === tb) continue;
    joins.push({ a, b });
  }

  // Parts: kept text between slots, copied from the source so spacing and quoting stay as written.
  const parts: Part[] = [];
  let cursor = 0;
  const pushText = (end: number) => {
    if (end > cursor) parts.push({ kind: 'text', text: sql.slice(cursor, end) });
  };
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (kind[i] === 'table') {
      pushText(t.start);
      parts.push({ kind: 'table', slot: tableSlotByName.get(nameOf(t).toLowerCase())! });
      cursor = t.end;
    } else if (kind[i] === 'qualifier') {
      const q = resolveQualifier(nameOf(t), blockOf[i]);
      const isAlias = aliases.some((a) => a.name === nameOf(t).toLowerCase());
      if (!isAlias && q !== undefined) {
        pushText(t.start);
        parts.push({ kind: 'table', slot: q });
        cursor = t.end;
      }
    } else if (kind[i] === 'column') {
      pushText(t.start);
      parts.push({ kind: 'column', slot: columnAt.get(i)! });
      cursor = t.end;
    } else if (literalAt.has(i)) {
      const slot = literalAt.get(i)!;
      const end = toks[i].kind === 'op' ? toks[i + 1].end : t.end;
      pushText(t.start);
      parts.push({ kind: 'literal', slot });
      cursor = end;
      if (toks[i].kind === 'op') i++;
    }
  }
  const lastEnd = toks.length ? toks[toks.length - 1].end : 0;
  pushText(lastEnd);
  return { sql, tables, columns, literals, joins, parts };
}

/** A filling of a template's slots: target names and literal SQL text. */
export interface Filling {
  tables: string[];
  columns: string[];
  /** Literal SQL text per literal slot (already quoted). */
  literals: string[];
}

/** The template's SQL with its slots filled (names quoted when they need it). */
export function render(t: Template, f: Filling, quote: (name: string) => string): string {
  let out = '';
  for (const p of t.parts) {
    if (p.kind === 'text') out += p.text;
    else if (p.kind === 'table') out += quote(f.tables[p.slot]);
    else if (p.kind === 'column') out += quote(f.columns[p.slot]);
    else out += f.literals[p.slot];
  }
  return out.replace(/\s+/g, ' ').trim();
}
