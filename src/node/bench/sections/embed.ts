/** `npm run bench` section `embed`: sentences/s of the embedder natively and in browser workers. */
import type { Page } from '@playwright/test';
import type { EmbedResult } from '../../../bench/common.ts';
import { nativeEmbedBench } from '../../../bench/native.ts';
import { ratio } from '../../../bench/report.ts';
import type { SpiderData } from '../data.ts';
import type { BenchRun } from '../run.ts';
import { evaluate } from '../serve.ts';

function embedMetrics(
  rec: BenchRun,
  res: EmbedResult | { loadMs: number; perBatch: Record<string, number[]>; error?: string },
  host: string,
  dtype: string,
  texts: number,
) {
  const { notes, add, failed } = rec;
  if (res.error) {
    failed('embed', `embed.${dtype}.${host}`, `sentences/s ${dtype}`, host, 'sent/s', res.error);
    return;
  }
  for (const [b, runs] of Object.entries(res.perBatch)) {
    add({
      id: `embed.${dtype}.b${b}.${host}`,
      group: 'embed',
      name: `sentences/s ${dtype} batch ${b}`,
      host,
      unit: 'sent/s',
      better: 'higher',
      runs,
      params: { batch: Number(b), sentences: b === '1' ? undefined : texts },
    });
  }
  add({
    id: `embed.${dtype}.load.${host}`,
    group: 'embed',
    name: `model load ${dtype}`,
    host,
    unit: 'ms',
    better: 'lower',
    runs: [res.loadMs],
    note: (res as EmbedResult).note,
  });
  const n = (res as EmbedResult).note;
  if (n && host.startsWith('browser-wasm')) {
    const want = host.match(/(\d)t$/)?.[1];
    if (!n.includes(`numThreads=${want}`) || !n.includes('crossOriginIsolated=true'))
      notes.push(`embed: ${host} ${dtype} did not run with the requested threads: ${n}`);
  }
}

export async function sectionEmbed(rec: BenchRun, page: Page, spider: SpiderData | null) {
  const { S, metrics, ratios, notes, log } = rec;
  const E = S.embed;
  const source = spider
    ? spider.dev.map((d) => d.question)
    : Array.from(
        { length: 256 },
        (_, i) => `How many singers are older than ${i} years and live in city number ${i % 17}?`,
      );
  const texts = [...new Set(source)].slice(0, E.texts);
  const probes: Record<string, number[]> = {};
  const base = { texts, singles: E.singles, batchSizes: E.batchSizes, repeats: E.repeats, timeoutMs: 180_000 };
  // Per thread setting: the native reference, then one browser worker for every dtype.
  for (const threads of [1, 2]) {
    const nhost = threads === 1 ? 'node-native-1t' : 'node-native';
    for (const dtype of E.dtypes) {
      log(`embed ${dtype} ${nhost}`);
      const r = await nativeEmbedBench({ ...base, dtype, threads: threads === 1 ? 1 : 0 });
      embedMetrics(rec, r, nhost, dtype, texts.length);
      probes[`${dtype} ${nhost}`] = r.probe;
    }
    const host = `browser-wasm-${threads}t`;
    log(`embed ${E.dtypes.join('+')} ${host}`);
    const rs = await evaluate(
      page,
      (b, reqs) => b.embedSeries(reqs),
      E.dtypes.map((dtype) => ({ ...base, device: 'wasm', dtype, threads })),
    );
    E.dtypes.forEach((dtype, i) => {
      embedMetrics(rec, rs[i], host, dtype, texts.length);
      probes[`${dtype} ${host}`] = rs[i].probe;
    });
  }
  if (E.webgpu.dtypes.length) {
    const host = 'browser-webgpu';
    const W = E.webgpu;
    log(`embed ${W.dtypes.join('+')} ${host} (informational)`);
    const rs = await evaluate(
      page,
      (b, reqs) => b.embedSeries(reqs),
      W.dtypes.map((dtype) => ({
        device: 'webgpu',
        dtype,
        threads: 1,
        texts: texts.slice(0, W.texts),
        singles: W.singles,
        batchSizes: E.batchSizes,
        repeats: W.repeats,
        timeoutMs: 150_000,
      })),
    );
    W.dtypes.forEach((dtype, i) => {
      embedMetrics(rec, rs[i], host, dtype, W.texts);
      if (!rs[i].error) probes[`${dtype} ${host}`] = rs[i].probe;
    });
  }
  for (const dtype of E.dtypes) {
    for (const b of ['1', ...E.batchSizes.map(String)]) {
      for (const t of [1, 2]) {
        const ref = t === 1 ? 'node-native-1t' : 'node-native';
        ratios.push(
          ratio(
            metrics,
            `embed.${dtype}.b${b}.wasm${t}t-vs-native`,
            `embed ${dtype} b${b}: browser WASM ${t}t / native${t === 1 ? ' 1t' : ' (default threads)'}`,
            `embed.${dtype}.b${b}.browser-wasm-${t}t`,
            `embed.${dtype}.b${b}.${ref}`,
            'throughput ratio; < 1 = browser slower',
          ),
        );
      }
    }
  }
  // Do the hosts compute the same vectors? (first 4 values of the first text's vector)
  const ref = probes['q8 node-native'];
  if (ref?.length) {
    const worst = Object.entries(probes)
      .filter(([k]) => k.startsWith('q8'))
      .map(([k, v]) => [k, Math.max(...v.map((x, i) => Math.abs(x - ref[i])))] as const);
    notes.push(
      `embed: max |Δ| of the first 4 dims vs native q8: ${worst.map(([k, d]) => `${k} ${d.toExponential(1)}`).join('; ')}`,
    );
  }
}
