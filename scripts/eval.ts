/**
 * `npm run eval -- --spider ../shared/data/spider --k 0,3 --out eval.json`
 * Evaluates retrieval-augmented text-to-SQL in Node with the app's own core code.
 * All the work is in src/node/eval-cli.ts; `--help` lists the flags, docs/evaluation.md the protocol.
 */
import { main } from '../src/node/eval-cli.ts';

process.exitCode = await main();
