/**
 * Embedding worker: a transformers.js embedder, on WebGPU when asked and available, else WASM.
 *
 * Documents are always embedded by the model loaded with `dtype` (the dtype the index records).
 * Questions may take a cheaper path into the same space (issue 17): another dtype of the same
 * model (`queryDtype`, "compact"), or a stored static encoder + map (`useQueryEncoder`, the "fast
 * query encoder"), both applied here as decorators of the Embedder (lib/embed/linear-map.ts
 * `withQueryEncoder`), so the page's WorkerEmbedder seam does not change.
 */
import * as Comlink from 'comlink';
import { registerErrorTransfer } from '../src/lib/errors-transfer.ts';
import { browserTransformers, type BrowserModelConfig } from '../src/browser/runtime.ts';
import { findEmbedder, type Dtype } from '../src/lib/config.ts';
import type { Embedder } from '../src/lib/embed/embedder.ts';
import { TransformersEmbedder } from '../src/lib/embed/transformers-embedder.ts';
import { withQueryEncoder } from '../src/lib/embed/linear-map.ts';
import { lightQueryEmbedder, type LightBlobs, type QueryVariantSpec } from '../src/lib/embed/light-query.ts';
import { loadPieceTokenizer } from '../src/lib/embed/piece-tokenizer.ts';
import type { PieceTokenizer } from '../src/lib/embed/static-encoder.ts';
import type { ProgressFn } from '../src/lib/types.ts';

/** The documents' model. */
let teacher: TransformersEmbedder | null = null;
/** What `embed` uses: the teacher, possibly with a query-side decorator. */
let active: Embedder | null = null;
/** The compact query model (another dtype of the teacher), when asked. */
let compact: TransformersEmbedder | null = null;
let cfg: BrowserModelConfig | null = null;
let device: 'webgpu' | 'wasm' = 'wasm';
let tokenizer: PieceTokenizer | null = null;
/** Other dtypes loaded for measuring (dropped when the teacher changes). */
const probes = new Map<string, TransformersEmbedder>();

/** The static encoder + map measured last (its blobs' headers as the key: they hold the checksums). */
let staticProbe: { key: string; embedder: Embedder } | null = null;
const blobKey = (b: LightBlobs) =>
  new TextDecoder().decode(b.encoder.subarray(0, 1024)) + '|' + new TextDecoder().decode(b.map.subarray(0, 1024));

async function dropProbes() {
  for (const e of probes.values()) await e.dispose();
  probes.clear();
  staticProbe = null;
}

async function teacherTokenizer(): Promise<PieceTokenizer> {
  if (!teacher || !cfg) throw new Error('no embedder loaded');
  tokenizer ??= await loadPieceTokenizer(await browserTransformers(cfg), teacher.id);
  return tokenizer;
}

/** Embeds each text alone, timing each call (ms), as n×dim. */
async function timeEach(e: Embedder, texts: string[]): Promise<{ vectors: Float32Array; ms: number[] }> {
  const vectors = new Float32Array(texts.length * e.dim);
  const ms: number[] = [];
  for (let i = 0; i < texts.length; i++) {
    const t0 = performance.now();
    const v = await e.embed([texts[i]], { role: 'query' });
    ms.push(performance.now() - t0);
    vectors.set(v, i * e.dim);
  }
  return { vectors, ms };
}

const api = {
  async load(
    modelCfg: BrowserModelConfig,
    id: string,
    dtype: Dtype,
    dev: 'webgpu' | 'wasm',
    onProgress?: ProgressFn,
    queryDtype?: Dtype,
  ) {
    const spec = findEmbedder(id);
    if (!spec) throw new Error(`unknown embedder "${id}"`);
    const tf = await browserTransformers(modelCfg, dev);
    await teacher?.dispose();
    await compact?.dispose();
    await dropProbes();
    teacher = active = compact = null;
    tokenizer = null;
    teacher = await TransformersEmbedder.load(tf, { spec, dtype, device: dev, onProgress });
    cfg = modelCfg;
    device = dev;
    active = teacher;
    let usedQueryDtype: string | undefined;
    let queryDtypeError: string | undefined;
    if (queryDtype && queryDtype !== teacher.dtype) {
      try {
        compact = await TransformersEmbedder.load(tf, { spec, dtype: queryDtype, device: dev, onProgress });
        active = withQueryEncoder(teacher, compact);
        usedQueryDtype = compact.dtype;
      } catch (e) {
        // The documents' model works: questions use it too, and the page says why.
        queryDtypeError = `the ${queryDtype} question model could not be loaded (${(e as Error).message}); questions use ${teacher.dtype}`;
      }
    }
    return {
      id: teacher.id,
      dim: teacher.dim,
      dtype: teacher.dtype,
      device: teacher.device,
      ...(usedQueryDtype ? { queryDtype: usedQueryDtype } : {}),
      ...(queryDtypeError ? { queryDtypeError } : {}),
    };
  },
  async embed(texts: string[], role: 'query' | 'doc', batchSize = 32): Promise<Float32Array> {
    if (!active) throw new Error('no embedder loaded');
    const v = await active.embed(texts, { role, batchSize });
    return Comlink.transfer(v, [v.buffer]);
  },
  /** The model source the loaded embedder came from (the distill worker loads its tokenizer from it). */
  modelConfig(): BrowserModelConfig | null {
    return cfg;
  },
  /** Embed with the documents' model itself, whatever decorates the query side (distillation targets). */
  async embedTeacher(texts: string[], role: 'query' | 'doc', batchSize = 32): Promise<Float32Array> {
    if (!teacher) throw new Error('no embedder loaded');
    const v = await teacher.embed(texts, { role, batchSize });
    return Comlink.transfer(v, [v.buffer]);
  },
  /**
   * Send questions through a stored static encoder + map (null: back to the teacher or the
   * compact query dtype). A damaged or mismatched encoder falls back, with the reason.
   */
  async useQueryEncoder(blobs: LightBlobs | null): Promise<{ light: boolean; fallbackReason?: string }> {
    if (!teacher) throw new Error('no embedder loaded');
    const base = compact ? withQueryEncoder(teacher, compact) : teacher;
    if (!blobs) {
      active = base;
      return { light: false };
    }
    let tok: PieceTokenizer;
    try {
      tok = await teacherTokenizer();
    } catch (e) {
      active = base;
      return { light: false, fallbackReason: `the embedder's tokenizer could not be loaded (${(e as Error).message})` };
    }
    const r = await lightQueryEmbedder(teacher, blobs, tok);
    active = r.light ? r.embedder : base;
    return { light: r.light, ...(r.fallbackReason ? { fallbackReason: r.fallbackReason } : {}) };
  },
  /** Embed each question alone with a variant, timing each call here in the worker. */
  async timeQueries(texts: string[], variant: QueryVariantSpec): Promise<{ vectors: Float32Array; ms: number[] }> {
    if (!teacher || !cfg) throw new Error('no embedder loaded');
    let e: Embedder = teacher;
    if (variant.kind === 'dtype' && variant.dtype !== teacher.dtype) {
      let p = probes.get(variant.dtype);
      if (!p) {
        const spec = findEmbedder(teacher.id)!;
        p = await TransformersEmbedder.load(await browserTransformers(cfg, device), {
          spec,
          dtype: variant.dtype,
          device,
        });
        probes.set(variant.dtype, p);
      }
      e = p;
    } else if (variant.kind === 'static') {
      const key = blobKey(variant);
      if (staticProbe?.key !== key) {
        const r = await lightQueryEmbedder(teacher, variant, await teacherTokenizer());
        if (!r.light) throw new Error(r.fallbackReason ?? 'the light encoder could not be used');
        staticProbe = { key, embedder: (r.embedder as Embedder & { queryEncoder: Embedder }).queryEncoder };
      }
      e = staticProbe.embedder;
    }
    const r = await timeEach(e, texts);
    return Comlink.transfer(r, [r.vectors.buffer]);
  },
  /** Drop the dtypes loaded for measuring. */
  async releaseProbes(): Promise<void> {
    await dropProbes();
  },
};

export type EmbedApi = typeof api;
registerErrorTransfer();
Comlink.expose(api);
