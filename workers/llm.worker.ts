/**
 * Generation worker: WebLLM on WebGPU, or transformers.js on WASM (the CPU engine).
 * Prompts are built here too, so they are cut with the model's own tokenizer.
 */
import * as Comlink from 'comlink';
import { registerErrorTransfer } from '../src/lib/errors-transfer.ts';
import { browserTransformers, type BrowserModelConfig } from '../src/browser/runtime.ts';
import { findCpuGenerator, findWebLlm, type Dtype } from '../src/lib/config.ts';
import type { Generator, Sampling } from '../src/lib/llm/generator.ts';
import { TransformersGenerator } from '../src/lib/llm/transformers-generator.ts';
import { WebLlmGenerator, chooseWebLlmModel, type WebLlmChoice } from '../src/lib/llm/webllm-generator.ts';
import { probeWebGpu, type GpuCaps } from '../src/lib/llm/webgpu.ts';
import {
  buildExplainPrompt,
  buildFollowUpPrompt,
  buildPrompt,
  type ExplainInput,
  type FollowUpInput,
  type PromptInput,
} from '../src/lib/llm/prompts.ts';
import type { ProgressFn } from '../src/lib/types.ts';

let gen: Generator | null = null;
let caps: GpuCaps | null = null;
let loadAbort: AbortController | null = null;

async function webllmModule() {
  return import('@mlc-ai/web-llm');
}

const api = {
  async probe(): Promise<GpuCaps> {
    caps ??= await probeWebGpu();
    return caps;
  },
  /** What a WebLLM family would cost on this device, before any download. */
  async planWebLlm(family: string): Promise<WebLlmChoice> {
    const spec = findWebLlm(family);
    if (!spec) throw new Error(`unknown WebLLM model "${family}"`);
    const { prebuiltAppConfig } = await webllmModule();
    return chooseWebLlmModel(spec, await api.probe(), prebuiltAppConfig.model_list);
  },
  async loadWebLlm(family: string, onProgress?: ProgressFn) {
    const spec = findWebLlm(family)!;
    const choice = await api.planWebLlm(family);
    loadAbort = new AbortController();
    await gen?.dispose?.();
    gen = null;
    gen = await WebLlmGenerator.load(await webllmModule(), spec, choice, { onProgress, signal: loadAbort.signal });
    return { id: gen.id, engine: gen.engine, format: gen.format, device: 'webgpu', contextTokens: gen.contextTokens };
  },
  async loadCpu(modelCfg: BrowserModelConfig, id: string, dtype: Dtype, onProgress?: ProgressFn) {
    const spec = findCpuGenerator(id);
    if (!spec) throw new Error(`unknown CPU model "${id}"`);
    const tf = await browserTransformers(modelCfg, 'wasm');
    loadAbort = new AbortController();
    await gen?.dispose?.();
    gen = null;
    gen = await TransformersGenerator.load(tf, spec, 'wasm', dtype, { onProgress, signal: loadAbort.signal });
    return { id: gen.id, engine: gen.engine, format: gen.format, device: 'wasm', contextTokens: gen.contextTokens };
  },
  cancelLoad() {
    loadAbort?.abort();
  },
  buildPrompt(input: PromptInput, reserve = 128) {
    if (!gen) throw new Error('no generator loaded');
    const g = gen;
    return buildPrompt(g.format, input, { countTokens: (t) => g.countTokens(t), maxTokens: g.contextTokens - reserve });
  },
  /** The explain prompt (null for tiny-sql, which cannot explain: the page uses the rule-based explainer). */
  buildExplainPrompt(input: ExplainInput, reserve = 256) {
    if (!gen) throw new Error('no generator loaded');
    const g = gen;
    return buildExplainPrompt(g.format, input, {
      countTokens: (t) => g.countTokens(t),
      maxTokens: g.contextTokens - reserve,
    });
  },
  buildFollowUpPrompt(input: FollowUpInput, reserve = 128) {
    if (!gen) throw new Error('no generator loaded');
    const g = gen;
    return buildFollowUpPrompt(g.format, input, {
      countTokens: (t) => g.countTokens(t),
      maxTokens: g.contextTokens - reserve,
    });
  },
  async generate(prompt: string, maxNewTokens: number, onToken?: (piece: string) => void, sampling?: Sampling) {
    if (!gen) throw new Error('no generator loaded');
    return gen.generate(prompt, { maxNewTokens, onToken, ...sampling });
  },
  interrupt() {
    gen?.interrupt();
  },
};

export type LlmApi = typeof api;
registerErrorTransfer();
Comlink.expose(api);
