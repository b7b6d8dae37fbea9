/**
 * The SQL-writing model in the LLM worker: WebLLM on a GPU or transformers.js on the CPU, with
 * large downloads waiting for the user's go-ahead, loaded as a cancellable job.
 */
import type { PromptFormat } from '../../lib/config.ts';
import { findCpuGenerator, INSTANT_GENERATOR, type Dtype } from '../../lib/config.ts';
import type { WebLlmChoice } from '../../lib/llm/webllm-generator.ts';
import type { ProgressFn } from '../../lib/types.ts';
import { errorMessage } from '../../lib/errors.ts';
import { StageStatus } from './status.svelte.ts';
import type { Jobs } from './jobs.svelte.ts';
import type { ModelsState } from './models.svelte.ts';
import type { SettingsState } from './settings.svelte.ts';
import type { UiServices } from './ports.ts';

export interface GeneratorInfo {
  id: string;
  engine: string;
  format: PromptFormat;
  device: string;
}

export interface PendingDownload {
  label: string;
  sizeMB: number;
  go: () => Promise<void>;
}

export class GeneratorState {
  #info = $state<GeneratorInfo | null>(null);
  #plan = $state<WebLlmChoice | null>(null);
  #planError = $state<string | null>(null);
  #pending = $state<PendingDownload | null>(null);
  readonly stage = new StageStatus();

  constructor(
    private readonly deps: {
      settings: SettingsState;
      models: ModelsState;
      jobs: Jobs;
      generator: Pick<UiServices['generator'], 'loadWebLlm' | 'loadCpu' | 'cancelLoad'>;
      gpu: Pick<UiServices['gpu'], 'planWebLlm'>;
      /** A warning when a download of this many MB would not fit the free storage, else null. */
      quotaWarning: (mb: number) => Promise<string | null>;
      /** Called each time a generator is ready. */
      onReady?: () => void;
    },
  ) {}

  get info(): GeneratorInfo | null {
    return this.#info;
  }
  get status() {
    return this.stage.status;
  }
  get error(): string | null {
    return this.stage.error;
  }
  get ready(): boolean {
    return this.stage.ready && !!this.#info;
  }
  get webllmPlan(): WebLlmChoice | null {
    return this.#plan;
  }
  get webllmPlanError(): string | null {
    return this.#planError;
  }
  /** A download over the auto-download size, waiting for the user's go-ahead. */
  get pendingDownload(): PendingDownload | null {
    return this.#pending;
  }

  async planWebLlm(): Promise<void> {
    this.#planError = null;
    try {
      this.#plan = await this.deps.gpu.planWebLlm(this.deps.settings.value.webllmFamily);
    } catch (e) {
      this.#plan = null;
      this.#planError = errorMessage(e);
    }
  }

  /** Load the generator; downloads over the auto-download size wait for the user's go-ahead. */
  async load(confirmed = false): Promise<void> {
    this.stage.setError(null);
    this.#pending = null;
    if (this.deps.models.effectiveEngine() === 'instant') {
      // Nothing to download: the instant generator lives next to the database (SQL worker).
      this.#info = {
        id: INSTANT_GENERATOR.id,
        engine: 'instant',
        format: INSTANT_GENERATOR.format,
        device: 'no model',
      };
      this.stage.set('ready');
      this.deps.onReady?.();
      return;
    }
    if (this.deps.models.effectiveEngine() === 'webllm') {
      await this.planWebLlm();
      const plan = this.#plan;
      if (!plan) {
        this.stage.setError(`${this.#planError}; using the CPU engine`);
        return this.loadCpu(confirmed);
      }
      if (!confirmed) {
        this.stage.set('needs-confirm');
        const warn = await this.deps.quotaWarning(plan.downloadMB);
        this.#pending = {
          label: `${plan.modelId}: about ${(plan.downloadMB / 1000).toFixed(1)} GB download, ${(plan.vramMB / 1000).toFixed(1)} GB of GPU memory (${plan.why})${warn ? '. ' + warn : ''}`,
          sizeMB: plan.downloadMB,
          go: () => this.load(true),
        };
        return;
      }
      const family = this.deps.settings.value.webllmFamily;
      return this.job(plan.modelId, (onP) => this.deps.generator.loadWebLlm(family, onP));
    }
    return this.loadCpu(confirmed);
  }

  async loadCpu(confirmed = false): Promise<void> {
    const { settings, models } = this.deps;
    const id = models.effectiveCpuModelId();
    const spec = findCpuGenerator(id);
    if (!spec) {
      this.stage.fail(`unknown CPU model ${id}`);
      return;
    }
    const dtype = () => (settings.value.cpuDtype || spec.defaultDtype) as Dtype;
    if (!models.isLocal(id) && models.offline) {
      // No download offer while offline: say what is missing instead. (A Hub model loaded before
      // is in transformers.js's cache and still loads; the load below finds it there.)
      this.#pending = null;
      return this.job(id, (onP) => this.deps.generator.loadCpu(models.modelConfig(), id, dtype(), onP));
    }
    if (!confirmed && !models.isLocal(id) && spec.sizeMB > settings.value.autoDownloadMB) {
      this.stage.set('needs-confirm');
      const warn = await this.deps.quotaWarning(spec.sizeMB);
      this.#pending = {
        label: `${spec.label}: about ${spec.sizeMB} MB download${warn ? '. ' + warn : ''}`,
        sizeMB: spec.sizeMB,
        go: () => this.loadCpu(true),
      };
      return;
    }
    this.#pending = null;
    return this.job(id, (onP) => this.deps.generator.loadCpu(models.modelConfig(), id, dtype(), onP));
  }

  /** Load a generator in the LLM worker as a cancellable job with progress. */
  private async job(label: string, load: (onProgress: ProgressFn) => Promise<GeneratorInfo>): Promise<void> {
    const { jobs, generator } = this.deps;
    this.stage.set('loading');
    const onP = jobs.start('generator', `Loading ${label}`, () => void generator.cancelLoad());
    try {
      this.#info = await load(onP);
      this.stage.set('ready');
      this.deps.onReady?.();
    } catch (e) {
      this.stage.fail(this.deps.models.offline ? offlineMessage(label, errorMessage(e)) : errorMessage(e));
    } finally {
      jobs.end('generator');
    }
  }
}

/** A model that could not load while the browser is offline: what is missing, and what to do. */
export function offlineMessage(model: string, error: string): string {
  return `you are offline, and ${model} is not stored in this browser (${error}); connect to the internet once to download it, or choose a model stored here`;
}
