/**
 * `npm run bench [-- --quick] [--build | --no-build] [--only embed,index,…] [--skip coldstart,…] [--out FILE] [--webgpu-fp32]`
 *
 * Measures every stage of CodeRAG Web against its reference, in one run. The work is in
 * src/node/bench/ (one file per section under sections/); `--help` lists the flags and
 * docs/benchmarks.md the method. A bad command line exits 2 with the usage text.
 */
import { runCli } from '../src/node/cli/args.ts';
import { BENCH_USAGE } from '../src/node/bench/args.ts';
import { runBench } from '../src/node/bench/main.ts';

// Exit explicitly: a browser or preview server that failed to close must not keep the process alive.
process.exit(await runCli('bench', BENCH_USAGE, () => runBench(process.argv.slice(2))));
