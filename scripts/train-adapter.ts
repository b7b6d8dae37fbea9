/**
 * `npm run train-adapter -- --pairs FILE.csv --out adapter.json` (or `--from-spider DIR`):
 * trains a query-side linear adapter in Node with the browser's core. The work is in
 * src/node/train-adapter/; `--help` lists the flags. A bad command line exits 2 with the usage.
 */
import { runCli } from '../src/node/cli/args.ts';
import { TRAIN_USAGE } from '../src/node/train-adapter/args.ts';
import { runTrainAdapter } from '../src/node/train-adapter/run.ts';

process.exitCode = await runCli('train-adapter', TRAIN_USAGE, () => runTrainAdapter(process.argv.slice(2)));
