/**
 * tiny-sql: exactly the format tiny-sql-lm was trained on (see its README): no BOS, no chat
 * template, a compact `table(col, …)` schema, a few `Q:`/`SQL:` examples and one question. The
 * model only writes SQL, on one line: it cannot explain SQL nor follow instructions.
 */
import type { FewShot, PromptFormatRecord } from './format.ts';
import { compactSchema, examplesBlock, stripEndMarkers } from './shared.ts';

function render(tables: Parameters<typeof compactSchema>[0], examples: FewShot[], question: string): string {
  const ex = examplesBlock(examples);
  return (
    `### Schema\n${compactSchema(tables)}\n` +
    (ex ? `### Examples\n${ex}` : '') +
    `### Question\n${question}\n### SQL\n`
  );
}

export const tinySql: PromptFormatRecord<'tiny-sql'> = {
  id: 'tiny-sql',
  description: 'tiny-sql-lm: compact schema, Q/SQL examples, one question; SQL only, on one line',
  canExplain: false,
  canFollowInstructions: false,
  showsConversation: false,
  stopAtNewline: true,
  // one earlier turn (shown as an example) and at most 3 examples in all
  followUpWindow: { turns: 1, examplesWithTurn: 2 },
  build: ({ tables, examples, question }) => render(tables, examples, question),
  /**
   * tiny-sql-lm was never trained on follow-ups or conversations. So the previous turn (its
   * self-contained question and its SQL) becomes the first, most similar example, and the
   * question is the self-contained follow-up; the model tends to adapt the first example, which
   * is the best this format allows. The result summary has no place here and is left out.
   */
  followUp: ({ tables, examples, history, standalone }) => {
    const last = history[history.length - 1];
    const shots: FewShot[] = last
      ? [{ question: last.standalone || last.question || standalone, sql: last.sql }, ...examples]
      : examples;
    return render(tables, shots.slice(0, 3), standalone);
  },
  extract: (output) => stripEndMarkers(output).split('\n')[0].trim(),
};
