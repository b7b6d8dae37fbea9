/**
 * chatml: the `<|im_start|>role … <|im_end|>` chat template of Qwen2.5 models, with the
 * instruction as the system turn. A follow-up replays earlier turns as user/assistant pairs.
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

/** A system turn, the user turn, and the open assistant turn the model completes. */
function chat(system: string, user: string): string {
  return `<|im_start|>system\n${system}<|im_end|>\n<|im_start|>user\n${user}<|im_end|>\n<|im_start|>assistant\n`;
}

export const chatml: PromptFormatRecord<'chatml'> = {
  id: 'chatml',
  description: 'ChatML (Qwen2.5): system instruction, user turn with CREATE TABLE schema and examples',
  canExplain: true,
  canFollowInstructions: true,
  showsConversation: true,
  showsValueHints: true,
  stopAtNewline: false,
  followUpWindow: { turns: 3 },
  build: ({ tables, examples, question, hints }) =>
    chat(INSTRUCTION, `${instructHead(tables, examples, sqlCommentHints(hints))}### Question\n${question}`),
  followUp: ({ tables, examples, history, question, hints }) => {
    const head = instructHead(tables, examples, sqlCommentHints(hints));
    let s = `<|im_start|>system\n${FOLLOWUP_INSTRUCTION}<|im_end|>\n`;
    history.forEach((t, i) => {
      const user =
        i === 0
          ? `${head}${askOf(t, 0)}`
          : `### Result of the previous query\n${summarizeResult(history[i - 1])}\n${askOf(t, i)}`;
      s += `<|im_start|>user\n${user}<|im_end|>\n<|im_start|>assistant\n${oneLine(t.sql)}<|im_end|>\n`;
    });
    const last = history[history.length - 1];
    const lastUser = last
      ? `### Result of the previous query\n${summarizeResult(last)}\n### Follow-up question\n${question}`
      : `${head}### Question\n${question}`;
    return `${s}<|im_start|>user\n${lastUser}<|im_end|>\n<|im_start|>assistant\n`;
  },
  extract: extractFromReply,
  explain: ({ tables, sql, question }) => chat(EXPLAIN_INSTRUCTION, explainBody(tables, sql, question)),
  instruct: (instruction) => chat('You are a careful SQL expert.', instruction),
};
