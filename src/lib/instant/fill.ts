/**
 * Filling a template's slots from the question's own database: table slots with linked tables
 * that the template's joins can connect (join keys from the foreign keys), column slots with
 * linked columns of those tables whose types suit their roles, literal slots with the question's
 * values and numbers. Every filling gets a score from hand-set features; `fillTemplate` returns
 * the best few, bounded.
 */
import type { TableInfo } from '../types.ts';
import { directJoins, type ForeignKey } from '../link/foreign-keys.ts';
import type { SchemaLinks } from '../link/link.ts';
import { isNumericType } from '../link/values.ts';
import { quoteString } from '../link/exec.ts';
import { splitName, stem } from '../link/words.ts';
import type { Filling, Template } from './template.ts';

export interface ScoredFilling extends Filling {
  score: number;
  /** Feature values behind the score (for inspection and tests). */
  features: Record<string, number>;
}

export interface FillOptions {
  /** Table assignments kept per template (default 6). */
  maxTableSets?: number;
  /** Column assignments kept per table assignment (default 3). */
  maxColumnSets?: number;
}

interface Target {
  table: TableInfo;
  numeric: boolean[];
}

/** Scores of every (table, column) and value for quick lookup. */
class LinkView {
  readonly tableScore = new Map<string, number>();
  readonly colScore = new Map<string, number>();
  readonly colPos = new Map<string, number>();
  readonly values = new Map<string, { value: string; score: number; start: number; end: number; exact: boolean }[]>();
  readonly mentionsId: boolean;
  constructor(readonly links: SchemaLinks) {
    for (const t of links.tables) this.tableScore.set(t.table, t.score);
    for (const c of links.columns) {
      const k = `${c.table}\u0000${c.column}`;
      this.colScore.set(k, c.score);
      this.colPos.set(k, c.position);
    }
    for (const v of links.values) {
      const k = `${v.table}\u0000${v.column}`;
      const list = this.values.get(k) ?? [];
      list.push(v);
      this.values.set(k, list);
    }
    this.mentionsId = links.words.some((w) => w.stem === 'id');
  }
  col(table: string, column: string): number {
    return this.colScore.get(`${table}\u0000${column}`) ?? 0;
  }
  pos(table: string, column: string): number {
    return this.colPos.get(`${table}\u0000${column}`) ?? -1;
  }
  vals(table: string, column: string) {
    return this.values.get(`${table}\u0000${column}`) ?? [];
  }
}

const isIdLike = (name: string) => {
  const w = splitName(name);
  return w[w.length - 1] === 'id' || w[w.length - 1] === 'code';
};
const isNameLike = (name: string) => splitName(name).some((w) => stem(w) === 'name' || stem(w) === 'title');

/** Fills one template; the best fillings first. Never throws. */
export function fillTemplate(
  tpl: Template,
  tables: readonly TableInfo[],
  links: SchemaLinks,
  fks: readonly ForeignKey[],
  opts: FillOptions = {},
): ScoredFilling[] {
  const maxTableSets = opts.maxTableSets ?? 6;
  const maxColumnSets = opts.maxColumnSets ?? 3;
  const view = new LinkView(links);
  const byName = new Map(tables.map((t) => [t.name, t]));
  const targets = new Map<string, Target>();
  for (const t of tables)
    targets.set(t.name, { table: t, numeric: t.columns.map((_, i) => isNumericType(t.types?.[i])) });

  // Which table slots are connected by joins, and which columns are join keys.
  const joinCols = new Set<number>();
  const tableEdges: [number, number][] = [];
  for (const j of tpl.joins) {
    joinCols.add(j.a);
    joinCols.add(j.b);
    const ta = tpl.columns[j.a].table!;
    const tb = tpl.columns[j.b].table!;
    if (!tableEdges.some(([x, y]) => (x === ta && y === tb) || (x === tb && y === ta))) tableEdges.push([ta, tb]);
  }
  const content = tpl.tables.map((s) =>
    tpl.columns.some((c) => !joinCols.has(c.id) && (c.table === s.id || (c.table === null && c.scope.includes(s.id)))),
  );

  // --- table assignments (depth first, bounded) ---
  const ranked = [...links.tables]
    .sort((a, b) => b.score - a.score)
    .map((t) => t.table)
    .filter((n) => byName.has(n));
  const order = tpl.tables.map((s) => s.id).sort((a, b) => Number(content[b]) - Number(content[a]));
  const sets: { tables: string[]; score: number }[] = [];
  const assigned: (string | undefined)[] = new Array(tpl.tables.length).fill(undefined);
  let visits = 0;
  const dfs = (k: number, score: number) => {
    if (++visits > 4000) return;
    if (k === order.length) {
      sets.push({ tables: assigned.slice() as string[], score });
      return;
    }
    const s = order[k];
    const neighbours = tableEdges
      .filter(([x, y]) => x === s || y === s)
      .map(([x, y]) => (x === s ? y : x))
      .filter((n) => assigned[n] !== undefined);
    let cands = content[s] ? ranked.slice(0, 5) : ranked;
    if (neighbours.length)
      cands = ranked.filter((t) => neighbours.every((n) => directJoins(fks, assigned[n]!, t).length));
    for (const t of cands) {
      if (assigned.includes(t)) continue;
      assigned[s] = t;
      dfs(k + 1, score + (content[s] ? (view.tableScore.get(t) ?? 0) : 0.05));
      assigned[s] = undefined;
    }
  };
  dfs(0, 0);
  sets.sort((a, b) => b.score - a.score);
  const tableSets = sets.slice(0, maxTableSets);

  const out: ScoredFilling[] = [];
  const nContent = content.filter(Boolean).length || 1;
  // Strong mentions the filling should use.
  const strongValues = dedupeSpans(links.values.filter((v) => v.score >= 0.8));
  const numbers = links.numbers;

  for (const ts of tableSets) {
    // Join keys from the foreign keys.
    const cols: (string | undefined)[] = new Array(tpl.columns.length).fill(undefined);
    let joinOk = true;
    for (const j of tpl.joins) {
      const ta = ts.tables[tpl.columns[j.a].table!];
      const tb = ts.tables[tpl.columns[j.b].table!];
      const steps = directJoins(fks, ta, tb);
      if (!steps.length) {
        joinOk = false;
        break;
      }
      const step = steps.find((st) => (cols[j.a] ?? st.fromColumn) === st.fromColumn) ?? steps[0];
      cols[j.a] ??= step.fromColumn;
      cols[j.b] ??= step.toColumn;
    }
    if (!joinOk) continue;

    // Candidates of each free column slot.
    const free = tpl.columns.filter((c) => cols[c.id] === undefined);
    type Cand = { table: string; column: string; score: number; value: number; literalText: (string | null)[] };
    const candsOf = (slot: (typeof tpl.columns)[number]): Cand[] => {
      const owners = slot.table !== null ? [ts.tables[slot.table]] : slot.scope.map((s) => ts.tables[s]);
      const out: Cand[] = [];
      for (const owner of owners) {
        const tg = targets.get(owner);
        if (!tg) continue;
        tg.table.columns.forEach((column, i) => {
          const numeric = tg.numeric[i];
          let score = view.col(owner, column);
          let value = 0;
          const lits = slot.literals.map((l) => tpl.literals[l]);
          const strLits = lits.filter((l) => l.kind === 'string' && (l.role === 'compare' || l.role === 'like'));
          const numLits = lits.filter((l) => l.kind === 'number' && l.role === 'compare');
          if (strLits.length) {
            const vs = view.vals(owner, column);
            if (vs.length) {
              value = vs[0].score;
              score += 0.6 + 0.6 * value;
            } else score -= numeric ? 0.8 : 0.3;
          }
          if (numLits.length) score += numeric ? 0.15 : -0.4;
          for (const a of slot.aggs) {
            if (a === 'SUM' || a === 'AVG') score += numeric ? (isIdLike(column) ? -0.5 : 0.1) : -0.8;
            else if (a === 'MIN' || a === 'MAX') score += numeric ? 0.1 : -0.3;
          }
          if (slot.roles.has('order') && !slot.roles.has('select')) score += numeric ? 0.05 : -0.1;
          if (isIdLike(column) && !view.mentionsId && (slot.roles.has('select') || slot.roles.has('group')))
            score -= 0.15;
          if (view.col(owner, column) === 0 && value === 0 && slot.roles.has('select') && isNameLike(column))
            score += 0.1;
          out.push({ table: owner, column, score, value, literalText: [] });
        });
      }
      return out.sort((a, b) => b.score - a.score).slice(0, 4);
    };
    const candLists = free.map(candsOf);
    // Beam over free slots: distinct columns for distinct slots.
    type Beam = { picks: Cand[]; score: number };
    let beam: Beam[] = [{ picks: [], score: 0 }];
    for (let i = 0; i < free.length; i++) {
      const next: Beam[] = [];
      for (const b of beam) {
        for (const c of candLists[i]) {
          const dup = b.picks.some((p) => p.table === c.table && p.column === c.column);
          next.push({ picks: [...b.picks, c], score: b.score + c.score - (dup ? 0.8 : 0) });
        }
        if (!candLists[i].length) next.push({ picks: [...b.picks], score: b.score - 1 });
      }
      next.sort((a, b) => b.score - a.score);
      beam = next.slice(0, 8);
    }

    for (const b of beam.slice(0, maxColumnSets)) {
      const columns = cols.slice();
      const colTable: string[] = [];
      free.forEach((slot, i) => {
        const p = b.picks[i];
        columns[slot.id] = p?.column ?? slot.name;
        colTable[slot.id] = p?.table ?? '';
      });
      tpl.columns.forEach((c) => {
        if (colTable[c.id] === undefined && c.table !== null) colTable[c.id] = ts.tables[c.table];
      });
      // Literals.
      const literals: string[] = [];
      const usedValues = new Set<string>();
      const usedNumbers = new Set<number>();
      let litPenalty = 0;
      for (const l of tpl.literals) {
        if (l.kind === 'string' && (l.role === 'compare' || l.role === 'like') && l.column !== null) {
          const vs = view
            .vals(colTable[l.column] ?? '', columns[l.column] ?? '')
            .filter((v) => !usedValues.has(`${v.start}`));
          if (vs.length) {
            usedValues.add(`${vs[0].start}`);
            const mention = links.question.slice(vs[0].start, vs[0].end);
            literals[l.id] =
              l.role === 'like'
                ? quoteString(`%${vs[0].exact ? vs[0].value.trim() : mention}%`)
                : quoteString(vs[0].value);
            continue;
          }
          const phrase = quotedPhrase(links.question, usedValues);
          if (phrase) {
            usedValues.add(`${phrase.start}`);
            literals[l.id] = quoteString(l.role === 'like' ? `%${phrase.text}%` : phrase.text);
            litPenalty += 0.2;
            continue;
          }
          literals[l.id] = quoteString(l.value);
          litPenalty += 0.6;
        } else if (l.kind === 'number' && l.role === 'compare') {
          const n = numbers.find((x) => !usedNumbers.has(x.word) && !insideValue(x.word, links));
          if (n) {
            usedNumbers.add(n.word);
            literals[l.id] = String(n.value);
          } else {
            literals[l.id] = l.value;
            litPenalty += 0.4;
          }
        } else if (l.kind === 'string') {
          literals[l.id] = quoteString(l.value);
        } else {
          literals[l.id] = l.value;
        }
      }
      // LIMIT: a number of the question not used elsewhere ("top 3") replaces the example's count.
      for (const l of tpl.literals) {
        if (l.role !== 'limit') continue;
        const n = numbers.find((x) => !usedNumbers.has(x.word) && !insideValue(x.word, links) && x.value >= 1);
        if (n && Number.isInteger(n.value)) {
          usedNumbers.add(n.word);
          literals[l.id] = String(n.value);
        }
      }
      // Coverage of the question's mentions.
      const unusedValues = strongValues.filter((v) => !usedValues.has(`${v.start}`)).length;
      const unusedNumbers = numbers.filter((x) => !usedNumbers.has(x.word) && !insideValue(x.word, links)).length;
      // Select-order agreement with the question's mention order.
      let orderAgree = 0;
      const sel = tpl.columns
        .filter((c) => c.roles.has('select') && !joinCols.has(c.id))
        .sort((a, b) => a.first - b.first);
      for (let i = 1; i < sel.length; i++) {
        const p0 = view.pos(colTable[sel[i - 1].id] ?? '', columns[sel[i - 1].id] ?? '');
        const p1 = view.pos(colTable[sel[i].id] ?? '', columns[sel[i].id] ?? '');
        if (p0 >= 0 && p1 >= 0 && p0 !== p1) orderAgree += p1 > p0 ? 0.1 : -0.15;
      }
      // Strongly mentioned columns of the chosen tables that the filling leaves out.
      const usedCols = new Set(columns.map((c, i) => `${colTable[i]}\u0000${c}`));
      const unusedColumns = links.columns.filter(
        (c) =>
          c.score >= 0.7 &&
          ts.tables.includes(c.table) &&
          !usedCols.has(`${c.table}\u0000${c.column}`) &&
          !links.values.some((v) => v.table === c.table && v.column === c.column) &&
          !links.columns.some(
            (o) => o !== c && usedCols.has(`${o.table}\u0000${o.column}`) && o.position === c.position,
          ),
      ).length;
      const strongTables = links.tables.filter((t) => t.nameScore >= 0.9).map((t) => t.table);
      const missingTables = strongTables.filter((t) => !ts.tables.includes(t)).length;
      const features = {
        tables: ts.score / nContent,
        columns: free.length ? b.score / free.length : 0.5,
        literalPenalty: litPenalty,
        unusedValues,
        unusedNumbers,
        orderAgree,
        missingTables,
        unusedColumns,
        nTables: ts.tables.length,
        slots: free.length,
      };
      const score =
        0.6 * features.tables +
        features.columns -
        litPenalty -
        0.5 * unusedValues -
        0.3 * unusedNumbers +
        orderAgree -
        0.15 * Math.min(missingTables, 2) -
        0.2 * Math.min(unusedColumns, 3) -
        0.1 * ts.tables.length;
      out.push({ tables: ts.tables, columns: columns as string[], literals, score, features });
    }
  }
  out.sort((a, b) => b.score - a.score);
  return out;
}

function dedupeSpans<T extends { start: number; end: number }>(vs: readonly T[]): T[] {
  const out: T[] = [];
  for (const v of vs) if (!out.some((o) => o.start === v.start && o.end === v.end)) out.push(v);
  return out;
}

function insideValue(word: number, links: SchemaLinks): boolean {
  const w = links.words[word];
  return !!w && links.values.some((v) => v.score >= 0.8 && v.start <= w.start && v.end >= w.end);
}

function quotedPhrase(question: string, used: Set<string>): { text: string; start: number } | null {
  for (const m of question.matchAll(/["“'‘]([^"”'’]{1,60})["”'’]/g)) {
    const start = m.index + 1;
    if (!used.has(`${start}`)) return { text: m[1], start };
  }
  return null;
}
