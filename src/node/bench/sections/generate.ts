/** `npm run bench` section `generate`: tiny-sql-lm decode speed natively and in browser workers. */
import type { Page } from '@playwright/test';
import type { GenerateRun } from '../../../bench/common.ts';
import { findCpuGenerator } from '../../../lib/config.ts';
import { FlatIndex } from '../../../lib/index/flat.ts';
import { buildPrompt } from '../../../lib/llm/prompts.ts';
import { GENERATOR, nativeGenerate } from '../../../bench/native.ts';
import { ratio } from '../../../bench/report.ts';
import { transformers } from '../../host.ts';
import { pick, type SpiderData } from '../data.ts';
import { DIM, type BenchRun } from '../run.ts';
import { evaluate } from '../serve.ts';

async function genPrompts(spider: SpiderData | null, count: number): Promise<string[]> {
  const spec = findCpuGenerator(GENERATOR)!;
  if (!spider) {
    return Array.from(
      { length: count },
      (_, i) =>
        buildPrompt(spec.format, {
          tables: [{ name: 'singer', columns: ['singer_id', 'name', 'age', 'country'] }],
          examples: [],
          question: `How many singers are older than ${20 + i}?`,
        }).text,
    );
  }
  const tf = await transformers();
  const tok = await tf.AutoTokenizer.from_pretrained(GENERATOR);
  const flat = new FlatIndex(spider.trainVectors, DIM);
  return pick(spider.dev.length, count).map((i) => {
    const d = spider.dev[i];
    const hits = flat.search(spider.devVectors.subarray(i * DIM, (i + 1) * DIM), 3);
    return buildPrompt(
      spec.format,
      {
        tables: spider.schemas[d.dbId] ?? [],
        examples: hits.map((h) => spider.examples[h.row]),
        question: d.question,
      },
      {
        countTokens: (t) => tok.encode(t, { add_special_tokens: false }).length,
        maxTokens: spec.contextTokens - 128,
      },
    ).text;
  });
}

function genMetrics(rec: BenchRun, r: GenerateRun, host: string) {
  const { S, add, failed } = rec;
  const G = S.generate;
  const params = { prompts: G.prompts, maxNewTokens: G.maxNewTokens, dtype: G.dtype, tokens: r.tokens };
  if (r.error) {
    failed('generate', `generate.${host}`, 'tiny-sql-lm decode', host, 'tok/s', r.error);
    return;
  }
  add({
    id: `generate.${host}.tps`,
    group: 'generate',
    name: `tiny-sql-lm ${G.dtype} decode`,
    host,
    unit: 'tok/s',
    better: 'higher',
    runs: r.tokensPerSecond,
    params,
  });
  add({
    id: `generate.${host}.e2e`,
    group: 'generate',
    name: `tiny-sql-lm ${G.dtype} end-to-end (incl. prefill)`,
    host,
    unit: 'tok/s',
    better: 'higher',
    runs: r.e2eTokensPerSecond,
    params,
  });
  add({
    id: `generate.${host}.ttft`,
    group: 'generate',
    name: `tiny-sql-lm ${G.dtype} first token (prefill) p50`,
    host,
    unit: 'ms',
    better: 'lower',
    runs: r.firstTokenMs,
    params,
  });
}

export async function sectionGenerate(rec: BenchRun, page: Page, spider: SpiderData | null) {
  const { S, metrics, ratios, notes, log } = rec;
  const G = S.generate;
  const prompts = await genPrompts(spider, G.prompts);
  let native: GenerateRun | null = null;
  for (const threads of G.threads) {
    // The native reference for this thread setting: pinned to 1 thread, or onnxruntime-node's default.
    const nhost = threads === 1 ? 'node-native-1t' : 'node-native';
    log(`generate (${nhost}): ${prompts.length} prompts, max ${G.maxNewTokens} new tokens, greedy`);
    const nat = await nativeGenerate({
      prompts,
      maxNewTokens: G.maxNewTokens,
      dtype: G.dtype,
      repeats: G.repeats,
      threads: threads === 1 ? 1 : 0,
    });
    genMetrics(rec, nat, nhost);
    native ??= nat;
    const host = `browser-wasm-${threads}t`;
    log(`generate (${host})`);
    const r = await evaluate(page, (b, req) => b.generate(req), {
      prompts,
      maxNewTokens: G.maxNewTokens,
      dtype: G.dtype,
      threads,
      repeats: G.repeats,
      timeoutMs: 300_000,
    });
    genMetrics(rec, r, host);
    if (!r.error && nat.texts.length && JSON.stringify(r.texts) !== JSON.stringify(nat.texts)) {
      notes.push(
        `generate: ${host} greedy output differs from native on ${r.texts.filter((t, i) => t !== nat.texts[i]).length}/${r.texts.length} prompts (tokens ${r.tokens.join(',')} vs ${nat.tokens.join(',')})`,
      );
    }
    ratios.push(
      ratio(
        metrics,
        `generate.${host}-vs-${nhost}`,
        `tiny-sql-lm decode: ${host} / ${nhost}`,
        `generate.${host}.tps`,
        `generate.${nhost}.tps`,
        'throughput ratio; < 1 = browser slower',
      ),
    );
  }
  if (native?.tokens.length)
    notes.push(
      `generate: tokens per prompt (native) ${native.tokens.join(', ')}; the tiny-sql format stops at the first newline, so a prompt may end before max_new_tokens`,
    );
}
