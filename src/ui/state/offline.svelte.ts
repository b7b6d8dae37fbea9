/**
 * "Ready to work offline", said only when it is true: the app shell is precached by the service
 * worker, and the models and the index in use are stored in this browser (model files in the
 * Cache API, the index in IndexedDB, the local model list remembered).
 */
export interface OfflineDeps {
  embedder: { info: { id: string } | null };
  generator: { info: { id: string } | null };
  indexes: { status: string };
  /** The service worker has precached the app shell (it controls the page, or said offline-ready). */
  shellReady: () => boolean;
  /** Ids of the models whose files are in the browser's caches (src/ui/storage.ts). */
  listStored: () => Promise<string[]>;
}

/** Does a cached model id name this model? ("mlc-ai/X-MLC" names "X-MLC"; a folder names itself.) */
export function sameModel(stored: string, id: string): boolean {
  return stored === id || stored.endsWith(`/${id}`) || id.endsWith(`/${stored}`);
}

export class OfflineReadiness {
  #stored = $state.raw<string[] | null>(null);

  constructor(private readonly deps: OfflineDeps) {}

  /** Look again at what the caches hold (after a model loads). */
  async check(): Promise<void> {
    try {
      this.#stored = await this.deps.listStored();
    } catch {
      this.#stored = [];
    }
  }

  /** What is still missing before the app works offline (empty = ready). */
  get missing(): string[] {
    const { embedder, generator, indexes, shellReady } = this.deps;
    const out: string[] = [];
    if (!shellReady()) out.push('the app itself (the service worker has not stored it yet)');
    const stored = this.#stored ?? [];
    for (const [what, info] of [
      ['the embedder', embedder.info],
      ['the SQL model', generator.info],
    ] as const) {
      if (!info) out.push(`${what} (not loaded yet)`);
      else if (!stored.some((s) => sameModel(s, info.id))) out.push(`${what} ${info.id} (its files are not stored)`);
    }
    if (indexes.status !== 'ready') out.push('the example index (not built yet)');
    return out;
  }

  get ready(): boolean {
    return this.#stored != null && this.missing.length === 0;
  }
}
