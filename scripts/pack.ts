/**
 * `npm run pack -- --corpus FILE --embedder ID --out DIR`: builds a corpus pack in Node with the
 * browser's core (src/node/pack/; docs/packs.md). A bad command line exits 2 with the usage.
 */
import { runCli } from '../src/node/cli/args.ts';
import { PACK_USAGE } from '../src/node/pack/args.ts';
import { runPack } from '../src/node/pack/run.ts';

process.exitCode = await runCli('pack', PACK_USAGE, () => runPack(process.argv.slice(2)));
