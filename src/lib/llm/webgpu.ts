/** What the WebGPU adapter can do, probed once; decides engine and quantization. */
export interface GpuCaps {
  available: boolean;
  /** Why WebGPU is not usable, when it is not. */
  reason?: string;
  shaderF16: boolean;
  /** A software adapter (SwiftShader) or a fallback adapter. */
  isFallback: boolean;
  vendor?: string;
  architecture?: string;
  description?: string;
  maxBufferSizeMB?: number;
  maxStorageBufferBindingSizeMB?: number;
}

interface GpuLike {
  requestAdapter(opts?: { powerPreference?: string }): Promise<{
    features: { has(f: string): boolean };
    limits: { maxBufferSize: number; maxStorageBufferBindingSize: number };
    info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };
    isFallbackAdapter?: boolean;
  } | null>;
}

export async function probeWebGpu(
  gpu: GpuLike | undefined = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu,
): Promise<GpuCaps> {
  if (!gpu) {
    const secure = (globalThis as { isSecureContext?: boolean }).isSecureContext;
    return {
      available: false,
      shaderF16: false,
      isFallback: false,
      reason: secure === false ? 'not a secure context (use https or localhost)' : 'this browser has no navigator.gpu',
    };
  }
  let adapter;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return {
      available: false,
      shaderF16: false,
      isFallback: false,
      reason: `requestAdapter failed: ${(e as Error).message}`,
    };
  }
  if (!adapter)
    return {
      available: false,
      shaderF16: false,
      isFallback: false,
      reason: 'no WebGPU adapter (GPU blocklisted or disabled)',
    };
  const info = adapter.info ?? {};
  return {
    available: true,
    shaderF16: adapter.features.has('shader-f16'),
    isFallback: Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter),
    vendor: info.vendor,
    architecture: info.architecture,
    description: info.description,
    maxBufferSizeMB: adapter.limits.maxBufferSize / 2 ** 20,
    maxStorageBufferBindingSizeMB: adapter.limits.maxStorageBufferBindingSize / 2 ** 20,
  };
}
