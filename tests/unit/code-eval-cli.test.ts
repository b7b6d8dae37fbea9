/** `npm run eval -- --code DIR --questions FILE`: the question file's messages and the missing gold symbols. */
import { describe, expect, test } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CODE_EVAL_USAGE, runCodeEval } from '../../src/node/code/eval.ts';
import { localModelsDir } from '../../src/node/host.ts';
import { runCaptured } from './cli-helpers.ts';

const QUESTIONS = {
  questions: [
    {
      id: 'a',
      question: 'convert money between currencies',
      gold: [{ path: 'src/money.ts', symbol: 'convertCurrency' }],
    },
    { id: 'd', question: 'parse a date string', gold: [{ path: 'src/dates.ts', symbol: 'parseDate' }] },
    { id: 'u', question: 'kubernetes ingress helm chart', gold: [] },
  ],
};

function folder(questions: string): { dir: string; q: string; out: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'code-eval-cli-'));
  mkdirSync(path.join(dir, 'src'));
  writeFileSync(
    path.join(dir, 'src/money.ts'),
    '/** Convert money between currencies. */\nexport function convertCurrency(amount: number, rate: number) {\n  return amount * rate;\n}\n',
  );
  writeFileSync(
    path.join(dir, 'src/dates.ts'),
    'export function formatDate(d: Date) {\n  return d.toISOString();\n}\n',
  );
  // the questions inside the folder, as with this checkout: never part of the collection
  writeFileSync(path.join(dir, 'questions.json'), questions);
  return { dir, q: path.join(dir, 'questions.json'), out: path.join(dir, 'report.json') };
}

const run = (args: string[]) => runCaptured('eval', CODE_EVAL_USAGE, (io) => runCodeEval(args, io));

test('a malformed questions file is refused with the reason, before any model loads', async () => {
  const f = folder('{"questions": [{"question": "x", "gold": [{"path": "a.ts"}]}]}');
  try {
    const r = await run(['--code', f.dir, '--questions', f.q, '--out', f.out]);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/question 1, gold 1: needs "path" and "symbol"/);
  } finally {
    rmSync(f.dir, { recursive: true, force: true });
  }
});

describe.skipIf(!localModelsDir())('with the local embedder (../shared/models)', () => {
  test('a gold symbol missing from the collection is printed and written, and the questions file is not indexed', async () => {
    const f = folder(JSON.stringify(QUESTIONS));
    try {
      const r = await run(['--code', f.dir, '--questions', f.q, '--out', f.out]);
      expect(r.code).toBe(0);
      expect(r.err).toMatch(/question d: gold src\/dates\.ts parseDate is not in the collection/);
      const report = JSON.parse(readFileSync(f.out, 'utf8'));
      expect(report.missingGold).toEqual([{ id: 'd', path: 'src/dates.ts', symbol: 'parseDate', fileIndexed: true }]);
      expect(report.collection.files).toBe(2);
      expect(report.methods).toHaveLength(4);
    } finally {
      rmSync(f.dir, { recursive: true, force: true });
    }
  }, 120_000);
});
