/** Pieces that several prompt formats share: schema renderings, example blocks, instructions. */
import type { TableInfo } from '../../types.ts';
import type { FewShot, PreviousTurn, ValueHint } from './format.ts';
import { noteLine } from '../../notes/notes.ts';

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

/**
 * CREATE TABLE statements with types, for instruction-tuned models. Schema notes (the user's
 * descriptions and synonyms) ride along as SQL comments: a `-- note` line above the table and
 * ` -- note` after a column, the way these models read commented DDL.
 */
export function ddlSchema(tables: TableInfo[]): string {
  return tables
    .map((t) => {
      const cols = t.columns.map((c, i, all) => {
        const ty = t.types?.[i];
        const note = noteLine(t.columnNotes?.[i]);
        return `  ${quoteIdent(c)}${ty ? ' ' + ty.toUpperCase() : ''}${i < all.length - 1 ? ',' : ''}${note ? ` -- ${note}` : ''}`;
      });
      const head = noteLine(t.note);
      return `${head ? `-- ${head}\n` : ''}CREATE TABLE ${quoteIdent(t.name)} (\n${cols.join('\n')}\n);`;
    })
    .join('\n');
}

/** `Q: …\nSQL: …\n\n` per example; '' when there are none. */
export function examplesBlock(examples: FewShot[]): string {
  return examples.map((e) => `Q: ${oneLine(e.question)}\nSQL: ${oneLine(e.sql)}\n\n`).join('');
}

export const INSTRUCTION =
  'You are an expert SQLite developer. Given the database schema and some solved examples from other databases, ' +
  'write one SQLite query that answers the question. Use only tables and columns from the schema. ' +
  'Reply with the SQL query only, on one line, with no explanation.';

export const EXPLAIN_INSTRUCTION =
  'You explain SQLite queries to people who do not know SQL. Explain what the query does in plain English, ' +
  'clause by clause: one short line per clause, each line starting with the clause keyword and a colon ' +
  '(for example "WHERE: keeps only the orders placed in 2024"). Do not rewrite the query.';

export const FOLLOWUP_INSTRUCTION =
  INSTRUCTION +
  ' The user may follow up on an earlier question (for example "only those from France" or "sort by age"): ' +
  'then rewrite the previous SQL so that it answers the follow-up, keeping what the previous query did unless the follow-up changes it.';

/** `singer.country = 'France'`: a hint as an SQL condition (names quoted when needed, the value as a literal). */
export function hintCondition(h: ValueHint): string {
  return `${quoteIdent(h.table)}.${quoteIdent(h.column)} = '${h.value.replace(/'/g, "''")}'`;
}

/** Hints as one SQL comment line under the DDL (`-- values: singer.country = 'France'; …`); '' when none. */
export function sqlCommentHints(hints: readonly ValueHint[] | undefined): string {
  return hints?.length ? `-- values: ${hints.map(hintCondition).join('; ')}\n` : '';
}

/** Hints as a `###` section of their own, one condition a line; '' when none. */
export function headingHints(hints: readonly ValueHint[] | undefined): string {
  return hints?.length
    ? `### Values mentioned in the question\n${hints.map((h) => hintCondition(h) + '\n').join('')}`
    : '';
}

/**
 * The schema and examples part of an instruction family's prompt; `hintBlock` (already rendered
 * in the family's style, ending with a newline) goes right after the schema.
 */
export function instructHead(tables: TableInfo[], examples: FewShot[], hintBlock = ''): string {
  const ex = examplesBlock(examples);
  return `### Schema\n${ddlSchema(tables)}\n${hintBlock}` + (ex ? `### Examples\n${ex}` : '');
}

/** The schema, the question (if any) and the SQL, for an explain prompt. */
export function explainBody(tables: TableInfo[], sql: string, question: string): string {
  return `### Schema\n${ddlSchema(tables)}\n` + (question ? `### Question\n${question}\n` : '') + `### SQL\n${sql}`;
}

/** The heading and text of an earlier turn's question (the first is the question, then follow-ups). */
export function askOf(t: PreviousTurn, i: number): string {
  const q = oneLine(t.question) || '(SQL written by hand)';
  return i === 0 ? `### Question\n${q}` : `### Follow-up question\n${q}`;
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

/** Chat-template end markers a reply may carry. */
export function stripEndMarkers(output: string): string {
  return output.replace(/<\|im_end\|>|<\/s>|<\|eos\|>|<\|endoftext\|>/g, '');
}

/**
 * The SQL in an instruction model's reply: inside a code fence if there is one, without a
 * leading `SQL:`/`Answer:`, up to the first top-level semicolon or else the first blank line.
 */
export function extractFromReply(output: string): string {
  let s = stripEndMarkers(output);
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
