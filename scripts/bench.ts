/**
 * `npm run bench [-- --quick] [--build | --no-build] [--only embed,index,…] [--skip coldstart,…] [--out FILE] [--webgpu-fp32]`
 *
 * Measures every stage of CodeRAG Web against its reference, in one run. The work is in
 * src/node/bench/ (one file per section under sections/); `--help` lists the flags and
 * docs/benchmarks.md the method. A bad command line exits 2 with the usage text.
 */
import { runCli } from '../src/node/cli/args.ts';
import { BENCH_USAGE, parseBenchArgs } from '../src/node/bench/args.ts';

const argv = process.argv.slice(2);
const code = await runCli('bench', BENCH_USAGE, async () => {
  // Check the command line before loading Playwright and the sections (a typo answers at once).
  parseBenchArgs(argv);
  const { runBench } = await import('../src/node/bench/main.ts');
  await runBench(argv);
});
// Exit explicitly: a browser or preview server that failed to close must not keep the process alive.
process.exit(code);
