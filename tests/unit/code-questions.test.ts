/**
 * The code & docs question set (static-data/code-questions.json) names its gold answers by file
 * and symbol. This keeps it current: every gold symbol must still exist where the set says, as
 * the chunker sees it, so a rename or a move fails here instead of silently lowering the scores.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chunkFile } from '../../src/lib/code/chunk.ts';
import { covers } from '../../src/lib/code/eval.ts';
import { CodeParsers } from '../../src/lib/code/parsers.ts';
import { parseQuestions } from '../../src/node/code/eval.ts';
import { nodeGrammarLoader } from '../../src/node/code/files.ts';
import { repoRoot } from '../../src/node/host.ts';

const file = path.join(repoRoot, 'static-data/code-questions.json');
const questions = parseQuestions(readFileSync(file, 'utf8'), file);

describe('the code & docs question set', () => {
  it('has at least 40 answerable and 10 unanswerable questions, ids unique', () => {
    expect(questions.filter((q) => q.gold.length).length).toBeGreaterThanOrEqual(40);
    expect(questions.filter((q) => !q.gold.length).length).toBeGreaterThanOrEqual(10);
    expect(new Set(questions.map((q) => q.id)).size).toBe(questions.length);
  });

  it('names gold symbols that still exist in this checkout', async () => {
    const parsers = new CodeParsers(nodeGrammarLoader());
    const missing: string[] = [];
    const cache = new Map<string, Awaited<ReturnType<typeof chunkFile>>>();
    for (const q of questions) {
      for (const g of q.gold) {
        let chunks = cache.get(g.path);
        if (!chunks) {
          let text: string;
          try {
            text = readFileSync(path.join(repoRoot, g.path), 'utf8');
          } catch {
            missing.push(`${q.id}: ${g.path} is gone`);
            continue;
          }
          chunks = await chunkFile({ path: g.path, text }, parsers, { maxTokens: 512 });
          cache.set(g.path, chunks);
        }
        if (!chunks.some((c) => covers(c, g))) missing.push(`${q.id}: ${g.path} has no symbol ${g.symbol}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
