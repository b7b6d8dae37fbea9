/**
 * The import port the UI talks to (`Importer`), with two implementations: `LocalImporter` runs the
 * session on this thread (Node, tests), `ImportClient` runs it in a worker (the page), where
 * cancelling terminates the worker, so it really stops even inside a long synchronous step; a fresh
 * worker is started for the next call. Host-agnostic: `spawn` makes the worker.
 */
import type { SqlJsStatic } from 'sql.js';
import type { ProgressFn } from '../types.ts';
import { CancelledError, ImportError } from '../errors.ts';
import type { ImportInput } from './readers.ts';
// type-only: the session (and its file readers) loads when LocalImporter first runs, so a page that
// imports in a worker does not carry the readers in its own bundle
import type { ImportSession, ImportPlan, ImportResult, TableEdit } from './session.ts';

export interface ImportCallOptions {
  signal?: AbortSignal;
  onProgress?: ProgressFn;
}

export interface Importer {
  /** First pass over the files: tables, columns, types, preview, bad rows. Replaces any earlier plan. */
  analyse(files: ImportInput[], opts?: ImportCallOptions): Promise<ImportPlan>;
  /** Second pass: the new database as bytes (nothing else changes). Needs `analyse` first. */
  build(edits: TableEdit[], opts?: ImportCallOptions & { name?: string }): Promise<ImportResult>;
}

/** The session on this thread (cancel through the signal, checked between chunks). */
export class LocalImporter implements Importer {
  private session: ImportSession | null = null;

  constructor(private readonly sql: () => Promise<SqlJsStatic>) {}

  async analyse(files: ImportInput[], opts: ImportCallOptions = {}): Promise<ImportPlan> {
    this.session = null;
    const { ImportSession } = await import('./session.ts');
    this.session = await ImportSession.analyse(files, opts);
    return this.session.plan;
  }

  async build(edits: TableEdit[], opts: ImportCallOptions & { name?: string } = {}): Promise<ImportResult> {
    if (!this.session) throw new ImportError('pick the files to import first');
    return this.session.build(await this.sql(), edits, opts);
  }
}

/** What the import worker exposes (workers/import.worker.ts). */
export interface ImportRemote {
  analyse(files: ImportInput[], onProgress?: ProgressFn): Promise<ImportPlan>;
  build(edits: TableEdit[], name: string | undefined, onProgress?: ProgressFn): Promise<ImportResult>;
}

export interface ImportWorkerHandle {
  remote: ImportRemote;
  terminate(): void;
  /** Wrap a callback for the worker (comlink's proxy in the page). */
  callback(fn: ProgressFn): ProgressFn;
}

export class ImportClient implements Importer {
  private handle: ImportWorkerHandle | null = null;
  /** The worker holds the analysed session; a new worker has none. */
  private analysed = false;

  constructor(private readonly spawn: () => ImportWorkerHandle) {}

  private worker(): ImportWorkerHandle {
    this.handle ??= this.spawn();
    return this.handle;
  }

  private async call<T>(run: (h: ImportWorkerHandle) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) throw new CancelledError('import');
    const h = this.worker();
    let onAbort: (() => void) | undefined;
    const stopped = new Promise<never>((_, reject) => {
      onAbort = () => {
        // Terminating is the cancel: the worker stops wherever it is.
        if (this.handle === h) {
          h.terminate();
          this.handle = null;
          this.analysed = false;
        }
        reject(new CancelledError('import'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([run(h), stopped]);
    } finally {
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  async analyse(files: ImportInput[], opts: ImportCallOptions = {}): Promise<ImportPlan> {
    this.analysed = false;
    const plan = await this.call(
      (h) => h.remote.analyse(files, opts.onProgress ? h.callback(opts.onProgress) : undefined),
      opts.signal,
    );
    this.analysed = true;
    return plan;
  }

  async build(edits: TableEdit[], opts: ImportCallOptions & { name?: string } = {}): Promise<ImportResult> {
    if (!this.analysed)
      throw new ImportError('pick the files to import again (the last import was cancelled or already created)');
    const result = await this.call(
      (h) => h.remote.build(edits, opts.name, opts.onProgress ? h.callback(opts.onProgress) : undefined),
      opts.signal,
    );
    // Done: the worker's SQLite memory (as large as the database) is given back.
    this.dispose();
    this.analysed = false;
    return result;
  }

  dispose(): void {
    this.handle?.terminate();
    this.handle = null;
  }
}
