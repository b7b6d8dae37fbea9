/**
 * External light query encoders (CodeQuest "external"): a linear map y = W x + b from a light
 * encoder's query vectors into the teacher embedder's space, fitted with no labels by ridge
 * regression of light(x) onto teacher(x) over the corpus's own questions. Documents stay
 * embedded by the teacher, so an index keeps working: only queries take the light path.
 *
 * The map is stored with its identities (source encoder id/dim, teacher id/dtype/dim) and is
 * refused with a reason when it does not fit the encoders at hand; `chooseQueryEncoder` then falls
 * back to the teacher.
 */
import type { Embedder, EmbedOptions } from './embedder.ts';
import { ridgeFit, type RidgeOptions } from './linalg.ts';
import { LightFormatError, checkFinite, headerReader, packLight, unpackLight } from './light-file.ts';

export const MAP_KIND = 'coderag-query-map';
export const MAP_VERSION = 1;
/** Largest input/output width a stored map may claim. */
export const MAX_MAP_DIM = 8192;

export interface LinearMapMeta {
  /** Id of the light encoder whose vectors the map takes. */
  sourceId: string;
  sourceDim: number;
  /** Teacher whose space the map writes into (the index's embedder). */
  teacherId: string;
  teacherDtype: string;
  teacherDim: number;
  /** Examples it was fitted on, relative ridge strength, rank (undefined = full). */
  n: number;
  lambda: number;
  rank?: number;
  /** Hash of the fitting texts, to trace a map to its data. */
  dataHash: string;
  createdAt: string;
  /** Mean cosine between mapped and teacher vectors on the fitting set. */
  fitCosine?: number;
}

/** y = normalize(W x + b), W q×p row-major. */
export class LinearMap {
  constructor(
    readonly W: Float32Array,
    readonly b: Float32Array,
    readonly meta: LinearMapMeta,
  ) {
    const { sourceDim: p, teacherDim: q } = meta;
    if (W.length !== p * q) throw new RangeError(`W has ${W.length} values, a ${p}→${q} map needs ${p * q}`);
    if (b.length !== q) throw new RangeError(`b has ${b.length} values, a ${p}→${q} map needs ${q}`);
  }

  get inDim(): number {
    return this.meta.sourceDim;
  }
  get outDim(): number {
    return this.meta.teacherDim;
  }

  /** Row-wise normalize(W x + b) of an n×inDim matrix, as n×outDim. */
  applyBatch(x: Float32Array): Float32Array {
    const p = this.inDim;
    const q = this.outDim;
    if (x.length % p !== 0) throw new RangeError(`matrix of ${x.length} values is not n×${p}`);
    const n = x.length / p;
    const out = new Float32Array(n * q);
    const W = this.W;
    for (let r = 0; r < n; r++) {
      const xo = r * p;
      const oo = r * q;
      let ss = 0;
      for (let c = 0; c < q; c++) {
        let s = this.b[c];
        const wo = c * p;
        for (let k = 0; k < p; k++) s += W[wo + k] * x[xo + k];
        out[oo + c] = s;
        ss += s * s;
      }
      if (ss > 0) {
        const inv = 1 / Math.sqrt(ss);
        for (let c = 0; c < q; c++) out[oo + c] *= inv;
      }
    }
    return out;
  }
}

export interface FitMapOptions extends Omit<RidgeOptions, 'rows'> {
  source: { id: string; dim: number };
  teacher: { id: string; dtype: string; dim: number };
  dataHash?: string;
  /** Rows to fit on (default all): for example the training databases of a split. */
  rows?: readonly number[];
}

/** Why a map cannot be fitted on `n` examples of width `p`, or null when it can. */
export function mapFitRefusal(n: number, p: number): string | null {
  // The centred normal equations have rank ≤ n − 1: below p + 1 examples the map is underdetermined.
  if (n < p + 1) {
    return `too few questions to fit a ${p}-d query map: ${n} examples, at least ${p + 1} needed (add questions to the corpus or use a smaller light encoder)`;
  }
  return null;
}

/**
 * Fit the map from light vectors x (n×p) to teacher vectors y (n×q). Throws LightFormatError
 * (code 'light-format') with the reason when there are fewer examples than dimensions.
 */
export function fitLinearMap(x: Float32Array, y: Float32Array, opts: FitMapOptions): LinearMap {
  const p = opts.source.dim;
  const q = opts.teacher.dim;
  if (x.length % p !== 0 || y.length % q !== 0 || x.length / p !== y.length / q) {
    throw new RangeError(`x (${x.length} values) and y (${y.length}) are not n×${p} and n×${q} for the same n`);
  }
  const n = opts.rows ? opts.rows.length : x.length / p;
  const refusal = mapFitRefusal(n, p);
  if (refusal) throw new LightFormatError(refusal);
  const lambda = opts.lambda ?? 1e-3;
  const fit = ridgeFit(x, p, y, q, { lambda, rank: opts.rank, rows: opts.rows, signal: opts.signal });
  const meta: LinearMapMeta = {
    sourceId: opts.source.id,
    sourceDim: p,
    teacherId: opts.teacher.id,
    teacherDtype: opts.teacher.dtype,
    teacherDim: q,
    n,
    lambda,
    ...(opts.rank !== undefined && opts.rank < Math.min(p, q) ? { rank: opts.rank } : {}),
    dataHash: opts.dataHash ?? '',
    createdAt: new Date().toISOString(),
  };
  const map = new LinearMap(fit.W, fit.b, meta);
  // Fit quality on the rows used: mean cosine of mapped vs teacher (both unit after mapping).
  const rows = opts.rows ?? Array.from({ length: n }, (_, i) => i);
  const sample = rows.slice(0, 2000);
  const xs = new Float32Array(sample.length * p);
  sample.forEach((r, i) => xs.set(x.subarray(r * p, (r + 1) * p), i * p));
  const mapped = map.applyBatch(xs);
  let cos = 0;
  sample.forEach((r, i) => {
    let d = 0,
      yy = 0;
    for (let c = 0; c < q; c++) {
      d += mapped[i * q + c] * y[r * q + c];
      yy += y[r * q + c] * y[r * q + c];
    }
    cos += yy > 0 ? d / Math.sqrt(yy) : 0;
  });
  meta.fitCosine = sample.length ? cos / sample.length : 0;
  return map;
}

// ---------------------------------------------------------------------------------------------
// Stored form

/** The map as one binary blob (see light-file.ts). */
export function serializeLinearMap(map: LinearMap): Uint8Array {
  return packLight({ kind: MAP_KIND, version: MAP_VERSION, ...map.meta }, [map.W, map.b]);
}

export interface MapExpectations {
  /** The index's embedder: the map must write into its space. */
  teacherId?: string;
  teacherDim?: number;
  /** The light encoder the map will read from. */
  sourceId?: string;
  sourceDim?: number;
}

/**
 * Read a stored map, refusing (LightFormatError) a damaged blob, another kind, a newer version,
 * bad fields, non-finite weights, or a map made for another teacher or light encoder.
 */
export function loadLinearMap(input: ArrayBuffer | Uint8Array, expect: MapExpectations = {}): LinearMap {
  const what = 'query map';
  const { header, payload } = unpackLight(input, MAP_KIND, MAP_VERSION, what);
  const h = headerReader(header, what);
  const sourceDim = h.int('sourceDim', 1, MAX_MAP_DIM);
  const teacherDim = h.int('teacherDim', 1, MAX_MAP_DIM);
  const meta: LinearMapMeta = {
    sourceId: h.str('sourceId'),
    sourceDim,
    teacherId: h.str('teacherId'),
    teacherDtype: h.str('teacherDtype'),
    teacherDim,
    n: h.int('n'),
    lambda: h.num('lambda'),
    dataHash: h.optStr('dataHash') ?? '',
    createdAt: h.optStr('createdAt') ?? '',
  };
  if (header.rank !== undefined) meta.rank = h.int('rank', 1, MAX_MAP_DIM);
  if (header.fitCosine !== undefined) meta.fitCosine = h.num('fitCosine');
  if (expect.teacherId !== undefined && meta.teacherId !== expect.teacherId) {
    throw new LightFormatError(
      `query map was fitted for "${meta.teacherId}", but the index uses "${expect.teacherId}": fit a new map`,
    );
  }
  if (expect.teacherDim !== undefined && teacherDim !== expect.teacherDim) {
    throw new LightFormatError(
      `query map writes ${teacherDim}-d vectors, but the index holds ${expect.teacherDim}-d ones: fit a new map`,
    );
  }
  if (expect.sourceId !== undefined && meta.sourceId !== expect.sourceId) {
    throw new LightFormatError(
      `query map reads vectors of "${meta.sourceId}", not of "${expect.sourceId}": fit a new map for this encoder`,
    );
  }
  if (expect.sourceDim !== undefined && sourceDim !== expect.sourceDim) {
    throw new LightFormatError(
      `query map reads ${sourceDim}-d vectors, but the light encoder gives ${expect.sourceDim}-d: fit a new map`,
    );
  }
  if (payload.length !== sourceDim * teacherDim + teacherDim) {
    throw new LightFormatError(
      `stored query map holds ${payload.length} weights; a ${sourceDim}→${teacherDim} map needs ${sourceDim * teacherDim + teacherDim}`,
    );
  }
  checkFinite(payload, what);
  return new LinearMap(payload.slice(0, sourceDim * teacherDim), payload.slice(sourceDim * teacherDim), meta);
}

// ---------------------------------------------------------------------------------------------
// Decorators

/** An embedder whose vectors live in another model's space (`spaceId`), e.g. a mapped light encoder. */
export interface SpaceEmbedder extends Embedder {
  /** The embedder whose space the vectors are in. */
  readonly spaceId: string;
}

/**
 * The light encoder followed by the map: vectors in the teacher's space (dim = teacher dim) for
 * every role. Refuses a map made for another light encoder or width.
 */
export function withLinearMap(light: Embedder, map: LinearMap): SpaceEmbedder & { map: LinearMap } {
  if (map.meta.sourceId !== light.id) {
    throw new LightFormatError(`query map reads vectors of "${map.meta.sourceId}", not of "${light.id}"`);
  }
  if (map.inDim !== light.dim) {
    throw new LightFormatError(`query map reads ${map.inDim}-d vectors, but ${light.id} gives ${light.dim}-d`);
  }
  return {
    id: `${light.id}+map`,
    spaceId: map.meta.teacherId,
    dim: map.outDim,
    dtype: light.dtype,
    device: light.device,
    map,
    async embed(texts: string[], opts?: EmbedOptions): Promise<Float32Array> {
      return map.applyBatch(await light.embed(texts, opts));
    },
    dispose: light.dispose ? () => light.dispose!() : undefined,
  };
}

/**
 * The teacher for documents, `query` for questions: an `Embedder` that keeps the teacher's id,
 * dim and dtype (so an index built with the teacher stays valid) and sends 'query'-role texts to
 * the light encoder. The light encoder must write into the teacher's space: the same model id
 * (another dtype of it: CodeQuest "compact") or a `spaceId` equal to the teacher's id (a mapped
 * encoder), and the same dim.
 */
export function withQueryEncoder(
  teacher: Embedder,
  query: Embedder | SpaceEmbedder,
): Embedder & { queryEncoder: Embedder } {
  const space = 'spaceId' in query ? query.spaceId : query.id;
  if (space !== teacher.id) {
    throw new LightFormatError(
      `query encoder ${query.id} writes into the space of "${space}", not of the index's "${teacher.id}"`,
    );
  }
  if (query.dim !== teacher.dim) {
    throw new LightFormatError(`query encoder gives ${query.dim}-d vectors, the index holds ${teacher.dim}-d ones`);
  }
  return {
    id: teacher.id,
    dim: teacher.dim,
    dtype: teacher.dtype,
    device: teacher.device,
    queryEncoder: query,
    embed(texts: string[], opts?: EmbedOptions): Promise<Float32Array> {
      return opts?.role === 'query' ? query.embed(texts, opts) : teacher.embed(texts, opts);
    },
    dispose: teacher.dispose ? () => teacher.dispose!() : undefined,
  };
}

/**
 * Build the light query encoder with `make` and wrap the teacher with it; when `make` or the
 * wrapping throws (a map for another embedder, a damaged stored encoder, ...), return the teacher
 * itself and the reason, so retrieval goes on with the big encoder.
 */
export async function chooseQueryEncoder(
  teacher: Embedder,
  make: () => Embedder | Promise<Embedder>,
): Promise<{ embedder: Embedder; light: boolean; fallbackReason?: string }> {
  try {
    return { embedder: withQueryEncoder(teacher, await make()), light: true };
  } catch (e) {
    return { embedder: teacher, light: false, fallbackReason: e instanceof Error ? e.message : String(e) };
  }
}
