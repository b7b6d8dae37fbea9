/**
 * `npm run bench`: its usage text, the parsing and checking of its command line (before anything is
 * built or measured), and the settings of a quick and a full run.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError, outputFile, parseStrict } from '../cli/args.ts';
import { repoRoot } from '../host.ts';

export const SECTIONS = [
  'shell',
  'embed',
  'index',
  'query',
  'generate',
  'train',
  'coldstart',
  'render',
  'spider',
  'codeindex',
] as const;
export type Section = (typeof SECTIONS)[number];
/** Sections that run only when --only names them (long: codeindex embeds this checkout in Chromium). */
export const OPT_IN_SECTIONS: readonly Section[] = ['codeindex'];
/** Sections of a full run that a quick run leaves out unless --only names them (spider indexes 6,726 questions in the page). */
export const FULL_ONLY_SECTIONS: readonly Section[] = ['spider'];

export const BENCH_USAGE = `Usage: npm run bench -- [--quick] [--build | --no-build] [--only embed,index,…] [--skip coldstart,…]
                        [--out FILE] [--webgpu-fp32] [--dist DIR]

Measures every stage of CodeRAG Web against its reference, in one run: the built app in Debian
Chromium (Playwright, \`vite preview\` of a private build) and the native references in this
Node process. Writes bench/results/<timestamp>.json (schema: docs/benchmarks.md) and prints a
table of medians with min and max over repeats, plus same-run ratios.

  --quick             fewer repeats and queries, the 10k random index only, the query path at 6.7k
                      only, 2 training epochs, 1 reload
  --only LIST         run only these sections (comma-separated)
  --skip LIST         skip these sections
                      sections: ${SECTIONS.join(', ')}
                      (${OPT_IN_SECTIONS.join(', ')}: only when --only names it;
                      ${FULL_ONLY_SECTIONS.join(', ')}: not in --quick unless --only names it)
  --build / --no-build  force / skip the build (default: rebuild when a source file is newer than
                      the last build)
  --webgpu-fp32       also run the fp32 embedder on WebGPU
  --dist DIR          serve another build instead of the private one
  --out FILE          write the JSON there instead of bench/results/<timestamp>.json; if it cannot
                      be written at the end, the results go to a file in the temporary folder (printed)
  --help
`;

export interface BenchOptions {
  quick: boolean;
  /** auto: rebuild when a source changed since the last build. */
  build: 'auto' | 'force' | 'skip';
  sections: Section[];
  webgpuFp32: boolean;
  /** The build folder to serve (absolute). */
  dist: string;
  /** The result file (absolute), or undefined for bench/results/<timestamp>.json. */
  out?: string;
  help: boolean;
}

/** The private build folder (a build output, not a cache of results). */
export const BENCH_BUILD_DIR = path.join(repoRoot, 'node_modules', '.cache', 'coderag-bench', 'dist');
export const RESULTS_DIR = path.join(repoRoot, 'bench', 'results');

function sectionList(flag: string, v: string | undefined): Section[] | undefined {
  if (v === undefined) return undefined;
  const names = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!names.length) throw new UsageError(`${flag} needs section names (${SECTIONS.join(', ')})`);
  for (const n of names)
    if (!(SECTIONS as readonly string[]).includes(n))
      throw new UsageError(`${flag}: unknown section "${n}" (one of ${SECTIONS.join(', ')})`);
  return names as Section[];
}

/** Parse and check the command line (without the node and script paths). Throws UsageError. */
export function parseBenchArgs(argv: string[]): BenchOptions {
  const v = parseStrict(argv, {
    quick: { type: 'boolean' },
    build: { type: 'boolean' },
    'no-build': { type: 'boolean' },
    only: { type: 'string' },
    skip: { type: 'string' },
    out: { type: 'string' },
    'webgpu-fp32': { type: 'boolean' },
    dist: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.build && v['no-build']) throw new UsageError('give --build or --no-build, not both');
  const only = sectionList('--only', v.only);
  const skip = sectionList('--skip', v.skip) ?? [];
  const sections = SECTIONS.filter(
    (s) =>
      (only ? only.includes(s) : !OPT_IN_SECTIONS.includes(s) && !(v.quick && FULL_ONLY_SECTIONS.includes(s))) &&
      !skip.includes(s),
  );
  const o: BenchOptions = {
    quick: v.quick ?? false,
    build: v.build ? 'force' : v['no-build'] ? 'skip' : 'auto',
    sections,
    webgpuFp32: v['webgpu-fp32'] ?? false,
    dist: v.dist ? path.resolve(v.dist) : BENCH_BUILD_DIR,
    out: v.out ? path.resolve(v.out) : undefined,
    help: v.help ?? false,
  };
  if (o.help) return o;
  if (!sections.length) throw new UsageError('--only and --skip leave no section to run');
  if (existsSync(o.dist) && !statSync(o.dist).isDirectory())
    throw new UsageError(`--dist ${v.dist}: is a file, not a folder`);
  if (v.out) outputFile('--out', v.out);
  return o;
}

/** The sizes and repeats of a quick or a full run. */
export function benchSettings(quick: boolean, webgpuFp32: boolean) {
  return quick
    ? {
        embed: {
          texts: 32,
          singles: 8,
          batchSizes: [32],
          repeats: 2,
          dtypes: ['q8', 'fp32'] as const,
          webgpu: {
            dtypes: (webgpuFp32 ? ['q8', 'fp32'] : ['q8']) as readonly ('q8' | 'fp32')[],
            texts: 32,
            singles: 0,
            repeats: 1,
          },
        },
        index: {
          datasets: [{ name: 'random-10k', n: 10_000, queries: 30, repeats: 2, idb: 1 }],
          real: false,
          kinds: ['flat', 'int8', 'voy'] as const,
          k: 10,
        },
        query: { questions: 10, sizes: [6726], kinds: ['flat', 'int8'] as const, repeats: 2, k: 3 },
        generate: { prompts: 3, maxNewTokens: 24, repeats: 2, threads: [2], dtype: 'q8' as const },
        train: { pairs: 1500, epochs: 2, dim: 512, batchSize: 64 },
        coldstart: { reloads: 1 },
        render: { repeats: 1 },
        codeindex: { batchSizes: [16, 32], sample: 96, timeoutMs: 1_800_000 },
      }
    : {
        embed: {
          texts: 128,
          singles: 32,
          batchSizes: [32],
          repeats: 5,
          dtypes: ['q8', 'fp32'] as const,
          webgpu: {
            dtypes: (webgpuFp32 ? ['q8', 'fp32'] : ['q8']) as readonly ('q8' | 'fp32')[],
            texts: 64,
            singles: 4,
            repeats: 2,
          },
        },
        index: {
          datasets: [
            { name: 'random-10k', n: 10_000, queries: 100, repeats: 5, idb: 3 },
            { name: 'random-100k', n: 100_000, queries: 50, repeats: 3, idb: 2 },
          ],
          real: true,
          kinds: ['flat', 'int8', 'voy'] as const,
          k: 10,
        },
        query: { questions: 30, sizes: [6726, 100_000], kinds: ['flat', 'int8'] as const, repeats: 3, k: 3 },
        generate: { prompts: 5, maxNewTokens: 48, repeats: 3, threads: [1, 2], dtype: 'q8' as const },
        train: { pairs: 1500, epochs: 10, dim: 512, batchSize: 64 },
        coldstart: { reloads: 5 },
        render: { repeats: 3 },
        codeindex: { batchSizes: [8, 32, 64], sample: 128, timeoutMs: 1_800_000 },
      };
}

export type BenchSettings = ReturnType<typeof benchSettings>;
