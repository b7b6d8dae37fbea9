/**
 * The browser host: everything that needs Vite's `?url` imports or browser globals, shared by
 * the workers. Bundles the ORT wasm so nothing is fetched from a CDN.
 */
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import ortMjs from 'onnxruntime-web/ort-wasm-simd-threaded.mjs?url';
import ortGpuWasm from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import ortGpuMjs from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import { applyTransformersConfig, type CoreConfig } from '../lib/config.ts';
import { RuntimeBuildError } from '../lib/errors.ts';
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

/**
 * Which ONNX runtime build a worker starts: `cpu`, ORT's plain SIMD + threads build (14 MB), for
 * the WASM engine; `webgpu`, the asyncify build (27 MB), which the WebGPU engine needs. The
 * asyncify build runs the WASM engine too, but its instrumented code compiles in about twice the
 * time and ran the CPU kernels 1.5-2.5x slower here (docs/instant-start.md, round 10).
 */
export type OrtBuild = 'cpu' | 'webgpu';

export function ortBuildFor(device: 'webgpu' | 'wasm'): OrtBuild {
  return device === 'webgpu' ? 'webgpu' : 'cpu';
}

/** The build this realm's runtime was started as: fixed by the first model load (ORT starts once). */
let realmBuild: OrtBuild | null = null;

/**
 * The build a model load on `device` uses here, fixing it for the realm on first use. Throws
 * RuntimeBuildError when the realm's runtime is the other build (the worker must be replaced).
 */
export function claimOrtBuild(device: 'webgpu' | 'wasm'): OrtBuild {
  const want = ortBuildFor(device);
  if (realmBuild && realmBuild !== want) throw new RuntimeBuildError(realmBuild, want);
  realmBuild = want;
  return want;
}

function ortPaths(build: OrtBuild): { wasm: string; mjs: string } {
  const [wasm, mjs] = build === 'webgpu' ? [ortGpuWasm, ortGpuMjs] : [ortWasm, ortMjs];
  return { wasm: new URL(wasm, location.href).href, mjs: new URL(mjs, location.href).href };
}

let tfPromise: Promise<typeof import('@huggingface/transformers')> | null = null;

/**
 * transformers.js configured for this browser; call again to re-apply a changed config. A model
 * load passes its `device` (see claimOrtBuild); tokenizer-only uses pass none.
 */
export async function browserTransformers(
  cfg: BrowserModelConfig,
  device?: 'webgpu' | 'wasm',
): Promise<typeof import('@huggingface/transformers')> {
  const build = device ? claimOrtBuild(device) : (realmBuild ?? 'cpu');
  tfPromise ??= import('@huggingface/transformers');
  const tf = await tfPromise;
  const core: CoreConfig = {
    localModelBase: cfg.localModelBase,
    allowRemoteModels: cfg.allowRemoteModels,
    numThreads: cfg.numThreads > 0 ? cfg.numThreads : autoThreads(),
    wasmPaths: ortPaths(build),
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
