/**
 * Schema pruning and value hints for prompts, from the schema linking of the question
 * (src/lib/link/). Pure: the links are computed by the caller (ask() through the SQL engine) and
 * passed in with the prompt input.
 *
 * - `tablePriority`: which tables a prompt keeps first when the whole schema does not fit: the
 *   tables the question links to, the tables on the join paths between them, their direct join
 *   partners, then every other table by link score.
 * - `valueHints`: the database values the question mentions (`singer.country = 'France'`), for
 *   the families whose format has a place for them.
 */
import type { TableInfo } from '../types.ts';
import type { SchemaLinks } from '../link/link.ts';
import { joinPath } from '../link/foreign-keys.ts';
import { WEAK_WORDS, splitName, stem } from '../link/words.ts';
import type { ValueHint } from './formats/format.ts';

/** Why a table has its place in the priority order. */
export type TableRole = 'linked' | 'bridge' | 'partner' | 'other';

export interface TablePriority {
  /** Every table of the schema once, most important first. */
  order: string[];
  role: Map<string, TableRole>;
  /** Tables kept before any other: the linked ones and the bridges between them. */
  core: string[];
  /** Linked columns as `table + '\u0000' + column`: never cut from a kept table. */
  columns: Set<string>;
}

/** A table's own name links at or above this score (a table `singer_in_concert` for "singers in concerts"). */
const TABLE_NAME_MIN = 0.4;
/** A column links its table at or above this score, unless its name is only generic words (`name`, `id`). */
const COLUMN_MIN = 0.5;
/** Join steps at most between two linked tables for the tables in between to count as bridges. */
const MAX_BRIDGE_STEPS = 3;

function onlyWeakWords(column: string): boolean {
  const parts = splitName(column).map(stem);
  return parts.every((p) => WEAK_WORDS.has(p) || /^\d+$/.test(p));
}

/** The tables the question refers to: by their own name, by a specific column name, or by a value they hold. */
export function linkedTables(links: SchemaLinks): Set<string> {
  const out = new Set<string>();
  for (const t of links.tables) if (t.nameScore >= TABLE_NAME_MIN) out.add(t.table);
  for (const c of links.columns) if (c.score >= COLUMN_MIN && !onlyWeakWords(c.column)) out.add(c.table);
  for (const v of links.values) out.add(v.table);
  return out;
}

/**
 * The order in which a prompt keeps `tables` when they do not all fit: linked tables (best link
 * first), the tables on the shortest join paths between two linked tables, the direct join
 * partners of those, then the rest by link score (ties in schema order).
 */
export function tablePriority(tables: readonly TableInfo[], links: SchemaLinks): TablePriority {
  const names = tables.map((t) => t.name);
  const present = new Set(names);
  const score = new Map<string, number>();
  for (const t of links.tables) if (present.has(t.table)) score.set(t.table, t.score);
  const byScore = (a: string, b: string) => (score.get(b) ?? 0) - (score.get(a) ?? 0);
  const role = new Map<string, TableRole>();

  const linked = [...linkedTables(links)].filter((t) => present.has(t));
  linked.sort((a, b) => byScore(a, b) || names.indexOf(a) - names.indexOf(b));
  for (const t of linked) role.set(t, 'linked');

  const keys = links.foreignKeys.filter((k) => present.has(k.fromTable) && present.has(k.toTable));
  const bridges: string[] = [];
  for (let i = 0; i < linked.length; i++) {
    for (let j = i + 1; j < linked.length; j++) {
      const path = joinPath(keys, linked[i], linked[j], MAX_BRIDGE_STEPS);
      for (const step of path ?? []) {
        for (const t of [step.from, step.to]) {
          if (role.has(t)) continue;
          role.set(t, 'bridge');
          bridges.push(t);
        }
      }
    }
  }
  const core = [...linked, ...bridges];

  const partners: string[] = [];
  for (const k of keys) {
    for (const [a, b] of [
      [k.fromTable, k.toTable],
      [k.toTable, k.fromTable],
    ]) {
      const r = role.get(a);
      if ((r === 'linked' || r === 'bridge') && !role.has(b)) {
        role.set(b, 'partner');
        partners.push(b);
      }
    }
  }
  partners.sort((a, b) => byScore(a, b) || names.indexOf(a) - names.indexOf(b));

  const rest = names.filter((n) => !role.has(n));
  rest.sort((a, b) => byScore(a, b) || names.indexOf(a) - names.indexOf(b));
  for (const t of rest) role.set(t, 'other');
  const columns = new Set<string>();
  for (const c of links.columns)
    if (c.score >= COLUMN_MIN && !onlyWeakWords(c.column)) columns.add(`${c.table}\u0000${c.column}`);
  for (const v of links.values) columns.add(`${v.table}\u0000${v.column}`);
  return { order: [...core, ...partners, ...rest], role, core, columns };
}

/**
 * The linked values worth showing the model, best first: each (table, column, value) once, at
 * most `max` of them, at most 3 columns per mention, only values that fit on one line.
 */
export function valueHints(links: SchemaLinks, max = 6): ValueHint[] {
  const out: ValueHint[] = [];
  const perMention = new Map<string, number>();
  for (const v of links.values) {
    if (out.length >= max) break;
    if (/\p{Cc}/u.test(v.value)) continue;
    if (out.some((h) => h.table === v.table && h.column === v.column && h.value === v.value)) continue;
    const mention = `${v.start}:${v.end}`;
    const n = perMention.get(mention) ?? 0;
    if (n >= 3) continue;
    perMention.set(mention, n + 1);
    out.push({ table: v.table, column: v.column, value: v.value });
  }
  return out;
}

/** The hints whose table and column are in `tables` (what a cut schema still shows). */
export function hintsFor(hints: readonly ValueHint[], tables: readonly TableInfo[]): ValueHint[] {
  return hints.filter((h) => tables.some((t) => t.name === h.table && t.columns.includes(h.column)));
}
