/**
 * `npx tsx scripts/import-bench.ts [--sizes 10,100] [--repeats 3] [--out docs/import.results.json]`
 *
 * Import time and peak memory for generated sales CSVs of about 10 MB and 100 MB (the
 * static-data generator's rows, repeated with more rows; written to the system's temporary folder,
 * never committed), through the same core the import worker runs (src/lib/import/session.ts:
 * analyse = first pass, build = second pass + SQLite export). Each run is a fresh Node process,
 * so its peak resident memory (getrusage maxRSS, which includes sql.js's WebAssembly memory) is
 * that run's alone; the process's resident memory before the import is reported as the baseline.
 * Medians over the repeats go to the JSON file.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, openAsBlob, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { parseStrict, runCli } from '../src/node/cli/args.ts';
import { writeAtomic } from '../src/node/cli/output.ts';
import { makeSalesCsv } from '../src/node/import-testdata.ts';

const USAGE = 'usage: tsx scripts/import-bench.ts [--sizes 10,100] [--repeats 3] [--out FILE]';

interface RunResult {
  bytes: number;
  rows: number;
  analyseMs: number;
  buildMs: number;
  totalMs: number;
  dbBytes: number;
  baselineRssMb: number;
  peakRssMb: number;
}

/** One import in this process (the child side). */
async function child(file: string): Promise<void> {
  const { ImportSession } = await import('../src/lib/import/session.ts');
  const { sqlJs } = await import('../src/node/host.ts');
  const SQL = await sqlJs();
  const baseline = process.memoryUsage().rss;
  const blob = await openAsBlob(file);
  const t0 = performance.now();
  const session = await ImportSession.analyse([{ name: 'sales.csv', blob }]);
  const t1 = performance.now();
  const r = await session.build(SQL);
  const t2 = performance.now();
  const out: RunResult = {
    bytes: blob.size,
    rows: r.built[0].rows,
    analyseMs: t1 - t0,
    buildMs: t2 - t1,
    totalMs: t2 - t0,
    dbBytes: r.bytes.byteLength,
    baselineRssMb: baseline / 2 ** 20,
    // maxRSS is in KiB
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
}

/** A CSV of about `mb` MB: the generator's rows (the header once). */
export async function writeSalesCsv(file: string, mb: number): Promise<number> {
  const perRow = makeSalesCsv(1000).length / 1000;
  const rows = Math.round((mb * 1e6) / perRow);
  const ws = createWriteStream(file);
  const step = 50_000;
  for (let start = 0; start < rows; start += step) {
    let text = makeSalesCsv(Math.min(step, rows - start), 14 + start);
    if (start > 0)
      text = text.slice(text.indexOf('\r\n') + 2); // header only once
    else text = text.slice(1); // plain UTF-8 without the BOM
    if (!ws.write(text)) await once(ws, 'drain');
  }
  ws.end();
  await once(ws, 'finish');
  return rows;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main(argv: string[]): Promise<void> {
  const o = parseStrict(argv, {
    sizes: { type: 'string', default: '10,100' },
    repeats: { type: 'string', default: '3' },
    out: { type: 'string', default: 'docs/import.results.json' },
    child: { type: 'string' },
  });
  if (o.child) return child(o.child);
  const sizes = o.sizes.split(',').map(Number);
  const repeats = Number(o.repeats);
  const dir = mkdtempSync(join(tmpdir(), 'coderag-import-bench-'));
  const results: Record<string, unknown>[] = [];
  try {
    for (const mb of sizes) {
      const file = join(dir, `sales-${mb}mb.csv`);
      const rows = await writeSalesCsv(file, mb);
      const runs: RunResult[] = [];
      for (let i = 0; i < repeats; i++) {
        const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/import-bench.ts', '--child', file], {
          encoding: 'utf8',
          maxBuffer: 1 << 24,
        });
        const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
        if (!line) throw new Error(`run failed: ${r.stderr.slice(-2000)}`);
        const run = JSON.parse(line.slice(7)) as RunResult;
        runs.push(run);
        console.log(
          `${mb} MB run ${i + 1}: ${(run.totalMs / 1000).toFixed(1)} s (read ${(run.analyseMs / 1000).toFixed(1)} + build ${(run.buildMs / 1000).toFixed(1)}), peak RSS ${run.peakRssMb.toFixed(0)} MB`,
        );
      }
      results.push({
        sizeMb: statSync(file).size / 1e6,
        rows,
        columns: 10,
        repeats,
        median: {
          totalS: median(runs.map((r) => r.totalMs)) / 1000,
          analyseS: median(runs.map((r) => r.analyseMs)) / 1000,
          buildS: median(runs.map((r) => r.buildMs)) / 1000,
          mbPerS: statSync(file).size / 1e6 / (median(runs.map((r) => r.totalMs)) / 1000),
          peakRssMb: median(runs.map((r) => r.peakRssMb)),
          baselineRssMb: median(runs.map((r) => r.baselineRssMb)),
          dbMb: median(runs.map((r) => r.dbBytes)) / 1e6,
        },
        runs,
      });
      rmSync(file);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const doc = {
    what: 'CSV import (src/lib/import: two streamed passes, papaparse parser, sql.js build in one transaction, export)',
    host: `Node ${process.version}, ${process.platform}/${process.arch}`,
    date: new Date().toISOString(),
    method:
      'fresh process per run; peak memory = getrusage maxRSS of that process (includes WebAssembly memory); medians over repeats',
    results,
  };
  writeAtomic(o.out, JSON.stringify(doc, null, 2) + '\n');
  console.log(`wrote ${o.out}`);
}

// Run only as a script (the browser benchmark imports writeSalesCsv from here).
if (process.argv[1] && import.meta.filename === (await import('node:fs')).realpathSync(process.argv[1])) {
  process.exit(await runCli('import-bench', USAGE, () => main(process.argv.slice(2))));
}
