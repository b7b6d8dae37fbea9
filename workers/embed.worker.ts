/** Embedding worker: a transformers.js embedder, on WebGPU when asked and available, else WASM. */
import * as Comlink from 'comlink';
import { registerErrorTransfer } from '../src/lib/errors-transfer.ts';
import { browserTransformers, type BrowserModelConfig } from '../src/browser/runtime.ts';
import { findEmbedder, type Dtype } from '../src/lib/config.ts';
import { TransformersEmbedder } from '../src/lib/embed/transformers-embedder.ts';
import type { ProgressFn } from '../src/lib/types.ts';

let embedder: TransformersEmbedder | null = null;

const api = {
  async load(
    modelCfg: BrowserModelConfig,
    id: string,
    dtype: Dtype,
    device: 'webgpu' | 'wasm',
    onProgress?: ProgressFn,
  ) {
    const spec = findEmbedder(id);
    if (!spec) throw new Error(`unknown embedder "${id}"`);
    const tf = await browserTransformers(modelCfg);
    await embedder?.dispose();
    embedder = null;
    embedder = await TransformersEmbedder.load(tf, { spec, dtype, device, onProgress });
    return { id: embedder.id, dim: embedder.dim, dtype: embedder.dtype, device: embedder.device };
  },
  async embed(texts: string[], role: 'query' | 'doc', batchSize = 32): Promise<Float32Array> {
    if (!embedder) throw new Error('no embedder loaded');
    const v = await embedder.embed(texts, { role, batchSize });
    return Comlink.transfer(v, [v.buffer]);
  },
};

export type EmbedApi = typeof api;
registerErrorTransfer();
Comlink.expose(api);
