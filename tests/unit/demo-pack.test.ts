/**
 * The demo pack shipped in the build (public/packs/demo.pack) must be the demo corpus of today,
 * embedded with the app's default embedder: this fails when static-data/demo/ or the default moved
 * on and the pack was not rebuilt (`npx tsx scripts/demo-pack.ts`).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { chooseDefaults, findEmbedder } from '../../src/lib/config.ts';
import { readPack } from '../../src/lib/pack/read.ts';
import { docText } from '../../src/lib/rag/doc-text.ts';
import { loadEmbedder, localModelsDir } from '../../src/node/host.ts';
import {
  DEMO_PACK_EMBEDDER,
  DEMO_PACK_FILE,
  DEMO_PACK_TEXT_MODE,
  demoCorpusFromDisk,
} from '../../src/node/pack/demo.ts';

const REBUILD = 'stale demo pack: rebuild it with `npx tsx scripts/demo-pack.ts`';

describe('the shipped demo pack', () => {
  const pack = readPack(readFileSync(DEMO_PACK_FILE).buffer as ArrayBuffer);

  test('holds the current demo corpus (same corpus hash and examples)', () => {
    const corpus = demoCorpusFromDisk();
    expect(pack.header.corpusHash, REBUILD).toBe(corpus.hash);
    expect(pack.corpus.examples.length).toBe(corpus.examples.length);
    expect(pack.corpus.name).toBe('Demo examples');
  });

  test('was built with the default embedder, its dtype and dimension, and both indexes', () => {
    // The app's default when the team's local models are served (what the e2e tests and the bench use).
    expect(chooseDefaults(['universal-sentence-encoder-lite', 'tiny-sql-lm']).embedder).toBe(DEMO_PACK_EMBEDDER);
    const spec = findEmbedder(DEMO_PACK_EMBEDDER)!;
    expect(pack.header.embedder, REBUILD).toEqual({ id: spec.id, dtype: spec.defaultDtype, dim: spec.dim });
    expect(pack.primary.textMode).toBe(DEMO_PACK_TEXT_MODE);
    expect(pack.masked?.textMode).toBe('masked-question');
  });

  test.skipIf(!localModelsDir())('its vectors are the embedder’s of today (needs ../shared/models)', async () => {
    const e = await loadEmbedder(DEMO_PACK_EMBEDDER);
    const dim = e.dim;
    const rows = [0, 100, pack.corpus.examples.length - 1];
    const texts = rows.map((r) => docText(pack.corpus.examples[r], DEMO_PACK_TEXT_MODE));
    const v = await e.embed(texts, { role: 'doc' });
    rows.forEach((r, i) => {
      let dot = 0;
      let norm = 0;
      for (let j = 0; j < dim; j++) {
        const x = pack.primary.codes[r * dim + j] * pack.primary.scales[r];
        dot += x * v[i * dim + j];
        norm += x * x;
      }
      expect(dot / Math.sqrt(norm), REBUILD).toBeGreaterThan(0.99);
    });
    await e.dispose?.();
  });
});
