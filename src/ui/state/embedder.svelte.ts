/** The embedding model in the embed worker: loading (WebGPU, falling back to WASM) and its status. */
import { findEmbedder, type Dtype } from '../../lib/config.ts';
import { errorMessage } from '../../lib/errors.ts';
import { StageStatus } from './status.svelte.ts';
import { offlineMessage } from './generator.svelte.ts';
import type { Jobs } from './jobs.svelte.ts';
import type { ModelsState } from './models.svelte.ts';
import type { SettingsState } from './settings.svelte.ts';
import type { UiServices } from './ports.ts';

export interface EmbedderInfo {
  id: string;
  dim: number;
  /** The documents' dtype (what an index records). */
  dtype: string;
  device: string;
  /** The questions' dtype, when another than the documents'. */
  queryDtype?: string;
  /** Why the asked question dtype is not used (its model failed to load). */
  queryDtypeError?: string;
}

export class EmbedderState {
  #info = $state<EmbedderInfo | null>(null);
  readonly stage = new StageStatus();

  constructor(
    private readonly deps: {
      settings: SettingsState;
      models: ModelsState;
      jobs: Jobs;
      embedder: Pick<UiServices['embedder'], 'load'>;
    },
  ) {}

  get info(): EmbedderInfo | null {
    return this.#info;
  }
  get status() {
    return this.stage.status;
  }
  get error(): string | null {
    return this.stage.error;
  }

  /** A problem with something that belongs to the embedder (its stored adapter), shown beside it. */
  warn(message: string): void {
    this.stage.setError(message);
  }

  async load(): Promise<void> {
    const { settings, models, jobs, embedder } = this.deps;
    const id = models.effectiveEmbedderId();
    const spec = findEmbedder(id);
    if (!spec) {
      this.stage.fail(`unknown embedder ${id}`);
      return;
    }
    const dtype = (settings.value.embedDtype || spec.defaultDtype) as Dtype;
    // Questions may use another dtype of the same model against these documents (issue 17).
    const q = settings.value.queryDtype;
    const queryDtype = q && q !== dtype && spec.dtypes.includes(q) ? q : undefined;
    const want = settings.value.embedDevice;
    const device = want === 'auto' ? (models.hasGpu ? 'webgpu' : 'wasm') : want;
    this.stage.loading();
    const onP = jobs.start('embedder', `Loading embedder ${id}`);
    try {
      this.#info = await embedder.load(models.modelConfig(), id, dtype, device, onP, queryDtype);
      this.stage.set('ready');
      if (this.#info.queryDtypeError) this.stage.setError(this.#info.queryDtypeError);
    } catch (first) {
      let e = first;
      if (device === 'webgpu') {
        // WebGPU failed (no adapter features, driver issue): fall back to WASM.
        try {
          this.#info = await embedder.load(models.modelConfig(), id, dtype, 'wasm', onP, queryDtype);
          this.stage.set('ready');
          this.stage.setError(`WebGPU failed (${errorMessage(e)}); using WASM`);
          return;
        } catch (e2) {
          e = e2;
        }
      }
      this.#info = null;
      this.stage.fail(models.offline ? offlineMessage(`the embedder ${id}`, errorMessage(e)) : errorMessage(e));
    } finally {
      jobs.end('embedder');
    }
  }
}
