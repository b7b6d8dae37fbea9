/**
 * `npm run eval`: its usage text, the parsing of its command line (`parseEvalArgs`, no file
 * access) and the checks of every path and model id (`checkEvalArgs`), both before any work.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { chooseDefaults, findCpuGenerator, findEmbedder, INSTANT_GENERATOR, type Dtype } from '../../lib/config.ts';
import { errorMessage } from '../../lib/errors.ts';
import { DEFAULT_TEXT_MODE, TEXT_MODES, type TextMode } from '../../lib/rag/doc-text.ts';
import { RETRIEVERS, parseRetriever } from '../../lib/retrieve/strategies.ts';
import { DEFAULT_TIMEOUT_MS } from '../../lib/sql/engine.ts';
import { DTYPES, UsageError, inputDir, inputFile, intArg, oneOf, outputFile, parseStrict } from '../cli/args.ts';
import { DEFAULT_CACHE_DIR } from '../eval-data.ts';
import { localModelsDir, repoRoot } from '../host.ts';

export { UsageError };

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
  --generator ID        CPU generator (default tiny-sql-lm when local), or instant (no model: adapts
                        the retrieved examples to each database)
  --embedder ID         embedder (default universal-sentence-encoder-lite when local)
  --dtype D             dtype of both models (default: each model's own)
  --embedder-dtype D    dtype of the embedder only
  --adapter FILE        query-side adapter JSON (needs src/lib/train/adapter.ts)
  --max-new-tokens N    generation limit (default 128)
  --no-prune            no schema linking for the prompt: the whole schema, cut blindly when it does not
                        fit the generator's context, and no value hints (default: link each question,
                        keep linked tables and their join partners first, show linked values where the
                        prompt format has a place for them)

Voting (greedy vs an execution-checked candidate pool, on the same questions)
  --candidates N        model candidates per question: greedy + N-1 samples (1..16), plus the SQL of
                        same-database retrieved examples and the instant generator's adaptation;
                        reports greedy vs voted EX, exact McNemar p, "not sure" share and cost
  --repair              one repair round (families that follow instructions) when every candidate fails
  --vote-greedy SRC     model (default) | instant: the instant generator gives the greedy answer and
                        its alternates, the model is not asked
  --vote-budget-ms N    time budget per question for the extra candidates (default 30000)
  --not-sure T          confidence below T is "not sure" (default 0.5)
  --temperature T       sampling temperature (default 0.7); --top-p P (default 0.95)

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
  /** 'dense' = plain embed + search; anything else is an app strategy (src/lib/retrieve/). */
  retriever: string;
  models: string | null;
  generator?: string;
  embedder?: string;
  dtype?: Dtype;
  embedderDtype?: Dtype;
  adapter?: string;
  maxNewTokens: number;
  timeoutMs: number;
  /** Voting: absent = greedy only. */
  candidates?: number;
  repair: boolean;
  voteGreedy: 'model' | 'instant';
  voteBudgetMs: number;
  notSureBelow: number;
  temperature: number;
  topP: number;
  out?: string;
  resume: boolean;
  cache: boolean;
  /** Link questions for the prompt (schema pruning, value hints); false with --no-prune. */
  prune: boolean;
  quiet: boolean;
  help: boolean;
}

function positiveInt(name: string, v: string | undefined): number | undefined {
  return intArg(name, v, 1);
}

/** A number in 0..max (default `dflt`). */
function unitArg(name: string, v: string | undefined, dflt: number, max = 1): number {
  if (v === undefined) return dflt;
  const x = Number(v);
  if (!Number.isFinite(x) || x < 0 || x > max)
    throw new UsageError(`--${name} takes a number in 0..${max} (got "${v}")`);
  return x;
}

function dtypeArg(name: string, v: string | undefined): Dtype | undefined {
  return v === undefined ? undefined : oneOf(name, v, DTYPES);
}

/** Parse command-line arguments (without the node and script paths). Throws with a readable message. */
export function parseEvalArgs(argv: string[]): EvalCliOptions {
  const values = parseStrict(argv, {
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
    candidates: { type: 'string' },
    repair: { type: 'boolean' },
    'vote-greedy': { type: 'string' },
    'vote-budget-ms': { type: 'string' },
    'not-sure': { type: 'string' },
    temperature: { type: 'string' },
    'top-p': { type: 'string' },
    out: { type: 'string' },
    resume: { type: 'boolean' },
    'no-cache': { type: 'boolean' },
    'no-prune': { type: 'boolean' },
    quiet: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
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
    candidates: positiveInt('candidates', values.candidates),
    repair: values.repair ?? false,
    voteGreedy: oneOf('vote-greedy', values['vote-greedy'] ?? 'model', ['model', 'instant'] as const),
    voteBudgetMs: positiveInt('vote-budget-ms', values['vote-budget-ms']) ?? 30_000,
    notSureBelow: unitArg('not-sure', values['not-sure'], 0.5),
    temperature: unitArg('temperature', values.temperature, 0.7, 2),
    topP: unitArg('top-p', values['top-p'], 0.95),
    out: values.out,
    resume: values.resume ?? false,
    cache: !(values['no-cache'] ?? false),
    prune: !(values['no-prune'] ?? false),
    quiet: values.quiet ?? false,
    help: values.help ?? false,
  };
  if (opts.candidates !== undefined && opts.candidates > 16) throw new UsageError('--candidates takes 1..16');
  if (opts.candidates === undefined && (opts.repair || values['vote-greedy'] !== undefined))
    throw new UsageError('--repair and --vote-greedy need --candidates N');
  if (!opts.help && !opts.spider && !opts.gretel) throw new UsageError('give --spider DIR (or --gretel FILE)');
  if (opts.resume && !opts.out) throw new UsageError('--resume needs --out FILE (the run to continue)');
  if (retrievalOnly && !ks.some((k) => k > 0)) throw new UsageError('--retrieval-only needs a k > 0 in --k');
  return opts;
}

function localModels(dir: string | null): string[] {
  if (!dir || !existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name);
}

/**
 * Check everything the run will need before it starts (files, folders, --out, the model ids and
 * dtypes against the registry), so that a bad invocation fails in milliseconds with the usage
 * text instead of after minutes of embedding. Throws UsageError.
 */
export function checkEvalArgs(o: EvalCliOptions): void {
  if (o.help) return;
  if (o.spider) {
    inputDir('--spider', o.spider);
    if (!o.gretel) inputFile('--spider', path.join(o.spider, 'dev.json'));
  }
  if (o.gretel) inputFile('--gretel', o.gretel);
  if (o.corpus) inputFile('--corpus', o.corpus);
  else if (o.spider && o.ks.some((k) => k > 0))
    inputFile('--spider (the default corpus)', path.join(o.spider, 'train', 'train_queries.spiderman.csv'));
  if (o.adapter) inputFile('--adapter', o.adapter);
  if (o.models) inputDir('--models', o.models);
  if (o.out) outputFile('--out', o.out);

  const modelsDir = o.models ? path.resolve(o.models) : localModelsDir();
  const defaults = chooseDefaults(localModels(modelsDir));
  const eSpec = findEmbedder(o.embedder ?? defaults.embedder);
  if (!eSpec) throw new UsageError(`unknown --embedder "${o.embedder}" (see src/lib/config.ts EMBEDDERS)`);
  const eDtype = o.embedderDtype ?? o.dtype ?? eSpec.defaultDtype;
  if (!eSpec.dtypes.includes(eDtype))
    throw new UsageError(`embedder ${eSpec.id} has no dtype ${eDtype} (${eSpec.dtypes.join(', ')})`);
  if (o.retrievalOnly) return;
  const generatorId = o.generator ?? defaults.cpuGenerator;
  if (generatorId === INSTANT_GENERATOR.id) return; // no model, no dtype
  const gSpec = findCpuGenerator(generatorId);
  if (!gSpec)
    throw new UsageError(
      `unknown --generator "${generatorId}" (Node runs the CPU generators and ${INSTANT_GENERATOR.id} only)`,
    );
  const gDtype = o.dtype ?? gSpec.defaultDtype;
  if (!gSpec.dtypes.includes(gDtype))
    throw new UsageError(`generator ${gSpec.id} has no dtype ${gDtype} (${gSpec.dtypes.join(', ')})`);
}
