/**
 * Distillation worker: builds static light query encoders and their maps (issue 17) off the main
 * thread. The teacher stays in the embed worker: the page passes an `embed` callback (a comlink
 * proxy) that this worker calls for the vocabulary pieces and the corpus questions. The tokenizer
 * is the teacher's own, loaded here through transformers.js. Cancel aborts between steps.
 */
import * as Comlink from 'comlink';
import { registerErrorTransfer } from '../src/lib/errors-transfer.ts';
import { browserTransformers, type BrowserModelConfig } from '../src/browser/runtime.ts';
import type { Embedder, EmbedOptions } from '../src/lib/embed/embedder.ts';
import { runDistillJob, type DistillJobRequest, type DistillJobResult } from '../src/lib/embed/distill-job.ts';
import { loadPieceTokenizer } from '../src/lib/embed/piece-tokenizer.ts';
import type { ProgressFn } from '../src/lib/types.ts';

let abort: AbortController | null = null;

export interface DistillTeacher {
  id: string;
  dim: number;
  dtype: string;
  device: string;
}

/** Embeds texts with the teacher (in the embed worker), `role` as in `EmbedOptions`. */
export type EmbedCallback = (texts: string[], role: 'query' | 'doc', batchSize: number) => Promise<Float32Array>;

const api = {
  async distill(
    modelCfg: BrowserModelConfig,
    teacherInfo: DistillTeacher,
    req: DistillJobRequest,
    embed: EmbedCallback,
    onProgress?: ProgressFn,
  ): Promise<DistillJobResult> {
    abort?.abort();
    const ac = new AbortController();
    abort = ac;
    const teacher: Embedder = {
      ...teacherInfo,
      async embed(texts: string[], o: EmbedOptions = {}) {
        const out = new Float32Array(texts.length * teacherInfo.dim);
        const step = 512; // Small calls so that progress moves and cancel is prompt.
        for (let i = 0; i < texts.length; i += step) {
          if (ac.signal.aborted) break;
          out.set(await embed(texts.slice(i, i + step), o.role ?? 'doc', o.batchSize ?? 64), i * teacherInfo.dim);
          o.onProgress?.({ phase: 'Embedding', done: Math.min(texts.length, i + step), total: texts.length });
        }
        return out;
      },
    };
    const tokenizer = await loadPieceTokenizer(await browserTransformers(modelCfg), teacherInfo.id);
    try {
      const res = await runDistillJob(req, { teacher, tokenizer }, { signal: ac.signal, onProgress });
      const buffers = res.encoders.flatMap((e) => [e.encoder.buffer, ...(e.map ? [e.map.buffer] : [])]);
      return Comlink.transfer(res, buffers as ArrayBuffer[]);
    } finally {
      if (abort === ac) abort = null;
    }
  },
  cancel() {
    abort?.abort();
  },
};

export type DistillApi = typeof api;
registerErrorTransfer();
Comlink.expose(api);
