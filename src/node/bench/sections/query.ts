/** `npm run bench` section `query`: the query path (embed, search, prompt) natively and in the browser. */
import type { Page } from '@playwright/test';
import type { QueryPathStage } from '../../../bench/common.ts';
import { nativeQueryPath } from '../../../bench/native.ts';
import { fmt, ratio } from '../../../bench/report.ts';
import { pick, type SpiderData } from '../data.ts';
import { DIM, type BenchRun } from '../run.ts';
import { evaluate } from '../serve.ts';

function queryMetrics(rec: BenchRun, stages: QueryPathStage[], host: string) {
  const { S, add } = rec;
  for (const st of stages) {
    const base = `query.${st.docs}.${st.kind}.${host}`;
    const params = { docs: st.docs, index: st.kind, k: S.query.k, questions: S.query.questions };
    add({
      id: `${base}.total`,
      group: 'query',
      name: `query path p50 @${fmt(st.docs)} docs, ${st.kind}: total`,
      host,
      unit: 'ms',
      better: 'lower',
      runs: st.total,
      params,
    });
    add({
      id: `${base}.embed`,
      group: 'query',
      name: `  · embed query`,
      host,
      unit: 'ms',
      better: 'lower',
      runs: st.embed,
      params,
    });
    add({
      id: `${base}.search`,
      group: 'query',
      name: `  · search top-${S.query.k}`,
      host,
      unit: 'ms',
      better: 'lower',
      runs: st.search,
      params,
    });
    add({
      id: `${base}.prompt`,
      group: 'query',
      name: `  · build prompt (token-counted)`,
      host,
      unit: 'ms',
      better: 'lower',
      runs: st.prompt,
      params,
    });
  }
}

export async function sectionQuery(rec: BenchRun, page: Page, baseUrl: string, spider: SpiderData) {
  const { S, metrics, ratios, failed, log } = rec;
  const Q = S.query;
  const picks = pick(spider.dev.length, Q.questions).map((i) => spider.dev[i]);
  const dbs = new Set(picks.map((p) => p.dbId));
  const schemas = Object.fromEntries(Object.entries(spider.schemas).filter(([k]) => dbs.has(k)));
  const req = { questions: picks, k: Q.k, kinds: Q.kinds, sizes: Q.sizes, repeats: Q.repeats };
  log(`query path (native): ${Q.sizes.join(', ')} docs × ${Q.kinds.join(', ')}`);
  const native = await nativeQueryPath(
    { examples: spider.examples, schemas, vectors: spider.trainVectors, dim: DIM },
    { ...req, kinds: [...Q.kinds] },
  );
  log('query path (browser worker, WASM 2 threads)');
  const browser = (await evaluate(page, (b, a) => b.queryPath(a.req, a.corpus), {
    req: { ...req, threads: 2, timeoutMs: 420_000 },
    corpus: {
      examplesUrl: `${baseUrl}__bench/train-examples.json`,
      vectorsUrl: `${baseUrl}__bench/train-vectors.f32`,
      dim: DIM,
      schemas,
    },
  })) as { stages?: QueryPathStage[]; error?: string };
  if (browser.error || !browser.stages)
    failed('query', 'query.browser', 'query path', 'browser-wasm-2t', 'ms', browser.error ?? 'no result');
  else queryMetrics(rec, browser.stages, 'browser-wasm-2t');
  queryMetrics(rec, native.stages, 'node-native');
  for (const size of Q.sizes) {
    for (const kind of Q.kinds) {
      ratios.push(
        ratio(
          metrics,
          `query.${size}.${kind}.browser-vs-native`,
          `query path @${fmt(size)} ${kind}: browser / native`,
          `query.${size}.${kind}.browser-wasm-2t.total`,
          `query.${size}.${kind}.node-native.total`,
          'latency ratio; > 1 = browser slower',
        ),
      );
    }
    if ((Q.kinds as readonly string[]).includes('int8')) {
      ratios.push(
        ratio(
          metrics,
          `query.${size}.int8-vs-flat.browser`,
          `query path @${fmt(size)} browser: int8 / flat`,
          `query.${size}.int8.browser-wasm-2t.total`,
          `query.${size}.flat.browser-wasm-2t.total`,
          '< 1 = int8 faster end to end',
        ),
      );
    }
  }
}
