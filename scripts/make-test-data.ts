/**
 * `npx tsx scripts/make-test-data.ts` — writes the import test files into static-data/import/
 * (see src/node/import-testdata.ts). Deterministic: running it again gives the same bytes, which
 * tests/unit/import-testdata.test.ts checks against the committed files.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { importTestFiles } from '../src/node/import-testdata.ts';

const root = join(import.meta.dirname, '..', 'static-data');
for (const [path, bytes] of importTestFiles()) {
  const file = join(root, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, bytes);
  console.log(`${path}: ${bytes.byteLength.toLocaleString('en')} bytes`);
}
