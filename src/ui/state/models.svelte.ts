/** What this browser offers: local models served next to the app, the GPU, and the model choices. */
import { CPU_GENERATORS, EMBEDDERS, WEBLLM_MODELS, chooseDefaults } from '../../lib/config.ts';
import type { BrowserModelConfig } from '../../browser/runtime.ts';
import type { GpuCaps } from '../../lib/llm/webgpu.ts';
import type { SettingsState } from './settings.svelte.ts';
import type { PageEnv, UiServices } from './ports.ts';

export class ModelsState {
  #localModels = $state<string[]>([]);
  #gpu = $state<GpuCaps | null>(null);
  #isolated = $state(false);

  constructor(
    private readonly deps: {
      settings: SettingsState;
      gpu: Pick<UiServices['gpu'], 'probe'>;
      env: PageEnv;
    },
  ) {}

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
      return;
    }
    try {
      const r = await this.deps.env.fetch(new URL('index.json', new URL(s.localBase, this.deps.env.href())), {
        cache: 'no-store',
      });
      const j = r.ok ? await r.json() : null;
      this.#localModels = Array.isArray(j?.models) ? j.models.map(String) : [];
    } catch {
      this.#localModels = [];
    }
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
  effectiveEngine(): 'webllm' | 'cpu' {
    const s = this.deps.settings.value.engine;
    if (s === 'cpu') return 'cpu';
    if (s === 'webllm') return 'webllm';
    return this.hasGpu ? 'webllm' : 'cpu';
  }
}
