/** `npm run bench` section `index`: build, query latency, recall, IndexedDB and memory of the three vector indexes. */
import type { Page } from '@playwright/test';
import type { IndexResult } from '../../../bench/common.ts';
import { ratio } from '../../../bench/report.ts';
import type { SpiderData } from '../data.ts';
import { DIM, SEED, type BenchRun } from '../run.ts';
import { evaluate } from '../serve.ts';

export async function sectionIndex(rec: BenchRun, page: Page, baseUrl: string, spider: SpiderData | null) {
  const { S, metrics, ratios, notes, add, failed, log } = rec;
  const I = S.index;
  const specs: { spec: Record<string, unknown>; repeats: number; idb: number; label: string }[] = I.datasets.map(
    (d) => ({
      spec: { name: d.name, n: d.n, dim: DIM, seed: SEED, queries: d.queries },
      repeats: d.repeats,
      idb: d.idb,
      label: `${d.name} (${d.queries} random queries)`,
    }),
  );
  if (I.real && spider) {
    specs.push({
      spec: {
        name: 'spider-train-6.7k',
        n: spider.examples.length,
        dim: DIM,
        seed: SEED,
        queries: spider.devPicks.length,
        vectorsUrl: `${baseUrl}__bench/train-vectors.f32`,
        queryVectorsUrl: `${baseUrl}__bench/dev-pick-vectors.f32`,
      },
      repeats: 5,
      idb: 2,
      label: `spider-train-6.7k (real USE-Lite q8 vectors, ${spider.devPicks.length} dev questions)`,
    });
  }
  for (const s of specs) {
    const name = s.spec.name as string;
    log(`index ${s.label}: ${I.kinds.join(', ')}`);
    const results = (await evaluate(page, (b, a) => b.indexSuite(a.spec, a.kinds, a.opts), {
      spec: s.spec,
      kinds: I.kinds,
      opts: { k: I.k, repeats: s.repeats, idbRepeats: s.idb, timeoutMs: name.includes('100k') ? 420_000 : 300_000 },
    })) as (IndexResult & {
      memBefore?: number;
      memAfter?: number;
      memSource?: string;
      memMs?: (number | undefined)[];
    })[];
    for (const r of results) {
      const host = `browser-${r.kind}`;
      const base = `index.${name}.${r.kind}`;
      const params = { vectors: r.n, dim: r.dim, k: I.k, queries: s.spec.queries, engine: r.engine };
      if (r.error && !r.p50.length) {
        failed('index', `${base}.build`, `${name} build`, host, 'ms', r.error);
        if (/voy/i.test(r.kind)) notes.push(`index: voy-search on ${name}: ${r.error}`);
        continue;
      }
      add({
        id: `${base}.build`,
        group: 'index',
        name: `${name} build`,
        host,
        unit: 'ms',
        better: 'lower',
        runs: [r.buildMs ?? NaN],
        params,
      });
      add({
        id: `${base}.p50`,
        group: 'index',
        name: `${name} query p50 top-${I.k}`,
        host,
        unit: 'ms',
        better: 'lower',
        runs: r.p50,
        params,
      });
      add({
        id: `${base}.p95`,
        group: 'index',
        name: `${name} query p95 top-${I.k}`,
        host,
        unit: 'ms',
        better: 'lower',
        runs: r.p95,
        params,
      });
      add({
        id: `${base}.recall`,
        group: 'index',
        name: `${name} recall@${I.k} vs exact`,
        host,
        unit: 'ratio',
        better: 'higher',
        runs: [r.recall],
        params,
      });
      if (r.saveMs.length)
        add({
          id: `${base}.idb-save`,
          group: 'index',
          name: `${name} IndexedDB save`,
          host,
          unit: 'ms',
          better: 'lower',
          runs: r.saveMs,
          params,
        });
      if (r.loadMs.length)
        add({
          id: `${base}.idb-load`,
          group: 'index',
          name: `${name} IndexedDB load+restore`,
          host,
          unit: 'ms',
          better: 'lower',
          runs: r.loadMs,
          params,
        });
      if (r.error) {
        failed('index', `${base}.idb`, `${name} IndexedDB`, host, 'ms', r.error);
      }
      add({
        id: `${base}.bytes`,
        group: 'index',
        name: `${name} memory: counted buffers`,
        host,
        unit: 'bytes',
        better: 'lower',
        runs: [r.bytes ?? NaN],
        params,
        note: "Float32 vectors + int8 codes/scales/scratch, or + the growth of voy's wasm memory during build",
      });
      if (r.extraChars)
        add({
          id: `${base}.extra`,
          group: 'index',
          name: `${name} serialized index (voy JSON, stored beside the vectors)`,
          host,
          unit: 'chars',
          better: 'lower',
          runs: [r.extraChars],
          params,
        });
      if (r.memAfter != null && r.memBefore != null) {
        add({
          id: `${base}.heap-delta`,
          group: 'index',
          name: `${name} memory: measured delta after build`,
          host,
          unit: 'bytes',
          better: 'lower',
          runs: [r.memAfter - r.memBefore],
          params: { before: r.memBefore, after: r.memAfter, source: r.memSource, measureMs: r.memMs },
        });
      }
    }
    ratios.push(
      ratio(
        metrics,
        `index.${name}.int8-vs-flat.p50`,
        `${name} query p50: int8 / flat`,
        `index.${name}.int8.p50`,
        `index.${name}.flat.p50`,
        '< 1 = int8 faster',
      ),
    );
    ratios.push(
      ratio(
        metrics,
        `index.${name}.voy-vs-flat.p50`,
        `${name} query p50: voy / flat`,
        `index.${name}.voy.p50`,
        `index.${name}.flat.p50`,
        '< 1 = voy faster',
      ),
    );
  }
}
