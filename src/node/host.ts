/**
 * The Node host: wires the core library to Node's file system for the CLIs, benchmarks and
 * unit tests. Models load through the same transformers.js loader as in the browser, from a
 * local folder (`--models DIR`, default ../shared/models when present) or from the Hub.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import initSqlJs, { type SqlJsStatic } from 'sql.js';
import { applyTransformersConfig, findCpuGenerator, findEmbedder, type CoreConfig, type Dtype } from '../lib/config.ts';
import { TransformersEmbedder } from '../lib/embed/transformers-embedder.ts';
import { TransformersGenerator } from '../lib/llm/transformers-generator.ts';
import { initVoy } from '../lib/index/voy.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** ../shared beside the checkout, when present (tests and tools read it, never commit it). */
export function sharedDir(): string | null {
  const env = process.env.CODERAG_SHARED;
  const dir = env ? path.resolve(env) : path.resolve(repoRoot, '../shared');
  return existsSync(dir) ? dir : null;
}

export function localModelsDir(): string | null {
  const env = process.env.CODERAG_MODELS;
  if (env) return existsSync(env) ? path.resolve(env) : null;
  const s = sharedDir();
  const dir = s ? path.join(s, 'models') : null;
  return dir && existsSync(dir) ? dir : null;
}

export function spiderDir(): string | null {
  const s = sharedDir();
  const dir = s ? path.join(s, 'data', 'spider') : null;
  return dir && existsSync(path.join(dir, 'dev.json')) ? dir : null;
}

let tfPromise: Promise<typeof import('@huggingface/transformers')> | null = null;

/** transformers.js configured for Node: local models when `modelsDir` is given, else the Hub. */
export function transformers(
  modelsDir: string | null = localModelsDir(),
): Promise<typeof import('@huggingface/transformers')> {
  tfPromise ??= import('@huggingface/transformers').then((tf) => {
    const cfg: CoreConfig = {
      localModelBase: modelsDir,
      allowRemoteModels: modelsDir == null,
      numThreads: 0,
      useBrowserCache: false,
    };
    applyTransformersConfig(tf.env, cfg);
    return tf;
  });
  return tfPromise;
}

/** The embedder the tests use: USE-Lite from the local base, or all-MiniLM-L6-v2 from the Hub. */
export function defaultTestEmbedderId(modelsDir: string | null = localModelsDir()): string {
  return modelsDir && existsSync(path.join(modelsDir, 'universal-sentence-encoder-lite'))
    ? 'universal-sentence-encoder-lite'
    : 'Xenova/all-MiniLM-L6-v2';
}

export async function loadEmbedder(id: string, dtype?: Dtype): Promise<TransformersEmbedder> {
  const spec = findEmbedder(id);
  if (!spec) throw new Error(`unknown embedder "${id}"`);
  return TransformersEmbedder.load(await transformers(), { spec, dtype, device: 'cpu' });
}

export async function loadCpuGenerator(id: string, dtype?: Dtype): Promise<TransformersGenerator> {
  const spec = findCpuGenerator(id);
  if (!spec) throw new Error(`unknown CPU generator "${id}"`);
  return TransformersGenerator.load(await transformers(), spec, 'cpu', dtype);
}

let sqlPromise: Promise<SqlJsStatic> | null = null;
export function sqlJs(): Promise<SqlJsStatic> {
  sqlPromise ??= initSqlJs();
  return sqlPromise;
}

export function voyReady(): Promise<void> {
  const require = createRequire(import.meta.url);
  const wasm = require.resolve('voy-search/voy_search_bg.wasm');
  return initVoy(async () => readFileSync(wasm).buffer as ArrayBuffer);
}
