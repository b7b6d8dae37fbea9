/**
 * plain: the instruction, a DDL schema, examples and the question as plain text with `###`
 * headings, for instruction-following models without a chat template.
 */
import type { PromptFormatRecord } from './format.ts';
import {
  EXPLAIN_INSTRUCTION,
  FOLLOWUP_INSTRUCTION,
  INSTRUCTION,
  askOf,
  explainBody,
  extractFromReply,
  instructHead,
  oneLine,
  summarizeResult,
  headingHints,
} from './shared.ts';

export const plain: PromptFormatRecord<'plain'> = {
  id: 'plain',
  description: 'plain text: instruction, CREATE TABLE schema, Q/SQL examples, ### headings',
  canExplain: true,
  canFollowInstructions: true,
  showsConversation: true,
  showsValueHints: true,
  stopAtNewline: false,
  followUpWindow: { turns: 3 },
  build: ({ tables, examples, question, hints }) =>
    `${INSTRUCTION}\n\n${instructHead(tables, examples, headingHints(hints))}### Question\n${question}\n### SQL\n`,
  followUp: ({ tables, examples, history, question, hints }) => {
    const turns = history
      .map((t, i) => `${askOf(t, i)}\n### SQL\n${oneLine(t.sql)}\n### Result\n${summarizeResult(t)}\n`)
      .join('');
    return `${FOLLOWUP_INSTRUCTION}\n\n${instructHead(tables, examples, headingHints(hints))}${turns}### Follow-up question\n${question}\n### SQL\n`;
  },
  extract: extractFromReply,
  explain: ({ tables, sql, question }) =>
    `${EXPLAIN_INSTRUCTION}\n\n${explainBody(tables, sql, question)}\n### Explanation\n`,
  instruct: (instruction) => `${instruction}\n\n### Answer\n`,
};
