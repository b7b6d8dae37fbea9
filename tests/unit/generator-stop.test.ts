/**
 * Stop at the generator clients (issue 18 item 1): aborting the signal given to `generate` must
 * reach the engine's interrupt, whether the model runs in a worker (WorkerGenerator over a real
 * comlink endpoint) or is WebLLM (its engine's interruptGenerate; WebLLM cannot load here, so its
 * engine is a scripted stream with the same surface).
 */
import { afterEach, expect, test } from 'vitest';
import * as Comlink from 'comlink';
import type { LlmApi } from '../../workers/llm.worker.ts';
import { WorkerGenerator } from '../../src/browser/clients.ts';
import { WebLlmGenerator } from '../../src/lib/llm/webllm-generator.ts';
import type { WebLlmChoice } from '../../src/lib/llm/webllm-generator.ts';
import type { WebLlmSpec } from '../../src/lib/config.ts';
import type { GenerateResult } from '../../src/lib/llm/generator.ts';
import { registerErrorTransfer } from '../../src/lib/errors-transfer.ts';
import { CancelledError } from '../../src/lib/errors.ts';

const ports: MessagePort[] = [];
afterEach(() => {
  for (const p of ports.splice(0)) p.close();
});

/** A token every 10 ms until interrupted (or 200 tokens). */
function tokenStream(onToken: (p: string) => void, stopped: () => boolean): Promise<GenerateResult> {
  return new Promise((resolve) => {
    let n = 0;
    const t0 = performance.now();
    const tick = () => {
      if (stopped() || n >= 200) {
        resolve({
          text: 'x'.repeat(n),
          tokens: n,
          ms: performance.now() - t0,
          tokensPerSecond: 100,
          interrupted: stopped(),
        });
        return;
      }
      n++;
      onToken('x');
      setTimeout(tick, 10);
    };
    tick();
  });
}

test('WorkerGenerator: aborting the signal calls the worker interrupt and the generation ends promptly', async () => {
  registerErrorTransfer();
  let interrupts = 0;
  let generations = 0;
  let stop = false;
  const api = {
    async generate(_prompt: string, _max: number, onToken?: (p: string) => void) {
      generations++;
      stop = false;
      return tokenStream(
        (p) => void onToken?.(p),
        () => stop,
      );
    },
    async interrupt() {
      interrupts++;
      stop = true;
    },
  };
  const { port1, port2 } = new MessageChannel();
  ports.push(port1, port2);
  Comlink.expose(api, port1 as unknown as Comlink.Endpoint);
  const gen = new WorkerGenerator(Comlink.wrap<LlmApi>(port2 as unknown as Comlink.Endpoint), {
    id: 'scripted',
    engine: 'transformers',
    format: 'tiny-sql',
    device: 'wasm',
  });
  const ac = new AbortController();
  let streamed = 0;
  const p = gen.generate('q', { maxNewTokens: 200, signal: ac.signal, onToken: () => streamed++ });
  await new Promise((r) => setTimeout(r, 60));
  const t0 = performance.now();
  ac.abort();
  const r = await p;
  expect(performance.now() - t0).toBeLessThan(500);
  expect(interrupts).toBe(1);
  expect(r.interrupted).toBe(true);
  expect(r.tokens).toBeLessThan(200);
  expect(streamed).toBeGreaterThan(0);
  // an already-aborted signal starts nothing
  await expect(gen.generate('q', { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(CancelledError);
  expect(generations).toBe(1);
});

test('WebLlmGenerator: Stop (signal or interrupt()) calls the engine interruptGenerate and marks the result', async () => {
  let interrupts = 0;
  let stop = false;
  const engine = {
    interruptGenerate() {
      interrupts++;
      stop = true;
    },
    completions: {
      async create() {
        stop = false;
        return (async function* () {
          for (let i = 0; i < 200 && !stop; i++) {
            await new Promise((r) => setTimeout(r, 10));
            yield { choices: [{ text: 'x' }] };
          }
        })();
      },
    },
  };
  const spec = { family: 'scripted' } as unknown as WebLlmSpec;
  const choice = { family: 'scripted', modelId: 'scripted', contextTokens: 4096 } as unknown as WebLlmChoice;
  const make = WebLlmGenerator as unknown as new (s: WebLlmSpec, c: WebLlmChoice, e: unknown) => WebLlmGenerator;
  const gen = new make(spec, choice, engine);

  const ac = new AbortController();
  const p = gen.generate('q', { signal: ac.signal });
  await new Promise((r) => setTimeout(r, 60));
  const t0 = performance.now();
  ac.abort();
  const r = await p;
  expect(performance.now() - t0).toBeLessThan(500);
  expect(interrupts).toBe(1);
  expect(r.interrupted).toBe(true);
  expect(r.tokens).toBeLessThan(200);

  const p2 = gen.generate('q');
  await new Promise((r) => setTimeout(r, 30));
  gen.interrupt();
  const r2 = await p2;
  expect(interrupts).toBe(2);
  expect(r2.interrupted).toBe(true);
});
