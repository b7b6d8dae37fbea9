/** User settings, persisted in localStorage, each field typed by its union and checked on reading. */
import { DEFAULT_CODE_THRESHOLD } from '../lib/code/search.ts';
import { DEFAULT_TEXT_MODE, type TextMode } from '../lib/rag/doc-text.ts';
import type { IndexSetting } from '../lib/index/choose.ts';
import { CPU_GENERATORS, EMBEDDERS, RERANKERS, WEBLLM_MODELS, type Dtype } from '../lib/config.ts';
import { parseRetriever, type RetrieverName } from '../lib/retrieve/strategies.ts';

export type ModelSource = 'auto' | 'hub' | 'local';
export type EmbedDevice = 'auto' | 'webgpu' | 'wasm';
export type Engine = 'auto' | 'webllm' | 'cpu' | 'instant';

export interface Settings {
  /** 'auto': local models when the site serves ./models/index.json, else the Hub. */
  modelSource: ModelSource;
  localBase: string;
  /** '' = pick from what is available. */
  embedderId: string;
  /** The documents' dtype (what an index records); '' = the model's default. */
  embedDtype: Dtype | '';
  /** The questions' dtype; '' = the documents'. Another one is not another index (issue 17). */
  queryDtype: Dtype | '';
  /** Questions through the distilled fast query encoder (off until measured on the corpus). */
  fastQueryOn: boolean;
  embedDevice: EmbedDevice;
  indexKind: IndexSetting;
  textMode: TextMode;
  /** Example-selection strategy (src/lib/retrieve/strategies.ts). */
  retriever: RetrieverName;
  /** Apply the trained query adapter (when one exists for the embedder). */
  adapterOn: boolean;
  engine: Engine;
  webllmFamily: string;
  cpuModelId: string;
  cpuDtype: Dtype | '';
  k: number;
  timeoutMs: number;
  maxNewTokens: number;
  /** Models larger than this (MB) are only downloaded after the user confirms. */
  autoDownloadMB: number;
  /**
   * Code & docs: below this coverage of the question's distinctive words by the best sources
   * (0..1) the app says "I don't know" instead of answering (calibrated in docs/code-docs.md).
   */
  codeThreshold: number;
  /** Code & docs: largest chunk in tokens (the embedder reads the first of them: the header and the start). */
  codeChunkTokens: number;
  /**
   * Code & docs: the cross-encoder that reranks the fused sources (a RERANKERS id, downloaded on
   * first use), or '' for MMR (the default).
   */
  codeReranker: string;
  /** Model candidates voted per question (greedy + samples); 0 = the engine's default (DEFAULT_CANDIDATES). */
  candidates: number;
  /** One repair round when every candidate fails (models that follow instructions). */
  repair: boolean;
  /** Time budget for the extra candidates of one question, ms. */
  voteBudgetMs: number;
  /** Below this confidence (0..1) the answer is shown as "not sure", with its alternatives. */
  notSureBelow: number;
}

export const DEFAULT_SETTINGS: Settings = {
  modelSource: 'auto',
  localBase: './models/',
  embedderId: '',
  embedDtype: '',
  queryDtype: '',
  fastQueryOn: false,
  embedDevice: 'auto',
  // Measured fastest with recall@10 = 1.00 (docs/benchmarks.md): int8 scan + exact re-rank.
  indexKind: 'auto',
  textMode: DEFAULT_TEXT_MODE,
  retriever: 'vote',
  adapterOn: true,
  engine: 'auto',
  webllmFamily: 'mistral-7b-instruct',
  cpuModelId: '',
  cpuDtype: '',
  k: 3,
  timeoutMs: 5000,
  maxNewTokens: 128,
  autoDownloadMB: 100,
  codeThreshold: DEFAULT_CODE_THRESHOLD,
  codeChunkTokens: 512,
  codeReranker: '',
  candidates: 0,
  repair: true,
  voteBudgetMs: 30_000,
  notSureBelow: 0.5,
};

/** Every member of a union, listed through a record so that a member missing here fails to compile. */
function members<T extends string>(all: Record<T, true>): readonly T[] {
  return Object.keys(all) as T[];
}
const DTYPES = members<Dtype | ''>({ '': true, fp32: true, fp16: true, q8: true, q4: true, q4f16: true });

type Check<T> = (value: unknown) => value is T;
const oneOf =
  <T extends string>(choices: readonly T[]): Check<T> =>
  (v): v is T =>
    typeof v === 'string' && (choices as readonly string[]).includes(v);
const isString: Check<string> = (v): v is string => typeof v === 'string';
const isBoolean: Check<boolean> = (v): v is boolean => typeof v === 'boolean';
const isCount: Check<number> = (v): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isPositive: Check<number> = (v): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;
const isRetriever: Check<RetrieverName> = (v): v is RetrieverName => {
  if (typeof v !== 'string') return false;
  try {
    parseRetriever(v);
    return true;
  } catch {
    return false;
  }
};
/** '' (pick from what is available) or an id of the model registry. */
const idOrEmpty = (ids: readonly string[]): Check<string> => oneOf(['', ...ids]);

/** What each setting may hold: a stored or chosen value that fails its check is replaced by the default. */
const CHECKS: { [K in keyof Settings]: Check<Settings[K]> } = {
  modelSource: oneOf(members<ModelSource>({ auto: true, hub: true, local: true })),
  localBase: isString,
  embedderId: idOrEmpty(EMBEDDERS.map((e) => e.id)),
  embedDtype: oneOf(DTYPES),
  queryDtype: oneOf(DTYPES),
  fastQueryOn: isBoolean,
  embedDevice: oneOf(members<EmbedDevice>({ auto: true, webgpu: true, wasm: true })),
  indexKind: oneOf(members<IndexSetting>({ auto: true, int8: true, flat: true, voy: true, ivf: true })),
  textMode: oneOf(
    members<TextMode>({ question: true, 'schema+sql': true, 'question+sql': true, mix: true, 'masked-question': true }),
  ),
  retriever: isRetriever,
  adapterOn: isBoolean,
  engine: oneOf(members<Engine>({ auto: true, webllm: true, cpu: true, instant: true })),
  webllmFamily: oneOf(WEBLLM_MODELS.map((m) => m.family)),
  cpuModelId: idOrEmpty(CPU_GENERATORS.map((g) => g.id)),
  cpuDtype: oneOf(DTYPES),
  k: isCount,
  timeoutMs: isPositive,
  maxNewTokens: (v): v is number => isCount(v) && v > 0,
  autoDownloadMB: (v): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0,
  codeThreshold: (v): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1,
  codeChunkTokens: (v): v is number => isCount(v) && v >= 32 && v <= 8192,
  codeReranker: idOrEmpty(RERANKERS.map((r) => r.id)),
  candidates: (v): v is number => isCount(v) && v <= 16,
  repair: isBoolean,
  voteBudgetMs: isPositive,
  notSureBelow: (v): v is number => typeof v === 'number' && v >= 0 && v <= 1,
};

/**
 * A value for one setting, typed by that setting (a `<select>`'s string, say): the value when
 * the setting may hold it, else the setting's default.
 */
export function settingValue<K extends keyof Settings>(key: K, value: unknown): Settings[K] {
  return CHECKS[key](value) ? value : DEFAULT_SETTINGS[key];
}

/** Settings from stored JSON: each known field that holds a valid value, the defaults for the rest. */
export function parseSettings(data: unknown): Settings {
  const out: Settings = { ...DEFAULT_SETTINGS };
  if (!data || typeof data !== 'object') return out;
  const stored = data as Record<string, unknown>;
  const set = <K extends keyof Settings>(key: K) => {
    if (Object.hasOwn(stored, key)) out[key] = settingValue(key, stored[key]);
  };
  for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof Settings)[]) set(key);
  return out;
}

const KEY = 'coderag.settings.v1';

/** Where settings are kept: localStorage in the page, a fake in tests. */
export type SettingsStorage = Pick<Storage, 'getItem' | 'setItem'>;

/** The page's localStorage, or null where there is none (Node). */
export function pageStorage(): SettingsStorage | null {
  return typeof localStorage === 'undefined' ? null : localStorage;
}

export function loadSettings(storage: SettingsStorage | null = pageStorage()): Settings {
  try {
    const raw = storage?.getItem(KEY);
    if (raw) return parseSettings(JSON.parse(raw));
  } catch {
    /* corrupt settings: fall back to defaults */
  }
  return { ...DEFAULT_SETTINGS };
}

export function saveSettings(s: Settings, storage: SettingsStorage | null = pageStorage()): void {
  try {
    storage?.setItem(KEY, JSON.stringify(s));
  } catch {
    /* storage full or disabled: settings stay in memory */
  }
}
