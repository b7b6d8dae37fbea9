/**
 * `npm run eval`: evaluate retrieval-augmented text-to-SQL from the shell, with the same core code
 * as the browser (src/lib/eval/runner.ts driving rag/pipeline.ts `ask()`), real models through
 * transformers.js (src/node/host.ts), and sql.js in a worker thread with a hard timeout.
 *
 * See docs/evaluation.md for the protocol and the JSON written by `--out`.
 */
import { existsSync, readFileSync, readdirSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { chooseDefaults, findCpuGenerator, findEmbedder, type Dtype } from '../lib/config.ts';
import type { Corpus, ProgressFn, TableInfo } from '../lib/types.ts';
import { FlatIndex } from '../lib/index/flat.ts';
import type { IndexRecord } from '../lib/index/store.ts';
import { indexCorpus } from '../lib/rag/pipeline.ts';
import { DEFAULT_TEXT_MODE, TEXT_MODES, type TextMode } from '../lib/rag/doc-text.ts';
import { DEFAULT_MAX_ROWS, DEFAULT_TIMEOUT_MS } from '../lib/sql/engine.ts';
import {
  RETRIEVERS,
  Retrieval,
  needsMaskedIndex,
  parseRetriever,
  type RetrieverName,
} from '../lib/retrieve/strategies.ts';
import { searchOver } from '../lib/index/search.ts';
import { loadAdapterJson, withQueryAdapter, type AdapterMeta, type LinearAdapter } from '../lib/train/adapter.ts';
import type { Embedder, VectorSearch } from '../lib/services.ts';
import { sampleIndices } from '../lib/eval/stats.ts';
import { corpusHash } from '../lib/corpus/hash.ts';
import { runEval, runRetrievalEval, type EvalItem, type EvalServices } from '../lib/eval/runner.ts';
import {
  formatEvalTable,
  formatRetrievalTable,
  summarizeRun,
  type EvalExample,
  type EvalRun,
  type RetrievalRun,
} from '../lib/eval/report.ts';
import { CancelledError, errorMessage, isCancelled } from '../lib/errors.ts';
import { localModelsDir, repoRoot, transformers } from './host.ts';
import { createNodeServices } from './services.ts';
import {
  DEFAULT_CACHE_DIR,
  corpusIdPrefix,
  loadCorpus,
  loadGretelDataset,
  loadSpiderDev,
  readVectors,
  spiderTables,
  writeVectors,
  type EvalDataset,
  type LoadedCorpus,
} from './eval-data.ts';

export const EVAL_USAGE = `Usage: npm run eval -- --spider DIR [options]

Evaluates text-to-SQL with and without retrieved examples (EX, EM, skeleton match, retrieval
skeleton hits; 95% Wilson intervals). See docs/evaluation.md.

Data
  --spider DIR          Spider layout: dev.json, tables.json, database/<db>/<db>.sqlite
  --gretel FILE         evaluate the questions of a gretel-format file instead; each question runs
                        on the database its own sql_context builds
  --corpus FILE         retrieval corpus: any file the app loads (default DIR/train/train_queries.spiderman.csv;
                        with --gretel and no --spider, the gretel file itself). A question is never
                        retrieved for itself.
  --limit N             evaluate N questions sampled with --seed (default: all)
  --seed S              sampling and bootstrap seed (default 1)

Runs
  --k LIST              few-shot counts, comma-separated (default 0,3)
  --text-mode MODES     question | schema+sql | question+sql | mix (default ${DEFAULT_TEXT_MODE});
                        a comma list with --retrieval-only
  --retrieval-only      no generation: skeleton top-1/top-k, MRR, nDCG, Recall per text mode (fast)
  --retriever NAME      dense (default: embed the question, nearest examples, as in CodeRAG) or an app
                        strategy: ${RETRIEVERS.join(', ')} (optionally +mmr)

Models
  --models DIR          local model base (default ../shared/models when present, else the Hub)
  --generator ID        CPU generator (default tiny-sql-lm when local)
  --embedder ID         embedder (default universal-sentence-encoder-lite when local)
  --dtype D             dtype of both models (default: each model's own)
  --embedder-dtype D    dtype of the embedder only
  --adapter FILE        query-side adapter JSON (needs src/lib/train/adapter.ts)
  --max-new-tokens N    generation limit (default 128)

Execution
  --timeout-ms N        per-query limit; a query still running 250 ms later is killed (default ${DEFAULT_TIMEOUT_MS})

Output
  --out FILE            write the JSON report (also saved as it goes, so --resume can continue)
  --resume              continue the run saved in --out (same settings), skipping scored questions
  --no-cache            do not read or write cached corpus vectors (${path.relative(repoRoot, DEFAULT_CACHE_DIR)})
  --quiet               no progress lines
  --help
`;

export interface EvalCliOptions {
  spider?: string;
  gretel?: string;
  corpus?: string;
  limit?: number;
  seed: number;
  ks: number[];
  textModes: TextMode[];
  retrievalOnly: boolean;
  /** A strategy of src/lib/retrieve/ ('dense' = embed the question, nearest examples). */
  retriever: string;
  models: string | null;
  generator?: string;
  embedder?: string;
  dtype?: Dtype;
  embedderDtype?: Dtype;
  adapter?: string;
  maxNewTokens: number;
  timeoutMs: number;
  out?: string;
  resume: boolean;
  cache: boolean;
  quiet: boolean;
  help: boolean;
}

const DTYPES: Dtype[] = ['fp32', 'fp16', 'q8', 'q4', 'q4f16'];

/** A bad command line (the usage text is printed after it). */
export class UsageError extends Error {
  override name = 'UsageError';
}

function positiveInt(name: string, v: string | undefined, min = 1): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min} (got "${v}")`);
  return n;
}

function dtypeArg(name: string, v: string | undefined): Dtype | undefined {
  if (v === undefined) return undefined;
  if (!DTYPES.includes(v as Dtype)) throw new UsageError(`--${name} must be one of ${DTYPES.join(', ')} (got "${v}")`);
  return v as Dtype;
}

/** Parse command-line arguments (without the node and script paths). Throws with a readable message. */
export function parseEvalArgs(argv: string[]): EvalCliOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      spider: { type: 'string' },
      gretel: { type: 'string' },
      corpus: { type: 'string' },
      limit: { type: 'string' },
      seed: { type: 'string' },
      k: { type: 'string' },
      'text-mode': { type: 'string' },
      'retrieval-only': { type: 'boolean' },
      retriever: { type: 'string' },
      models: { type: 'string' },
      generator: { type: 'string' },
      embedder: { type: 'string' },
      dtype: { type: 'string' },
      'embedder-dtype': { type: 'string' },
      adapter: { type: 'string' },
      'max-new-tokens': { type: 'string' },
      'timeout-ms': { type: 'string' },
      out: { type: 'string' },
      resume: { type: 'boolean' },
      'no-cache': { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const ks = (values.k ?? '0,3')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const n = Number(s);
      if (!Number.isInteger(n) || n < 0 || n > 20)
        throw new UsageError(`--k takes integers 0..20 separated by commas (got "${values.k}")`);
      return n;
    });
  if (!ks.length) throw new UsageError('--k needs at least one value');
  const modes = (values['text-mode'] ?? DEFAULT_TEXT_MODE)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const known = TEXT_MODES.map((m) => m.id) as string[];
  for (const m of modes)
    if (!known.includes(m)) throw new UsageError(`unknown --text-mode "${m}" (one of ${known.join(', ')})`);
  const retrievalOnly = values['retrieval-only'] ?? false;
  if (!retrievalOnly && modes.length > 1)
    throw new UsageError('several --text-mode values need --retrieval-only (a generation run uses one)');
  const retriever = values.retriever ?? 'dense';
  try {
    parseRetriever(retriever);
  } catch (e) {
    throw new UsageError(errorMessage(e));
  }
  const seedRaw = values.seed ?? '1';
  const seed = Number(seedRaw);
  if (!Number.isInteger(seed)) throw new UsageError(`--seed must be an integer (got "${seedRaw}")`);
  const opts: EvalCliOptions = {
    spider: values.spider,
    gretel: values.gretel,
    corpus: values.corpus,
    limit: positiveInt('limit', values.limit),
    seed,
    ks: [...new Set(ks)],
    textModes: [...new Set(modes)] as TextMode[],
    retrievalOnly,
    retriever,
    models: values.models ?? null,
    generator: values.generator,
    embedder: values.embedder,
    dtype: dtypeArg('dtype', values.dtype),
    embedderDtype: dtypeArg('embedder-dtype', values['embedder-dtype']),
    adapter: values.adapter,
    maxNewTokens: positiveInt('max-new-tokens', values['max-new-tokens']) ?? 128,
    timeoutMs: positiveInt('timeout-ms', values['timeout-ms']) ?? DEFAULT_TIMEOUT_MS,
    out: values.out,
    resume: values.resume ?? false,
    cache: !(values['no-cache'] ?? false),
    quiet: values.quiet ?? false,
    help: values.help ?? false,
  };
  if (!opts.help && !opts.spider && !opts.gretel) throw new UsageError('give --spider DIR (or --gretel FILE)');
  if (opts.resume && !opts.out) throw new UsageError('--resume needs --out FILE (the run to continue)');
  if (retrievalOnly && !ks.some((k) => k > 0)) throw new UsageError('--retrieval-only needs a k > 0 in --k');
  return opts;
}

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

// ---------------------------------------------------------------------------------------------
// Helpers

export interface CliIO {
  /** Results (tables). */
  log(line: string): void;
  /** Progress and notes. */
  err(line: string): void;
}

const defaultIO: CliIO = {
  log: (l) => process.stdout.write(l + '\n'),
  err: (l) => process.stderr.write(l + '\n'),
};

function machine() {
  const cpus = os.cpus();
  return {
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu_model: cpus[0]?.model?.trim() ?? 'unknown',
    cpus: cpus.length,
    memory_gb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  };
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
}

function writeJsonAtomic(file: string, value: unknown): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  renameSync(tmp, file);
}

function fmtDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  const m = Math.floor(s / 60);
  return m < 60
    ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Progress lines at most every few seconds, with rate and ETA. */
function progressPrinter(io: CliIO, quiet: boolean, everyMs = 5000): ProgressFn {
  let last = 0;
  let phase = '';
  let t0 = performance.now();
  let startDone = 0;
  return (p) => {
    if (quiet) return;
    const now = performance.now();
    if (p.phase !== phase) {
      phase = p.phase;
      t0 = now;
      startDone = p.done;
      last = 0;
    }
    const final = p.total > 0 && p.done >= p.total;
    if (!final && now - last < everyMs) return;
    last = now;
    const el = (now - t0) / 1000;
    const rate = el > 0 ? (p.done - startDone) / el : 0;
    const eta = rate > 0 && p.total ? (p.total - p.done) / rate : NaN;
    const pct = p.total ? ` (${((100 * p.done) / p.total).toFixed(0)}%)` : '';
    const speed = el >= 1 ? `, ${rate.toFixed(1)}/s` : '';
    io.err(
      `[eval] ${p.phase}: ${p.done}/${p.total}${pct}${speed}, elapsed ${fmtDuration(el)}${final ? '' : `, ETA ${fmtDuration(eta)}`}${p.detail && !final ? ` - ${p.detail}` : ''}`,
    );
  };
}

function listLocalModels(dir: string | null): string[] {
  if (!dir || !existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name);
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

export interface EvalReport {
  runs: (EvalRun | RetrievalRun)[];
  config: Record<string, unknown>;
}

/**
 * Run the CLI. Returns the report (also written to `--out`). Throws CancelledError when `signal`
 * aborts, after saving what was scored so far to `--out` (continue with `--resume`).
 */
export async function runEvalCli(
  argv: string[],
  io: CliIO = defaultIO,
  signal?: AbortSignal,
): Promise<EvalReport | null> {
  const o = parseEvalArgs(argv);
  if (o.help) {
    io.log(EVAL_USAGE);
    return null;
  }
  const tStart = performance.now();
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
  const gSpec = generatorId ? findCpuGenerator(generatorId) : undefined;
  if (generatorId && !gSpec)
    throw new Error(`unknown --generator "${generatorId}" (Node runs the CPU generators only)`);
  const eDtype = o.embedderDtype ?? o.dtype ?? eSpec.defaultDtype;
  const gDtype = gSpec ? (o.dtype ?? gSpec.defaultDtype) : undefined;
  if (!eSpec.dtypes.includes(eDtype))
    throw new Error(`embedder ${eSpec.id} has no dtype ${eDtype} (${eSpec.dtypes.join(', ')})`);
  if (gSpec && gDtype && !gSpec.dtypes.includes(gDtype))
    throw new Error(`generator ${gSpec.id} has no dtype ${gDtype} (${gSpec.dtypes.join(', ')})`);
  const adapter = o.adapter
    ? await loadQueryAdapter(o.adapter, { expectDim: eSpec.dim, expectEmbedderId: eSpec.id })
    : null;

  // ---- data
  const tSpider = o.spider ? spiderTables(o.spider) : null;
  let dataset: EvalDataset;
  let gretelCorpus: LoadedCorpus | null = null;
  if (o.gretel) {
    const g = await loadGretelDataset(o.gretel);
    dataset = g.dataset;
    gretelCorpus = {
      corpus: { hash: '', name: path.basename(o.gretel), examples: g.examples },
      path: path.resolve(o.gretel),
      format: g.format,
      issues: 0,
    };
  } else {
    dataset = loadSpiderDev(o.spider!);
  }
  const allItems = dataset.items;
  const items: EvalItem[] = o.limit
    ? sampleIndices(allItems.length, o.limit, o.seed).map((i) => allItems[i])
    : allItems;
  if (!items.length) throw new Error(`${dataset.name}: no questions to evaluate`);

  const needCorpus = o.ks.some((k) => k > 0);
  let loaded: LoadedCorpus | null = null;
  if (needCorpus) {
    const corpusFile = o.corpus ?? (o.spider ? path.join(o.spider, 'train', 'train_queries.spiderman.csv') : null);
    if (corpusFile) loaded = await loadCorpus(corpusFile, tSpider?.json, corpusIdPrefix(corpusFile));
    else if (gretelCorpus) {
      gretelCorpus.corpus.hash = corpusHash(gretelCorpus.corpus.examples);
      gretelCorpus.corpus.name = `${gretelCorpus.corpus.name} (${gretelCorpus.corpus.examples.length})`;
      loaded = gretelCorpus;
    }
  }
  const corpus = loaded?.corpus ?? null;

  const tLoad0 = performance.now();
  io.err(
    `[eval] ${dataset.name}: ${items.length} of ${allItems.length} questions${o.limit ? ` (seed ${o.seed})` : ''}`,
  );
  if (corpus) io.err(`[eval] corpus ${corpus.name} from ${loaded!.path}`);
  io.err(
    `[eval] models from ${modelsDir ?? 'the Hugging Face Hub'}: embedder ${eSpec.id} (${eDtype})${gSpec ? `, generator ${gSpec.id} (${gDtype})` : ''}`,
  );
  // One services object (src/node/services.ts): the embedder only when retrieving, the generator
  // only when generating, sql.js in a worker thread with the hard timeout.
  const services = await createNodeServices({
    embedderId: needCorpus ? eSpec.id : null,
    embedderDtype: eDtype,
    generatorId: gSpec?.id,
    generatorDtype: gDtype,
    sqlTimeoutMs: o.timeoutMs,
  });
  const { embedder, generator } = services;
  const loadModelsS = (performance.now() - tLoad0) / 1000;

  const baseConfig = {
    mode: o.retrievalOnly ? 'retrieval-only' : 'generate',
    data: {
      name: dataset.name,
      spider: o.spider ? path.resolve(o.spider) : null,
      gretel: o.gretel ? path.resolve(o.gretel) : null,
      questions_total: allItems.length,
      questions: items.length,
      issues: dataset.issues,
    },
    models: {
      base: modelsDir,
      embedder: needCorpus ? { id: eSpec.id, dtype: eDtype, dim: eSpec.dim } : null,
      generator: gSpec
        ? { id: gSpec.id, dtype: gDtype, format: gSpec.format, context_tokens: gSpec.contextTokens }
        : null,
    },
    dtype: o.dtype ?? null,
    corpus: loaded
      ? {
          path: loaded.path,
          format: loaded.format,
          name: loaded.corpus.name,
          size: loaded.corpus.examples.length,
          hash: loaded.corpus.hash,
          issues: loaded.issues,
        }
      : null,
    text_mode: o.retrievalOnly ? o.textModes : o.textModes[0],
    retriever: o.retriever,
    ks: o.ks,
    seed: o.seed,
    limit: o.limit ?? null,
    max_new_tokens: o.maxNewTokens,
    adapter: o.adapter ? { path: path.resolve(o.adapter), meta: adapterMeta(adapter?.meta) } : null,
    self_exclusion:
      'corpus rows with the same id, or the same question and normalised SQL, are never retrieved for a question',
    sql: {
      timeout_ms: o.timeoutMs,
      hard_timeout_ms: o.timeoutMs + 250,
      max_rows: DEFAULT_MAX_ROWS,
      engine: 'sql.js in a worker thread, terminated and respawned past the hard timeout',
    },
    intervals: 'Wilson score 95% for rates; percentile bootstrap 95% (1000 resamples, --seed) for MRR/nDCG/Recall',
    machine: machine(),
    commit: gitCommit(),
    date: new Date().toISOString(),
  };

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
  const retrieverOver = (index: VectorSearch) =>
    new Retrieval({
      corpus: corpus!,
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
    if (o.out) writeJsonAtomic(o.out, report);
    io.log(formatRetrievalTable(runs));
    io.log(
      `\n${items.length} questions, corpus ${corpus!.name}, embedder ${eSpec.id} (${eDtype}), retriever ${o.retriever}; wall time ${fmtDuration(wall)}${o.out ? `; JSON: ${o.out}` : ''}`,
    );
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

  // Resume: examples already scored by the same configuration.
  const done: { k: number; examples: EvalExample[] }[] = [];
  if (o.resume && o.out && existsSync(o.out)) {
    const prev = JSON.parse(readFileSync(o.out, 'utf8')) as EvalReport;
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    const pc = prev.config as typeof baseConfig;
    const mismatch: string[] = (['seed', 'limit', 'max_new_tokens', 'adapter'] as const).filter(
      (key) => !same(pc?.[key], baseConfig[key]),
    );
    if (!same(pc?.data?.spider, baseConfig.data.spider) || !same(pc?.data?.gretel, baseConfig.data.gretel))
      mismatch.push('data');
    if (!same(pc?.models?.generator, baseConfig.models.generator)) mismatch.push('generator');
    // Retrieval settings only matter when both runs retrieve (a k = 0 run may gain a k = 3 run).
    if (pc?.models?.embedder && baseConfig.models.embedder) {
      if (!same(pc.models.embedder, baseConfig.models.embedder)) mismatch.push('embedder');
      if (!same(pc.corpus, baseConfig.corpus)) mismatch.push('corpus');
      if (!same(pc.text_mode, baseConfig.text_mode)) mismatch.push('text_mode');
      if (!same(pc.retriever ?? 'dense', baseConfig.retriever)) mismatch.push('retriever');
    }
    if (mismatch.length)
      throw new Error(
        `--resume: ${o.out} was written with different settings (${mismatch.join(', ')}); use another --out or the same settings`,
      );
    for (const r of prev.runs as EvalRun[]) done.push({ k: r.k, examples: r.examples });
    io.err(`[eval] resuming: ${done.reduce((s, d) => s + d.examples.length, 0)} examples already scored`);
  }

  const sql = services.sql;
  const format = generator!.format;
  const svc: EvalServices = {
    retriever,
    buildPrompt: (input) => generator!.buildPrompt(input, o.maxNewTokens),
    generate: (p, onToken, sig) => generator!.generate(p, { onToken, signal: sig, maxNewTokens: o.maxNewTokens }),
    openDb: async (dbId): Promise<{ tables: TableInfo[] }> => {
      const info = await sql.open(dataset.source(dbId));
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
    const r = runs ?? o.ks.map((k) => summarizeRun(k, partial.get(k)!, textMode));
    const wall = (performance.now() - tStart) / 1000;
    writeJsonAtomic(o.out, {
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
      onProgress: progress,
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
  if (o.out) writeJsonAtomic(o.out, report);
  io.log(formatEvalTable(runs));
  io.log(
    `\n${items.length} questions (${dataset.name}), generator ${gSpec!.id} (${gDtype}), embedder ${eSpec.id} (${eDtype}), text mode ${textMode}, retriever ${o.retriever}` +
      `${corpus ? `, corpus ${corpus.name}` : ''}\nwall time ${fmtDuration(wall)} (models ${loadModelsS.toFixed(1)} s, index ${indexS.toFixed(1)} s, eval ${evalS.toFixed(1)} s)` +
      `${sql.restarts ? `; ${sql.restarts} SQL worker restarts after hard timeouts` : ''}${o.out ? `; JSON: ${o.out}` : ''}`,
  );
  return report;
}

/** What identifies an adapter in a report (its metadata without bulky fields). */
function adapterMeta(meta: unknown): unknown {
  if (!meta || typeof meta !== 'object') return null;
  const { embedderId, dim, dataHash, createdAt, bestEpoch, note } = meta as Record<string, unknown>;
  return { embedderId, dim, dataHash, createdAt, bestEpoch, note };
}

function roundAll(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v * 10) / 10]));
}

/** Entry point for scripts/eval.ts: Ctrl-C cancels cleanly (partial results saved), exit codes set. */
export async function main(argv = process.argv.slice(2)): Promise<void> {
  const ac = new AbortController();
  let interrupts = 0;
  process.on('SIGINT', () => {
    if (++interrupts > 1) process.exit(130);
    process.stderr.write('\n[eval] stopping after the current question (Ctrl-C again to quit now)\n');
    ac.abort();
  });
  try {
    await runEvalCli(argv, defaultIO, ac.signal);
    process.exitCode = 0;
  } catch (e) {
    if (isCancelled(e)) {
      process.exitCode = 130;
    } else {
      process.stderr.write(`eval: ${errorMessage(e)}\n`);
      if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
        process.stderr.write('\n' + EVAL_USAGE);
      }
      process.exitCode = 1;
    }
  }
}
