/**
 * Code & docs retrieval lab: builds a collection once (chunks, chunk vectors, window vectors, query
 * vectors, all through the embeddings cache), then scores search settings on a half of the
 * question set, so settings can be compared without re-embedding. Development tool; the reported
 * numbers come from `npm run eval -- --code . --questions static-data/code-questions.json`.
 *
 * Usage: npm exec tsx scripts/code-lab.ts -- --code DIR [--only odd|even] [--configs FILE.json] [--prep]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ingest } from '../src/lib/code/ingest.ts';
import { chunkFiles } from '../src/lib/code/collection.ts';
import { CodeParsers } from '../src/lib/code/parsers.ts';
import { chunkEmbedText, CodeIndex, CodeSearch, chunkWindows, type CodeIndexOptions } from '../src/lib/code/search.ts';
import { evaluateCode } from '../src/lib/code/eval.ts';
import { parseQuestions } from '../src/node/code/eval.ts';
import { folderEntries, nodeGrammarLoader } from '../src/node/code/files.ts';
import { cachingEmbedder, EMBED_CACHE_DIR } from '../src/node/embed-cache.ts';
import { defaultTestEmbedderId, loadEmbedder } from '../src/node/host.ts';
import { findEmbedder } from '../src/lib/config.ts';
import type { Embedder } from '../src/lib/embed/embedder.ts';

const args = process.argv.slice(2);
const arg = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const dir = path.resolve(arg('--code') ?? '.');
const qFile = path.resolve(arg('--questions') ?? 'static-data/code-questions.json');
const only = arg('--only');
const all = parseQuestions(readFileSync(qFile, 'utf8'), qFile);
const questions = only ? all.filter((_, i) => i % 2 === (only === 'odd' ? 0 : 1)) : all;

const skip = new Set(['static-data/code-questions.json', 'docs/code-eval.results.json']);
const walk = folderEntries(dir, { exclude: (rel) => skip.has(rel) });
const ing = await ingest(walk.entries);
const chunks = await chunkFiles(ing.files, new CodeParsers(nodeGrammarLoader()), { maxTokens: 512 });
const embedderId = defaultTestEmbedderId();
const embedder: Embedder = cachingEmbedder(await loadEmbedder(embedderId), EMBED_CACHE_DIR);
const dim = embedder.dim;
const t0 = performance.now();
const embedAll = async (texts: string[]) => {
  const out = new Float32Array(texts.length * dim);
  for (let i = 0; i < texts.length; i += 32) {
    out.set(await embedder.embed(texts.slice(i, i + 32), { role: 'doc' }), i * dim);
    if (i % 640 === 0) console.error(`[lab] embedded ${i}/${texts.length} ${Math.round(performance.now() - t0)} ms`);
  }
  return out;
};
const vectors = await embedAll(chunks.map(chunkEmbedText));
console.error(`[lab] ${chunks.length} chunks embedded in ${Math.round(performance.now() - t0)} ms`);
const maxTokens = findEmbedder(embedderId)!.maxTokens;
const windows = chunkWindows(chunks, maxTokens);
console.error(`[lab] ${windows.texts.length} extra windows`);
const wvectors = args.includes('--windows') ? await embedAll(windows.texts) : new Float32Array(0);
console.error(`[lab] ${windows.texts.length} windows embedded in ${Math.round(performance.now() - t0)} ms`);
if (args.includes('--prep')) process.exit(0);

const configs: { name: string; index?: CodeIndexOptions; denseWeight?: number; windows?: boolean; lambda?: number }[] =
  arg('--configs') ? JSON.parse(readFileSync(arg('--configs')!, 'utf8')) : [{ name: 'default' }];
for (const c of configs) {
  const tb = performance.now();
  const index = new CodeIndex(chunks, vectors, dim, {
    ...c.index,
    windows: c.windows ? { rows: windows.rows, vectors: wvectors } : undefined,
  });
  const buildMs = performance.now() - tb;
  const q0 = new Float32Array(dim);
  const tq = performance.now();
  for (const q of all) index.lexical(q.question, q0, 50);
  console.error(
    `[lab] ${c.name}: BM25 index ${Math.round(buildMs)} ms, ${((performance.now() - tq) / all.length).toFixed(1)} ms a query`,
  );
  const search = new CodeSearch(index, embedder, { denseWeight: c.denseWeight, mmrLambda: c.lambda });
  const r = await evaluateCode(search, questions);
  const m = r.methods.map((x) => `${x.method} ${x.ndcg10.mean.toFixed(3)} (R ${x.recall.mean.toFixed(2)})`).join(' | ');
  const cov = r.coverageThreshold;
  console.log(
    `${c.name.padEnd(28)} ${m} | idk ${cov.chosen.threshold} ${(100 * cov.chosen.answered).toFixed(0)}/${(100 * cov.chosen.refused).toFixed(0)} cv ${(100 * cov.crossValidated.answered).toFixed(0)}/${(100 * cov.crossValidated.refused).toFixed(0)}`,
  );
}

// `--diagnose NAME`: per question of the half, the rank of the first relevant chunk and the top 3
if (arg('--diagnose')) {
  const c = configs.find((x) => x.name === arg('--diagnose'))!;
  const index = new CodeIndex(chunks, vectors, dim, c.index);
  const search = new CodeSearch(index, embedder, { denseWeight: c.denseWeight, mmrLambda: c.lambda });
  const { covers } = await import('../src/lib/code/eval.ts');
  for (const q of questions.filter((x) => x.gold.length)) {
    const hits = await search.search(q.question, 50, (arg('--method') ?? 'bm25') as 'bm25');
    const rank = hits.findIndex((h) => q.gold.some((g) => covers(chunks[h.row], g)));
    console.log(`${q.id} rank ${rank < 0 ? '-' : rank + 1}  ${q.question.slice(0, 70)}`);
    if (rank !== 0)
      for (const h of hits.slice(0, 3))
        console.log(`     ${chunks[h.row].header.slice(0, 100)}  ${h.score.toFixed(2)}`);
  }
}
