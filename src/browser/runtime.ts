/**
 * The browser host: everything that needs Vite's `?url` imports or browser globals, shared by
 * the workers. Bundles the ORT wasm so nothing is fetched from a CDN.
 */
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import ortMjs from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import { applyTransformersConfig, type CoreConfig } from '../lib/config.ts';
import { lazyModelFetch, underModelBase } from './model-fetch.ts';

export interface BrowserModelConfig {
  /** Absolute URL of a local model base (e.g. http://host/models/), or null for the Hub only. */
  localModelBase: string | null;
  allowRemoteModels: boolean;
  /** 0 = automatic: 2 threads when cross-origin isolated, else 1. */
  numThreads: number;
}

export function isolated(): boolean {
  return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
}

export function autoThreads(): number {
  if (!isolated()) return 1;
  const hc = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
  return Math.max(1, Math.min(4, hc));
}

let tfPromise: Promise<typeof import('@huggingface/transformers')> | null = null;

/** transformers.js configured for this browser; call again to re-apply a changed config. */
export async function browserTransformers(
  cfg: BrowserModelConfig,
): Promise<typeof import('@huggingface/transformers')> {
  tfPromise ??= import('@huggingface/transformers');
  const tf = await tfPromise;
  const core: CoreConfig = {
    localModelBase: cfg.localModelBase,
    allowRemoteModels: cfg.allowRemoteModels,
    numThreads: cfg.numThreads > 0 ? cfg.numThreads : autoThreads(),
    wasmPaths: { wasm: new URL(ortWasm, location.href).href, mjs: new URL(ortMjs, location.href).href },
    useBrowserCache: true,
  };
  applyTransformersConfig(tf.env, core);
  // Each local model file is downloaded once (the size probe before a load costs a HEAD).
  const realFetch = globalThis.fetch.bind(globalThis);
  tf.env.fetch = cfg.localModelBase
    ? lazyModelFetch(realFetch, underModelBase(cfg.localModelBase, location.href))
    : realFetch;
  return tf;
}
