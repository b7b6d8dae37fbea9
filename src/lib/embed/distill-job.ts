/**
 * The distillation job, shared by the browser worker (workers/distill.worker.ts) and
 * `npm run distill`: distil static encoders of the asked widths from the teacher, then fit each
 * one's ridge map into the teacher's space over the corpus questions, and return the stored
 * blobs. A map that cannot be fitted (too few questions) is refused with its reason; the encoder
 * is still returned. Progress and cancel go through `onProgress` / `signal`.
 */
import type { Embedder } from './embedder.ts';
import type { ProgressFn } from '../types.ts';
import { CancelledError } from '../errors.ts';
import { LightFormatError } from './light-file.ts';
import { fitLinearMap, serializeLinearMap } from './linear-map.ts';
import { distillStaticEncoders, serializeStaticEncoder, type PieceTokenizer } from './static-encoder.ts';

export interface DistillJobRequest {
  /** The corpus' questions: piece weights and map fitting data. */
  questions: string[];
  dims: number[];
  sifA?: number;
  /** Fit a map for each encoder (default true). */
  fitMap?: boolean;
  lambda?: number;
  rank?: number;
  dataHash?: string;
}

export interface DistilledEncoder {
  id: string;
  dim: number;
  /** Stored static encoder (static-encoder.ts `loadStaticEncoder`). */
  encoder: Uint8Array;
  /** Stored map (linear-map.ts `loadLinearMap`), when fitted. */
  map?: Uint8Array;
  /** Why no map was fitted. */
  mapRefused?: string;
  explained: number;
  fitMs?: number;
  fitCosine?: number;
}

export interface DistillJobResult {
  teacherId: string;
  teacherDtype: string;
  encoders: DistilledEncoder[];
  distillMs: number;
}

export async function runDistillJob(
  req: DistillJobRequest,
  deps: { teacher: Embedder; tokenizer: PieceTokenizer },
  opts: { signal?: AbortSignal; onProgress?: ProgressFn } = {},
): Promise<DistillJobResult> {
  const { teacher, tokenizer } = deps;
  const { signal, onProgress } = opts;
  const t0 = performance.now();
  const encoders = await distillStaticEncoders({
    teacher,
    tokenizer,
    corpus: req.questions,
    dims: req.dims,
    sifA: req.sifA,
    dataHash: req.dataHash,
    signal,
    onProgress,
  });
  const distillMs = performance.now() - t0;
  const out: DistilledEncoder[] = [];
  const fit = req.fitMap ?? true;
  const targets = fit
    ? await teacher.embed(req.questions, {
        role: 'query',
        batchSize: 64,
        signal,
        onProgress: (p) => onProgress?.({ phase: 'Embedding questions', done: p.done, total: p.total }),
      })
    : null;
  for (const enc of encoders) {
    if (signal?.aborted) throw new CancelledError('distillation');
    const row: DistilledEncoder = {
      id: enc.id,
      dim: enc.dim,
      encoder: serializeStaticEncoder(enc),
      explained: enc.meta.explained,
    };
    if (targets) {
      onProgress?.({ phase: 'Fitting map', done: out.length, total: encoders.length, detail: enc.id });
      const t1 = performance.now();
      try {
        const map = fitLinearMap(await enc.embed(req.questions, { signal }), targets, {
          source: { id: enc.id, dim: enc.dim },
          teacher: { id: teacher.id, dtype: teacher.dtype, dim: teacher.dim },
          lambda: req.lambda,
          rank: req.rank,
          dataHash: req.dataHash,
          signal,
        });
        row.map = serializeLinearMap(map);
        row.fitMs = performance.now() - t1;
        row.fitCosine = map.meta.fitCosine;
      } catch (e) {
        if (!(e instanceof LightFormatError)) throw e;
        row.mapRefused = e.message;
      }
    }
    out.push(row);
  }
  onProgress?.({ phase: 'Done', done: 1, total: 1 });
  return { teacherId: teacher.id, teacherDtype: teacher.dtype, encoders: out, distillMs };
}
