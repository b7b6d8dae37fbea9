/**
 * Writing a CLI's result so that it is never lost: atomically (a temporary file beside the target,
 * then a rename, and the temporary file removed when anything fails), and, when the target still
 * cannot be written at the end of a long run, to a fallback file in the system's temporary folder
 * whose path the caller reports.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errorMessage } from '../../lib/errors.ts';

/** Write `data` to `file` through a temporary file and a rename: never a half file, no leftovers. */
export function writeAtomic(file: string, data: string | Uint8Array): void {
  const abs = path.resolve(file);
  mkdirSync(path.dirname(abs), { recursive: true });
  const tmp = `${abs}.${process.pid}.${Date.now().toString(36)}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, abs);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export interface SavedResult {
  /** Where the result is now. */
  path: string;
  /** Set when `file` could not be written and the fallback was used: why. */
  fallbackReason?: string;
}

/**
 * Write a finished result to `file`; if that fails, to `<tmpdir>/<prefix>-<time>-<pid><ext>`.
 * Throws only when both fail (with both reasons).
 */
export function saveResult(file: string, data: string | Uint8Array, prefix = 'coderag-result'): SavedResult {
  try {
    writeAtomic(file, data);
    return { path: file };
  } catch (e) {
    const reason = errorMessage(e);
    const ext = path.extname(file) || '.json';
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const fallback = path.join(os.tmpdir(), `${prefix}-${stamp}-${process.pid}${ext}`);
    try {
      writeAtomic(fallback, data);
    } catch (e2) {
      throw new Error(`cannot write ${file} (${reason}) nor the fallback ${fallback} (${errorMessage(e2)})`, {
        cause: e2,
      });
    }
    return { path: fallback, fallbackReason: reason };
  }
}

/** A line that says where a result went, for the CLIs' logs. */
export function savedNote(what: string, target: string, r: SavedResult): string {
  return r.fallbackReason
    ? `could not write ${what} to ${target} (${r.fallbackReason}); saved it to ${r.path} instead`
    : `wrote ${what} to ${r.path}`;
}
