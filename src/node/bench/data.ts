/**
 * `npm run bench`: the Spider data it measures on (train as the retrieval corpus, dev questions as
 * queries) with their USE-Lite q8 vectors, from the Node tools' one embedding cache.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseSpiderCsv, parseSpiderQuestions, parseSpiderTables } from '../../lib/corpus/spider.ts';
import { DEFAULT_TEXT_MODE, docText } from '../../lib/rag/doc-text.ts';
import type { TableInfo } from '../../lib/types.ts';
import { EMBEDDER } from '../../bench/native.ts';
import { EMBED_CACHE_DIR, cachedVectors, textsHash } from '../embed-cache.ts';
import { loadEmbedder, localModelsDir, spiderDir } from '../host.ts';
import { DIM } from './run.ts';

/** Texts per embedder call for the cached vectors. */
const BATCH = 64;

export interface SpiderData {
  examples: { question: string; sql: string; dbId: string }[];
  schemas: Record<string, TableInfo[]>;
  dev: { question: string; dbId: string }[];
  trainVectors: Float32Array;
  devVectors: Float32Array;
  /** Dev questions used as index queries (rows of devVectors). */
  devPicks: number[];
}

export function pick(n: number, count: number): number[] {
  // evenly spread, deterministic
  const out: number[] = [];
  for (let i = 0; i < Math.min(n, count); i++) out.push(Math.floor((i * n) / Math.min(n, count)));
  return out;
}

/** USE-Lite q8 vectors of `texts` through the Node tools' one embedding cache (the model loads only on a miss). */
function cachedEmbed(texts: string[], role: 'query' | 'doc'): Promise<{ vectors: Float32Array; cached: boolean }> {
  const key = {
    embedderId: EMBEDDER,
    dtype: 'q8',
    dim: DIM,
    mode: role,
    batch: BATCH,
    content: textsHash(texts),
    count: texts.length,
  };
  return cachedVectors(EMBED_CACHE_DIR, key, async () => {
    const emb = await loadEmbedder(EMBEDDER, 'q8');
    try {
      return await emb.embed(texts, { batchSize: BATCH, role });
    } finally {
      await emb.dispose();
    }
  });
}

export async function loadSpider(log: (msg: string) => void): Promise<SpiderData | null> {
  const dir = spiderDir();
  if (!dir || !localModelsDir()) return null;
  const tables = parseSpiderTables(JSON.parse(readFileSync(path.join(dir, 'tables.json'), 'utf8')));
  const train = parseSpiderCsv(readFileSync(path.join(dir, 'train', 'train_queries.spiderman.csv'), 'utf8'), {
    idPrefix: 'spider-train',
    tables,
  });
  const devRes = parseSpiderQuestions(JSON.parse(readFileSync(path.join(dir, 'dev.json'), 'utf8')), {
    idPrefix: 'spider-dev',
    tables,
  });
  const texts = train.examples.map((e) => docText(e, DEFAULT_TEXT_MODE, tables));
  const t = performance.now();
  const tv = await cachedEmbed(texts, 'doc');
  const dev = devRes.examples.map((e) => ({ question: e.question, dbId: e.dbId ?? '' }));
  const dv = await cachedEmbed(
    dev.map((d) => d.question),
    'query',
  );
  log(
    `Spider: ${train.examples.length} train examples, ${dev.length} dev questions; vectors ${tv.cached && dv.cached ? 'from cache' : `embedded in ${((performance.now() - t) / 1000).toFixed(1)} s (native q8)`}`,
  );
  return {
    examples: train.examples.map((e) => ({ question: e.question, sql: e.sql, dbId: e.dbId ?? '' })),
    schemas: tables,
    dev,
    trainVectors: tv.vectors,
    devVectors: dv.vectors,
    devPicks: pick(dev.length, 100),
  };
}

export function bytesOf(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}
