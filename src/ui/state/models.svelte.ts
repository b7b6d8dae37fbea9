/** What this browser offers: local models served next to the app, the GPU, and the model choices. */
import { CPU_GENERATORS, EMBEDDERS, WEBLLM_MODELS, chooseDefaults } from '../../lib/config.ts';
import type { BrowserModelConfig } from '../../browser/runtime.ts';
import type { GpuCaps } from '../../lib/llm/webgpu.ts';
import type { SettingsState } from './settings.svelte.ts';
import type { PageEnv, UiServices } from './ports.ts';

/** The last local model list seen online, so an offline reload still finds the stored models. */
export interface LocalModelMemory {
  load(): string[] | null;
  save(models: string[]): void;
}

export const LOCAL_MODELS_KEY = 'coderag:local-models';

/** A LocalModelMemory over localStorage-like storage (bad or missing data reads as null). */
export function storageMemory(storage: Pick<Storage, 'getItem' | 'setItem'> | null): LocalModelMemory | undefined {
  if (!storage) return undefined;
  return {
    load: () => {
      try {
        const v = JSON.parse(storage.getItem(LOCAL_MODELS_KEY) ?? 'null');
        return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : null;
      } catch {
        return null;
      }
    },
    save: (models) => {
      try {
        storage.setItem(LOCAL_MODELS_KEY, JSON.stringify(models));
      } catch {
        /* storage full or disabled: the list is read again next time */
      }
    },
  };
}

export class ModelsState {
  #localModels = $state<string[]>([]);
  /** Where the local model list came from: the server, or the copy kept from the last visit. */
  #localSource = $state<'server' | 'remembered' | 'none'>('none');
  #gpu = $state<GpuCaps | null>(null);
  #isolated = $state(false);

  constructor(
    private readonly deps: {
      settings: SettingsState;
      gpu: Pick<UiServices['gpu'], 'probe'>;
      env: PageEnv;
      memory?: LocalModelMemory;
    },
  ) {}

  /** The browser says it is offline. */
  get offline(): boolean {
    return this.deps.env.online ? !this.deps.env.online() : false;
  }
  get localSource(): 'server' | 'remembered' | 'none' {
    return this.#localSource;
  }

  get localModels(): string[] {
    return this.#localModels;
  }
  get gpu(): GpuCaps | null {
    return this.#gpu;
  }
  /** Cross-origin isolated (WASM threads available). */
  get isolated(): boolean {
    return this.#isolated;
  }
  /** A real (non-fallback) WebGPU adapter. */
  get hasGpu(): boolean {
    return !!this.#gpu?.available && !this.#gpu.isFallback;
  }

  /** Read what the page offers: isolation, the local models, the GPU. */
  async probe(isolated: boolean): Promise<void> {
    this.#isolated = isolated;
    await this.discoverLocalModels();
    this.#gpu = await this.deps.gpu.probe();
  }

  async discoverLocalModels(): Promise<void> {
    const s = this.deps.settings.value;
    if (s.modelSource === 'hub') {
      this.#localModels = [];
      this.#localSource = 'none';
      return;
    }
    const remembered = () => {
      const list = this.deps.memory?.load() ?? null;
      this.#localModels = list ?? [];
      this.#localSource = list?.length ? 'remembered' : 'none';
    };
    try {
      const r = await this.deps.env.fetch(new URL('index.json', new URL(s.localBase, this.deps.env.href())), {
        cache: 'no-store',
      });
      const j = r.ok ? await r.json() : null;
      this.#localModels = Array.isArray(j?.models) ? j.models.map(String) : [];
      this.#localSource = this.#localModels.length ? 'server' : 'none';
      // Remember what the server offered (also an empty list: the models are gone).
      if (r.ok) this.deps.memory?.save(this.#localModels);
    } catch {
      // No answer at all (offline, server stopped): the list from the last visit, whose files
      // transformers.js keeps in its Cache API. Never fall back to Hub models for that reason.
      remembered();
    }
  }

  /** Is this model served by the local model base (now, or on the last visit)? */
  isLocal(id: string): boolean {
    return this.#localModels.includes(id);
  }

  modelConfig(): BrowserModelConfig {
    const s = this.deps.settings.value;
    const useLocal = s.modelSource === 'local' || (s.modelSource === 'auto' && this.#localModels.length > 0);
    return {
      // A same-origin path, not an absolute URL: transformers.js only probes local files for
      // paths (an http(s) localModelPath is skipped when it checks which files exist).
      localModelBase: useLocal ? new URL(s.localBase, this.deps.env.href()).pathname : null,
      allowRemoteModels: s.modelSource !== 'local',
      numThreads: 0,
    };
  }

  /** Models the user can pick: Hub models, plus local-only ones the local base serves. */
  embedderChoices() {
    return EMBEDDERS.filter((e) => !e.localOnly || this.#localModels.includes(e.id));
  }
  cpuChoices() {
    return CPU_GENERATORS.filter((g) => !g.localOnly || this.#localModels.includes(g.id));
  }
  webllmChoices() {
    return WEBLLM_MODELS;
  }

  effectiveEmbedderId(): string {
    return this.deps.settings.value.embedderId || chooseDefaults(this.#localModels).embedder;
  }
  effectiveCpuModelId(): string {
    return this.deps.settings.value.cpuModelId || chooseDefaults(this.#localModels).cpuGenerator;
  }
  /** The engine actually used: WebLLM needs a real (non-fallback) WebGPU adapter. */
  effectiveEngine(): 'webllm' | 'cpu' | 'instant' {
    const s = this.deps.settings.value.engine;
    if (s === 'cpu') return 'cpu';
    if (s === 'instant') return 'instant';
    if (s === 'webllm') return 'webllm';
    return this.hasGpu ? 'webllm' : 'cpu';
  }
}
