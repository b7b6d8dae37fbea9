/**
 * The "fast query encoder" in use (issue 17, items 1 and 5): a stored light query encoder (a
 * static encoder + its map into the teacher's space) applied as a decorator of the Embedder seam,
 * and the measurement that decides whether it is worth it on the user's own corpus.
 *
 * Query dtype vs document dtype: an index records the dtype its DOCUMENTS were embedded with
 * (`IndexMeta.dtype`); the query side may use another dtype of the same model (CodeQuest
 * "compact") or a light encoder. `withQueryEncoder` keeps the teacher's id, dim and dtype, so the
 * index identity (and stale detection) depends on the document side only: another document dtype
 * is another index, another query dtype or light encoder is not.
 */
import type { Embedder } from './embedder.ts';
import type { ProgressFn } from '../types.ts';
import type { VectorSearch } from '../services.ts';
import type { Dtype } from '../config.ts';
import type { DistillJobRequest, DistillJobResult } from './distill-job.ts';
import { CancelledError } from '../errors.ts';
import { LightFormatError } from './light-file.ts';
import { chooseQueryEncoder, loadLinearMap, withLinearMap } from './linear-map.ts';
import { loadStaticEncoder, type PieceTokenizer } from './static-encoder.ts';

/** The stored blobs of one light query encoder (static-encoder.ts and linear-map.ts formats). */
export interface LightBlobs {
  encoder: Uint8Array;
  map: Uint8Array;
}

/**
 * The teacher, with questions going through the stored static encoder and its map; documents stay
 * with the teacher. A damaged blob, an encoder or map made for another embedder, width or
 * vocabulary: `{ embedder: teacher, light: false, fallbackReason }`.
 */
export function lightQueryEmbedder(
  teacher: Embedder,
  blobs: LightBlobs,
  tokenizer: PieceTokenizer,
): Promise<{ embedder: Embedder; light: boolean; fallbackReason?: string }> {
  return chooseQueryEncoder(teacher, () => {
    const enc = loadStaticEncoder(blobs.encoder, tokenizer, { teacherId: teacher.id });
    const map = loadLinearMap(blobs.map, {
      teacherId: teacher.id,
      teacherDim: teacher.dim,
      sourceId: enc.id,
      sourceDim: enc.dim,
    });
    return withLinearMap(enc, map);
  });
}

/** A query-side variant to time: the teacher, another dtype of it, or a static encoder + map. */
export type QueryVariantSpec =
  { kind: 'teacher' } | { kind: 'dtype'; dtype: Dtype } | ({ kind: 'static' } & LightBlobs);

/**
 * What the app needs from where the embedder runs (the embed and distill workers in the page;
 * in-process in tests): distil, time query variants, and decorate the query side.
 */
export interface LightQueryPort {
  /** Distil static encoders and fit their maps from the loaded embedder (a job: progress, cancel). */
  distill(req: DistillJobRequest, onProgress?: ProgressFn): Promise<DistillJobResult>;
  cancelDistill(): Promise<void>;
  /** Embed each text alone with a variant (teacher space), timing each call where the model runs. */
  timeQueries(texts: string[], variant: QueryVariantSpec): Promise<{ vectors: Float32Array; ms: number[] }>;
  /** Drop the extra models `timeQueries` loaded (other dtypes), after a measurement. */
  releaseProbes?(): Promise<void>;
  /** Questions through this encoder + map from now on (null: the big encoder); says why it fell back. */
  useQueryEncoder(blobs: LightBlobs | null): Promise<{ light: boolean; fallbackReason?: string }>;
}

// ---------------------------------------------------------------------------------------------
// Stored record (IndexedDB, one per embedder)

export const LIGHT_RECORD_VERSION = 1;

/** One measured variant: Recall@10 against the teacher's own top 10, and the p50 of one query. */
export interface VariantRow {
  variant: string;
  kind: 'teacher' | 'compact' | 'static+map';
  recall10: number;
  ndcg10: number;
  p50ms: number;
  /** Stored size, when known. */
  bytes?: number;
  /** Teacher p50 / this p50. */
  speedup: number;
  /** recall10 / the teacher's (= recall10, the teacher's being 1). */
  recallKept: number;
}

export interface LightMeasurement {
  rows: VariantRow[];
  /** Held-out questions measured (their databases were not used to fit the map when the corpus names them). */
  questions: number;
  split: 'database' | 'question';
  at: string;
  /** Where it ran, e.g. "wasm". */
  device: string;
  /** The corpus it was measured on. */
  corpusHash?: string;
}

/** What the app keeps per embedder: the distilled encoder, its map, and how they measured. */
export interface StoredLight extends LightBlobs {
  version: number;
  teacherId: string;
  teacherDtype: string;
  teacherDim: number;
  /** The static encoder's width. */
  dim: number;
  createdAt: string;
  /** In-browser times: distillation (vocabulary + PCA) and the map fit. */
  distillMs: number;
  fitMs: number;
  fitCosine?: number;
  /** Questions the encoder was fitted on. */
  fitQuestions: number;
  measured?: LightMeasurement;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Check a stored record for the loaded embedder (its id and dim). Refuses (LightFormatError) another
 * version, a damaged record, or one made for another embedder or width. The blobs themselves are
 * checked when they are loaded (checksum, vocabulary, identities).
 */
export function readStoredLight(value: unknown, expect: { teacherId: string; teacherDim: number }): StoredLight {
  if (!isObj(value))
    throw new LightFormatError('the stored fast query encoder is damaged (not a record): distil it again');
  if (value.version !== LIGHT_RECORD_VERSION) {
    throw new LightFormatError(
      `the stored fast query encoder is version ${String(value.version)}, this app reads ${LIGHT_RECORD_VERSION}: distil it again`,
    );
  }
  if (!(value.encoder instanceof Uint8Array) || !(value.map instanceof Uint8Array)) {
    throw new LightFormatError('the stored fast query encoder is damaged (its weights are missing): distil it again');
  }
  for (const f of ['teacherId', 'teacherDtype', 'createdAt'] as const) {
    if (typeof value[f] !== 'string')
      throw new LightFormatError(`the stored fast query encoder has no ${f}: distil it again`);
  }
  for (const f of ['teacherDim', 'dim', 'distillMs', 'fitMs', 'fitQuestions'] as const) {
    if (typeof value[f] !== 'number' || !Number.isFinite(value[f])) {
      throw new LightFormatError(`the stored fast query encoder has no valid ${f}: distil it again`);
    }
  }
  const rec = value as unknown as StoredLight;
  if (rec.teacherId !== expect.teacherId || rec.teacherDim !== expect.teacherDim) {
    throw new LightFormatError(
      `the stored fast query encoder was made for ${rec.teacherId} (${rec.teacherDim}-d), not ${expect.teacherId} (${expect.teacherDim}-d): distil one for this embedder`,
    );
  }
  if (rec.measured !== undefined && (!isObj(rec.measured) || !Array.isArray(rec.measured.rows))) {
    const { measured: _drop, ...rest } = rec;
    return rest;
  }
  return rec;
}

// ---------------------------------------------------------------------------------------------
// Held-out questions

/**
 * Split corpus rows into fitting rows and held-out rows by database (every database on one side),
 * so the map is judged on unseen databases; by question when the corpus names fewer than two
 * databases. Deterministic for a seed.
 */
export function splitHeldOut(
  examples: readonly { dbId?: string }[],
  frac = 0.2,
  seed = 1,
): { fit: number[]; heldOut: number[]; split: 'database' | 'question' } {
  let s = seed >>> 0 || 1;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const dbs = [...new Set(examples.map((e) => e.dbId).filter((d): d is string => !!d))].sort();
  const fit: number[] = [];
  const heldOut: number[] = [];
  if (dbs.length >= 2) {
    const shuffled = dbs.map((d) => ({ d, r: rand() })).sort((a, b) => a.r - b.r);
    const nOut = Math.min(dbs.length - 1, Math.max(1, Math.round(dbs.length * frac)));
    const out = new Set(shuffled.slice(0, nOut).map((x) => x.d));
    examples.forEach((e, i) => (e.dbId && out.has(e.dbId) ? heldOut : fit).push(i));
    return { fit, heldOut, split: 'database' };
  }
  examples.forEach((_, i) => (rand() < frac ? heldOut : fit).push(i));
  return { fit, heldOut, split: 'question' };
}

// ---------------------------------------------------------------------------------------------
// Measurement

/** A query encoder to measure: `run` embeds each text alone (in the teacher's space) and times each call. */
export interface QueryVariant {
  name: string;
  kind: VariantRow['kind'];
  bytes?: number;
  run(texts: string[]): Promise<{ vectors: Float32Array; ms: number[] }>;
}

export function median(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Recall@k and nDCG@k of every variant against the FIRST variant's (the teacher's) own top k over
 * the index, and each one's p50 latency of a single-question call. `rows[i]` is the corpus row of
 * `questions[i]`, excluded from its own search. Cancel through `signal`.
 */
export async function measureQueryVariants(o: {
  questions: string[];
  rows: number[];
  variants: QueryVariant[];
  search: VectorSearch;
  dim: number;
  k?: number;
  /** Questions per worker call (progress and cancel granularity). */
  chunk?: number;
  signal?: AbortSignal;
  onProgress?: ProgressFn;
}): Promise<VariantRow[]> {
  const k = o.k ?? 10;
  const chunk = o.chunk ?? 25;
  const n = o.questions.length;
  const total = n * o.variants.length;
  let done = 0;
  let ref: number[][] | null = null;
  let refP50 = NaN;
  const out: VariantRow[] = [];
  const idcg = Array.from({ length: k }, (_, i) => 1 / Math.log2(i + 2)).reduce((a, b) => a + b, 0);
  for (const v of o.variants) {
    const tops: number[][] = [];
    const ms: number[] = [];
    for (let s = 0; s < n; s += chunk) {
      if (o.signal?.aborted) throw new CancelledError('measurement');
      const texts = o.questions.slice(s, s + chunk);
      const r = await v.run(texts);
      ms.push(...r.ms);
      for (let i = 0; i < texts.length; i++) {
        const q = r.vectors.subarray(i * o.dim, (i + 1) * o.dim);
        const { hits } = await o.search.search(q, k, { exclude: [o.rows[s + i]] });
        tops.push(hits.map((h) => h.row));
      }
      done += texts.length;
      o.onProgress?.({ phase: 'Measuring', done, total, detail: v.name });
    }
    const p50 = median(ms);
    let recall = 0;
    let ndcg = 0;
    if (!ref) {
      ref = tops;
      refP50 = p50;
    }
    for (let i = 0; i < n; i++) {
      const want = new Set(ref[i]);
      let hit = 0;
      let dcg = 0;
      tops[i].forEach((row, j) => {
        if (want.has(row)) {
          hit++;
          dcg += 1 / Math.log2(j + 2);
        }
      });
      recall += want.size ? hit / want.size : 1;
      ndcg += dcg / idcg;
    }
    const recall10 = n ? recall / n : 0;
    out.push({
      variant: v.name,
      kind: v.kind,
      recall10,
      ndcg10: n ? ndcg / n : 0,
      p50ms: p50,
      ...(v.bytes !== undefined ? { bytes: v.bytes } : {}),
      speedup: p50 > 0 ? refP50 / p50 : Infinity,
      recallKept: out.length ? recall10 / (out[0].recall10 || 1) : 1,
    });
  }
  return out;
}

/** Thresholds of the issue: keep ≥ 95 % of the teacher's Recall@10 at ≥ 5× lower p50 query latency. */
export const RECOMMEND_RECALL_KEPT = 0.95;
export const RECOMMEND_SPEEDUP = 5;

export interface LightVerdict {
  recommended: boolean;
  /** The static+map row the verdict is about (null when none was measured). */
  row: VariantRow | null;
  message: string;
}

/** Whether the measured fast query encoder (the static+map row) is recommended, with its numbers. */
export function lightVerdict(m: LightMeasurement | undefined): LightVerdict {
  const row = m?.rows.find((r) => r.kind === 'static+map') ?? null;
  if (!m || !row) return { recommended: false, row: null, message: 'not measured on this corpus yet' };
  const nums = `keeps ${(100 * row.recallKept).toFixed(1)} % of the big model's Recall@10 at ${row.speedup.toFixed(1)}× lower p50 latency (${row.p50ms.toFixed(2)} ms vs ${(row.p50ms * row.speedup).toFixed(2)} ms) on ${m.questions} held-out questions`;
  const ok = row.recallKept >= RECOMMEND_RECALL_KEPT && row.speedup >= RECOMMEND_SPEEDUP;
  return ok
    ? { recommended: true, row, message: `recommended: it ${nums}` }
    : {
        recommended: false,
        row,
        message: `not recommended: it ${nums}; the bar is ≥ ${100 * RECOMMEND_RECALL_KEPT} % at ≥ ${RECOMMEND_SPEEDUP}× — answers may use worse examples`,
      };
}
