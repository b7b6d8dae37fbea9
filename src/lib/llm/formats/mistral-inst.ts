/**
 * mistral-inst: Mistral's `[INST] … [/INST]` instruction template (web-llm adds the BOS). A
 * follow-up replays earlier turns as closed `[INST] … [/INST] answer</s>` pairs.
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
  sqlCommentHints,
} from './shared.ts';

export const mistralInst: PromptFormatRecord<'mistral-inst'> = {
  id: 'mistral-inst',
  description: 'Mistral instruct: [INST] instruction, CREATE TABLE schema, examples, question [/INST]',
  canExplain: true,
  canFollowInstructions: true,
  showsConversation: true,
  showsValueHints: true,
  stopAtNewline: false,
  followUpWindow: { turns: 3 },
  build: ({ tables, examples, question, hints }) =>
    `[INST] ${INSTRUCTION}\n\n${instructHead(tables, examples, sqlCommentHints(hints))}### Question\n${question} [/INST]`,
  followUp: ({ tables, examples, history, question, hints }) => {
    const head = instructHead(tables, examples, sqlCommentHints(hints));
    let s = '';
    history.forEach((t, i) => {
      const user =
        i === 0
          ? `${FOLLOWUP_INSTRUCTION}\n\n${head}${askOf(t, 0)}`
          : `### Result of the previous query\n${summarizeResult(history[i - 1])}\n${askOf(t, i)}`;
      s += `[INST] ${user} [/INST] ${oneLine(t.sql)}</s>`;
    });
    const last = history[history.length - 1];
    const lastUser = last
      ? `### Result of the previous query\n${summarizeResult(last)}\n### Follow-up question\n${question}`
      : `${FOLLOWUP_INSTRUCTION}\n\n${head}### Question\n${question}`;
    return `${s}[INST] ${lastUser} [/INST]`;
  },
  extract: extractFromReply,
  explain: ({ tables, sql, question }) =>
    `[INST] ${EXPLAIN_INSTRUCTION}\n\n${explainBody(tables, sql, question)} [/INST]`,
  instruct: (instruction) => `[INST] ${instruction} [/INST]`,
};
