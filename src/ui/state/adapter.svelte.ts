/** The trained query adapter of the current embedder: stored per embedder, switched on and off. */
import { loadAdapterJson, type AdapterMeta, type LinearAdapter } from '../../lib/train/adapter.ts';
import { errorMessage } from '../../lib/errors.ts';
import type { EmbedderState } from './embedder.svelte.ts';
import type { SettingsState } from './settings.svelte.ts';
import type { OpenKv } from './ports.ts';

export type LoadedAdapter = LinearAdapter & { meta: AdapterMeta };

export const adapterKey = (embedderId: string) => `adapter:${embedderId}` as const;

/** Whether a newly saved adapter was switched on, and why (its held-out scores against none). */
export interface AdapterDecision {
  on: boolean;
  /** Held-out nDCG@10 without / with the adapter (null when the file carries no metrics). */
  base: number | null;
  adapted: number | null;
  message: string;
}

/**
 * An adapter is applied automatically only when it ranks the held-out pairs better than no
 * adapter (nDCG@10, ties broken by recall@3); otherwise it is kept, switched off.
 */
export function decideAdapter(meta: AdapterMeta): AdapterDecision {
  const m = meta.metrics;
  if (!m) {
    return {
      on: false,
      base: null,
      adapted: null,
      message: 'this adapter carries no held-out scores, so it is saved but switched off; switch it on to try it',
    };
  }
  const base = m.base.ndcg10;
  const adapted = m.adapted.ndcg10;
  const better = adapted > base || (adapted === base && m.adapted.recall3 > m.base.recall3);
  const nums = `held-out nDCG@10 ${base.toFixed(3)} without it, ${adapted.toFixed(3)} with it`;
  return better
    ? { on: true, base, adapted, message: `the adapter is better than none (${nums}), so it is switched on` }
    : {
        on: false,
        base,
        adapted,
        message: `the adapter is not better than none (${nums}), so it is saved but switched off`,
      };
}

export class AdapterState {
  #current = $state.raw<LoadedAdapter | null>(null);
  #json = $state.raw<string | null>(null);
  #decision = $state.raw<AdapterDecision | null>(null);
  #active = $derived.by(() => !!this.#current && this.deps.settings.value.adapterOn);

  constructor(
    private readonly deps: {
      settings: SettingsState;
      embedder: EmbedderState;
      kv: OpenKv;
    },
  ) {}

  get current(): LoadedAdapter | null {
    return this.#current;
  }
  /** The adapter as stored (for export). */
  get json(): string | null {
    return this.#json;
  }
  /** What was decided for the last adapter saved (trained or imported) in this session. */
  get decision(): AdapterDecision | null {
    return this.#decision;
  }
  /** An adapter is loaded and switched on. */
  get active(): boolean {
    return this.#active;
  }

  set(adapter: LoadedAdapter | null, json: string | null): void {
    this.#current = adapter;
    this.#json = json;
  }

  setOn(on: boolean): void {
    this.deps.settings.update({ adapterOn: on });
  }

  /** Load the stored adapter of the current embedder (if any). */
  async restore(): Promise<void> {
    const emb = this.deps.embedder.info;
    this.set(null, null);
    this.#decision = null;
    if (!emb) return;
    try {
      // Stored data is checked like an imported file (loadAdapterJson validates the whole schema);
      // anything wrong is reported and the adapter ignored, never fatal for the page.
      const json = await (await this.deps.kv()).getKv(adapterKey(emb.id));
      if (!json) return;
      const a = loadAdapterJson(json);
      if (a.dim === emb.dim) this.set(a, json);
    } catch (e) {
      this.deps.embedder.warn(`the stored adapter could not be read (${errorMessage(e)}); it is ignored`);
    }
  }

  /**
   * Validate and store for its embedder; switch it on only when its held-out scores beat no
   * adapter (see decideAdapter), otherwise keep it off with the numbers in `decision`.
   */
  async save(json: string): Promise<AdapterDecision> {
    const adapter = loadAdapterJson(json);
    const emb = this.deps.embedder.info;
    if (emb && (adapter.meta.embedderId !== emb.id || adapter.dim !== emb.dim)) {
      throw new Error(
        `this adapter is for ${adapter.meta.embedderId} (${adapter.dim}-d), but the embedder is ${emb.id} (${emb.dim}-d)`,
      );
    }
    await (await this.deps.kv()).setKv(adapterKey(adapter.meta.embedderId), json);
    this.set(adapter, json);
    const decision = decideAdapter(adapter.meta);
    this.setOn(decision.on);
    this.#decision = decision;
    return decision;
  }
}
