/**
 * A static light query encoder distilled from the teacher embedder (Model2Vec-style, CodeQuest's
 * "light" encoder without training): one vector per vocabulary piece, made by embedding the piece
 * alone with the teacher, reduced by PCA, and weighted down when the piece is frequent in the
 * corpus (SIF: a / (a + p(piece))). At query time the text is tokenized with the teacher's own
 * tokenizer and the piece vectors are mean-pooled in plain TypeScript: no model call.
 *
 * Its vectors are in its own (PCA) space; a linear map (linear-map.ts) takes them into the
 * teacher's space so that documents embedded by the teacher can be searched with them.
 */
import type { Embedder, EmbedOptions } from './embedder.ts';
import type { ProgressFn } from '../types.ts';
import { CancelledError } from '../errors.ts';
import { fitPca, pcaProject } from './linalg.ts';
import { LightFormatError, checkFinite, fnv1a32Hex, headerReader, packLight, unpackLight } from './light-file.ts';

export const STATIC_KIND = 'coderag-static-encoder';
export const STATIC_VERSION = 1;
/** Metaspace mark of SentencePiece vocabularies (a piece that starts a word). */
const WORD_MARK = '\u2581';

/** The teacher's tokenizer as the static encoder needs it. */
export interface PieceTokenizer {
  /** Piece ids of a text (no special tokens added). */
  encode(text: string): number[];
  /** Piece text by id ('' where an id has no piece). */
  vocab: readonly string[];
  /** Ids that are not text (unknown, padding, control pieces): they get no vector. */
  specialIds: readonly number[];
}

/** Hash of a vocabulary, so a stored encoder is only used with the tokenizer it was made for. */
export function vocabHash(vocab: readonly string[]): string {
  return fnv1a32Hex(new TextEncoder().encode(`${vocab.length}\u0001${vocab.join('\u0001')}`));
}

export interface StaticEncoderMeta {
  teacherId: string;
  teacherDtype: string;
  teacherDim: number;
  dim: number;
  vocabSize: number;
  vocabHash: string;
  /** SIF smoothing `a` (weights a / (a + p)); 0 = unweighted. */
  sifA: number;
  /** Tokens per query used (the teacher's limit). */
  maxTokens: number;
  /** Share of the piece vectors' variance the kept PCA components hold. */
  explained: number;
  /** Pieces that got a vector. */
  pieces: number;
  /** Tokens counted in the corpus for the weights, and the corpus' hash. */
  corpusTokens: number;
  dataHash: string;
  createdAt: string;
}

export class StaticEncoder implements Embedder {
  readonly id: string;
  readonly dim: number;
  readonly dtype = 'fp32';
  readonly device = 'js';

  /** `table` is vocabSize×dim row-major (weights already applied). */
  constructor(
    readonly table: Float32Array,
    readonly meta: StaticEncoderMeta,
    private readonly tokenizer: PieceTokenizer,
  ) {
    if (table.length !== meta.vocabSize * meta.dim) {
      throw new RangeError(`table has ${table.length} values, ${meta.vocabSize}×${meta.dim} needed`);
    }
    if (tokenizer.vocab.length !== meta.vocabSize) {
      throw new LightFormatError(
        `static encoder has ${meta.vocabSize} pieces, the tokenizer ${tokenizer.vocab.length}: use the teacher's tokenizer`,
      );
    }
    this.dim = meta.dim;
    this.id = staticEncoderId(meta.teacherId, meta.dim);
  }

  /** Size of the stored table in bytes. */
  get bytes(): number {
    return this.table.byteLength;
  }

  /** Sum of the piece vectors of `text` into `out[oo..oo+dim)`, normalized; false when no piece has a vector. */
  private pool(text: string, out: Float32Array, oo: number): boolean {
    const d = this.dim;
    const t = this.table;
    const ids = this.tokenizer.encode(text);
    const n = Math.min(ids.length, this.meta.maxTokens);
    for (let i = 0; i < n; i++) {
      const id = ids[i];
      if (id < 0 || id >= this.meta.vocabSize) continue;
      const o = id * d;
      for (let k = 0; k < d; k++) out[oo + k] += t[o + k];
    }
    let s = 0;
    for (let k = 0; k < d; k++) s += out[oo + k] * out[oo + k];
    if (!(s > 0)) return false;
    const inv = 1 / Math.sqrt(s);
    for (let k = 0; k < d; k++) out[oo + k] *= inv;
    return true;
  }

  /** n×dim unit rows. A text with no known piece embeds as the placeholder "(empty)", then as e₀. */
  async embed(texts: string[], opts: EmbedOptions = {}): Promise<Float32Array> {
    const d = this.dim;
    const out = new Float32Array(texts.length * d);
    for (let i = 0; i < texts.length; i++) {
      if (opts.signal?.aborted) throw new CancelledError('embedding');
      if (!this.pool(texts[i], out, i * d)) {
        out.fill(0, i * d, (i + 1) * d);
        if (!this.pool('(empty)', out, i * d)) {
          out.fill(0, i * d, (i + 1) * d);
          out[i * d] = 1;
        }
      }
    }
    opts.onProgress?.({ phase: 'Embedding', done: texts.length, total: texts.length });
    return out;
  }
}

export function staticEncoderId(teacherId: string, dim: number): string {
  return `static-${dim}:${teacherId}`;
}

// ---------------------------------------------------------------------------------------------
// Distillation (a job: progress and cancel)

export interface DistillOptions {
  teacher: Embedder;
  tokenizer: PieceTokenizer;
  /** Texts whose piece frequencies set the weights (the corpus' questions). */
  corpus: readonly string[];
  /** Output widths; one PCA serves them all (the top components of a smaller width are a prefix). */
  dims: readonly number[];
  /**
   * SIF smoothing a; default 0.1 (mild). 0 turns weighting off. On Spider questions the usual
   * 1e-3 cost a third of Recall@10 (0.28 vs 0.46 at 256-d): the frequent pieces ("how many",
   * "average", "each") carry the SQL intent, so they must not be weighted away.
   */
  sifA?: number;
  /** Pieces per teacher call; default 64. */
  batchSize?: number;
  maxTokens?: number;
  dataHash?: string;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

/** The text of a piece as the teacher sees it alone, or '' for a piece with no text. */
export function pieceText(piece: string): string {
  return piece.split(WORD_MARK).join(' ').trim();
}

/**
 * Distil static encoders of the given widths from the teacher: embed every piece (batched),
 * fit one PCA, weight by corpus frequency. Throws CancelledError when `signal` aborts.
 */
export async function distillStaticEncoders(opts: DistillOptions): Promise<StaticEncoder[]> {
  const { teacher, tokenizer, signal, onProgress } = opts;
  const vocab = tokenizer.vocab;
  const V = vocab.length;
  const D = teacher.dim;
  for (const k of opts.dims) {
    if (!Number.isInteger(k) || k < 1 || k > D) throw new RangeError(`static encoder width must be 1..${D}, got ${k}`);
  }
  const special = new Set(tokenizer.specialIds);
  const ids: number[] = [];
  const texts: string[] = [];
  for (let id = 0; id < V; id++) {
    const text = special.has(id) ? '' : pieceText(vocab[id] ?? '');
    if (!text) continue;
    ids.push(id);
    texts.push(text);
  }
  if (ids.length < 2) throw new LightFormatError('the tokenizer has fewer than 2 text pieces: nothing to distil');
  const total = ids.length;
  onProgress?.({ phase: 'Embedding vocabulary', done: 0, total });
  const vecs = await teacher.embed(texts, {
    role: 'doc',
    batchSize: opts.batchSize ?? 64,
    signal,
    onProgress: (p) => onProgress?.({ phase: 'Embedding vocabulary', done: p.done, total }),
  });
  if (signal?.aborted) throw new CancelledError('distillation');
  const kMax = Math.max(...opts.dims);
  onProgress?.({ phase: 'PCA', done: 0, total: 1 });
  const pca = fitPca(vecs, D, kMax, {
    signal,
    onSweep: (sweep) => onProgress?.({ phase: 'PCA', done: 0, total: 1, detail: `sweep ${sweep}` }),
  });
  onProgress?.({ phase: 'PCA', done: 1, total: 1 });

  // Piece frequencies in the corpus.
  const counts = new Float64Array(V);
  let corpusTokens = 0;
  for (let i = 0; i < opts.corpus.length; i++) {
    if (signal?.aborted) throw new CancelledError('distillation');
    for (const id of tokenizer.encode(opts.corpus[i])) {
      if (id >= 0 && id < V) {
        counts[id]++;
        corpusTokens++;
      }
    }
    if (i % 500 === 0) onProgress?.({ phase: 'Counting pieces', done: i, total: opts.corpus.length });
  }
  const a = opts.sifA ?? 0.1;
  const weight = (id: number) => (a > 0 && corpusTokens > 0 ? a / (a + counts[id] / corpusTokens) : 1);

  const full = new Float32Array(kMax);
  const common = {
    teacherId: teacher.id,
    teacherDtype: teacher.dtype,
    teacherDim: D,
    vocabSize: V,
    vocabHash: vocabHash(vocab),
    sifA: a,
    maxTokens: opts.maxTokens ?? 128,
    pieces: ids.length,
    corpusTokens,
    dataHash: opts.dataHash ?? '',
    createdAt: new Date().toISOString(),
  };
  const tables = opts.dims.map((k) => new Float32Array(V * k));
  ids.forEach((id, row) => {
    pcaProject(pca, vecs, row * D, full);
    const w = weight(id);
    opts.dims.forEach((k, t) => {
      for (let j = 0; j < k; j++) tables[t][id * k + j] = full[j] * w;
    });
  });
  let totalVar = 0;
  for (let j = 0; j < pca.k; j++) totalVar += Math.max(0, pca.variances[j]);
  const fullVar = totalVar / (pca.explained || 1);
  return opts.dims.map((k, t) => {
    let kept = 0;
    for (let j = 0; j < k; j++) kept += Math.max(0, pca.variances[j]);
    return new StaticEncoder(tables[t], { ...common, dim: k, explained: fullVar > 0 ? kept / fullVar : 0 }, tokenizer);
  });
}

// ---------------------------------------------------------------------------------------------
// Stored form

export function serializeStaticEncoder(enc: StaticEncoder): Uint8Array {
  return packLight({ kind: STATIC_KIND, version: STATIC_VERSION, ...enc.meta }, [enc.table]);
}

/**
 * Read a stored static encoder for use with `tokenizer` (the teacher's). Refuses a damaged blob,
 * another kind, a newer version, bad fields, non-finite weights, a vocabulary other than the
 * tokenizer's, or (with `expectTeacherId`) an encoder distilled from another embedder.
 */
export function loadStaticEncoder(
  input: ArrayBuffer | Uint8Array,
  tokenizer: PieceTokenizer,
  expect: { teacherId?: string } = {},
): StaticEncoder {
  const what = 'static encoder';
  const { header, payload } = unpackLight(input, STATIC_KIND, STATIC_VERSION, what);
  const h = headerReader(header, what);
  const teacherDim = h.int('teacherDim', 1, 8192);
  const meta: StaticEncoderMeta = {
    teacherId: h.str('teacherId'),
    teacherDtype: h.str('teacherDtype'),
    teacherDim,
    dim: h.int('dim', 1, teacherDim),
    vocabSize: h.int('vocabSize', 1, 1 << 22),
    vocabHash: h.str('vocabHash'),
    sifA: h.num('sifA'),
    maxTokens: h.int('maxTokens', 1),
    explained: h.num('explained'),
    pieces: h.int('pieces'),
    corpusTokens: h.int('corpusTokens'),
    dataHash: h.optStr('dataHash') ?? '',
    createdAt: h.optStr('createdAt') ?? '',
  };
  if (expect.teacherId !== undefined && meta.teacherId !== expect.teacherId) {
    throw new LightFormatError(
      `static encoder was distilled from "${meta.teacherId}", not "${expect.teacherId}": distil one for this embedder`,
    );
  }
  if (payload.length !== meta.vocabSize * meta.dim) {
    throw new LightFormatError(
      `stored static encoder holds ${payload.length} weights; ${meta.vocabSize} pieces × ${meta.dim} need ${meta.vocabSize * meta.dim}`,
    );
  }
  if (meta.vocabHash !== vocabHash(tokenizer.vocab)) {
    throw new LightFormatError(
      `static encoder was made for another vocabulary than this tokenizer's: distil it again for ${meta.teacherId}`,
    );
  }
  checkFinite(payload, what);
  return new StaticEncoder(payload, meta, tokenizer);
}
