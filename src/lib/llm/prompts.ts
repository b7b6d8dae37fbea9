/**
 * Building prompts for a model family, and reading its replies. The templates themselves are
 * data: one record per family in ./formats/ (registry in ./formats/index.ts). This module adds
 * what every family shares: fitting a prompt to the model's context budget, and the results
 * callers get back. Each prompt renders to the exact text the model receives, so the UI can show it.
 */
import type { PromptFormat } from '../config.ts';
import type { TableInfo } from '../types.ts';
import { promptFormat } from './formats/index.ts';
import type { FewShot, PreviousTurn } from './formats/format.ts';
import { oneLine, stripEndMarkers } from './formats/shared.ts';

export type { FewShot, PreviousTurn } from './formats/format.ts';
export { compactSchema, ddlSchema, oneLine, summarizeResult } from './formats/shared.ts';

export interface PromptInput {
  tables: TableInfo[];
  /** Most similar first. */
  examples: FewShot[];
  question: string;
}

export interface PromptBudget {
  /** Counts tokens as the target model would; when absent, nothing is cut. */
  countTokens?: (text: string) => number;
  /** Tokens the prompt may use (context window minus tokens reserved for the answer). */
  maxTokens?: number;
}

export interface BuiltPrompt {
  format: PromptFormat;
  text: string;
  /** Examples actually included (some may be dropped to fit the context). */
  examplesUsed: number;
  /** Tables/columns dropped to fit, if any. */
  cut?: string;
}

/**
 * Render a prompt, cutting it to the budget if needed: first drop the least similar examples,
 * then trailing columns of the widest tables, then trailing tables.
 */
export function buildPrompt(format: PromptFormat, input: PromptInput, budget: PromptBudget = {}): BuiltPrompt {
  const f = promptFormat(format);
  const question = oneLine(input.question);
  const fit = fitPrompt(
    (tables, examples: FewShot[]) => f.build({ tables, examples, question }),
    { tables: input.tables, optional: input.examples, history: [] },
    budget,
  );
  return { format, text: fit.text, examplesUsed: fit.optional.length, cut: fit.cut };
}

/** Pull the SQL out of a model's reply for a given format. */
export function extractSql(format: PromptFormat, output: string): string {
  return promptFormat(format).extract(output);
}

/**
 * Fit a prompt to the budget: drop optional items from the end of `optional` first, then the
 * oldest of `history` (the last one always stays), then trailing columns of the widest tables,
 * then trailing tables.
 */
function fitPrompt<E, H>(
  render: (tables: TableInfo[], optional: E[], history: H[]) => string,
  input: { tables: TableInfo[]; optional: E[]; history: H[] },
  budget: PromptBudget,
): { text: string; optional: E[]; history: H[]; cut?: string } {
  let optional = input.optional.slice();
  let history = input.history.slice();
  let tables = input.tables.map((t) => ({ ...t, columns: t.columns.slice(), types: t.types?.slice() }));
  const fits = (text: string) =>
    !budget.countTokens || !budget.maxTokens || budget.countTokens(text) <= budget.maxTokens;
  let text = render(tables, optional, history);
  while (!fits(text) && optional.length > 0) {
    optional = optional.slice(0, -1);
    text = render(tables, optional, history);
  }
  while (!fits(text) && history.length > 1) {
    history = history.slice(1);
    text = render(tables, optional, history);
  }
  let droppedCols = 0,
    droppedTables = 0;
  while (!fits(text)) {
    const widest = tables.reduce((a, b) => (b.columns.length > a.columns.length ? b : a), tables[0]);
    if (widest && widest.columns.length > 4) {
      widest.columns.pop();
      widest.types?.pop();
      droppedCols++;
    } else if (tables.length > 1) {
      tables = tables.slice(0, -1);
      droppedTables++;
    } else break;
    text = render(tables, optional, history);
  }
  const cuts: string[] = [];
  if (history.length < input.history.length)
    cuts.push(`${input.history.length - history.length} earlier turns left out`);
  if (droppedCols || droppedTables)
    cuts.push(`schema cut to fit the context: ${droppedTables} tables and ${droppedCols} columns left out`);
  return { text, optional, history, cut: cuts.length ? cuts.join('; ') : undefined };
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
  return { format, text: fit.text, examplesUsed: 0, cut: fit.cut };
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
  const fit = fitPrompt(
    (tables, examples: FewShot[], history: PreviousTurn[]) =>
      f.followUp({ tables, examples, history, question, standalone }),
    { tables: input.tables, optional: examples, history },
    budget,
  );
  return { format, text: fit.text, examplesUsed: fit.optional.length, cut: fit.cut };
}

/**
 * Wrap a free-form instruction in a family's template (for model-written training pairs).
 * Returns null for a format whose model cannot follow instructions (tiny-sql only writes SQL).
 */
export function wrapInstruction(format: PromptFormat, instruction: string): string | null {
  return promptFormat(format).instruct?.(instruction) ?? null;
}
