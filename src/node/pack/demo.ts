/**
 * The demo pack shipped in the build (public/packs/demo.pack): the demo corpus exactly as the page
 * builds it (buildDemoCorpus over static-data/demo/), embedded with the embedder the app uses by
 * default with the team's local models, as questions and as masked questions. The page opens it on
 * a first visit instead of embedding (src/ui/app.svelte.ts demoPack). `npx tsx scripts/demo-pack.ts`
 * rebuilds it; tests/unit/demo-pack.test.ts fails when the corpus or the embedder moved on.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { buildDemoCorpus } from '../../lib/corpus/demo.ts';
import { findEmbedder } from '../../lib/config.ts';
import { readPack } from '../../lib/pack/read.ts';
import { writePack } from '../../lib/pack/write.ts';
import { DEFAULT_TEXT_MODE, docText, type TextMode } from '../../lib/rag/doc-text.ts';
import type { Corpus } from '../../lib/types.ts';
import { cachingEmbedder, EMBED_CACHE_DIR } from '../embed-cache.ts';
import { loadEmbedder, repoRoot } from '../host.ts';

/** The app's default embedder when the team's local models are served (config.ts chooseDefaults). */
export const DEMO_PACK_EMBEDDER = 'universal-sentence-encoder-lite';
export const DEMO_PACK_TEXT_MODE: TextMode = DEFAULT_TEXT_MODE;
export const DEMO_PACK_FILE = path.join(repoRoot, 'public', 'packs', 'demo.pack');

/** The demo corpus from static-data/demo/, the same examples (and hash) as the page's. */
export function demoCorpusFromDisk(dir = path.join(repoRoot, 'static-data', 'demo')): Corpus {
  const schemas: Record<string, string> = {};
  for (const f of readdirSync(path.join(dir, 'schemas')).filter((f) => f.endsWith('.sql')))
    schemas[f.replace(/\.sql$/, '')] = readFileSync(path.join(dir, 'schemas', f), 'utf8');
  return buildDemoCorpus(
    readFileSync(path.join(dir, 'shop.sql'), 'utf8'),
    schemas,
    readFileSync(path.join(dir, 'corpus.jsonl'), 'utf8'),
  );
}

/** The demo pack's bytes (embeds through the Node embedding cache; checked by the app's reader). */
export async function buildDemoPack(log: (s: string) => void = () => {}): Promise<Uint8Array<ArrayBuffer>> {
  const corpus = demoCorpusFromDisk();
  const spec = findEmbedder(DEMO_PACK_EMBEDDER)!;
  const raw = await loadEmbedder(DEMO_PACK_EMBEDDER, spec.defaultDtype);
  const e = cachingEmbedder(raw, EMBED_CACHE_DIR);
  const vectors = async (mode: TextMode) => {
    const t0 = performance.now();
    const texts = corpus.examples.map((ex) => docText(ex, mode, corpus.schemas));
    // The app's batch size on WASM (indexes.svelte.ts), so the vectors are those the page would build.
    const v = await e.embed(texts, { role: 'doc', batchSize: 32 });
    log(`demo-pack: ${texts.length} ${mode} texts in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return v;
  };
  const primary = await vectors(DEMO_PACK_TEXT_MODE);
  const masked = await vectors('masked-question');
  const embedder = { id: raw.id, dtype: raw.dtype, dim: raw.dim };
  const bytes = writePack({
    corpus,
    embedder,
    primary: { textMode: DEMO_PACK_TEXT_MODE, vectors: primary },
    masked: { textMode: 'masked-question', vectors: masked },
  });
  readPack(bytes.buffer, { embedder });
  await raw.dispose?.();
  return bytes;
}
