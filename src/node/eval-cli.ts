/**
 * `npm run eval`: evaluate retrieval-augmented text-to-SQL from the shell, with the same core code
 * as the browser (src/lib/eval/runner.ts driving rag/pipeline.ts `ask()`), real models through
 * transformers.js (src/node/host.ts), and sql.js in a worker thread with a hard timeout.
 *
 * See docs/evaluation.md for the protocol and the JSON written by `--out`.
 */
import { CODE_EVAL_USAGE, runCodeEval } from './code/eval.ts';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chooseDefaults, findCpuGenerator, findEmbedder, INSTANT_GENERATOR } from '../lib/config.ts';
import type { Corpus, ProgressFn, TableInfo } from '../lib/types.ts';
import { FlatIndex } from '../lib/index/flat.ts';
import type { IndexRecord } from '../lib/index/store.ts';
import { indexCorpus } from '../lib/rag/pipeline.ts';
import type { TextMode } from '../lib/rag/doc-text.ts';
import {
  Retrieval,
  needsMaskedIndex,
  parseRetriever,
  type Drafter,
  type RetrieverName,
} from '../lib/retrieve/strategies.ts';
import { runEval, runRetrievalEval, type EvalServices } from '../lib/eval/runner.ts';
import { searchOver } from '../lib/index/search.ts';
import { loadAdapterJson, withQueryAdapter, type AdapterMeta, type LinearAdapter } from '../lib/train/adapter.ts';
import type { Embedder, VectorSearch } from '../lib/services.ts';
import {
  formatEvalTable,
  formatRetrievalTable,
  summarizeRun,
  type EvalExample,
  type EvalRun,
  type RetrievalRun,
} from '../lib/eval/report.ts';
import { CancelledError, errorMessage, isCancelled } from '../lib/errors.ts';
import { formatVoteSummary } from '../lib/vote/report.ts';
import { localModelsDir, transformers } from './host.ts';
import { createNodeServices } from './services.ts';
import { DEFAULT_CACHE_DIR, readVectors, writeVectors } from './eval-data.ts';
import { processIO, runCli, type CliIO } from './cli/args.ts';
import { saveResult, savedNote, writeAtomic, type SavedResult } from './cli/output.ts';
import { EVAL_USAGE, checkEvalArgs, parseEvalArgs } from './eval/args.ts';
import { runConfig } from './eval/config.ts';
import { loadEvalInputs } from './eval/inputs.ts';
import { previousRuns, type EvalReport } from './eval/resume.ts';
import { fmtDuration, listLocalModels, progressPrinter, roundAll } from './eval/util.ts';

export { EVAL_USAGE, UsageError, parseEvalArgs, type EvalCliOptions } from './eval/args.ts';
export type { CliIO } from './cli/args.ts';
export type { EvalReport } from './eval/resume.ts';

// ---------------------------------------------------------------------------------------------
// Adapter

/**
 * Load a query-side adapter for `--adapter FILE` (src/lib/train/adapter.ts). `expect` is checked
 * by the loader: the adapter must fit the embedder. Apply it with `withQueryAdapter`.
 */
export async function loadQueryAdapter(
  file: string,
  expect: { expectDim?: number; expectEmbedderId?: string } = {},
): Promise<LinearAdapter & { meta: AdapterMeta }> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`--adapter ${file}: cannot read it as JSON (${errorMessage(e)})`, { cause: e });
  }
  try {
    return loadAdapterJson(json, expect);
  } catch (e) {
    throw new Error(`--adapter ${file}: ${errorMessage(e)}`, { cause: e });
  }
}

/** Query embeddings kept by text, so each question is embedded once for all text modes and ks. */
function cachingQueries(embedder: Embedder): Embedder {
  const cache = new Map<string, Float32Array>();
  return {
    id: embedder.id,
    dim: embedder.dim,
    dtype: embedder.dtype,
    device: embedder.device,
    async embed(texts, opts) {
      if (opts?.role !== 'query' || texts.length !== 1) return embedder.embed(texts, opts);
      let v = cache.get(texts[0]);
      if (!v) {
        v = await embedder.embed(texts, opts);
        cache.set(texts[0], v);
      }
      return v.slice();
    },
  };
}

/**
 * Documents per embedder call, as the app's WASM path uses. It matters a little: with q8 weights,
 * onnxruntime quantizes activations per tensor, so a vector depends slightly on the other texts
 * in its batch (cosine about 0.999 between a text embedded alone and in a batch of 64). For the
 * same reason queries are embedded one at a time, as `ask()` does in the app.
 */
const DOC_BATCH = 32;

interface IndexedCorpus {
  index: VectorSearch;
  indexS: number;
  cached: boolean;
}

/** Embed (or load cached vectors of) the corpus for one text mode, and wrap a flat index around it. */
async function indexFor(
  embedder: Embedder,
  corpus: Corpus,
  textMode: TextMode,
  cache: boolean,
  onProgress: ProgressFn,
  signal?: AbortSignal,
): Promise<IndexedCorpus> {
  const key = {
    embedderId: embedder.id,
    dtype: embedder.dtype,
    dim: embedder.dim,
    textMode,
    corpusHash: corpus.hash,
    count: corpus.examples.length,
    batch: DOC_BATCH,
  };
  const t0 = performance.now();
  let vectors = cache ? readVectors(DEFAULT_CACHE_DIR, key) : null;
  const cached = vectors != null;
  if (!vectors) {
    let built: Float32Array | null = null;
    await indexCorpus(
      {
        embedDocs: (texts) => embedder.embed(texts, { role: 'doc', signal }),
        build: async (meta, v, embedMs): Promise<IndexRecord> => {
          built = v;
          return {
            key: `eval|${meta.textMode}`,
            meta,
            chunks: 0,
            bytes: v.byteLength,
            createdAt: Date.now(),
            buildMs: embedMs,
          };
        },
      },
      {
        corpus,
        meta: {
          slot: corpus.name,
          embedderId: embedder.id,
          dtype: embedder.dtype,
          dim: embedder.dim,
          corpusHash: corpus.hash,
          count: corpus.examples.length,
          kind: 'flat',
          textMode,
        },
        textMode,
        batchSize: DOC_BATCH,
        signal,
        onProgress,
      },
    );
    vectors = built!;
    if (cache) writeVectors(DEFAULT_CACHE_DIR, key, vectors);
  }
  return {
    cached,
    indexS: (performance.now() - t0) / 1000,
    index: searchOver(new FlatIndex(vectors, embedder.dim), corpus.hash, `${corpus.name} (${textMode})`),
  };
}

/**
 * Run the CLI. Returns the report (also written to `--out`). Throws CancelledError when `signal`
 * aborts, after saving what was scored so far to `--out` (continue with `--resume`).
 */
export async function runEvalCli(
  argv: string[],
  io: CliIO = processIO,
  signal?: AbortSignal,
): Promise<EvalReport | null> {
  const o = parseEvalArgs(argv);
  if (o.help) {
    io.log(EVAL_USAGE);
    return null;
  }
  checkEvalArgs(o);
  const tStart = performance.now();
  // ---- data: read and checked before any model loads
  const inputs = await loadEvalInputs(o);
  const { dataset, allItems, items, needCorpus, loaded, corpus } = inputs;
  const progress = progressPrinter(io, o.quiet);

  // ---- models
  const modelsDir = o.models ? path.resolve(o.models) : localModelsDir();
  if (o.models && !existsSync(modelsDir!)) throw new Error(`--models ${o.models}: folder not found`);
  // The first call fixes transformers.js's configuration (local base, or the Hub when none).
  const tf = await transformers(modelsDir);
  if (modelsDir && tf.env.localModelPath !== modelsDir + '/') {
    io.err(
      `[eval] note: transformers.js was already set up for ${tf.env.localModelPath} in this process; --models ${modelsDir} is not used`,
    );
  }
  const local = listLocalModels(modelsDir);
  const defaults = chooseDefaults(local);
  const embedderId = o.embedder ?? defaults.embedder;
  const generatorId = o.retrievalOnly ? null : (o.generator ?? defaults.cpuGenerator);
  const eSpec = findEmbedder(embedderId);
  if (!eSpec) throw new Error(`unknown --embedder "${embedderId}"`);
  // The instant generator needs no model: it answers in the SQL thread next to each database.
  const instant = generatorId === INSTANT_GENERATOR.id;
  const gSpec = generatorId && !instant ? findCpuGenerator(generatorId) : undefined;
  if (generatorId && !instant && !gSpec)
    throw new Error(
      `unknown --generator "${generatorId}" (Node runs the CPU generators and ${INSTANT_GENERATOR.id} only)`,
    );
  const eDtype = o.embedderDtype ?? o.dtype ?? eSpec.defaultDtype;
  const gDtype = gSpec ? (o.dtype ?? gSpec.defaultDtype) : undefined;
  if (!eSpec.dtypes.includes(eDtype))
    throw new Error(`embedder ${eSpec.id} has no dtype ${eDtype} (${eSpec.dtypes.join(', ')})`);
  if (gSpec && gDtype && !gSpec.dtypes.includes(gDtype))
    throw new Error(`generator ${gSpec.id} has no dtype ${gDtype} (${gSpec.dtypes.join(', ')})`);
  const adapter = o.adapter
    ? await loadQueryAdapter(o.adapter, { expectDim: eSpec.dim, expectEmbedderId: eSpec.id })
    : null;

  const baseConfig = runConfig(o, inputs, {
    modelsDir,
    eSpec,
    eDtype,
    gSpec,
    gDtype,
    instant,
    adapterMeta: adapter?.meta,
  });
  // Resume: examples already scored by the same configuration (checked before the models load).
  const done = o.retrievalOnly ? [] : previousRuns(o, baseConfig, io);

  const tLoad0 = performance.now();
  io.err(
    `[eval] ${dataset.name}: ${items.length} of ${allItems.length} questions${o.limit ? ` (seed ${o.seed})` : ''}`,
  );
  if (corpus) io.err(`[eval] corpus ${corpus.name} from ${loaded!.path}`);
  io.err(
    `[eval] models from ${modelsDir ?? 'the Hugging Face Hub'}: embedder ${eSpec.id} (${eDtype})${gSpec ? `, generator ${gSpec.id} (${gDtype})` : instant ? `, generator ${INSTANT_GENERATOR.id} (no model)` : ''}`,
  );
  // One services object (src/node/services.ts): the embedder only when retrieving, the generator
  // only when generating, sql.js in a worker thread with the hard timeout.
  const services = await createNodeServices({
    embedderId: needCorpus ? eSpec.id : null,
    embedderDtype: eDtype,
    generatorId: instant ? INSTANT_GENERATOR.id : gSpec?.id,
    generatorDtype: gDtype,
    sqlTimeoutMs: o.timeoutMs,
  });
  const { embedder, generator } = services;
  const loadModelsS = (performance.now() - tLoad0) / 1000;

  // ---------------------------------------------------------------- app retrieval strategies
  // --retriever other than dense: the app's Retrieval (src/lib/retrieve/) over the text mode's
  // index, plus an index of masked corpus questions for the strategies that need one.
  const maskedIndex =
    corpus && o.retriever !== 'dense' && needsMaskedIndex(o.retriever)
      ? await indexFor(embedder!, corpus, 'masked-question', o.cache, progress, signal)
      : null;
  // The query adapter decorates the plain-question side only, as in the app.
  const queries = embedder ? cachingQueries(embedder) : null;
  const adapted = queries && adapter ? withQueryAdapter(queries, adapter) : queries;
  // draft-rerank drafts with the instant generator over the question's own database (opened in
  // the SQL thread when another one is open; the generation runs open the same one first).
  let openDbId: string | null = null;
  const ensureDb = async (dbId: string) => {
    if (openDbId === dbId && services.sql.current) return services.sql.current;
    openDbId = null;
    const info = await services.sql.open(dataset.source(dbId));
    openDbId = dbId;
    return info;
  };
  const draft: Drafter | undefined =
    parseRetriever(o.retriever).base === 'draft-rerank'
      ? async (req, { dbId, signal }) => {
          if (!dbId) return null;
          await ensureDb(dbId);
          const a = await services.sql.instant({ ...req, budgetMs: 1000, dbKey: dbId }, signal);
          return a.sql;
        }
      : undefined;
  const retrieverOver = (index: VectorSearch) =>
    new Retrieval({
      corpus: corpus!,
      ...(draft ? { draft } : {}),
      dense: { embedder: adapted!, index },
      ...(maskedIndex ? { maskedDense: { embedder: queries!, index: maskedIndex.index } } : {}),
    }).retriever(o.retriever as RetrieverName);

  // ---------------------------------------------------------------- retrieval only
  if (o.retrievalOnly) {
    // One query at a time, as ask() embeds it; each question is embedded once for all text modes.
    const runs: RetrievalRun[] = [];
    const timing: Record<string, number> = { load_models_s: loadModelsS };
    for (const mode of o.textModes) {
      const idx = await indexFor(embedder!, corpus!, mode, o.cache, progress, signal);
      io.err(`[eval] index (${mode}): ${idx.cached ? 'cached vectors' : 'embedded'} in ${idx.indexS.toFixed(1)} s`);
      timing[`index_${mode}_s`] = idx.indexS;
      for (const k of o.ks.filter((x) => x > 0)) {
        const t0 = performance.now();
        const run = await runRetrievalEval(retrieverOver(idx.index), {
          items,
          corpus: corpus!,
          k,
          textMode: mode,
          tablesFor: (db) => dataset.tables(db),
          seed: o.seed,
          signal,
          onProgress: progress,
        });
        run.retriever = o.retriever;
        run.index_s = idx.cached ? 0 : Math.round(idx.indexS * 10) / 10;
        timing[`retrieve_${mode}_k${k}_s`] = (performance.now() - t0) / 1000;
        runs.push(run);
      }
    }
    const wall = (performance.now() - tStart) / 1000;
    const report: EvalReport = {
      runs,
      config: { ...baseConfig, timing: roundAll(timing), wall_time_s: Math.round(wall * 10) / 10 },
    };
    services.sql.dispose();
    const saved = o.out ? saveResult(o.out, JSON.stringify(report, null, 2) + '\n', 'coderag-eval') : null;
    io.log(formatRetrievalTable(runs));
    io.log(
      `\n${items.length} questions, corpus ${corpus!.name}, embedder ${eSpec.id} (${eDtype}), retriever ${o.retriever}; wall time ${fmtDuration(wall)}${saved ? `; JSON: ${saved.path}` : ''}`,
    );
    reportSaved(saved, o.out, io);
    return report;
  }

  // ---------------------------------------------------------------- generation runs
  const textMode = o.textModes[0];
  let retriever: EvalServices['retriever'] = null;
  let indexS = 0;
  if (corpus) {
    const idx = await indexFor(embedder!, corpus, textMode, o.cache, progress, signal);
    io.err(`[eval] index (${textMode}): ${idx.cached ? 'cached vectors' : 'embedded'} in ${idx.indexS.toFixed(1)} s`);
    retriever = retrieverOver(idx.index);
    indexS = idx.indexS;
  }

  const sql = services.sql;
  const format = generator!.format;
  const svc: EvalServices = {
    retriever,
    buildPrompt: (input) => generator!.buildPrompt(input, o.maxNewTokens),
    generate: (p, onToken, sig, sampling) =>
      generator!.generate(p, { onToken, signal: sig, maxNewTokens: o.maxNewTokens, ...sampling }),
    openDb: async (dbId): Promise<{ tables: TableInfo[] }> => {
      const info = await ensureDb(dbId);
      return { tables: dataset.tables(dbId) ?? info.tables };
    },
    exec: (s) => sql.exec(s, { timeoutMs: o.timeoutMs }),
  };

  // Partial results: kept as examples arrive and saved every 20 s, so an interrupted run can resume.
  const partial = new Map<number, EvalExample[]>(
    o.ks.map((k) => [k, [...(done.find((d) => d.k === k)?.examples ?? [])]]),
  );
  const tEval0 = performance.now();
  let lastSave = performance.now();
  const saveProgress = (partialFlag: boolean, runs?: EvalRun[]) => {
    if (!o.out) return;
    const r = runs ?? o.ks.map((k) => summarizeRun(k, partial.get(k)!, textMode, o.notSureBelow));
    const wall = (performance.now() - tStart) / 1000;
    trySavePartial(o.out, io, {
      runs: r,
      config: {
        ...baseConfig,
        ...(partialFlag ? { partial: true } : {}),
        timing: roundAll({ load_models_s: loadModelsS, index_s: indexS, eval_s: (performance.now() - tEval0) / 1000 }),
        sql: { ...baseConfig.sql, worker_restarts: sql.restarts },
        wall_time_s: Math.round(wall * 10) / 10,
      },
    });
  };

  let runs: EvalRun[];
  try {
    runs = await runEval(svc, {
      items,
      ks: o.ks,
      corpus,
      format,
      textMode,
      done,
      signal,
      link: o.prune,
      onProgress: progress,
      ...(o.candidates
        ? {
            vote: {
              candidates: o.candidates,
              repair: o.repair,
              greedy: o.voteGreedy,
              budgetMs: o.voteBudgetMs,
              notSureBelow: o.notSureBelow,
              temperature: o.temperature,
              topP: o.topP,
              seed: o.seed,
              instant: true,
            },
          }
        : {}),
      onExample: (k, e) => {
        partial.get(k)!.push(e);
        if (performance.now() - lastSave > 20_000) {
          lastSave = performance.now();
          saveProgress(true);
        }
      },
    });
  } catch (e) {
    if (isCancelled(e)) {
      saveProgress(true);
      io.err(`[eval] cancelled${o.out ? `; partial results in ${o.out} (continue with --resume)` : ''}`);
      sql.dispose();
      throw e instanceof CancelledError ? e : new CancelledError('evaluation');
    }
    sql.dispose();
    throw e;
  }
  sql.dispose();
  for (const r of runs) if (r.k > 0) r.retriever = o.retriever;
  const evalS = (performance.now() - tEval0) / 1000;
  const wall = (performance.now() - tStart) / 1000;
  const report: EvalReport = {
    runs,
    config: {
      ...baseConfig,
      timing: roundAll({ load_models_s: loadModelsS, index_s: indexS, eval_s: evalS }),
      sql: { ...baseConfig.sql, worker_restarts: sql.restarts },
      wall_time_s: Math.round(wall * 10) / 10,
    },
  };
  const saved = o.out ? saveResult(o.out, JSON.stringify(report, null, 2) + '\n', 'coderag-eval') : null;
  io.log(formatEvalTable(runs));
  for (const r of runs)
    if (r.vote) io.log(`\nk=${r.k} voting (${o.candidates} candidates):\n${formatVoteSummary(r.vote)}`);
  io.log(
    `\n${items.length} questions (${dataset.name}), generator ${generator!.id}${gDtype ? ` (${gDtype})` : ''}, embedder ${eSpec.id} (${eDtype}), text mode ${textMode}, retriever ${o.retriever}` +
      `${corpus ? `, corpus ${corpus.name}` : ''}\nwall time ${fmtDuration(wall)} (models ${loadModelsS.toFixed(1)} s, index ${indexS.toFixed(1)} s, eval ${evalS.toFixed(1)} s)` +
      `${sql.restarts ? `; ${sql.restarts} SQL worker restarts after hard timeouts` : ''}${saved ? `; JSON: ${saved.path}` : ''}`,
  );
  reportSaved(saved, o.out, io);
  return report;
}

/** After the tables: when --out could not be written, say where the report went, and fail the run (exit 1). */
function reportSaved(saved: SavedResult | null, out: string | undefined, io: CliIO): void {
  if (!saved?.fallbackReason) return;
  io.err(`[eval] ${savedNote('the report', out!, saved)}`);
  throw new Error(`--out ${out} could not be written; the report is in ${saved.path}`);
}

/** Save partial results while running; a failure is reported once and never stops the run. */
let partialWarned = false;
function trySavePartial(file: string, io: CliIO, value: unknown): void {
  try {
    writeAtomic(file, JSON.stringify(value, null, 2) + '\n');
  } catch (e) {
    if (!partialWarned) io.err(`[eval] cannot save partial results to ${file} (${errorMessage(e)}); the run goes on`);
    partialWarned = true;
  }
}

/**
 * Entry point for scripts/eval.ts: Ctrl-C cancels cleanly (partial results saved). Returns the exit
 * status: 0 done, 1 failed, 2 a bad command line (usage printed), 130 cancelled.
 */
export async function main(argv = process.argv.slice(2), io: CliIO = processIO): Promise<number> {
  const ac = new AbortController();
  let interrupts = 0;
  const onInt = () => {
    if (++interrupts > 1) process.exit(130);
    process.stderr.write('\n[eval] stopping after the current question (Ctrl-C again to quit now)\n');
    ac.abort();
  };
  process.on('SIGINT', onInt);
  try {
    // `--code DIR` evaluates retrieval over a code & docs collection (src/node/code/eval.ts)
    if (argv.includes('--code') || argv.some((a) => a.startsWith('--code=')))
      return await runCli('eval', CODE_EVAL_USAGE, () => runCodeEval(argv, io, ac.signal), io, isCancelled);
    return await runCli('eval', EVAL_USAGE, () => runEvalCli(argv, io, ac.signal), io, isCancelled);
  } finally {
    process.off('SIGINT', onInt);
  }
}
