/**
 * `npm run bench`: build the app into a private folder, serve it with `vite preview`, and call the
 * bench harness page (src/bench/harness.ts) from Node through Playwright.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import type { Page } from '@playwright/test';
import type { Bench } from '../../bench/harness.ts';
import { repoRoot } from '../host.ts';

function run(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { cwd: opts.cwd ?? repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

export async function build(dist: string): Promise<number> {
  const t = performance.now();
  // A private output folder: other jobs building dist/ at the same time cannot pull files from
  // under the preview server.
  const r = await run('npx', ['vite', 'build', '--outDir', dist, '--emptyOutDir']);
  if (r.code !== 0) throw new Error(`vite build failed:\n${r.out.slice(-3000)}`);
  return performance.now() - t;
}

export const STAMP = '.bench-build-stamp';
const SOURCES = [
  'index.html',
  'bench.html',
  'vite.config.ts',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'src',
  'workers',
  'public',
  'static-data',
];

function newestMtime(p: string): number {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = st.mtimeMs;
  for (const f of readdirSync(p)) m = Math.max(m, newestMtime(path.join(p, f)));
  return m;
}

/** True when the private build exists and no source file changed after it was made. */
export function distFresh(dist: string): boolean {
  const stamp = path.join(dist, STAMP);
  if (!existsSync(stamp) || !existsSync(path.join(dist, 'bench.html'))) return false;
  const built = statSync(stamp).mtimeMs;
  return SOURCES.every((s) => newestMtime(path.join(repoRoot, s)) <= built);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function preview(dist: string): Promise<{ url: string; proc: ChildProcess }> {
  const port = await freePort();
  const proc = spawn('npx', ['vite', 'preview', '--outDir', dist, '--port', String(port), '--strictPort'], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const url = `http://localhost:${port}/`;
  for (let i = 0; i < 120; i++) {
    try {
      const r = await fetch(url + 'bench.html');
      if (r.ok) return { url, proc };
    } catch {
      /* not yet */
    }
    if (proc.exitCode != null) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  stopProc(proc);
  throw new Error(`vite preview did not start:\n${out.slice(-2000)}`);
}

export function stopProc(p: ChildProcess | null) {
  if (!p?.pid || p.exitCode != null) return;
  try {
    process.kill(-p.pid, 'SIGTERM'); // the process group we started (npx → vite)
  } catch {
    /* gone */
  }
}

// The argument crosses into the page as structured-cloned JSON; each call site shapes it itself.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function evaluate<T>(page: Page, fn: (b: Bench, arg: any) => Promise<T>, arg: unknown): Promise<T> {
  return page.evaluate(
    ([src, a]) => {
      const f = new Function(`return (${src})`)() as (b: unknown, x: unknown) => Promise<unknown>;
      return f((window as unknown as { bench: unknown }).bench, a);
    },
    [fn.toString(), arg] as const,
  ) as Promise<T>;
}
