/** `npm run eval`: the `config` part of the JSON report, which also decides whether --resume may continue a run. */
import path from 'node:path';
import { INSTANT_GENERATOR, type CpuGeneratorSpec, type Dtype, type EmbedderSpec } from '../../lib/config.ts';
import { DEFAULT_MAX_ROWS } from '../../lib/sql/engine.ts';
import type { EvalCliOptions } from './args.ts';
import type { EvalInputs } from './inputs.ts';
import { adapterMeta, gitCommit, machine } from './util.ts';

export interface RunModels {
  modelsDir: string | null;
  eSpec: EmbedderSpec;
  eDtype: Dtype;
  gSpec?: CpuGeneratorSpec;
  gDtype?: Dtype;
  /** The generator is the instant generator (no model; src/lib/instant/). */
  instant?: boolean;
  /** The loaded query adapter's metadata, when --adapter. */
  adapterMeta?: unknown;
}

/** What a run was: data, models, corpus, settings, machine, commit, date. */
export function runConfig(o: EvalCliOptions, inputs: EvalInputs, m: RunModels) {
  const { dataset, allItems, items, needCorpus, loaded } = inputs;
  const { modelsDir, eSpec, eDtype, gSpec, gDtype } = m;
  return {
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
        : m.instant
          ? { id: INSTANT_GENERATOR.id, dtype: null, format: INSTANT_GENERATOR.format, context_tokens: null }
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
    prune: o.prune,
    ...(o.candidates
      ? {
          vote: {
            candidates: o.candidates,
            repair: o.repair,
            greedy: o.voteGreedy,
            budget_ms: o.voteBudgetMs,
            not_sure_below: o.notSureBelow,
            temperature: o.temperature,
            top_p: o.topP,
            instant: true,
            examples: true,
          },
        }
      : {}),
    adapter: o.adapter ? { path: path.resolve(o.adapter), meta: adapterMeta(m.adapterMeta) } : null,
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
}

export type RunConfig = ReturnType<typeof runConfig>;
