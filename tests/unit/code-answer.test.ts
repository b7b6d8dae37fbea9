import { describe, expect, it } from 'vitest';
import { buildCodePrompt, citationParts } from '../../src/lib/code/answer.ts';
import type { Chunk } from '../../src/lib/code/types.ts';
import { PROMPT_FORMAT_IDS, promptFormat } from '../../src/lib/llm/formats/index.ts';

const chunk = (path: string, a: number, b: number, sym: string, text: string): Chunk => ({
  path,
  startLine: a,
  endLine: b,
  kind: 'function',
  symbols: [sym],
  header: `${path}:${a}-${b} function ${sym}`,
  text,
});
const chunks = [
  chunk('src/a.ts', 3, 9, 'add', 'export function add(a, b) {\n  return a + b;\n}'),
  chunk('docs/x.md', 1, 4, 'Intro', '# Intro\n```sh\nnpm test\n```'),
];

describe('code answer prompts', () => {
  it('number the sources with path:lines in every family that follows instructions, and none otherwise', () => {
    for (const id of PROMPT_FORMAT_IDS) {
      const p = buildCodePrompt(id, 'how  do I\nadd?', chunks);
      if (!promptFormat(id).canFollowInstructions) {
        expect(p, id).toBeNull();
        continue;
      }
      expect(p!.text).toContain('[1] src/a.ts:3-9 (add)');
      expect(p!.text).toContain('[2] docs/x.md:1-4 (Intro)');
      expect(p!.text).toContain('Question: how do I add?');
      expect(p!.text).toContain('~~~\n# Intro'); // a fence that the chunk's own ``` cannot close
      expect(p!.text).toBe(promptFormat(id).instruct!(p!.text.length ? extractInstruction(id, p!.text) : ''));
    }
  });

  it('drops whole trailing sources to fit the budget', () => {
    const countTokens = (t: string) => t.length;
    const full = buildCodePrompt('chatml', 'q', chunks)!.text.length;
    const p = buildCodePrompt('chatml', 'q', chunks, { countTokens, maxTokens: full - 1 })!;
    expect(p.sources).toHaveLength(1);
    expect(p.dropped).toBe(1);
    expect(p.text).not.toContain('[2] docs/x.md');
  });

  it('reads citations back, with unknown numbers unresolved', () => {
    const parts = citationParts('Use add [1], see the docs [2, 3].', chunks);
    expect(parts).toEqual([
      { text: 'Use add ' },
      { cite: 1, source: chunks[0] },
      { text: ', see the docs ' },
      { cite: 2, source: chunks[1] },
      { cite: 3, source: null },
      { text: '.' },
    ]);
    expect(citationParts('no citations', chunks)).toEqual([{ text: 'no citations' }]);
  });
});

/** The instruction a family's template wraps (what `instruct` was given), recovered for the check. */
function extractInstruction(id: (typeof PROMPT_FORMAT_IDS)[number], text: string): string {
  const f = promptFormat(id);
  const marker = '\u0000';
  const [pre, post] = f.instruct!(marker).split(marker);
  return text.slice(pre.length, text.length - post.length);
}
