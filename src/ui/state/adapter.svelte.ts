/** The trained query adapter of the current embedder: stored per embedder, switched on and off. */
import { loadAdapterJson, type AdapterMeta, type LinearAdapter } from '../../lib/train/adapter.ts';
import { errorMessage } from '../../lib/errors.ts';
import type { EmbedderState } from './embedder.svelte.ts';
import type { SettingsState } from './settings.svelte.ts';
import type { OpenKv } from './ports.ts';

export type LoadedAdapter = LinearAdapter & { meta: AdapterMeta };

export const adapterKey = (embedderId: string) => `adapter:${embedderId}` as const;

export class AdapterState {
  #current = $state.raw<LoadedAdapter | null>(null);
  #json = $state.raw<string | null>(null);
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

  /** Validate, store for its embedder, and use it for queries. */
  async save(json: string): Promise<void> {
    const adapter = loadAdapterJson(json);
    const emb = this.deps.embedder.info;
    if (emb && (adapter.meta.embedderId !== emb.id || adapter.dim !== emb.dim)) {
      throw new Error(
        `this adapter is for ${adapter.meta.embedderId} (${adapter.dim}-d), but the embedder is ${emb.id} (${emb.dim}-d)`,
      );
    }
    await (await this.deps.kv()).setKv(adapterKey(adapter.meta.embedderId), json);
    this.set(adapter, json);
  }
}
