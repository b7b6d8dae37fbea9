/**
 * `npx tsx scripts/import-bench-browser.ts [--sizes 10,100] [--repeats 1] [--port 4616] [--out docs/import-browser.results.json]`
 *
 * The same generated sales CSVs as scripts/import-bench.ts, imported through the real page
 * (Database & corpus → Import files, in the import worker) in Chromium, from `dist/` (run
 * `npx vite build` first) served by `vite preview`. Time: from handing the file to the input to
 * the preview (read pass), and from Create to the new database being open (build + open in the
 * SQL worker). Memory: the browser's whole process tree (found from its private profile folder),
 * summed proportional set size (Pss) sampled every 200 ms; peak minus the page's idle level.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { parseStrict, runCli } from '../src/node/cli/args.ts';
import { writeAtomic } from '../src/node/cli/output.ts';
import { writeSalesCsv } from './import-bench.ts';

const USAGE = 'usage: tsx scripts/import-bench-browser.ts [--sizes 10,100] [--repeats 1] [--port N] [--out FILE]';

function ppidOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return -1;
  }
}

/** Pss (MB) of the process whose command line mentions `marker`, and of all its descendants. */
function treePssMb(marker: string): number {
  const pids = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
  const roots = new Set<number>();
  for (const pid of pids) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)) roots.add(pid);
    } catch {
      /* gone */
    }
  }
  let kb = 0;
  for (const pid of pids) {
    let p = pid;
    let inTree = false;
    for (let hops = 0; hops < 8 && p > 1; hops++) {
      if (roots.has(p)) {
        inTree = true;
        break;
      }
      p = ppidOf(p);
    }
    if (!inTree) continue;
    try {
      const m = /^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      kb += m ? Number(m[1]) : 0;
    } catch {
      /* gone */
    }
  }
  return kb / 1024;
}

async function main(argv: string[]): Promise<void> {
  const o = parseStrict(argv, {
    sizes: { type: 'string', default: '10,100' },
    repeats: { type: 'string', default: '1' },
    port: { type: 'string', default: '4616' },
    out: { type: 'string', default: 'docs/import-browser.results.json' },
  });
  const port = Number(o.port);
  const server = spawn('npx', ['vite', 'preview', '--port', String(port), '--strictPort'], { stdio: 'ignore' });
  const dir = mkdtempSync(join(tmpdir(), 'coderag-import-bench-browser-'));
  const profile = join(dir, 'profile');
  const results: Record<string, unknown>[] = [];
  try {
    for (let i = 0; i < 60; i++) {
      const ok = await fetch(`http://localhost:${port}/`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    for (const mb of o.sizes.split(',').map(Number)) {
      const file = join(dir, `sales-${mb}mb.csv`);
      const rows = await writeSalesCsv(file, mb);
      for (let rep = 0; rep < Number(o.repeats); rep++) {
        rmSync(profile, { recursive: true, force: true });
        const ctx = await chromium.launchPersistentContext(profile, {
          executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
          args: ['--no-sandbox'],
          acceptDownloads: false,
        });
        try {
          const page = ctx.pages()[0] ?? (await ctx.newPage());
          await page.goto(`http://localhost:${port}/`);
          await page.getByTestId('status').getByText('Demo shop').first().waitFor({ timeout: 120_000 });
          // Let the boot finish (models, index) so it does not compete with the import.
          await page
            .getByTestId('index-status')
            .getByText('vectors')
            .first()
            .waitFor({ timeout: 300_000 })
            .catch(() => {});
          await page
            .locator('[data-testid=status][data-jobs="0"]')
            .waitFor({ timeout: 300_000 })
            .catch(() => {});
          await page.getByTestId('tab-data').click();
          await new Promise((r) => setTimeout(r, 3000));
          const idle = treePssMb(profile);
          let peak = idle;
          const timer = setInterval(() => (peak = Math.max(peak, treePssMb(profile))), 200);
          const t0 = performance.now();
          await page.getByTestId('import-file').setInputFiles(file);
          await page.getByTestId('import-summary').waitFor({ timeout: 600_000 });
          const t1 = performance.now();
          await page.getByTestId('import-create').click();
          await page.getByTestId('import-done').waitFor({ timeout: 600_000 });
          const t2 = performance.now();
          clearInterval(timer);
          const run = {
            sizeMb: statSync(file).size / 1e6,
            rows,
            readS: (t1 - t0) / 1000,
            buildAndOpenS: (t2 - t1) / 1000,
            totalS: (t2 - t0) / 1000,
            idlePssMb: idle,
            peakPssMb: peak,
            peakAboveIdleMb: peak - idle,
          };
          console.log(JSON.stringify(run));
          results.push(run);
          save(o.out, results);
        } finally {
          await ctx.close();
        }
      }
      rmSync(file);
    }
  } finally {
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
  save(o.out, results);
  console.log(`wrote ${o.out}`);
}

function save(out: string, results: Record<string, unknown>[]): void {
  writeAtomic(
    out,
    JSON.stringify(
      {
        what: 'CSV import through the page (import worker, then the SQL worker opens the database), Chromium',
        date: new Date().toISOString(),
        method:
          'time: file handed to the input → preview, Create → database open; memory: Pss of the browser process tree, sampled every 200 ms',
        results,
      },
      null,
      2,
    ) + '\n',
  );
}

process.exit(await runCli('import-bench-browser', USAGE, () => main(process.argv.slice(2))));
