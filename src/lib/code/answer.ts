/**
 * Answers about code and docs: the prompt that shows the model the retrieved chunks as numbered
 * sources (`[n] path:start-end`) and asks it to cite them as [n], in each model family's own
 * template (through the format record's `instruct`), and the reading of those citations back out
 * of the answer for rendering as links. A family that cannot follow instructions (tiny-sql-lm
 * writes SQL only) gets no prompt: the page shows the sources alone and says why.
 */
import type { PromptFormat } from '../config.ts';
import { promptFormat } from '../llm/formats/index.ts';
import type { PromptBudget } from '../llm/prompts.ts';
import { chunkLabel, type Chunk } from './types.ts';

export const CODE_ANSWER_INSTRUCTION =
  'Answer the question about this codebase using only the numbered sources below. Cite every claim with the ' +
  'number of its source in square brackets, like [1] or [2][3]. If the sources do not answer the question, say ' +
  '"I don\'t know" instead of guessing. Keep the answer short and quote code only when it helps.';

export interface CodePrompt {
  text: string;
  /** The sources shown, in citation order ([1] is sources[0]). */
  sources: Chunk[];
  /** Retrieved chunks left out so that the prompt fits the context. */
  dropped: number;
}

function sourceBlock(c: Chunk, n: number): string {
  const fence = c.text.includes('```') ? '~~~' : '```';
  return `[${n}] ${chunkLabel(c)}${c.symbols.length ? ' (' + c.symbols[c.symbols.length - 1] + ')' : ''}\n${fence}\n${c.text}\n${fence}\n`;
}

/**
 * The prompt for `question` over `chunks` (best first) in the family's template; as many whole
 * chunks as fit `budget`. Null when the family cannot follow instructions.
 */
export function buildCodePrompt(
  format: PromptFormat,
  question: string,
  chunks: Chunk[],
  budget: PromptBudget = {},
): CodePrompt | null {
  const f = promptFormat(format);
  if (!f.canFollowInstructions || !f.instruct) return null;
  const q = question.replace(/\s+/g, ' ').trim();
  const render = (n: number) =>
    f.instruct!(
      `${CODE_ANSWER_INSTRUCTION}\n\n${chunks
        .slice(0, n)
        .map((c, i) => sourceBlock(c, i + 1))
        .join('\n')}\nQuestion: ${q}`,
    );
  let n = chunks.length;
  if (budget.countTokens && budget.maxTokens) {
    while (n > 0 && budget.countTokens(render(n)) > budget.maxTokens) n--;
  }
  return { text: render(n), sources: chunks.slice(0, n), dropped: chunks.length - n };
}

export type AnswerPart = { text: string } | { cite: number; source: Chunk | null };

/**
 * The answer split into text and citations; `[2]` and `[1, 3]` become citation parts (numbers
 * that name no source keep `source: null`, so the page can show them as unresolved).
 */
export function citationParts(answer: string, sources: Chunk[]): AnswerPart[] {
  const parts: AnswerPart[] = [];
  let last = 0;
  for (const m of answer.matchAll(/\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]/g)) {
    if (m.index > last) parts.push({ text: answer.slice(last, m.index) });
    for (const num of m[1].split(',')) {
      const cite = Number(num.trim());
      parts.push({ cite, source: sources[cite - 1] ?? null });
    }
    last = m.index + m[0].length;
  }
  if (last < answer.length) parts.push({ text: answer.slice(last) });
  return parts;
}
