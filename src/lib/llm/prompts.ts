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
      return (
        `### Schema\n${compactSchema(tables)}\n` + (ex ? `### Examples\n${ex}` : '') + `### Question\n${q}\n### SQL\n`
      );
    }
    case 'plain': {
      const ex = examplesBlock(examples);
      return (
        `${INSTRUCTION}\n\n### Schema\n${ddlSchema(tables)}\n` +
        (ex ? `### Examples\n${ex}` : '') +
        `### Question\n${q}\n### SQL\n`
      );
    }
    case 'mistral-inst': {
      const ex = examplesBlock(examples);
      const body =
        `${INSTRUCTION}\n\n### Schema\n${ddlSchema(tables)}\n` +
        (ex ? `### Examples\n${ex}` : '') +
        `### Question\n${q}`;
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
  const fit = fitPrompt(
    (tables, examples: FewShot[]) => render(format, tables, examples, input.question),
    { tables: input.tables, optional: input.examples, history: [] },
    budget,
  );
  return { format, text: fit.text, examplesUsed: fit.optional.length, cut: fit.cut };
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

// ---------------------------------------------------------------------------------------------
// Explaining SQL (code → text) and follow-up questions (rewrite the previous SQL).

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

export interface ExplainInput {
  tables: TableInfo[];
  sql: string;
  /** The question the SQL answers, when there is one. */
  question?: string;
}

const EXPLAIN_INSTRUCTION =
  'You explain SQLite queries to people who do not know SQL. Explain what the query does in plain English, ' +
  'clause by clause: one short line per clause, each line starting with the clause keyword and a colon ' +
  '(for example "WHERE: keeps only the orders placed in 2024"). Do not rewrite the query.';

/**
 * The prompt that asks the model to explain `input.sql`. Returns null for `tiny-sql`: tiny-sql-lm
 * was only trained to write SQL, so the app explains with the rule-based explainer
 * (sql/explain.ts) instead.
 */
export function buildExplainPrompt(
  format: PromptFormat,
  input: ExplainInput,
  budget: PromptBudget = {},
): BuiltPrompt | null {
  if (format === 'tiny-sql') return null;
  const sql = input.sql.trim();
  const q = input.question ? oneLine(input.question) : '';
  const render = (tables: TableInfo[]) => {
    const body = `### Schema\n${ddlSchema(tables)}\n` + (q ? `### Question\n${q}\n` : '') + `### SQL\n${sql}`;
    switch (format) {
      case 'plain':
        return `${EXPLAIN_INSTRUCTION}\n\n${body}\n### Explanation\n`;
      case 'mistral-inst':
        return `[INST] ${EXPLAIN_INSTRUCTION}\n\n${body} [/INST]`;
      case 'chatml':
        return `<|im_start|>system\n${EXPLAIN_INSTRUCTION}<|im_end|>\n<|im_start|>user\n${body}<|im_end|>\n<|im_start|>assistant\n`;
    }
  };
  const fit = fitPrompt((tables) => render(tables), { tables: input.tables, optional: [], history: [] }, budget);
  return { format, text: fit.text, examplesUsed: 0, cut: fit.cut };
}

/** Strip chat-template end markers from an explanation. */
export function cleanExplanation(output: string): string {
  return output.replace(/<\|im_end\|>|<\/s>|<\|eos\|>|<\|endoftext\|>/g, '').trim();
}

/** An earlier turn of the conversation, as a follow-up prompt shows it. */
export interface PreviousTurn {
  question: string;
  /** The question as a self-contained text (for formats that cannot show a conversation). */
  standalone?: string;
  sql: string;
  result?: { columns: string[]; rowCount: number; rows: readonly (readonly unknown[])[] } | null;
  error?: string | null;
}

export interface FollowUpInput {
  tables: TableInfo[];
  /** Retrieved examples for the follow-up, most similar first (may be empty). */
  examples: FewShot[];
  /** Earlier turns on the current path, oldest first; the last is the one being followed up. */
  previous: PreviousTurn[];
  /** The follow-up as typed ("only those from France"). */
  question: string;
  /** The follow-up as a self-contained question (tiny-sql uses this as its question). */
  standalone?: string;
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (v instanceof Uint8Array) return `<blob ${v.length} bytes>`;
  const s = typeof v === 'string' ? `'${v}'` : String(v);
  return s.length > 40 ? s.slice(0, 39) + '…' : s;
}

/** A short summary of a result for a prompt: columns, row count and the first rows. */
export function summarizeResult(t: Pick<PreviousTurn, 'result' | 'error'>, firstRows = 3): string {
  if (t.error) return `the query failed: ${oneLine(t.error)}`;
  const r = t.result;
  if (!r) return 'not run';
  const n = r.rowCount;
  let s = `${n} row${n === 1 ? '' : 's'}; columns: ${r.columns.join(', ')}`;
  const rows = r.rows.slice(0, firstRows);
  if (rows.length) s += `; first rows: ${rows.map((row) => `(${row.map(cellText).join(', ')})`).join(', ')}`;
  return s;
}

const FOLLOWUP_INSTRUCTION =
  INSTRUCTION +
  ' The user may follow up on an earlier question (for example "only those from France" or "sort by age"): ' +
  'then rewrite the previous SQL so that it answers the follow-up, keeping what the previous query did unless the follow-up changes it.';

/**
 * The prompt for a follow-up question. It carries the earlier question(s), their SQL and a short
 * summary of each result, then the follow-up.
 *
 * tiny-sql-lm was never trained on follow-ups or conversations: its format has only a schema,
 * examples and one question. So for `tiny-sql` the previous turn (its self-contained question
 * and its SQL) becomes the first, most similar example, and the question is the follow-up joined
 * to the earlier question; the model tends to adapt the first example, which is the best this
 * format allows. The result summary has no place in that format and is left out.
 */
export function buildFollowUpPrompt(
  format: PromptFormat,
  input: FollowUpInput,
  budget: PromptBudget = {},
): BuiltPrompt {
  const q = oneLine(input.question);
  const standalone = oneLine(input.standalone ?? q);
  const render = (tables: TableInfo[], examples: FewShot[], history: PreviousTurn[]): string => {
    const last = history[history.length - 1];
    if (format === 'tiny-sql') {
      const shots: FewShot[] = last
        ? [{ question: last.standalone || last.question || standalone, sql: last.sql }, ...examples]
        : examples;
      const ex = examplesBlock(shots.slice(0, 3));
      return (
        `### Schema\n${compactSchema(tables)}\n` +
        (ex ? `### Examples\n${ex}` : '') +
        `### Question\n${standalone}\n### SQL\n`
      );
    }
    const ex = examplesBlock(examples);
    const head = `### Schema\n${ddlSchema(tables)}\n` + (ex ? `### Examples\n${ex}` : '');
    const sqlOf = (t: PreviousTurn) => oneLine(t.sql);
    const askOf = (t: PreviousTurn, i: number) =>
      i === 0
        ? `### Question\n${oneLine(t.question) || '(SQL written by hand)'}`
        : `### Follow-up question\n${oneLine(t.question) || '(SQL written by hand)'}`;
    switch (format) {
      case 'plain': {
        const turns = history
          .map((t, i) => `${askOf(t, i)}\n### SQL\n${sqlOf(t)}\n### Result\n${summarizeResult(t)}\n`)
          .join('');
        return `${FOLLOWUP_INSTRUCTION}\n\n${head}${turns}### Follow-up question\n${q}\n### SQL\n`;
      }
      case 'mistral-inst': {
        let s = '';
        history.forEach((t, i) => {
          const user =
            i === 0
              ? `${FOLLOWUP_INSTRUCTION}\n\n${head}${askOf(t, 0)}`
              : `### Result of the previous query\n${summarizeResult(history[i - 1])}\n${askOf(t, i)}`;
          s += `[INST] ${user} [/INST] ${sqlOf(t)}</s>`;
        });
        const lastUser = history.length
          ? `### Result of the previous query\n${summarizeResult(last)}\n### Follow-up question\n${q}`
          : `${FOLLOWUP_INSTRUCTION}\n\n${head}### Question\n${q}`;
        return `${s}[INST] ${lastUser} [/INST]`;
      }
      case 'chatml': {
        let s = `<|im_start|>system\n${FOLLOWUP_INSTRUCTION}<|im_end|>\n`;
        history.forEach((t, i) => {
          const user =
            i === 0
              ? `${head}${askOf(t, 0)}`
              : `### Result of the previous query\n${summarizeResult(history[i - 1])}\n${askOf(t, i)}`;
          s += `<|im_start|>user\n${user}<|im_end|>\n<|im_start|>assistant\n${sqlOf(t)}<|im_end|>\n`;
        });
        const lastUser = history.length
          ? `### Result of the previous query\n${summarizeResult(last)}\n### Follow-up question\n${q}`
          : `${head}### Question\n${q}`;
        return `${s}<|im_start|>user\n${lastUser}<|im_end|>\n<|im_start|>assistant\n`;
      }
    }
  };
  // tiny-sql shows one earlier turn (as an example) and at most 3 examples in all
  const history = format === 'tiny-sql' ? input.previous.slice(-1) : input.previous.slice(-3);
  const examples = format === 'tiny-sql' && history.length ? input.examples.slice(0, 2) : input.examples.slice();
  const fit = fitPrompt(render, { tables: input.tables, optional: examples, history }, budget);
  return { format, text: fit.text, examplesUsed: fit.optional.length, cut: fit.cut };
}

/**
 * Wrap a free-form instruction in a family's template (for model-written training pairs).
 * Returns null for 'tiny-sql', which only writes SQL and cannot follow instructions.
 */
export function wrapInstruction(format: PromptFormat, instruction: string): string | null {
  switch (format) {
    case 'tiny-sql':
      return null;
    case 'plain':
      return `${instruction}\n\n### Answer\n`;
    case 'mistral-inst':
      return `[INST] ${instruction} [/INST]`;
    case 'chatml':
      return `<|im_start|>system\nYou are a careful SQL expert.<|im_end|>\n<|im_start|>user\n${instruction}<|im_end|>\n<|im_start|>assistant\n`;
  }
}
