/**
 * `npx tsx scripts/demo-pack.ts`: rebuild public/packs/demo.pack, the demo corpus's pack shipped in
 * the build (src/node/pack/demo.ts), after the demo corpus or the default embedder changed.
 * Needs the local models (../shared/models or CODERAG_MODELS).
 */
import { writeAtomic } from '../src/node/cli/output.ts';
import { DEMO_PACK_FILE, buildDemoPack } from '../src/node/pack/demo.ts';

const bytes = await buildDemoPack((s) => console.error(s));
writeAtomic(DEMO_PACK_FILE, bytes);
console.log(`${DEMO_PACK_FILE}: ${(bytes.byteLength / 1e6).toFixed(2)} MB`);
