/**
 * One repair round: when every candidate SQL failed, the best failing one goes back to the model
 * with its error message and the schema items it touches, once. The prompt is the family's own
 * `instruct` wrapping (src/lib/llm/formats/), so only families that follow free-form
 * instructions can repair; for the others (tiny-sql-lm) `repairPrompt` returns null and the
 * caller says "this model cannot repair SQL".
 */
import type { PromptFormat } from '../config.ts';
import type { TableInfo } from '../types.ts';
import { promptFormat } from './formats/index.ts';
import { ddlSchema, oneLine } from './formats/shared.ts';

export interface RepairInput {
  question: string;
  /** The failing SQL. */
  sql: string;
  /** The database's error message for it. */
  error: string;
  /** The database's tables; the prompt shows those the question or SQL mention (all when none do). */
  tables: TableInfo[];
}

/** Can this family's model repair SQL (does it follow free-form instructions)? */
export function canRepair(format: PromptFormat): boolean {
  const f = promptFormat(format);
  return f.canFollowInstructions && typeof f.instruct === 'function';
}

/** Why repair is off for a family, for the page (null when it can repair). */
export function repairUnavailableReason(format: PromptFormat): string | null {
  return canRepair(format)
    ? null
    : `this model (${format} prompts) cannot follow a repair instruction, so failed SQL is not sent back to it`;
}

/** The tables named in the SQL or the question (whole words, case-insensitive); all when none are. */
export function linkedTables(tables: TableInfo[], sql: string, question: string): TableInfo[] {
  const text = `${sql} ${question}`.toLowerCase();
  const named = (name: string) => {
    const n = name.toLowerCase();
    let at = text.indexOf(n);
    while (at >= 0) {
      const before = at === 0 ? ' ' : text[at - 1];
      const after = text[at + n.length] ?? ' ';
      if (!/[a-z0-9_]/.test(before) && !/[a-z0-9_]/.test(after)) return true;
      at = text.indexOf(n, at + 1);
    }
    return false;
  };
  const hit = tables.filter((t) => named(t.name));
  return hit.length ? hit : tables;
}

/** The repair prompt for the family, or null when the family cannot follow it. */
export function repairPrompt(format: PromptFormat, input: RepairInput): string | null {
  const f = promptFormat(format);
  if (!canRepair(format) || !f.instruct) return null;
  const tables = linkedTables(input.tables, input.sql, input.question);
  const instruction =
    `The SQLite query below was written for the question, but running it failed.\n` +
    `### Schema\n${ddlSchema(tables)}\n` +
    `### Question\n${oneLine(input.question)}\n` +
    `### Failing SQL\n${oneLine(input.sql)}\n` +
    `### Error\n${oneLine(input.error)}\n` +
    `Write the corrected SQLite query only, on one line, with no explanation.`;
  return f.instruct(instruction);
}
