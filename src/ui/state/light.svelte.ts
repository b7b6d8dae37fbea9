/**
 * The fast query encoder (issue 17): a static encoder distilled from the loaded embedder plus a
 * linear map into its space, built in a worker from the corpus's questions, stored in IndexedDB per
 * embedder, measured on held-out questions of the loaded corpus (split by database), and switched
 * on as a decorator of the query side of the Embedder seam (documents and the index are untouched).
 *
 * Off by default; it can only be switched on once measured on the loaded corpus. It is called
 * "recommended" only when it keeps ≥ 95 % of the big model's Recall@10 at ≥ 5× lower p50 query
 * latency; otherwise it is shown with its numbers and a warning. A stored encoder that cannot be
 * used (another embedder or width, damaged) is reported and retrieval stays with the big encoder.
 */
import { findEmbedder, type Dtype } from '../../lib/config.ts';
import { CancelledError, errorMessage, isCancelled } from '../../lib/errors.ts';
import {
  LIGHT_RECORD_VERSION,
  lightVerdict,
  measureQueryVariants,
  readStoredLight,
  splitHeldOut,
  type LightMeasurement,
  type LightQueryPort,
  type LightVerdict,
  type QueryVariant,
  type StoredLight,
} from '../../lib/embed/light-query.ts';
import type { IndexServiceApi } from '../../lib/services.ts';
import type { Progress } from '../../lib/types.ts';
import type { CorpusState } from './corpus.svelte.ts';
import type { EmbedderState } from './embedder.svelte.ts';
import type { IndexesState } from './indexes.svelte.ts';
import type { Jobs } from './jobs.svelte.ts';
import type { SettingsState } from './settings.svelte.ts';
import type { OpenKv } from './ports.ts';

export const lightKey = (embedderId: string) => `light:${embedderId}` as const;

/** Static encoder widths offered (the distillation makes one; Node measured 32–512, docs/light-encoders.md). */
export const LIGHT_WIDTHS = [32, 64, 128, 256, 512] as const;
/** Held-out questions measured at most (each is embedded once per variant). */
export const MAX_MEASURE_QUESTIONS = 200;

export class LightState {
  #stored = $state.raw<StoredLight | null>(null);
  #message = $state<string | null>(null);
  #error = $state<string | null>(null);
  #phase = $state<Progress | null>(null);
  #running = $state<'distill' | 'measure' | null>(null);
  /** The query side goes through the light encoder now (the worker said so). */
  #active = $state(false);
  /** Width of the next distillation (bound in the panel). */
  width = $state(128);
  private abort: AbortController | null = null;

  constructor(
    private readonly deps: {
      settings: SettingsState;
      embedder: EmbedderState;
      corpus: CorpusState;
      indexes: Pick<IndexesState, 'index' | 'status'>;
      index: Pick<IndexServiceApi, 'search'>;
      jobs: Jobs;
      kv: OpenKv;
      light: LightQueryPort;
    },
  ) {}

  get stored(): StoredLight | null {
    return this.#stored;
  }
  get measurement(): LightMeasurement | null {
    return this.#stored?.measured ?? null;
  }
  get verdict(): LightVerdict {
    return lightVerdict(this.#stored?.measured);
  }
  /** The measurement was made on another corpus than the loaded one. */
  get measuredElsewhere(): boolean {
    const m = this.#stored?.measured;
    const c = this.deps.corpus.current;
    return !!m && !!c && !!m.corpusHash && m.corpusHash !== c.hash;
  }
  get active(): boolean {
    return this.#active;
  }
  get running(): 'distill' | 'measure' | null {
    return this.#running;
  }
  get phase(): Progress | null {
    return this.#phase;
  }
  /** What happened last (a fallback, a refusal), shown beside the option. */
  get message(): string | null {
    return this.#message;
  }
  get error(): string | null {
    return this.#error;
  }
  /** The option may be switched on: an encoder is stored and measured. */
  get canEnable(): boolean {
    return !!this.#stored?.measured;
  }

  cancel(): void {
    this.abort?.abort();
    void this.deps.light.cancelDistill();
  }

  /** Read the stored encoder of the loaded embedder, and apply it when the option is on. */
  async restore(): Promise<void> {
    this.#stored = null;
    this.#active = false;
    this.#message = null;
    const emb = this.deps.embedder.info;
    if (!emb) return;
    let raw: unknown;
    try {
      raw = await (await this.deps.kv()).getKv(lightKey(emb.id));
    } catch (e) {
      this.#message = `the stored fast query encoder could not be read (${errorMessage(e)}); questions use the big encoder`;
      return;
    }
    if (raw === undefined) {
      if (this.deps.settings.value.fastQueryOn) this.deps.settings.update({ fastQueryOn: false });
      return;
    }
    try {
      this.#stored = readStoredLight(raw, { teacherId: emb.id, teacherDim: emb.dim });
    } catch (e) {
      this.#message = `${errorMessage(e)}; questions use the big encoder`;
      this.deps.settings.update({ fastQueryOn: false });
      return;
    }
    if (this.deps.settings.value.fastQueryOn) await this.apply(true);
  }

  /** Switch the option; switching on needs a measured encoder (see `measure`). */
  async setOn(on: boolean): Promise<void> {
    if (on && !this.#stored) {
      this.#message = 'distil a fast query encoder first';
      return;
    }
    if (on && !this.#stored!.measured) {
      await this.measure();
      if (!this.#stored?.measured) return;
    }
    await this.apply(on);
  }

  private async apply(on: boolean): Promise<void> {
    const st = this.#stored;
    try {
      const r = await this.deps.light.useQueryEncoder(on && st ? { encoder: st.encoder, map: st.map } : null);
      this.#active = r.light;
      if (on && !r.light) {
        this.#message = `the fast query encoder cannot be used (${r.fallbackReason ?? 'unknown reason'}); questions use the big encoder`;
        this.deps.settings.update({ fastQueryOn: false });
        return;
      }
      this.deps.settings.update({ fastQueryOn: on });
      if (on) this.#message = null;
    } catch (e) {
      this.#active = false;
      this.#message = `the fast query encoder cannot be used (${errorMessage(e)}); questions use the big encoder`;
      this.deps.settings.update({ fastQueryOn: false });
    }
  }

  /** Run `work` as the one light job (progress, cancel). */
  private async job(
    kind: 'distill' | 'measure',
    label: string,
    work: (signal: AbortSignal, report: (p: Progress) => void) => Promise<void>,
  ) {
    if (this.#running) return;
    const ac = new AbortController();
    this.abort = ac;
    this.#running = kind;
    this.#error = null;
    this.#phase = null;
    const onP = this.deps.jobs.start('light', label, () => this.cancel());
    const report = (p: Progress) => {
      this.#phase = p;
      onP(p);
    };
    try {
      await work(ac.signal, report);
    } catch (e) {
      this.#error = isCancelled(e) || ac.signal.aborted ? `${label} cancelled; nothing was changed` : errorMessage(e);
    } finally {
      this.deps.jobs.end('light');
      this.#running = null;
      this.#phase = null;
      if (this.abort === ac) this.abort = null;
    }
  }

  /**
   * Distil a static encoder of `width` from the loaded embedder on the corpus's fitting questions
   * (the held-out databases are left out), fit its map, store both, then measure them.
   */
  async distill(): Promise<void> {
    const emb = this.deps.embedder.info;
    const corpus = this.deps.corpus.current;
    if (!emb || !corpus) {
      this.#error = 'load an embedder and a corpus first';
      return;
    }
    let stored = false;
    await this.job('distill', `Distilling a fast query encoder (${this.width}-d)`, async (signal, report) => {
      const split = splitHeldOut(corpus.examples);
      const questions = split.fit.map((i) => corpus.examples[i].question);
      const t0 = performance.now();
      const stop = () => void this.deps.light.cancelDistill();
      signal.addEventListener('abort', stop);
      let res;
      try {
        res = await this.deps.light.distill({ questions, dims: [this.width], dataHash: corpus.hash }, report);
      } finally {
        signal.removeEventListener('abort', stop);
      }
      if (signal.aborted) throw new CancelledError('distillation');
      const enc = res.encoders[0];
      if (!enc?.map) throw new Error(enc?.mapRefused ?? 'the distillation gave no map');
      const rec: StoredLight = {
        version: LIGHT_RECORD_VERSION,
        teacherId: emb.id,
        teacherDtype: emb.dtype,
        teacherDim: emb.dim,
        dim: enc.dim,
        encoder: enc.encoder,
        map: enc.map,
        createdAt: new Date().toISOString(),
        distillMs: res.distillMs,
        fitMs: enc.fitMs ?? performance.now() - t0 - res.distillMs,
        ...(enc.fitCosine !== undefined ? { fitCosine: enc.fitCosine } : {}),
        fitQuestions: questions.length,
      };
      await (await this.deps.kv()).setKv(lightKey(emb.id), rec);
      // A new encoder is not in use until measured and switched on again.
      if (this.#active) await this.apply(false);
      this.deps.settings.update({ fastQueryOn: false });
      this.#stored = rec;
      this.#message = `distilled in ${(rec.distillMs / 1000).toFixed(1)} s, map fitted in ${(rec.fitMs / 1000).toFixed(1)} s on ${rec.fitQuestions} questions`;
      stored = true;
    });
    if (stored) await this.measure();
  }

  private measureAll(
    questions: string[],
    rows: number[],
    variants: QueryVariant[],
    corpusHash: string,
    dim: number,
    signal: AbortSignal,
    report: (p: Progress) => void,
  ) {
    return measureQueryVariants({
      questions,
      rows,
      variants,
      search: { search: (q, k, o) => this.deps.index.search(q, k, { ...o, corpusHash }) },
      dim,
      signal,
      onProgress: report,
    });
  }

  /**
   * Measure the big encoder, each other dtype of it and the stored static encoder + map on held-out
   * questions of the loaded corpus: Recall@10 / nDCG@10 against the big encoder's own top 10 over
   * the index, and the p50 latency of one question in the worker. Stored with the encoder.
   */
  async measure(): Promise<void> {
    const emb = this.deps.embedder.info;
    const corpus = this.deps.corpus.current;
    const st = this.#stored;
    if (!emb || !corpus || !st) {
      this.#error = 'distil a fast query encoder first';
      return;
    }
    if (this.deps.indexes.status !== 'ready' || !this.deps.indexes.index) {
      this.#error = 'the index is not ready yet: measure once it is built';
      return;
    }
    await this.job('measure', 'Measuring query encoders', async (signal, report) => {
      const split = splitHeldOut(corpus.examples);
      const rows = split.heldOut.slice(0, MAX_MEASURE_QUESTIONS);
      if (rows.length < 5)
        throw new Error(`too few held-out questions to measure (${rows.length}); load a bigger corpus`);
      const questions = rows.map((r) => corpus.examples[r].question);
      const port = this.deps.light;
      const spec = findEmbedder(emb.id);
      const variants: QueryVariant[] = [
        { name: `${emb.id} ${emb.dtype}`, kind: 'teacher', run: (t) => port.timeQueries(t, { kind: 'teacher' }) },
        ...(spec?.dtypes ?? [])
          .filter((d) => d !== emb.dtype)
          .map((d): QueryVariant => ({
            name: `${emb.id} ${d} (${emb.dtype} docs)`,
            kind: 'compact',
            run: (t) => port.timeQueries(t, { kind: 'dtype', dtype: d as Dtype }),
          })),
        {
          name: `static-${st.dim} + map ${st.dim}→${st.teacherDim}`,
          kind: 'static+map',
          bytes: st.encoder.byteLength + st.map.byteLength,
          run: (t) => port.timeQueries(t, { kind: 'static', encoder: st.encoder, map: st.map }),
        },
      ];
      // a warm-up call each, so that no variant pays the first-call cost in its numbers
      let table;
      try {
        for (const v of variants) await v.run(questions.slice(0, 2));
        table = await this.measureAll(questions, rows, variants, corpus.hash, emb.dim, signal, report);
      } finally {
        // the other dtypes loaded for this measurement are not kept in memory
        await port.releaseProbes?.().catch(() => {});
      }
      const measured: LightMeasurement = {
        rows: table,
        questions: questions.length,
        split: split.split,
        at: new Date().toISOString(),
        device: emb.device,
        corpusHash: corpus.hash,
      };
      const rec: StoredLight = { ...st, measured };
      await (await this.deps.kv()).setKv(lightKey(emb.id), rec);
      this.#stored = rec;
    });
  }
}
