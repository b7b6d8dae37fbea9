import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importTestFiles, makeSalesCsv } from '../../src/node/import-testdata.ts';

describe('import test data (static-data/import)', () => {
  it('the generator reproduces the committed files byte for byte', () => {
    const root = join(import.meta.dirname, '..', '..', 'static-data');
    const files = importTestFiles();
    expect([...files.keys()].sort()).toEqual(['import/events.jsonl', 'import/sales.csv', 'import/stores.xlsx']);
    for (const [path, bytes] of files) {
      const committed = new Uint8Array(readFileSync(join(root, path)));
      expect(committed.byteLength, path).toBe(bytes.byteLength);
      expect(Buffer.compare(committed, bytes), `${path} differs: run npx tsx scripts/make-test-data.ts`).toBe(0);
    }
  });
  it('depends on the seed (a different seed gives different rows)', () => {
    expect(makeSalesCsv(50, 1)).not.toBe(makeSalesCsv(50, 2));
    expect(makeSalesCsv(50, 1)).toBe(makeSalesCsv(50, 1));
  });
});
