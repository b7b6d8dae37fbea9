/**
 * One configuration object for the whole core, in the spirit of transformers.js `env`:
 * where models come from, and which backend runs them.
 *
 * - Real users load models from the Hugging Face Hub (the default).
 * - Offline use, tests and benchmarks point `localModelBase` at a folder or URL that holds
 *   models in the transformers.js layout (`<base>/<model id>/config.json`, `onnx/…`) and turn
 *   remote loading off. The same loader code runs either way.
 */
import type { env as TransformersEnv } from '@huggingface/transformers';

export type Device = 'webgpu' | 'wasm' | 'cpu';
export type Dtype = 'fp32' | 'fp16' | 'q8' | 'q4' | 'q4f16';

export interface CoreConfig {
  /** Base URL (browser) or folder path (Node) of local models; null = none. */
  localModelBase: string | null;
  /** Whether models may be fetched from the Hugging Face Hub. */
  allowRemoteModels: boolean;
  /** Hub mirror (transformers.js `env.remoteHost`); the default is the Hub itself. */
  remoteHost?: string;
  /** ORT WASM threads; 0 = let the host decide (2 when cross-origin isolated, else 1). */
  numThreads: number;
  /** Bundled ORT wasm files, so that nothing is fetched from a CDN. */
  wasmPaths?: { wasm: string; mjs: string } | string;
  /** Use the Cache API for model files (browser only). */
  useBrowserCache: boolean;
}

export const defaultConfig: CoreConfig = {
  localModelBase: null,
  allowRemoteModels: true,
  numThreads: 0,
  useBrowserCache: true,
};

/** Apply a config to transformers.js's `env`. Safe to call more than once. */
export function applyTransformersConfig(env: typeof TransformersEnv, cfg: CoreConfig): void {
  env.allowRemoteModels = cfg.allowRemoteModels;
  env.allowLocalModels = cfg.localModelBase != null;
  if (cfg.localModelBase != null) {
    env.localModelPath = cfg.localModelBase.endsWith('/') ? cfg.localModelBase : cfg.localModelBase + '/';
  }
  if (cfg.remoteHost) env.remoteHost = cfg.remoteHost;
  env.useBrowserCache = cfg.useBrowserCache;
  const onnx = env.backends?.onnx as
    { wasm?: { wasmPaths?: unknown; numThreads?: number; proxy?: boolean } } | undefined;
  if (onnx?.wasm) {
    if (cfg.wasmPaths) onnx.wasm.wasmPaths = cfg.wasmPaths;
    if (cfg.numThreads > 0) onnx.wasm.numThreads = cfg.numThreads;
    onnx.wasm.proxy = false;
  }
}

// ---------------------------------------------------------------------------------------------
// Model registry
// ---------------------------------------------------------------------------------------------

export interface EmbedderSpec {
  /** Model id as transformers.js resolves it: a Hub id, or a folder name under the local base. */
  id: string;
  label: string;
  dim: number;
  /** Max tokens the model reads; longer inputs are truncated. */
  maxTokens: number;
  dtypes: Dtype[];
  defaultDtype: Dtype;
  pooling: 'mean' | 'cls';
  /** Prefix added to queries/documents, for models trained with instructions (e5, bge). */
  queryPrefix?: string;
  docPrefix?: string;
  /** Approximate download size in MB of the default dtype. */
  sizeMB: number;
  /** True when the model only exists under a local base (not on the Hub). */
  localOnly?: boolean;
  note?: string;
}

export const EMBEDDERS: EmbedderSpec[] = [
  {
    id: 'Xenova/all-MiniLM-L6-v2',
    label: 'all-MiniLM-L6-v2 (general, 384-d)',
    dim: 384,
    maxTokens: 256,
    dtypes: ['q8', 'fp32'],
    defaultDtype: 'q8',
    pooling: 'mean',
    sizeMB: 23,
  },
  {
    id: 'Xenova/bge-small-en-v1.5',
    label: 'BGE small en v1.5 (384-d)',
    dim: 384,
    maxTokens: 512,
    dtypes: ['q8', 'fp32'],
    defaultDtype: 'q8',
    pooling: 'cls',
    sizeMB: 34,
    queryPrefix: 'Represent this sentence for searching relevant passages: ',
  },
  {
    id: 'jinaai/jina-embeddings-v2-base-code',
    label: 'Jina v2 base code (code-specific, 768-d)',
    dim: 768,
    maxTokens: 8192,
    dtypes: ['q8', 'fp32'],
    defaultDtype: 'q8',
    pooling: 'mean',
    sizeMB: 162,
  },
  {
    id: 'universal-sentence-encoder-lite',
    label: 'Universal Sentence Encoder Lite (512-d, local)',
    dim: 512,
    maxTokens: 128,
    dtypes: ['q8', 'fp32'],
    defaultDtype: 'q8',
    pooling: 'mean',
    sizeMB: 7,
    localOnly: true,
    note: 'Converted from Google USE Lite; available when a local model base holds it.',
  },
];

/**
 * A cross-encoder that scores (question, passage) pairs: the opt-in reranker of the code & docs
 * space (src/lib/code/rerank.ts), a transformers.js sequence-classification model.
 */
export interface RerankerSpec {
  /** Model id as transformers.js resolves it: a Hub id, or a folder name under the local base. */
  id: string;
  label: string;
  /** Max tokens of a pair (question + passage); longer passages are cut. */
  maxTokens: number;
  dtypes: Dtype[];
  defaultDtype: Dtype;
  /** Approximate download size in MB of the default dtype. */
  sizeMB: number;
  note?: string;
}

export const RERANKERS: RerankerSpec[] = [
  {
    id: 'Xenova/ms-marco-MiniLM-L-6-v2',
    label: 'ms-marco MiniLM-L-6 cross-encoder',
    maxTokens: 512,
    dtypes: ['q8', 'fp32'],
    defaultDtype: 'q8',
    sizeMB: 23,
    note: 'Trained on MS MARCO passage ranking (web questions → passages).',
  },
  {
    id: 'Xenova/ms-marco-TinyBERT-L-2-v2',
    label: 'ms-marco TinyBERT-L-2 cross-encoder (faster)',
    maxTokens: 512,
    dtypes: ['q8', 'fp32'],
    defaultDtype: 'q8',
    sizeMB: 5,
  },
];

export function findReranker(id: string): RerankerSpec | undefined {
  return RERANKERS.find((r) => r.id === id);
}

export type PromptFormat = 'tiny-sql' | 'mistral-inst' | 'chatml' | 'plain' | 'instant';

/** Where a generator runs: WebLLM (WebGPU), transformers.js (CPU), or the model-free instant generator. */
export type GeneratorEngine = 'webllm' | 'transformers' | 'instant';

/** The model-free generator (src/lib/instant/): adapts the retrieved examples' SQL to the database. */
export interface InstantGeneratorSpec {
  id: 'instant';
  label: string;
  format: 'instant';
  /** Nothing to download. */
  sizeMB: 0;
  note: string;
}

export const INSTANT_GENERATOR: InstantGeneratorSpec = {
  id: 'instant',
  label: 'Instant (no download)',
  format: 'instant',
  sizeMB: 0,
  note: 'Adapts the retrieved examples to this database (schema linking, slot filling, execution); cannot explain SQL or follow instructions.',
};

export interface CpuGeneratorSpec {
  id: string;
  label: string;
  dtypes: Dtype[];
  defaultDtype: Dtype;
  format: PromptFormat;
  /** Context window in tokens; prompts are cut to fit. */
  contextTokens: number;
  sizeMB: number;
  localOnly?: boolean;
  note?: string;
}

export const CPU_GENERATORS: CpuGeneratorSpec[] = [
  {
    id: 'onnx-community/Qwen2.5-Coder-0.5B-Instruct',
    label: 'Qwen2.5-Coder 0.5B Instruct (CPU/WASM)',
    dtypes: ['q4', 'q8'],
    defaultDtype: 'q4',
    format: 'chatml',
    contextTokens: 4096,
    sizeMB: 460,
  },
  {
    id: 'tiny-sql-lm',
    label: 'tiny-sql-lm (5.5M, test fixture, local)',
    dtypes: ['q8', 'fp32'],
    defaultDtype: 'q8',
    format: 'tiny-sql',
    contextTokens: 1024,
    sizeMB: 7,
    localOnly: true,
    note: 'Real but tiny; answers are mostly wrong. For plumbing, latency and UI only.',
  },
];

export interface WebLlmSpec {
  /** Family id shown to the user; the concrete model id depends on shader-f16 support. */
  family: string;
  label: string;
  /** web-llm prebuilt model ids. */
  q4f16: string;
  q4f32: string;
  format: PromptFormat;
  /** Parameters in billions; the q4 download is about 0.56 bytes per parameter. */
  paramsB: number;
}

export const WEBLLM_MODELS: WebLlmSpec[] = [
  {
    family: 'mistral-7b-instruct',
    label: 'Mistral-7B-Instruct v0.3',
    q4f16: 'Mistral-7B-Instruct-v0.3-q4f16_1-MLC',
    q4f32: 'Mistral-7B-Instruct-v0.3-q4f32_1-MLC',
    format: 'mistral-inst',
    paramsB: 7.25,
  },
  {
    family: 'qwen2.5-coder-0.5b',
    label: 'Qwen2.5-Coder 0.5B Instruct',
    q4f16: 'Qwen2.5-Coder-0.5B-Instruct-q4f16_1-MLC',
    q4f32: 'Qwen2.5-Coder-0.5B-Instruct-q4f32_1-MLC',
    format: 'chatml',
    paramsB: 0.49,
  },
  {
    family: 'qwen2.5-coder-1.5b',
    label: 'Qwen2.5-Coder 1.5B Instruct',
    q4f16: 'Qwen2.5-Coder-1.5B-Instruct-q4f16_1-MLC',
    q4f32: 'Qwen2.5-Coder-1.5B-Instruct-q4f32_1-MLC',
    format: 'chatml',
    paramsB: 1.54,
  },
  {
    family: 'qwen2.5-coder-7b',
    label: 'Qwen2.5-Coder 7B Instruct',
    q4f16: 'Qwen2.5-Coder-7B-Instruct-q4f16_1-MLC',
    q4f32: 'Qwen2.5-Coder-7B-Instruct-q4f32_1-MLC',
    format: 'chatml',
    paramsB: 7.62,
  },
];

export const DEFAULT_EMBEDDER = 'Xenova/all-MiniLM-L6-v2';
export const DEFAULT_WEBLLM = 'mistral-7b-instruct';
export const DEFAULT_CPU_GENERATOR = 'onnx-community/Qwen2.5-Coder-0.5B-Instruct';

export function findEmbedder(id: string): EmbedderSpec | undefined {
  return EMBEDDERS.find((e) => e.id === id);
}
export function findCpuGenerator(id: string): CpuGeneratorSpec | undefined {
  return CPU_GENERATORS.find((g) => g.id === id);
}
export function findWebLlm(family: string): WebLlmSpec | undefined {
  return WEBLLM_MODELS.find((m) => m.family === family);
}

/**
 * Choose defaults given which models a local base offers: prefer local models (offline),
 * else the Hub defaults.
 */
export function chooseDefaults(localModels: string[]): { embedder: string; cpuGenerator: string } {
  const has = (id: string) => localModels.includes(id);
  const embedder = has('universal-sentence-encoder-lite')
    ? 'universal-sentence-encoder-lite'
    : has(DEFAULT_EMBEDDER)
      ? DEFAULT_EMBEDDER
      : (EMBEDDERS.find((e) => has(e.id))?.id ?? DEFAULT_EMBEDDER);
  const cpuGenerator = has('tiny-sql-lm')
    ? 'tiny-sql-lm'
    : (CPU_GENERATORS.find((g) => has(g.id))?.id ?? DEFAULT_CPU_GENERATOR);
  return { embedder, cpuGenerator };
}
