/**
 * `npm run eval -- --code DIR --questions FILE`: retrieval over a code & docs collection built
 * with the app's own core (ingest → chunk → embed → dense/BM25/hybrid/rerank), scored against
 * questions whose gold answers are symbols. Prints a table and writes JSON.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { findEmbedder, findReranker, RERANKERS } from '../../lib/config.ts';
import { errorMessage } from '../../lib/errors.ts';
import { crossEncoderReranker } from '../../lib/code/rerank.ts';
import { loadNodeReranker, localReranker } from './reranker.ts';
import { ingest } from '../../lib/code/ingest.ts';
import { buildCollection } from '../../lib/code/collection.ts';
import { evaluateCode, type CodeEvalReport, type CodeQuestion } from '../../lib/code/eval.ts';
import { CodeParsers } from '../../lib/code/parsers.ts';
import { missingGold, parseCodeQuestions } from '../../lib/code/questions.ts';
import {
  chunkWindows,
  CodeIndex,
  CodeSearch,
  ACRONYMS,
  DENSE_WEIGHT,
  FILE_LIFT,
  NAME_BOOST,
  PATH_BOOST,
  SHAPE_PRIOR,
  STEM,
  TEST_PRIOR,
} from '../../lib/code/search.ts';
import { inputDir, inputFile, intArg, outputFile, parseStrict, UsageError, type CliIO } from '../cli/args.ts';
import { writeAtomic } from '../cli/output.ts';
import { cachingEmbedder, EMBED_CACHE_DIR } from '../embed-cache.ts';
import { defaultTestEmbedderId, loadEmbedder, localModelsDir } from '../host.ts';
import { folderEntries, nodeGrammarLoader } from './files.ts';

export const CODE_EVAL_USAGE = `Usage: npm run eval -- --code DIR --questions FILE [options]
  --code DIR            the folder to index (its .gitignore is honoured)
  --questions FILE      questions JSON ({questions: [{id, question, gold: [{path, symbol}]}]})
  --embedder ID         embedder (default: the local test embedder)
  --k N                 cut-off for precision/recall (default 10)
  --max-tokens N        largest chunk in tokens (default 512)
  --name-boost X        BM25 weight of chunk names (path, symbols) against text (default 4)
  --dense-weight X      weight of the dense list in the fusion, BM25's being 1 (default 0.1)
  --windows             also embed each chunk in windows of the embedder's token limit and score
                        a chunk by its best window (default: header and start, what the model reads)
  --only odd|even       half of the questions (tune on one half, report the other)
  --reranker ID|none    cross-encoder for the "hybrid+cross-encoder" method (default: the first of the
                        registry when ../shared/models holds it; otherwise the method is left out)
  --out FILE            write the JSON report here (default docs/code-eval.results.json)
`;

export function parseQuestions(text: string, where: string): CodeQuestion[] {
  try {
    return parseCodeQuestions(text, where);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function pct(x: number): string {
  return (100 * x).toFixed(1);
}

export function formatCodeReport(r: CodeEvalReport): string {
  const lines = [
    `${r.questions.answerable} answerable + ${r.questions.unanswerable} unanswerable questions, ${r.chunks} chunks`,
    'method          P@k    R@k    MRR    nDCG@10 [95% CI]',
  ];
  for (const m of r.methods) {
    lines.push(
      `${m.method.padEnd(15)} ${m.precision.mean.toFixed(3)}  ${m.recall.mean.toFixed(3)}  ${m.mrr.mean.toFixed(3)}  ${m.ndcg10.mean.toFixed(3)} [${m.ndcg10.lo.toFixed(3)}, ${m.ndcg10.hi.toFixed(3)}]`,
    );
  }
  const t = r.threshold;
  lines.push(
    `"I don't know" (${t.method}): threshold ${t.chosen.threshold} answers ${pct(t.chosen.answered)}% of answerable, refuses ${pct(t.chosen.refused)}% of unanswerable; 2-fold cross-validated ${pct(t.crossValidated.answered)}% / ${pct(t.crossValidated.refused)}%`,
  );
  const c = r.coverageThreshold;
  lines.push(
    `"I don't know" on coverage: threshold ${c.chosen.threshold} answers ${pct(c.chosen.answered)}%, refuses ${pct(c.chosen.refused)}%; 2-fold cross-validated ${pct(c.crossValidated.answered)}% / ${pct(c.crossValidated.refused)}%`,
  );
  return lines.join('\n');
}

export async function runCodeEval(argv: string[], io: CliIO, signal?: AbortSignal): Promise<CodeEvalReport> {
  const values = parseStrict(argv, {
    code: { type: 'string' },
    questions: { type: 'string' },
    embedder: { type: 'string' },
    k: { type: 'string' },
    'max-tokens': { type: 'string' },
    'name-boost': { type: 'string' },
    'dense-weight': { type: 'string' },
    windows: { type: 'boolean' },
    only: { type: 'string' },
    reranker: { type: 'string' },
    out: { type: 'string' },
  });
  const rerankerId = values.reranker ?? RERANKERS.find((r) => localReranker(r))?.id ?? 'none';
  const rerankerSpec = rerankerId === 'none' ? null : findReranker(rerankerId);
  if (rerankerSpec === undefined) throw new UsageError(`unknown --reranker "${rerankerId}"`);
  if (!values.code || !values.questions) throw new UsageError('--code DIR and --questions FILE are both needed');
  const dir = path.resolve(inputDir('--code', values.code));
  const qFile = path.resolve(inputFile('--questions', values.questions));
  const out = outputFile('--out', values.out ?? 'docs/code-eval.results.json');
  const k = intArg('--k', values.k, 1, 100) ?? 10;
  const embedderId = values.embedder ?? defaultTestEmbedderId();
  const spec = findEmbedder(embedderId);
  if (!spec) throw new UsageError(`unknown --embedder "${embedderId}"`);
  const maxTokens = intArg('--max-tokens', values['max-tokens'], 16, 8192);
  const all = parseQuestions(readFileSync(qFile, 'utf8'), values.questions);
  // `--only odd|even`: half of the set (by position), to tune on one half and report the other
  if (values.only && values.only !== 'odd' && values.only !== 'even') throw new UsageError('--only is odd or even');
  const questions = values.only ? all.filter((_, i) => i % 2 === (values.only === 'odd' ? 0 : 1)) : all;
  const nameBoost = values['name-boost'] === undefined ? undefined : Number(values['name-boost']);
  const denseWeight = values['dense-weight'] === undefined ? undefined : Number(values['dense-weight']);
  for (const [flag, v] of [
    ['--name-boost', nameBoost],
    ['--dense-weight', denseWeight],
  ] as const)
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new UsageError(`${flag} must be a number ≥ 0`);

  const t0 = performance.now();
  // the questions themselves and the report must not be part of the collection they evaluate
  const skipRel = new Set(
    [path.relative(dir, qFile), path.relative(dir, path.resolve(out))].map((p) => p.split(path.sep).join('/')),
  );
  const walk = folderEntries(dir, { exclude: (rel) => skipRel.has(rel) });
  const ing = await ingest(walk.entries, { signal });
  const tIngest = performance.now() - t0;
  io.err(
    `[code] ${ing.files.length} files (${(ing.bytes / 1e6).toFixed(1)} MB) from ${dir}; ${ing.skipped.length + walk.skipped.length} skipped`,
  );
  const embedder = cachingEmbedder(await loadEmbedder(embedderId), EMBED_CACHE_DIR);
  const parsers = new CodeParsers(nodeGrammarLoader());
  const built = await buildCollection(ing.files, {
    parsers,
    embedder,
    chunk: maxTokens ? { maxTokens } : undefined,
    signal,
  });
  io.err(
    `[code] ${built.chunks.length} chunks; chunking ${Math.round(built.ms.chunk)} ms, embedding ${Math.round(built.ms.embed)} ms`,
  );
  let windows: { rows: number[]; vectors: Float32Array } | undefined;
  let tWindows = 0;
  if (values.windows) {
    const t1 = performance.now();
    const w = chunkWindows(built.chunks, spec.maxTokens);
    const vectors = new Float32Array(w.texts.length * embedder.dim);
    for (let i = 0; i < w.texts.length; i += 32)
      vectors.set(await embedder.embed(w.texts.slice(i, i + 32), { role: 'doc', signal }), i * embedder.dim);
    windows = { rows: w.rows, vectors };
    tWindows = performance.now() - t1;
    io.err(`[code] ${w.texts.length} extra windows of ${spec.maxTokens} tokens; embedding ${Math.round(tWindows)} ms`);
  }
  const index =
    nameBoost === undefined && !windows
      ? built.index
      : new CodeIndex(built.chunks, built.index.vectors, built.index.dim, { nameBoost, windows });
  const search = new CodeSearch(index, embedder, { denseWeight });
  // a gold symbol no chunk covers scores 0: listed, so an out-of-date question set shows
  const missing = missingGold(built.chunks, questions);
  for (const m of missing)
    io.err(
      `[code] question ${m.id}: gold ${m.path} ${m.symbol} is not in the collection${m.fileIndexed ? '' : ' (nor its file)'}`,
    );
  const report = await evaluateCode(search, questions, { k, signal });
  // hybrid + cross-encoder: the same fused lists, reranked by the model (left out when it is not here)
  let rerankNote: string | null = null;
  if (rerankerSpec) {
    try {
      const scorer = await loadNodeReranker(rerankerSpec);
      const ce = new CodeSearch(index, embedder, {
        denseWeight,
        reranker: crossEncoderReranker((r) => index.chunks[r], scorer, { maxTokens: rerankerSpec.maxTokens, signal }),
      });
      const r = await evaluateCode(ce, questions, { k, signal, methods: ['hybrid+rerank'] });
      report.methods.push({ ...r.methods[0], method: 'hybrid+cross-encoder' });
      report.ms += r.ms;
      await scorer.dispose?.();
    } catch (e) {
      rerankNote = `hybrid+cross-encoder left out: ${errorMessage(e)}`;
    }
  } else
    rerankNote = `hybrid+cross-encoder left out: no cross-encoder in ${localModelsDir() ?? '../shared/models'} (--reranker ID)`;
  if (rerankNote) io.err(`[code] ${rerankNote}`);
  const lines = ing.files.reduce((n, f) => n + f.text.split('\n').length, 0);
  const full = {
    ...report,
    missingGold: missing,
    collection: {
      dir: path.basename(dir),
      files: ing.files.length,
      lines,
      skipped: ing.skipped.length + walk.skipped.length,
      chunkKinds: built.chunks.reduce<Record<string, number>>((m, c) => ((m[c.kind] = (m[c.kind] ?? 0) + 1), m), {}),
      maxTokens: maxTokens ?? 512,
      grammarsFailed: Object.fromEntries(parsers.failures),
    },
    embedder: embedderId,
    settings: {
      nameBoost: nameBoost ?? NAME_BOOST,
      pathBoost: PATH_BOOST,
      stem: STEM,
      acronyms: ACRONYMS,
      testPrior: TEST_PRIOR,
      shapePrior: SHAPE_PRIOR,
      fileLift: FILE_LIFT,
      denseWeight: denseWeight ?? DENSE_WEIGHT,
      windows: windows ? { maxTokens: spec.maxTokens, count: windows.rows.length } : null,
      only: values.only ?? 'all',
      reranker: rerankerSpec?.id ?? null,
      ...(rerankNote ? { rerankNote } : {}),
    },
    ms: { ingest: tIngest, chunk: built.ms.chunk, embed: built.ms.embed, windows: tWindows, eval: report.ms },
    date: new Date().toISOString().slice(0, 10),
  };
  writeAtomic(out, JSON.stringify(full, null, 1) + '\n');
  io.log(formatCodeReport(report));
  io.err(`[code] wrote ${out}`);
  return report;
}
