/**
 * Light query encoders with the real local teacher (USE-Lite from ../shared/models): its own
 * tokenizer, and the compact variant (q8 queries against fp32 documents). Skipped without it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseQueryEncoder, withQueryEncoder } from '../../src/lib/embed/linear-map.ts';
import { loadPieceTokenizer } from '../../src/lib/embed/piece-tokenizer.ts';
import { pieceText, StaticEncoder, vocabHash } from '../../src/lib/embed/static-encoder.ts';
import { loadEmbedder, localModelsDir, transformers } from '../../src/node/host.ts';

const ID = 'universal-sentence-encoder-lite';
const models = localModelsDir();
const ready = !!models && existsSync(path.join(models, ID));

describe.skipIf(!ready)('light encoders with the real USE-Lite', () => {
  it("wraps the teacher's own tokenizer: vocabulary by id, control pieces marked", async () => {
    const tok = await loadPieceTokenizer(await transformers(), ID);
    expect(tok.vocab).toHaveLength(8000);
    expect(tok.vocab[9]).toBe('▁the');
    expect(tok.specialIds).toEqual(expect.arrayContaining([0, 1, 2, 3, 4, 5]));
    expect(tok.specialIds).not.toContain(9);
    const ids = tok.encode('How many singers are there?');
    expect(ids.length).toBeGreaterThan(3);
    expect(ids.every((i) => i >= 0 && i < 8000)).toBe(true);
    expect(pieceText(tok.vocab[ids[0]])).not.toBe('');
    // A static encoder over the real vocabulary pools the pieces it sees, deterministically.
    const dim = 4;
    const table = new Float32Array(8000 * dim);
    for (let id = 0; id < 8000; id++) table[id * dim + (id % dim)] = 1;
    const enc = new StaticEncoder(
      table,
      {
        teacherId: ID,
        teacherDtype: 'fp32',
        teacherDim: 512,
        dim,
        vocabSize: 8000,
        vocabHash: vocabHash(tok.vocab),
        sifA: 0,
        maxTokens: 128,
        explained: 1,
        pieces: 8000,
        corpusTokens: 0,
        dataHash: '',
        createdAt: '',
      },
      tok,
    );
    const v = await enc.embed(['How many singers are there?']);
    const want = new Float32Array(dim);
    for (const id of ids) want[id % dim] += 1;
    const n = Math.hypot(...want);
    for (let j = 0; j < dim; j++) expect(v[j]).toBeCloseTo(want[j] / n, 6);
  });

  it('compact: q8 queries against fp32 documents stay in the same space', async () => {
    const fp32 = await loadEmbedder(ID, 'fp32');
    const q8 = await loadEmbedder(ID, 'q8');
    const both = withQueryEncoder(fp32, q8);
    expect(both.id).toBe(ID);
    expect(both.dtype).toBe('fp32');
    const texts = ['How many singers do we have?', 'List the names of all departments.'];
    const q = await both.embed(texts, { role: 'query' });
    const d = await both.embed(texts, { role: 'doc' });
    const direct = await q8.embed(texts, { role: 'query' });
    expect(Array.from(q)).toEqual(Array.from(direct));
    for (let i = 0; i < texts.length; i++) {
      let cos = 0;
      for (let j = 0; j < 512; j++) cos += q[i * 512 + j] * d[i * 512 + j];
      expect(cos).toBeGreaterThan(0.98);
      expect(cos).toBeLessThan(1);
    }
    // A light encoder for another space is refused and the teacher answers.
    const res = await chooseQueryEncoder(fp32, () => ({ ...q8, id: 'Xenova/all-MiniLM-L6-v2', embed: q8.embed }));
    expect(res.embedder).toBe(fp32);
    expect(res.fallbackReason).toMatch(/not of the index's "universal-sentence-encoder-lite"/);
  }, 60_000);
});
