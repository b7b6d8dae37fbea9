/**
 * Building prompts for a model family, and reading its replies. The templates themselves are
 * data: one record per family in ./formats/ (registry in ./formats/index.ts). This module adds
 * what every family shares: fitting a prompt to the model's context budget, and the results
 * callers get back. Each prompt renders to the exact text the model receives, so the UI can show it.
 */
import type { PromptFormat } from '../config.ts';
import type { TableInfo } from '../types.ts';
import type { SchemaLinks } from '../link/link.ts';
import { promptFormat } from './formats/index.ts';
import type { FewShot, PreviousTurn, ValueHint } from './formats/format.ts';
import { hintsFor, tablePriority, valueHints, type TablePriority, type TableRole } from './prune.ts';
import { oneLine, stripEndMarkers } from './formats/shared.ts';

export type { FewShot, PreviousTurn, ValueHint } from './formats/format.ts';
export type { TableRole } from './prune.ts';
export { compactSchema, ddlSchema, oneLine, summarizeResult } from './formats/shared.ts';

export interface PromptInput {
  tables: TableInfo[];
  /** Most similar first. */
  examples: FewShot[];
  question: string;
  /**
   * Schema linking of the question on this database, computed by the caller (ask() links through
   * the SQL engine). With it, a schema that does not fit keeps the linked tables and their join
   * partners first, and families whose format has a place for them get the linked values as hints.
   * Absent or null: the whole schema, cut blindly when it does not fit, and no hints.
   */
  links?: SchemaLinks | null;
  /** Why linking failed, when it did (a cut prompt then says it was cut without links). */
  linkError?: string;
}

export interface PromptBudget {
  /** Counts tokens as the target model would; when absent, nothing is cut. */
  countTokens?: (text: string) => number;
  /** Tokens the prompt may use (context window minus tokens reserved for the answer). */
  maxTokens?: number;
  /** The model's whole context, for messages (defaults to `maxTokens`). */
  contextTokens?: number;
}

/** A table a prompt left out, and its place in the pruning order (see prune.ts). */
export interface LeftOutTable {
  table: string;
  /** 'other': not linked to the question; 'partner': joins a linked table; 'linked'/'bridge': even those did not fit. */
  role: TableRole;
}

/** What schema pruning did to a prompt (present only when tables were left out with links at hand). */
export interface SchemaPruning {
  /** Tables left out, in schema order. */
  left: LeftOutTable[];
  /** Tables shown. */
  kept: number;
  /** For people: "the schema did not fit 1,024 tokens". */
  reason: string;
}

export interface BuiltPrompt {
  format: PromptFormat;
  text: string;
  /** Examples actually included (some may be dropped to fit the context). */
  examplesUsed: number;
  /** Tables/columns dropped to fit, if any. */
  cut?: string;
  /** Tables left out by schema pruning, and why. */
  pruned?: SchemaPruning;
  /** Linked values the prompt shows as hints (only formats with a place for them). */
  hints?: ValueHint[];
}

/** Why each left-out role was left out, for the prompt view. */
export const LEFT_OUT_WHY: Record<TableRole, string> = {
  other: 'not linked to the question',
  partner: 'joins a linked table but is not linked itself',
  bridge: 'joins two linked tables, but even the linked tables did not fit',
  linked: 'linked to the question, but even the linked tables did not fit',
};

/** Left-out tables grouped by why, for people: not linked first, then join partners, then linked ones. */
export function leftOutGroups(left: readonly LeftOutTable[]): { why: string; tables: string[] }[] {
  const roles: TableRole[] = ['other', 'partner', 'bridge', 'linked'];
  return roles
    .map((r) => ({ why: LEFT_OUT_WHY[r], tables: left.filter((t) => t.role === r).map((t) => t.table) }))
    .filter((g) => g.tables.length > 0);
}

/** Tables a format shows for its hints, and the hints it shows (none when the format has no place for them). */
function withLinks(format: PromptFormat, input: { links?: SchemaLinks | null; tables: TableInfo[] }) {
  const links = input.links ?? null;
  const hints = links && promptFormat(format).showsValueHints ? valueHints(links) : [];
  const priority = links ? tablePriority(input.tables, links) : null;
  return { hints, priority, shown: (tables: TableInfo[]) => (hints.length ? hintsFor(hints, tables) : undefined) };
}

/**
 * Render a prompt, cutting it to the budget if needed. With links (`input.links`), tables not
 * linked to the question go first (the linked tables and their join partners stay longest); then,
 * as without links, the least similar examples, trailing columns of the widest tables, and tables.
 */
export function buildPrompt(format: PromptFormat, input: PromptInput, budget: PromptBudget = {}): BuiltPrompt {
  const f = promptFormat(format);
  const question = oneLine(input.question);
  const l = withLinks(format, input);
  const fit = fitPrompt(
    (tables, examples: FewShot[]) => f.build({ tables, examples, question, hints: l.shown(tables) }),
    { tables: input.tables, optional: input.examples, history: [], priority: l.priority, linkError: input.linkError },
    budget,
  );
  return built(format, fit, fit.optional.length, l.shown(fit.tables));
}

function built(
  format: PromptFormat,
  fit: ReturnType<typeof fitPrompt>,
  examplesUsed: number,
  hints: ValueHint[] | undefined,
): BuiltPrompt {
  return {
    format,
    text: fit.text,
    examplesUsed,
    ...(fit.cut ? { cut: fit.cut } : {}),
    ...(fit.pruned ? { pruned: fit.pruned } : {}),
    ...(hints?.length ? { hints } : {}),
  };
}

/** Pull the SQL out of a model's reply for a given format. */
export function extractSql(format: PromptFormat, output: string): string {
  return promptFormat(format).extract(output);
}

/** Consecutive tables that do not fit before pruning stops trying smaller ones. */
const MAX_MISSES = 8;

function fmtTokens(n: number): string {
  return `${n.toLocaleString('en-US')} tokens`;
}

/**
 * Fit a prompt to the budget. With a table `priority` (from links), first keep only the core
 * tables (linked ones and the bridges between them) and add the others in priority order while
 * they fit, every example and turn still in. Then, with or without links: drop optional items from
 * the end of `optional`, then the oldest of `history` (the last one always stays), then trailing
 * columns of the widest tables (never a linked column), then tables (the lowest priority, or the
 * trailing one without links). Tables keep their schema order.
 */
function fitPrompt<E, H>(
  render: (tables: TableInfo[], optional: E[], history: H[]) => string,
  input: { tables: TableInfo[]; optional: E[]; history: H[]; priority?: TablePriority | null; linkError?: string },
  budget: PromptBudget,
): { text: string; optional: E[]; history: H[]; tables: TableInfo[]; cut?: string; pruned?: SchemaPruning } {
  let optional = input.optional.slice();
  let history = input.history.slice();
  const all = input.tables.map((t) => ({ ...t, columns: t.columns.slice(), types: t.types?.slice() }));
  let tables = all;
  const fits = (text: string) =>
    !budget.countTokens || !budget.maxTokens || budget.countTokens(text) <= budget.maxTokens;
  let text = render(tables, optional, history);
  if (fits(text)) return { text, optional, history, tables };
  const priority = input.priority;

  // 1. Schema pruning by links: the core, then the others in priority order while they fit.
  if (priority && priority.order.length) {
    const keep = new Set(priority.core.length ? priority.core : priority.order.slice(0, 1));
    const pick = () => all.filter((t) => keep.has(t.name));
    if (fits(render(pick(), optional, history))) {
      let misses = 0;
      for (const name of priority.order) {
        if (keep.has(name)) continue;
        keep.add(name);
        if (fits(render(pick(), optional, history))) misses = 0;
        else {
          keep.delete(name);
          if (++misses >= MAX_MISSES) break;
        }
      }
    }
    tables = pick();
    text = render(tables, optional, history);
  }

  // 2. Examples, earlier turns, columns, tables.
  while (!fits(text) && optional.length > 0) {
    optional = optional.slice(0, -1);
    text = render(tables, optional, history);
  }
  while (!fits(text) && history.length > 1) {
    history = history.slice(1);
    text = render(tables, optional, history);
  }
  const keepColumn = (t: TableInfo, i: number) => i === 0 || !!priority?.columns.has(`${t.name}\u0000${t.columns[i]}`);
  const lastCuttable = (t: TableInfo) => {
    if (t.columns.length <= 4) return -1;
    for (let i = t.columns.length - 1; i > 0; i--) if (!keepColumn(t, i)) return i;
    return -1;
  };
  let droppedCols = 0,
    droppedTables = 0;
  while (!fits(text)) {
    let widest: TableInfo | null = null;
    for (const t of tables)
      if (lastCuttable(t) >= 0 && (!widest || t.columns.length > widest.columns.length)) widest = t;
    if (widest) {
      const i = lastCuttable(widest);
      widest.columns.splice(i, 1);
      widest.types?.splice(i, 1);
      droppedCols++;
    } else if (tables.length > 1) {
      if (priority) {
        const rank = (t: TableInfo) => priority.order.indexOf(t.name);
        const worst = tables.reduce((a, b) => (rank(b) > rank(a) ? b : a));
        tables = tables.filter((t) => t !== worst);
      } else tables = tables.slice(0, -1);
      droppedTables++;
    } else break;
    text = render(tables, optional, history);
  }

  const cuts: string[] = [];
  if (history.length < input.history.length)
    cuts.push(`${input.history.length - history.length} earlier turns left out`);
  let pruned: SchemaPruning | undefined;
  if (priority) {
    const shown = new Set(tables.map((t) => t.name));
    const left = all
      .filter((t) => !shown.has(t.name))
      .map((t) => ({ table: t.name, role: priority.role.get(t.name) ?? 'other' }));
    if (left.length) {
      const limit = budget.contextTokens ?? budget.maxTokens ?? 0;
      pruned = { left, kept: tables.length, reason: `the schema did not fit ${fmtTokens(limit)}` };
      cuts.push(`${left.length} of ${all.length} tables left out (the least linked to the question)`);
    }
    if (droppedCols) cuts.push(`${droppedCols} columns not linked to the question left out`);
  } else if (droppedCols || droppedTables) {
    cuts.push(`schema cut to fit the context: ${droppedTables} tables and ${droppedCols} columns left out`);
    if (input.linkError) cuts.push(`schema linking failed (${input.linkError}), so the schema was cut without it`);
  }
  return { text, optional, history, tables, cut: cuts.length ? cuts.join('; ') : undefined, pruned };
}

// ---------------------------------------------------------------------------------------------
// Explaining SQL (code → text) and follow-up questions (rewrite the previous SQL).

export interface ExplainInput {
  tables: TableInfo[];
  sql: string;
  /** The question the SQL answers, when there is one. */
  question?: string;
}

/**
 * The prompt that asks the model to explain `input.sql`. Returns null for a format that cannot
 * explain (tiny-sql-lm was only trained to write SQL): the app then explains with the
 * rule-based explainer (sql/explain.ts) instead.
 */
export function buildExplainPrompt(
  format: PromptFormat,
  input: ExplainInput,
  budget: PromptBudget = {},
): BuiltPrompt | null {
  const explain = promptFormat(format).explain;
  if (!explain) return null;
  const sql = input.sql.trim();
  const question = input.question ? oneLine(input.question) : '';
  const fit = fitPrompt(
    (tables) => explain({ tables, sql, question }),
    { tables: input.tables, optional: [], history: [] },
    budget,
  );
  return built(format, fit, 0, undefined);
}

/** Strip chat-template end markers from an explanation. */
export function cleanExplanation(output: string): string {
  return stripEndMarkers(output).trim();
}

export interface FollowUpInput {
  tables: TableInfo[];
  /** Retrieved examples for the follow-up, most similar first (may be empty). */
  examples: FewShot[];
  /** Earlier turns on the current path, oldest first; the last is the one being followed up. */
  previous: PreviousTurn[];
  /** The follow-up as typed ("only those from France"). */
  question: string;
  /** The follow-up as a self-contained question (formats that show no conversation use this). */
  standalone?: string;
  /** Schema linking of the (self-contained) follow-up, as for `PromptInput.links`. */
  links?: SchemaLinks | null;
  linkError?: string;
}

/**
 * The prompt for a follow-up question. Formats that show a conversation carry the earlier
 * question(s), their SQL and a short summary of each result, then the follow-up; the others
 * (tiny-sql) turn the followed-up turn into an example (see the format's `followUp`). How many
 * turns and examples go in is the format's `followUpWindow`; over budget, examples go first,
 * then the oldest turns, then the schema.
 */
export function buildFollowUpPrompt(
  format: PromptFormat,
  input: FollowUpInput,
  budget: PromptBudget = {},
): BuiltPrompt {
  const f = promptFormat(format);
  const question = oneLine(input.question);
  const standalone = oneLine(input.standalone ?? question);
  const history = input.previous.slice(-f.followUpWindow.turns);
  const cap = f.followUpWindow.examplesWithTurn;
  const examples = history.length && cap !== undefined ? input.examples.slice(0, cap) : input.examples.slice();
  const l = withLinks(format, input);
  const fit = fitPrompt(
    (tables, examples: FewShot[], history: PreviousTurn[]) =>
      f.followUp({ tables, examples, history, question, standalone, hints: l.shown(tables) }),
    { tables: input.tables, optional: examples, history, priority: l.priority, linkError: input.linkError },
    budget,
  );
  return built(format, fit, fit.optional.length, l.shown(fit.tables));
}

/**
 * Wrap a free-form instruction in a family's template (for model-written training pairs).
 * Returns null for a format whose model cannot follow instructions (tiny-sql only writes SQL).
 */
export function wrapInstruction(format: PromptFormat, instruction: string): string | null {
  return promptFormat(format).instruct?.(instruction) ?? null;
}
