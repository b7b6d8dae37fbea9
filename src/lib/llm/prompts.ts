/**
 * Prompt templates, one per model family. The no-RAG baseline is the same template with zero
 * examples. Each template renders to the exact text the model receives, so the UI can show it.
 */
import type { PromptFormat } from '../config.ts';
import type { TableInfo } from '../types.ts';

export interface FewShot {
  question: string;
  sql: string;
}

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

/** Questions and SQL are single-line in every template. */
export function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** `table(col1, col2)` lines: the tiny-sql-lm schema format. */
export function compactSchema(tables: TableInfo[]): string {
  return tables.map((t) => `${t.name}(${t.columns.join(', ')})`).join('\n');
}

function quoteIdent(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** CREATE TABLE statements with types, for instruction-tuned models. */
export function ddlSchema(tables: TableInfo[]): string {
  return tables
    .map((t) => {
      const cols = t.columns.map((c, i) => {
        const ty = t.types?.[i];
        return `  ${quoteIdent(c)}${ty ? ' ' + ty.toUpperCase() : ''}`;
      });
      return `CREATE TABLE ${quoteIdent(t.name)} (\n${cols.join(',\n')}\n);`;
    })
    .join('\n');
}

const INSTRUCTION =
  'You are an expert SQLite developer. Given the database schema and some solved examples from other databases, ' +
  'write one SQLite query that answers the question. Use only tables and columns from the schema. ' +
  'Reply with the SQL query only, on one line, with no explanation.';

function examplesBlock(examples: FewShot[]): string {
  return examples.map((e) => `Q: ${oneLine(e.question)}\nSQL: ${oneLine(e.sql)}\n\n`).join('');
}

function render(format: PromptFormat, tables: TableInfo[], examples: FewShot[], question: string): string {
  const q = oneLine(question);
  switch (format) {
    case 'tiny-sql': {
      // Exactly the format tiny-sql-lm was trained on (see its README): no BOS, no chat template.
      const ex = examplesBlock(examples);
      return `### Schema\n${compactSchema(tables)}\n` + (ex ? `### Examples\n${ex}` : '') + `### Question\n${q}\n### SQL\n`;
    }
    case 'plain': {
      const ex = examplesBlock(examples);
      return `${INSTRUCTION}\n\n### Schema\n${ddlSchema(tables)}\n` + (ex ? `### Examples\n${ex}` : '') + `### Question\n${q}\n### SQL\n`;
    }
    case 'mistral-inst': {
      const ex = examplesBlock(examples);
      const body = `${INSTRUCTION}\n\n### Schema\n${ddlSchema(tables)}\n` + (ex ? `### Examples\n${ex}` : '') + `### Question\n${q}`;
      return `[INST] ${body} [/INST]`;
    }
    case 'chatml': {
      const ex = examplesBlock(examples);
      const user = `### Schema\n${ddlSchema(tables)}\n` + (ex ? `### Examples\n${ex}` : '') + `### Question\n${q}`;
      return `<|im_start|>system\n${INSTRUCTION}<|im_end|>\n<|im_start|>user\n${user}<|im_end|>\n<|im_start|>assistant\n`;
    }
  }
}

/**
 * Render a prompt, cutting it to the budget if needed: first drop the least similar examples,
 * then trailing columns of the widest tables, then trailing tables.
 */
export function buildPrompt(format: PromptFormat, input: PromptInput, budget: PromptBudget = {}): BuiltPrompt {
  let examples = input.examples.slice();
  let tables = input.tables.map((t) => ({ ...t, columns: t.columns.slice(), types: t.types?.slice() }));
  const fits = (text: string) => !budget.countTokens || !budget.maxTokens || budget.countTokens(text) <= budget.maxTokens;
  let text = render(format, tables, examples, input.question);
  let cut: string | undefined;
  while (!fits(text) && examples.length > 0) {
    examples = examples.slice(0, -1);
    text = render(format, tables, examples, input.question);
  }
  let droppedCols = 0, droppedTables = 0;
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
    text = render(format, tables, examples, input.question);
  }
  if (droppedCols || droppedTables) cut = `schema cut to fit the context: ${droppedTables} tables and ${droppedCols} columns left out`;
  return { format, text, examplesUsed: examples.length, cut };
}

/** Pull the SQL out of a model's reply for a given format. */
export function extractSql(format: PromptFormat, output: string): string {
  let s = output.replace(/<\|im_end\|>|<\/s>|<\|eos\|>|<\|endoftext\|>/g, '');
  if (format === 'tiny-sql') return s.split('\n')[0].trim();
  const fence = s.match(/```(?:sql|sqlite)?\s*([\s\S]*?)(```|$)/i);
  if (fence) s = fence[1];
  s = s.replace(/^\s*(SQL|Answer)\s*:\s*/i, '').trim();
  // keep up to the first top-level semicolon
  let inStr: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (inStr) {
      if (ch === inStr) inStr = null;
    } else if (ch === "'" || ch === '"' || ch === '`') inStr = ch;
    else if (ch === ';') return s.slice(0, i).trim();
  }
  // A blank line ends the SQL (models sometimes add prose after it).
  return s.split(/\n\s*\n/)[0].trim();
}
