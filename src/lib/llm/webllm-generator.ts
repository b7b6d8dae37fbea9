/**
 * GPU engine: WebLLM (MLC) running quantized models on WebGPU.
 *
 * Model choice depends on the adapter: q4f16 needs `shader-f16`; without it the q4f32 build of
 * the same model is used. The download size and VRAM are known before anything is fetched.
 * The web-llm module is passed in (dynamically imported by the worker), so this file can be
 * tested in Node without loading web-llm's 6 MB bundle.
 */
import type { Generator, GenerateOptions, GenerateResult, LoadGeneratorOptions } from './generator.ts';
import type { WebLlmSpec } from '../config.ts';
import type { GpuCaps } from './webgpu.ts';
import { CodeRagError, ModelLoadError, WebGpuUnavailableError, throwIfAborted } from '../errors.ts';

type WebLlm = typeof import('@mlc-ai/web-llm');
type AppModel = {
  model_id: string;
  vram_required_MB?: number;
  required_features?: string[];
  overrides?: { context_window_size?: number };
};

export interface WebLlmChoice {
  family: string;
  modelId: string;
  quant: 'q4f16' | 'q4f32';
  vramMB: number;
  /** Approximate download in MB (weights only). */
  downloadMB: number;
  contextTokens: number;
  /** Why this quantization was chosen. */
  why: string;
}

/** Pick the model build the adapter can run, with its costs; throws a clear error when none can. */
export function chooseWebLlmModel(spec: WebLlmSpec, caps: GpuCaps, modelList: AppModel[]): WebLlmChoice {
  if (!caps.available) throw new WebGpuUnavailableError(caps.reason ?? 'unknown reason');
  const quant = caps.shaderF16 ? 'q4f16' : 'q4f32';
  const modelId = quant === 'q4f16' ? spec.q4f16 : spec.q4f32;
  const rec = modelList.find((m) => m.model_id === modelId);
  if (!rec) throw new CodeRagError(`web-llm has no prebuilt model "${modelId}"`, 'webllm-model');
  const why = caps.shaderF16 ? 'adapter supports shader-f16' : 'adapter lacks shader-f16, so the q4f32 build is used';
  return {
    family: spec.family,
    modelId,
    quant,
    vramMB: rec.vram_required_MB ?? 0,
    downloadMB: Math.round(spec.paramsB * 1000 * 0.5625),
    contextTokens: rec.overrides?.context_window_size ?? 4096,
    why,
  };
}

export class WebLlmGenerator implements Generator {
  readonly engine = 'webllm' as const;
  private abort: (() => void) | null = null;

  private constructor(
    readonly spec: WebLlmSpec,
    readonly choice: WebLlmChoice,
    private readonly engineImpl: InstanceType<WebLlm['MLCEngine']>,
  ) {}

  get id(): string {
    return this.choice.modelId;
  }
  get format() {
    return this.spec.format;
  }
  get contextTokens(): number {
    return this.choice.contextTokens - 256;
  }

  /**
   * Create the engine and fetch weights (into web-llm's own cache). Progress is reported from
   * web-llm's init callback; an AbortSignal stops waiting and unloads.
   */
  static async load(
    webllm: WebLlm,
    spec: WebLlmSpec,
    choice: WebLlmChoice,
    opts: LoadGeneratorOptions = {},
  ): Promise<WebLlmGenerator> {
    throwIfAborted(opts.signal, 'model load');
    const engine = new webllm.MLCEngine({
      initProgressCallback: (r: { progress: number; text: string }) => {
        opts.onProgress?.({
          phase: `Loading ${choice.modelId}`,
          done: Math.round(r.progress * 1000),
          total: 1000,
          detail: r.text,
        });
      },
    });
    const onAbort = () => {
      void engine.unload();
    };
    opts.signal?.addEventListener('abort', onAbort);
    try {
      await engine.reload(choice.modelId);
    } catch (e) {
      throw new ModelLoadError(choice.modelId, e, 'check the network and the free storage; or use the CPU engine');
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
    throwIfAborted(opts.signal, 'model load');
    return new WebLlmGenerator(spec, choice, engine);
  }

  countTokens(text: string): number {
    // web-llm has no synchronous tokenizer access; ~3.5 characters per token is close for code.
    return Math.ceil(text.length / 3.5);
  }

  async generate(prompt: string, opts: GenerateOptions = {}): Promise<GenerateResult> {
    const t0 = performance.now();
    let interrupted = false;
    const stop = () => {
      interrupted = true;
      this.engineImpl.interruptGenerate();
    };
    this.abort = stop;
    opts.signal?.addEventListener('abort', stop);
    let text = '';
    let tokens = 0;
    let first = 0;
    try {
      const stream = await this.engineImpl.completions.create({
        prompt,
        stream: true,
        max_tokens: opts.maxNewTokens ?? 256,
        temperature: opts.temperature ?? 0,
        ...((opts.temperature ?? 0) > 0 ? { top_p: opts.topP ?? 1 } : {}),
        ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
        stream_options: { include_usage: true },
      });
      for await (const chunk of stream as AsyncIterable<{
        choices: { text?: string }[];
        usage?: { completion_tokens: number; extra?: { decode_tokens_per_s?: number } };
      }>) {
        const piece = chunk.choices[0]?.text ?? '';
        if (piece) {
          if (!first) first = performance.now();
          text += piece;
          tokens++;
          opts.onToken?.(piece);
        }
        if (chunk.usage) tokens = chunk.usage.completion_tokens;
      }
    } finally {
      opts.signal?.removeEventListener('abort', stop);
      this.abort = null;
    }
    const ms = performance.now() - t0;
    const decodeMs = first ? performance.now() - first : ms;
    return { text, tokens, ms, tokensPerSecond: tokens > 1 ? ((tokens - 1) * 1000) / decodeMs : 0, interrupted };
  }

  interrupt(): void {
    this.abort?.();
  }

  async dispose(): Promise<void> {
    await this.engineImpl.unload();
  }
}
