/**
 * instant: the model-free generator's "prompt" (src/lib/instant/). It is no text for a model but
 * the structured request itself, serialised as JSON so that it crosses the same seam (and shows
 * in the prompt view as exactly what the generator received): the question, the database's
 * tables and the retrieved examples, most similar first. The generator parses it back
 * (`parseInstantPrompt`) and answers with the SQL alone. It cannot explain SQL, follow
 * instructions or hold a conversation: a follow-up is answered as its self-contained question,
 * with the followed-up turn as the first example.
 */
import type { TableInfo } from '../../types.ts';
import type { FewShot, PromptFormatRecord } from './format.ts';
import { oneLine } from './shared.ts';

/** What the instant format serialises. */
export interface InstantPrompt {
  kind: 'instant-request';
  question: string;
  tables: TableInfo[];
  examples: FewShot[];
}

function render(tables: TableInfo[], examples: FewShot[], question: string): string {
  const req: InstantPrompt = {
    kind: 'instant-request',
    question,
    tables: tables.map((t) => ({ name: t.name, columns: t.columns, ...(t.types ? { types: t.types } : {}) })),
    examples: examples.map((e) => ({
      question: oneLine(e.question),
      sql: oneLine(e.sql),
      ...(typeof e.score === 'number' && Number.isFinite(e.score) ? { score: e.score } : {}),
    })),
  };
  return JSON.stringify(req, null, 1);
}

/** Read a request back; null when `text` is not one (never throws). */
export function parseInstantPrompt(text: string): InstantPrompt | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  const o = v as Partial<InstantPrompt> | null;
  if (!o || typeof o !== 'object' || o.kind !== 'instant-request' || typeof o.question !== 'string') return null;
  if (!Array.isArray(o.tables) || !Array.isArray(o.examples)) return null;
  const tables = o.tables.filter(
    (t): t is TableInfo =>
      !!t && typeof t.name === 'string' && Array.isArray(t.columns) && t.columns.every((c) => typeof c === 'string'),
  );
  const examples = o.examples.filter(
    (e): e is FewShot => !!e && typeof e.question === 'string' && typeof e.sql === 'string',
  );
  return { kind: 'instant-request', question: o.question, tables, examples };
}

export const instant: PromptFormatRecord<'instant'> = {
  id: 'instant',
  description: 'instant generator (no model): the question, tables and examples as a JSON request; SQL only',
  canExplain: false,
  canFollowInstructions: false,
  structured: true,
  showsConversation: false,
  stopAtNewline: false,
  followUpWindow: { turns: 1 },
  build: ({ tables, examples, question }) => render(tables, examples, question),
  followUp: ({ tables, examples, history, standalone }) => {
    const last = history[history.length - 1];
    const shots: FewShot[] = last
      ? [{ question: last.standalone || last.question || standalone, sql: last.sql }, ...examples]
      : examples;
    return render(tables, shots, standalone);
  },
  extract: (output) => output.trim(),
};
