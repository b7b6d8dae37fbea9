/**
 * Embedder backed by transformers.js feature extraction. Runs on WebGPU or WASM in the browser,
 * and on onnxruntime-node in Node. Models come through transformers.js's own loader, configured by
 * `applyTransformersConfig` (Hub by default, or a local base).
 */
import { cutForEmbedding, type Embedder, type EmbedOptions } from './embedder.ts';
import type { EmbedderSpec, Dtype } from '../config.ts';
import type { ProgressFn } from '../types.ts';
import { CancelledError, ModelLoadError, throwIfAborted } from '../errors.ts';

type Transformers = typeof import('@huggingface/transformers');
type Extractor = (
  texts: string[],
  opts: { pooling: 'mean' | 'cls'; normalize: boolean },
) => Promise<{ data: Float32Array | number[]; dims: number[] }>;

export interface LoadEmbedderOptions {
  spec: EmbedderSpec;
  dtype?: Dtype;
  /** 'webgpu' | 'wasm' in the browser; 'cpu' in Node. */
  device: string;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

/** Aggregates transformers.js per-file progress events into one byte counter. */
export function downloadProgress(onProgress: ProgressFn | undefined, phase: string) {
  const files = new Map<string, { loaded: number; total: number }>();
  return (ev: { status: string; file?: string; loaded?: number; total?: number }) => {
    if (!onProgress || !ev.file) return;
    if (ev.status === 'progress' || ev.status === 'done' || ev.status === 'initiate') {
      const cur = files.get(ev.file) ?? { loaded: 0, total: 0 };
      if (ev.total) cur.total = ev.total;
      if (ev.loaded != null) cur.loaded = ev.loaded;
      if (ev.status === 'done') cur.loaded = cur.total;
      files.set(ev.file, cur);
      let loaded = 0,
        total = 0;
      for (const f of files.values()) {
        loaded += f.loaded;
        total += f.total;
      }
      onProgress({ phase, done: loaded, total, detail: ev.file });
    }
  };
}

export class TransformersEmbedder implements Embedder {
  private constructor(
    readonly id: string,
    readonly dim: number,
    readonly dtype: string,
    readonly device: string,
    private readonly spec: EmbedderSpec,
    private readonly extractor: Extractor & { dispose?: () => Promise<void> },
  ) {}

  static async load(tf: Transformers, opts: LoadEmbedderOptions): Promise<TransformersEmbedder> {
    const { spec, device } = opts;
    const dtype = opts.dtype ?? spec.defaultDtype;
    throwIfAborted(opts.signal, 'model load');
    let extractor;
    try {
      extractor = await tf.pipeline('feature-extraction', spec.id, {
        dtype,
        device: device as 'webgpu' | 'wasm' | 'cpu',
        progress_callback: downloadProgress(opts.onProgress, `Loading ${spec.id}`),
      } as Record<string, unknown>);
    } catch (e) {
      throw new ModelLoadError(spec.id, e, device === 'webgpu' ? 'try the WASM backend' : undefined);
    }
    throwIfAborted(opts.signal, 'model load');
    const emb = new TransformersEmbedder(spec.id, spec.dim, dtype, device, spec, extractor as unknown as Extractor);
    // Probe once: confirms the output width matches the registry.
    const probe = await emb.embed(['probe']);
    if (probe.length !== spec.dim) {
      throw new ModelLoadError(spec.id, new Error(`output has ${probe.length} dims, registry says ${spec.dim}`));
    }
    return emb;
  }

  async embed(texts: string[], opts: EmbedOptions = {}): Promise<Float32Array> {
    const { signal, onProgress } = opts;
    const batchSize = Math.max(1, opts.batchSize ?? 32);
    const prefix = (opts.role === 'query' ? this.spec.queryPrefix : this.spec.docPrefix) ?? '';
    const out = new Float32Array(texts.length * this.dim);
    for (let start = 0; start < texts.length; start += batchSize) {
      if (signal?.aborted) throw new CancelledError('embedding');
      // An empty text tokenizes to nothing and mean pooling gives NaN: embed a placeholder instead.
      // A huge text is cut first: the model reads 512 tokens at most, and the tokenizer overflows on megabytes.
      const batch = texts
        .slice(start, start + batchSize)
        .map((t) => prefix + (t.trim() ? cutForEmbedding(t) : '(empty)'));
      const res = await this.extractor(batch, { pooling: this.spec.pooling, normalize: true });
      const data = res.data instanceof Float32Array ? res.data : Float32Array.from(res.data);
      if (data.length !== batch.length * this.dim) {
        throw new Error(`embedder returned ${data.length} values for ${batch.length}×${this.dim}`);
      }
      out.set(data, start * this.dim);
      onProgress?.({ phase: 'Embedding', done: Math.min(texts.length, start + batch.length), total: texts.length });
    }
    return out;
  }

  async dispose(): Promise<void> {
    await this.extractor.dispose?.();
  }
}
