/**
 * The opt-in cross-encoder reranker of the code & docs space: a `ChunkReranker` that reads each
 * (question, chunk) pair together with a transformers.js sequence-classification model (an MS
 * MARCO cross-encoder from the registry, RERANKERS in config.ts) and orders the fused candidates
 * by its score. Off by default (MMR reranks then); a model that cannot be loaded, or fails on a
 * question, leaves MMR in place with the reason.
 *
 * The parts that need no weights are separate and unit-tested: what a pair holds (`pairInputs`:
 * the chunk's header and the start of its text, cut to the model's token limit), scoring in
 * batches, ordering by score, and the fallback.
 */
import type { RerankerSpec } from '../config.ts';
import { errorMessage, ModelLoadError, throwIfAborted } from '../errors.ts';
import { downloadProgress } from '../embed/transformers-embedder.ts';
import type { ProgressFn } from '../types.ts';
import { estimateTokens } from './chunk.ts';
import type { ChunkReranker, CodeHit } from './search.ts';
import type { Chunk } from './types.ts';

/** Candidates of the fused list the cross-encoder reads per question (the rest keep their fused order). */
export const RERANK_DEPTH = 20;
/** Pairs per model call. */
export const RERANK_BATCH = 10;
/** Share of a pair's tokens a question may take (the rest is the passage). */
const QUERY_SHARE = 0.25;
/** Tokens for the model's own markers ([CLS] q [SEP] p [SEP]) and a margin for the estimate. */
const RESERVED_TOKENS = 16;

/** Scores (question, passage) pairs: higher is more relevant. Implemented by a loaded cross-encoder. */
export interface PairScorer {
  readonly id: string;
  score(queries: string[], passages: string[], signal?: AbortSignal): Promise<number[]>;
  dispose?(): Promise<void>;
}

/**
 * Cut a text to about `tokens` tokens (the chunker's estimate), at a line end when one is near,
 * so that a pair fits the model and its truncation never drops the question.
 */
export function cutToTokens(text: string, tokens: number): string {
  if (tokens <= 0) return '';
  if (estimateTokens(text) <= tokens) return text;
  // binary search on the length: the estimate is monotone in the text's prefix
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (estimateTokens(text.slice(0, mid)) <= tokens) lo = mid;
    else hi = mid - 1;
  }
  const cut = text.slice(0, lo);
  const nl = cut.lastIndexOf('\n');
  return nl > lo / 2 ? cut.slice(0, nl) : cut;
}

/**
 * The pairs the cross-encoder reads: the question (cut to a quarter of the model's tokens), and
 * each chunk's header (`path:lines kind name`) and text, cut to what is left.
 */
export function pairInputs(
  query: string,
  chunks: Pick<Chunk, 'header' | 'text'>[],
  maxTokens: number,
): { queries: string[]; passages: string[] } {
  const room = Math.max(8, maxTokens - RESERVED_TOKENS);
  const q = cutToTokens(query.trim(), Math.floor(room * QUERY_SHARE));
  const left = room - estimateTokens(q);
  return { queries: chunks.map(() => q), passages: chunks.map((c) => cutToTokens(`${c.header}\n${c.text}`, left)) };
}

export interface CrossEncoderOptions {
  /** The model's pair limit in tokens (the registry's maxTokens). */
  maxTokens?: number;
  depth?: number;
  batchSize?: number;
  signal?: AbortSignal;
}

/**
 * A reranker that orders the first `depth` fused candidates by the cross-encoder's score (ties
 * keep the fused order) and puts any further candidates after them in fused order. Each hit's
 * `score` becomes the model's score; `similarity` (the cosine) is kept.
 */
export function crossEncoderReranker(
  chunkOf: (row: number) => Pick<Chunk, 'header' | 'text'>,
  scorer: PairScorer,
  o: CrossEncoderOptions = {},
): ChunkReranker {
  const depth = o.depth ?? RERANK_DEPTH;
  const bs = Math.max(1, o.batchSize ?? RERANK_BATCH);
  return {
    name: `cross-encoder ${scorer.id}`,
    async rerank(query, candidates, k) {
      const top = candidates.slice(0, depth);
      const { queries, passages } = pairInputs(
        query,
        top.map((c) => chunkOf(c.row)),
        o.maxTokens ?? 512,
      );
      const scores: number[] = [];
      for (let i = 0; i < top.length; i += bs) {
        throwIfAborted(o.signal, 'reranking');
        const s = await scorer.score(queries.slice(i, i + bs), passages.slice(i, i + bs), o.signal);
        if (s.length !== Math.min(bs, top.length - i) || s.some((x) => !Number.isFinite(x)))
          throw new Error(`the cross-encoder gave ${s.length} scores for ${Math.min(bs, top.length - i)} pairs`);
        scores.push(...s);
      }
      const ranked: CodeHit[] = top
        .map((c, i) => ({ c, s: scores[i], i }))
        .sort((a, b) => b.s - a.s || a.i - b.i)
        .map(({ c, s }) => ({ ...c, score: s }));
      return [...ranked, ...candidates.slice(depth)].slice(0, k);
    },
  };
}

/**
 * The cross-encoder with MMR behind it: a question the cross-encoder fails on is reranked by the
 * fallback, and `onFallback` hears why (the page shows it; search never breaks on the model).
 */
export function withFallback(
  primary: ChunkReranker,
  fallback: ChunkReranker,
  onFallback?: (reason: string) => void,
): ChunkReranker {
  return {
    name: primary.name,
    async rerank(query, candidates, k) {
      try {
        return await primary.rerank(query, candidates, k);
      } catch (e) {
        onFallback?.(`${primary.name} failed (${errorMessage(e)}); reranked with ${fallback.name}`);
        return fallback.rerank(query, candidates, k);
      }
    },
  };
}

type Transformers = typeof import('@huggingface/transformers');

/**
 * Load a cross-encoder through transformers.js (the same loader and model base as the embedder:
 * the Hub, or a local folder), with the download's progress. Throws ModelLoadError.
 */
export async function loadCrossEncoder(
  tf: Transformers,
  spec: RerankerSpec,
  o: { dtype?: string; device?: 'wasm' | 'cpu' | 'webgpu'; onProgress?: ProgressFn; signal?: AbortSignal } = {},
): Promise<PairScorer & { dtype: string }> {
  const dtype = o.dtype ?? spec.defaultDtype;
  const progress_callback = downloadProgress(o.onProgress, `Loading ${spec.id}`);
  let tokenizer: Awaited<ReturnType<Transformers['AutoTokenizer']['from_pretrained']>>;
  let model: Awaited<ReturnType<Transformers['AutoModelForSequenceClassification']['from_pretrained']>>;
  try {
    tokenizer = await tf.AutoTokenizer.from_pretrained(spec.id, { progress_callback });
    throwIfAborted(o.signal, 'model load');
    model = await tf.AutoModelForSequenceClassification.from_pretrained(spec.id, {
      dtype,
      device: o.device,
      progress_callback,
    } as Record<string, unknown>);
  } catch (e) {
    // transformers.js reports a missing model as a missing field: say where it was looked for
    throw new ModelLoadError(
      spec.id,
      e,
      `its files were not found in the local model folder${tf.env.allowRemoteModels ? ' or on the Hub' : ' (the Hub is off)'}, or could not be read`,
    );
  }
  const score = async (queries: string[], passages: string[]): Promise<number[]> => {
    const inputs = tokenizer(queries, {
      text_pair: passages,
      padding: true,
      truncation: true,
      max_length: spec.maxTokens,
    });
    const out = (await model(inputs)) as { logits: { data: ArrayLike<number>; dims: number[] } };
    const [n, labels] = out.logits.dims;
    // one logit per pair (relevance); with two labels, the second one's margin over the first
    return Array.from({ length: n }, (_, i) =>
      labels === 1
        ? Number(out.logits.data[i])
        : Number(out.logits.data[i * labels + 1]) - Number(out.logits.data[i * labels]),
    );
  };
  // a probe: the model answers one pair with one finite score, or it is not usable
  try {
    const p = await score(['probe'], ['probe']);
    if (p.length !== 1 || !Number.isFinite(p[0])) throw new Error(`the model gave ${p.length} scores for one pair`);
  } catch (e) {
    throw new ModelLoadError(spec.id, e, 'it does not look like a sequence-classification cross-encoder');
  }
  return {
    id: spec.id,
    dtype,
    score,
    async dispose() {
      await model.dispose();
    },
  };
}
