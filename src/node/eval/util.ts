/** `npm run eval`: small helpers (machine and commit of a report, durations, progress lines, local models). */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import type { ProgressFn } from '../../lib/types.ts';
import type { CliIO } from '../cli/args.ts';
import { repoRoot } from '../host.ts';

/** The machine a report was measured on. */
export function machine() {
  const cpus = os.cpus();
  return {
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu_model: cpus[0]?.model?.trim() ?? 'unknown',
    cpus: cpus.length,
    memory_gb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  };
}

export function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
}

export function fmtDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  const m = Math.floor(s / 60);
  return m < 60
    ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Progress lines at most every few seconds, with rate and ETA. */
export function progressPrinter(io: CliIO, quiet: boolean, everyMs = 5000): ProgressFn {
  let last = 0;
  let phase = '';
  let t0 = performance.now();
  let startDone = 0;
  return (p) => {
    if (quiet) return;
    const now = performance.now();
    if (p.phase !== phase) {
      phase = p.phase;
      t0 = now;
      startDone = p.done;
      last = 0;
    }
    const final = p.total > 0 && p.done >= p.total;
    if (!final && now - last < everyMs) return;
    last = now;
    const el = (now - t0) / 1000;
    const rate = el > 0 ? (p.done - startDone) / el : 0;
    const eta = rate > 0 && p.total ? (p.total - p.done) / rate : NaN;
    const pct = p.total ? ` (${((100 * p.done) / p.total).toFixed(0)}%)` : '';
    const speed = el >= 1 ? `, ${rate.toFixed(1)}/s` : '';
    io.err(
      `[eval] ${p.phase}: ${p.done}/${p.total}${pct}${speed}, elapsed ${fmtDuration(el)}${final ? '' : `, ETA ${fmtDuration(eta)}`}${p.detail && !final ? ` - ${p.detail}` : ''}`,
    );
  };
}

export function listLocalModels(dir: string | null): string[] {
  if (!dir || !existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name);
}

/** What identifies an adapter in a report (its metadata without bulky fields). */
export function adapterMeta(meta: unknown): unknown {
  if (!meta || typeof meta !== 'object') return null;
  const { embedderId, dim, dataHash, createdAt, bestEpoch, note } = meta as Record<string, unknown>;
  return { embedderId, dim, dataHash, createdAt, bestEpoch, note };
}

export function roundAll(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v * 10) / 10]));
}
