/**
 * A query-side linear adapter: q' = normalize(W q + b), with W (d×d) and b (d) trained so that a
 * base embedder's query vectors land closer to the documents they should retrieve (see mnrl.ts and
 * trainer.ts). Documents are not touched, so an existing index stays valid: only queries pass
 * through the adapter.
 *
 * Adapter files are JSON:
 *   { format: 'coderag-linear-adapter', version: 1, embedderId, dim, dataHash, createdAt,
 *     config: {...}, metrics: { base: {recall3, ndcg10, ...}, adapted: {...} },
 *     W: base64 float32 LE (row-major d×d), b: base64 float32 LE (d) }
 */
import type { Embedder, EmbedOptions } from '../embed/embedder.ts';
import { CodeRagError } from '../errors.ts';
import { base64ToFloat32, float32ToBase64 } from './base64.ts';

export const ADAPTER_FORMAT = 'coderag-linear-adapter';
export const ADAPTER_VERSION = 1;
/** Largest dimension a file may claim (a 8192² float32 matrix is 256 MB). */
export const MAX_ADAPTER_DIM = 8192;

/** An adapter file that cannot be used; `message` says why and what to do. */
export class AdapterFormatError extends CodeRagError {
  constructor(message: string) {
    super(message, 'adapter-format');
  }
}

/** Training settings recorded in the file (free-form beyond the common fields). */
export interface AdapterTrainConfig {
  epochs?: number;
  batchSize?: number;
  lr?: number;
  scale?: number;
  seed?: number;
  weightDecay?: number;
  patience?: number;
  [key: string]: unknown;
}

/** Retrieval metrics on held-out queries. `ci` holds 95 % bootstrap intervals as [lo, hi]. */
export interface MetricBlock {
  recall3: number;
  ndcg10: number;
  recall1?: number;
  recall10?: number;
  mrr10?: number;
  ci?: Partial<Record<'recall1' | 'recall3' | 'recall10' | 'mrr10' | 'ndcg10', [number, number]>>;
  /** Queries evaluated. */
  n?: number;
}

export interface AdapterMetrics {
  base: MetricBlock;
  adapted: MetricBlock;
  /** How the held-out set was chosen, e.g. "by database, 20 %, seed 1". */
  split?: string;
  /** Documents each held-out query was ranked against. */
  docs?: number;
}

export interface AdapterMeta {
  embedderId: string;
  dim: number;
  /** Hash of the training data (see trainer/CLI), so an adapter can be traced to its pairs. */
  dataHash: string;
  /** ISO-8601 time of creation. */
  createdAt: string;
  config: AdapterTrainConfig;
  metrics?: AdapterMetrics;
  /** Epoch whose weights were kept (early stopping), 0 = identity. */
  bestEpoch?: number;
  note?: string;
}

export interface AdapterFile extends AdapterMeta {
  format: typeof ADAPTER_FORMAT;
  version: number;
  W: string;
  b: string;
}

export class LinearAdapter {
  /** Row-major d×d. */
  readonly W: Float32Array;
  readonly b: Float32Array;
  meta?: AdapterMeta;

  constructor(
    readonly dim: number,
    W?: Float32Array,
    b?: Float32Array,
  ) {
    if (!Number.isInteger(dim) || dim <= 0) throw new RangeError(`adapter dim must be a positive integer, got ${dim}`);
    if (W && W.length !== dim * dim)
      throw new RangeError(`W has ${W.length} values, a ${dim}-d adapter needs ${dim * dim}`);
    if (b && b.length !== dim) throw new RangeError(`b has ${b.length} values, a ${dim}-d adapter needs ${dim}`);
    this.W = W ?? identityMatrix(dim);
    this.b = b ?? new Float32Array(dim);
  }

  static identity(dim: number): LinearAdapter {
    return new LinearAdapter(dim);
  }

  clone(): LinearAdapter {
    const a = new LinearAdapter(this.dim, this.W.slice(), this.b.slice());
    if (this.meta) a.meta = { ...this.meta };
    return a;
  }

  /** normalize(W v + b) into `out` (a new array by default; `out` may be `v`). */
  apply(v: Float32Array, out?: Float32Array): Float32Array {
    const d = this.dim;
    if (v.length !== d) throw new RangeError(`vector has ${v.length} dims, adapter has ${d}`);
    const tmp = out && out !== v ? out : new Float32Array(d);
    affineRow(this.W, this.b, d, v, 0, tmp, 0);
    normalizeRow(tmp, 0, d);
    if (out === v) v.set(tmp);
    return out ?? tmp;
  }

  /** Row-wise `apply` of an n×d matrix (a new matrix by default; `out` may be `mat`). */
  applyBatch(mat: Float32Array, out?: Float32Array): Float32Array {
    const d = this.dim;
    if (mat.length % d !== 0) throw new RangeError(`matrix of ${mat.length} values is not n×${d}`);
    const n = mat.length / d;
    const dst = out ?? new Float32Array(mat.length);
    if (dst.length !== mat.length) throw new RangeError('output matrix has the wrong size');
    const row = new Float32Array(d);
    for (let i = 0; i < n; i++) {
      affineRow(this.W, this.b, d, mat, i * d, row, 0);
      normalizeRow(row, 0, d);
      dst.set(row, i * d);
    }
    return dst;
  }

  /** Largest |W - I| entry and |b| entry: 0 for an untrained adapter. */
  distanceFromIdentity(): number {
    const d = this.dim;
    let m = 0;
    for (let r = 0; r < d; r++) {
      for (let c = 0; c < d; c++) m = Math.max(m, Math.abs(this.W[r * d + c] - (r === c ? 1 : 0)));
      m = Math.max(m, Math.abs(this.b[r]));
    }
    return m;
  }
}

export function identityMatrix(dim: number): Float32Array {
  const W = new Float32Array(dim * dim);
  for (let i = 0; i < dim; i++) W[i * dim + i] = 1;
  return W;
}

/** out[oo..oo+d) = W x[xo..xo+d) + b. */
function affineRow(
  W: Float32Array,
  b: Float32Array,
  d: number,
  x: Float32Array,
  xo: number,
  out: Float32Array,
  oo: number,
): void {
  for (let r = 0, wo = 0; r < d; r++, wo += d) {
    let s0 = 0,
      s1 = 0,
      s2 = 0,
      s3 = 0;
    let k = 0;
    for (; k + 3 < d; k += 4) {
      s0 += W[wo + k] * x[xo + k];
      s1 += W[wo + k + 1] * x[xo + k + 1];
      s2 += W[wo + k + 2] * x[xo + k + 2];
      s3 += W[wo + k + 3] * x[xo + k + 3];
    }
    for (; k < d; k++) s0 += W[wo + k] * x[xo + k];
    out[oo + r] = s0 + s1 + s2 + s3 + b[r];
  }
}

function normalizeRow(v: Float32Array, o: number, d: number): void {
  let s = 0;
  for (let k = 0; k < d; k++) s += v[o + k] * v[o + k];
  if (s > 0) {
    const inv = 1 / Math.sqrt(s);
    for (let k = 0; k < d; k++) v[o + k] *= inv;
  }
}

// ---------------------------------------------------------------------------------------------
// Files

export function toAdapterFile(adapter: LinearAdapter, meta: AdapterMeta): AdapterFile {
  if (meta.dim !== adapter.dim) throw new RangeError(`meta.dim ${meta.dim} differs from the adapter's ${adapter.dim}`);
  return {
    format: ADAPTER_FORMAT,
    version: ADAPTER_VERSION,
    embedderId: meta.embedderId,
    dim: adapter.dim,
    dataHash: meta.dataHash,
    createdAt: meta.createdAt,
    config: meta.config,
    ...(meta.metrics ? { metrics: meta.metrics } : {}),
    ...(meta.bestEpoch !== undefined ? { bestEpoch: meta.bestEpoch } : {}),
    ...(meta.note ? { note: meta.note } : {}),
    W: float32ToBase64(adapter.W),
    b: float32ToBase64(adapter.b),
  };
}

/** The adapter file as JSON text (weights as base64, metadata readable). */
export function serializeAdapter(adapter: LinearAdapter, meta: AdapterMeta): string {
  return JSON.stringify(toAdapterFile(adapter, meta), null, 1);
}

export interface LoadAdapterOptions {
  /** Reject an adapter whose dim differs (the current embedder's width). */
  expectDim?: number;
  /** Reject an adapter trained for another embedder. */
  expectEmbedderId?: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A short JSON rendering of a bad value for a message. */
function show(v: unknown): string {
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

const METRIC_KEYS = ['recall1', 'recall3', 'recall10', 'mrr10', 'ndcg10'] as const;

function readMetricBlock(v: unknown, where: string): MetricBlock {
  if (!isObj(v)) throw new AdapterFormatError(`adapter ${where} must be an object of scores, got ${show(v)}`);
  const num = (key: string, required: boolean): number | undefined => {
    const x = v[key];
    if (x === undefined && !required) return undefined;
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw new AdapterFormatError(
        x === undefined
          ? `adapter ${where}.${key} is missing`
          : `adapter ${where}.${key} must be a finite number, got ${show(x)}`,
      );
    }
    return x;
  };
  const block: MetricBlock = { recall3: num('recall3', true)!, ndcg10: num('ndcg10', true)! };
  for (const key of ['recall1', 'recall10', 'mrr10'] as const) {
    const x = num(key, false);
    if (x !== undefined) block[key] = x;
  }
  const n = num('n', false);
  if (n !== undefined) block.n = n;
  if (v.ci !== undefined) {
    if (!isObj(v.ci)) throw new AdapterFormatError(`adapter ${where}.ci must be an object, got ${show(v.ci)}`);
    const ci: NonNullable<MetricBlock['ci']> = {};
    for (const [key, pair] of Object.entries(v.ci)) {
      if (!(METRIC_KEYS as readonly string[]).includes(key)) continue;
      if (
        !Array.isArray(pair) ||
        pair.length !== 2 ||
        !pair.every((x) => typeof x === 'number' && Number.isFinite(x))
      ) {
        throw new AdapterFormatError(`adapter ${where}.ci.${key} must be [low, high] numbers, got ${show(pair)}`);
      }
      ci[key as (typeof METRIC_KEYS)[number]] = [pair[0], pair[1]];
    }
    block.ci = ci;
  }
  return block;
}

/** Check and copy the `metrics` block: base and adapted scores as finite numbers. */
function readMetrics(v: unknown): AdapterMetrics {
  if (!isObj(v)) throw new AdapterFormatError(`adapter field metrics must be an object, got ${show(v)}`);
  const m: AdapterMetrics = {
    base: readMetricBlock(v.base, 'metrics.base'),
    adapted: readMetricBlock(v.adapted, 'metrics.adapted'),
  };
  if (v.split !== undefined) {
    if (typeof v.split !== 'string') {
      throw new AdapterFormatError(`adapter metrics.split must be a string, got ${show(v.split)}`);
    }
    m.split = v.split;
  }
  if (v.docs !== undefined) {
    if (typeof v.docs !== 'number' || !Number.isFinite(v.docs)) {
      throw new AdapterFormatError(`adapter metrics.docs must be a finite number, got ${show(v.docs)}`);
    }
    m.docs = v.docs;
  }
  return m;
}

/**
 * Read an adapter file (JSON text or the parsed object). Throws AdapterFormatError saying what
 * is wrong: not JSON, another format, a newer version, a bad or missing field, base64 that does
 * not decode, weights whose size does not match `dim`, non-finite weights, metrics that are not
 * finite scores (`metrics: {}`, strings), a field of the wrong type, or a dim/embedder other than
 * the expected one. What it returns is fully typed: a host may read any field without checks.
 */
export function loadAdapterJson(
  input: string | unknown,
  opts: LoadAdapterOptions = {},
): LinearAdapter & { meta: AdapterMeta } {
  let obj: unknown = input;
  if (typeof input === 'string') {
    try {
      obj = JSON.parse(input);
    } catch (e) {
      throw new AdapterFormatError(`adapter file is not valid JSON (${(e as Error).message})`);
    }
  }
  if (!isObj(obj)) throw new AdapterFormatError('adapter file must be a JSON object');
  if (obj.format !== ADAPTER_FORMAT) {
    throw new AdapterFormatError(
      `not a CodeRAG adapter file: format is ${JSON.stringify(obj.format ?? null)}, expected "${ADAPTER_FORMAT}"`,
    );
  }
  if (typeof obj.version !== 'number' || !Number.isInteger(obj.version) || obj.version < 1) {
    throw new AdapterFormatError(`adapter file has no valid version (got ${JSON.stringify(obj.version ?? null)})`);
  }
  if (obj.version > ADAPTER_VERSION) {
    throw new AdapterFormatError(
      `adapter file version ${obj.version} is newer than this app reads (${ADAPTER_VERSION}): update the app`,
    );
  }
  const dim = obj.dim;
  if (typeof dim !== 'number' || !Number.isInteger(dim) || dim <= 0 || dim > MAX_ADAPTER_DIM) {
    throw new AdapterFormatError(
      `adapter dim must be an integer from 1 to ${MAX_ADAPTER_DIM}, got ${JSON.stringify(dim ?? null)}`,
    );
  }
  if (typeof obj.embedderId !== 'string' || !obj.embedderId)
    throw new AdapterFormatError('adapter file lacks embedderId');
  const decode = (field: 'W' | 'b', want: number): Float32Array => {
    const text = obj[field];
    if (typeof text !== 'string') throw new AdapterFormatError(`adapter field ${field} must be a base64 string`);
    let v: Float32Array;
    try {
      v = base64ToFloat32(text);
    } catch (e) {
      throw new AdapterFormatError(`adapter field ${field} is not valid base64 float32 data: ${(e as Error).message}`);
    }
    if (v.length !== want) {
      throw new AdapterFormatError(`adapter field ${field} holds ${v.length} values; a ${dim}-d adapter needs ${want}`);
    }
    for (let i = 0; i < v.length; i++) {
      if (!Number.isFinite(v[i]))
        throw new AdapterFormatError(`adapter field ${field} holds a non-finite value at ${i}`);
    }
    return v;
  };
  if (opts.expectDim !== undefined && dim !== opts.expectDim) {
    throw new AdapterFormatError(
      `adapter is for ${dim}-d embeddings but the embedder gives ${opts.expectDim}-d: train an adapter for this embedder`,
    );
  }
  if (opts.expectEmbedderId !== undefined && obj.embedderId !== opts.expectEmbedderId) {
    throw new AdapterFormatError(
      `adapter was trained for "${obj.embedderId}", not "${opts.expectEmbedderId}": choose that embedder or train a new adapter`,
    );
  }
  const W = decode('W', dim * dim);
  const b = decode('b', dim);
  const optionalString = (field: 'dataHash' | 'createdAt' | 'note'): string | undefined => {
    const v = obj[field];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw new AdapterFormatError(`adapter field ${field} must be a string, got ${show(v)}`);
    return v;
  };
  if (obj.config !== undefined && obj.config !== null && !isObj(obj.config)) {
    throw new AdapterFormatError(`adapter field config must be an object, got ${show(obj.config)}`);
  }
  const meta: AdapterMeta = {
    embedderId: obj.embedderId,
    dim,
    dataHash: optionalString('dataHash') ?? '',
    createdAt: optionalString('createdAt') ?? '',
    config: isObj(obj.config) ? (obj.config as AdapterTrainConfig) : {},
  };
  if (obj.metrics !== undefined && obj.metrics !== null) meta.metrics = readMetrics(obj.metrics);
  if (obj.bestEpoch !== undefined && obj.bestEpoch !== null) {
    const e = obj.bestEpoch;
    if (typeof e !== 'number' || !Number.isInteger(e) || e < 0) {
      throw new AdapterFormatError(`adapter field bestEpoch must be a whole number ≥ 0, got ${show(e)}`);
    }
    meta.bestEpoch = e;
  }
  const note = optionalString('note');
  if (note !== undefined) meta.note = note;
  const adapter = new LinearAdapter(dim, W, b) as LinearAdapter & { meta: AdapterMeta };
  adapter.meta = meta;
  return adapter;
}

/**
 * Wrap an embedder so that 'query' embeddings pass through the adapter; documents (and calls
 * without a role) are unchanged, so an index built with the base embedder stays valid and the id
 * stays the base embedder's. `adapter` is exposed so a host can record which adapter was used.
 */
export function withQueryAdapter(embedder: Embedder, adapter: LinearAdapter): Embedder & { adapter: LinearAdapter } {
  if (adapter.dim !== embedder.dim) {
    throw new AdapterFormatError(
      `adapter is for ${adapter.dim}-d embeddings but ${embedder.id} gives ${embedder.dim}-d`,
    );
  }
  return {
    id: embedder.id,
    dim: embedder.dim,
    dtype: embedder.dtype,
    device: embedder.device,
    adapter,
    async embed(texts: string[], opts?: EmbedOptions): Promise<Float32Array> {
      const v = await embedder.embed(texts, opts);
      return opts?.role === 'query' ? adapter.applyBatch(v) : v;
    },
    dispose: embedder.dispose ? () => embedder.dispose!() : undefined,
  };
}
