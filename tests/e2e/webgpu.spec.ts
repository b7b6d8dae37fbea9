/**
 * The WebGPU paths, exercised on Chromium's software adapter (SwiftShader: a fallback adapter
 * without shader-f16). WebLLM weights cannot be downloaded here, so WebLLM is tested up to that
 * boundary: model choice by device features, size and VRAM shown before download, progress and
 * a clear error.
 */
import { test, expect } from '@playwright/test';
import { HAS_LOCAL_MODELS } from './fixtures.ts';

test('WebGPU adapter is probed and WebLLM picks q4f32 without shader-f16', async ({ page }) => {
  await page.goto('./');
  await page.getByTestId('tab-settings').click();
  const info = page.getByTestId('gpu-info');
  await expect(info).toContainText('WebGPU adapter');
  await expect(info).toContainText('shader-f16: no');
  await expect(info).toContainText('fallback');
  await page.getByTestId('plan-webllm').click();
  const plan = page.getByTestId('webllm-plan');
  await expect(plan).toContainText('Mistral-7B-Instruct-v0.3-q4f32_1-MLC');
  await expect(plan).toContainText('lacks shader-f16');
  await expect(plan).toContainText(/about 4\.\d GB to download, 5\.\d+ GB of GPU memory/);
  await page.getByTestId('webllm-select').selectOption('qwen2.5-coder-0.5b');
  await page.getByTestId('plan-webllm').click();
  await expect(plan).toContainText('Qwen2.5-Coder-0.5B-Instruct-q4f32_1-MLC');
});

test('choosing WebLLM asks before the download, then fails with a clear error offline', async ({ page, context }) => {
  // Cut the model hosts, so the test means the same with or without internet (workers included).
  await context.route(/huggingface\.co|hf\.co|githubusercontent\.com/, (route) => route.abort('internetdisconnected'));
  await page.goto('./');
  await page.getByTestId('tab-settings').click();
  await page.getByTestId('webllm-select').selectOption('qwen2.5-coder-0.5b');
  await page.getByTestId('engine-select').selectOption('webllm');
  const gen = page.getByTestId('generator-status');
  await expect(gen).toContainText('Qwen2.5-Coder-0.5B-Instruct-q4f32_1-MLC');
  await expect(gen).toContainText('GB of GPU memory');
  await page.getByTestId('confirm-download').click();
  // Hugging Face is unreachable from this machine: the load must end in a readable error.
  await expect(gen).toContainText('could not load model "Qwen2.5-Coder-0.5B-Instruct-q4f32_1-MLC"', {
    timeout: 120_000,
  });
  // The app still works: switch back to the CPU engine.
  if (HAS_LOCAL_MODELS) {
    await page.getByTestId('engine-select').selectOption('cpu');
    await expect(gen).toContainText('on wasm', { timeout: 120_000 });
  }
});

test('the embedder runs on WebGPU (software adapter) or falls back to WASM with a message', async ({
  page,
  context,
}) => {
  test.skip(!HAS_LOCAL_MODELS, 'needs ../shared/models');
  // Which ONNX runtime builds the workers fetch (src/browser/runtime.ts): the plain one for WASM,
  // the asyncify one only for WebGPU.
  const builds: string[] = [];
  context.on('request', (r) => {
    const m = r.url().match(/ort-wasm-simd-threaded(\.asyncify)?-[\w-]+\.wasm$/);
    if (m) builds.push(m[1] ? 'webgpu' : 'cpu');
  });
  await page.goto('./');
  await expect(page.getByTestId('embedder-status')).toContainText('on wasm', { timeout: 120_000 });
  await expect(page.getByTestId('generator-status')).toContainText('on wasm', { timeout: 120_000 });
  expect(builds).toContain('cpu');
  expect(builds, 'the WASM engine must not fetch the WebGPU build').not.toContain('webgpu');
  await page.getByTestId('tab-settings').click();
  const device = page.locator('select').filter({ hasText: 'auto device' });
  await device.selectOption('webgpu');
  const st = page.getByTestId('embedder-status');
  await expect(st).toContainText(/on webgpu|WebGPU failed/, { timeout: 120_000 });
  const text = (await st.textContent()) ?? '';
  console.log(`[webgpu.spec] embedder status with WebGPU requested: ${text.replace(/\s+/g, ' ').trim()}`);
  // The embed worker had started the WASM build: it is replaced, not refused.
  expect(text).not.toContain('needs a new worker');
  if (text.includes('on webgpu')) expect(builds).toContain('webgpu');
  await expect(page.getByTestId('index-status')).toContainText('vectors', { timeout: 170_000 });
  // And back: the embedder runs on WASM again, with no message.
  await device.selectOption('wasm');
  await expect(st).toContainText('on wasm', { timeout: 120_000 });
  await expect(st).not.toContainText('failed');
});
