/**
 * Files become tables (Database & corpus → Import files): pick or drop files, read them in the
 * import worker (progress, cancel), show each table's preview and inferred types, let the user
 * rename a table or change a column's type, then Create: the new database is built in the worker
 * and opened only when the build succeeded; until then (and on any failure) the current database
 * stays open. Also the `.sqlite` export of the current database.
 */
import type { Importer } from '../../lib/import/client.ts';
import type { ColumnType } from '../../lib/import/infer.ts';
import type { ImportInput } from '../../lib/import/readers.ts';
import type { BuiltTable, ImportFailure, TablePlan } from '../../lib/import/session.ts';
import { isCleanIdentifier } from '../../lib/import/identifiers.ts';
import { CancelledError, errorMessage } from '../../lib/errors.ts';
import type { Progress } from '../../lib/types.ts';
import type { DatabaseState } from './database.svelte.ts';
import type { UiServices } from './ports.ts';
import type { Jobs } from './jobs.svelte.ts';

export type ImportStatus = 'idle' | 'reading' | 'ready' | 'building' | 'done';

/** The user's choices for one table. */
export interface TableChoice {
  name: string;
  types: ColumnType[];
  skip: boolean;
}

export class ImportState {
  #status = $state<ImportStatus>('idle');
  #progress = $state<Progress | null>(null);
  #tables = $state<TablePlan[]>([]);
  #failures = $state<ImportFailure[]>([]);
  #error = $state<string | null>(null);
  #built = $state<BuiltTable[]>([]);
  /** Edits per table key. */
  choices = $state<Record<string, TableChoice>>({});
  #abort: AbortController | null = null;

  constructor(
    private readonly deps: {
      importer: Importer;
      database: Pick<DatabaseState, 'openImported'>;
      sql: Pick<UiServices['sql'], 'export'>;
      jobs: Jobs;
    },
  ) {}

  get status(): ImportStatus {
    return this.#status;
  }
  get progress(): Progress | null {
    return this.#progress;
  }
  get tables(): TablePlan[] {
    return this.#tables;
  }
  get failures(): ImportFailure[] {
    return this.#failures;
  }
  get error(): string | null {
    return this.#error;
  }
  /** After Create: rows and bad rows per table. */
  get built(): BuiltTable[] {
    return this.#built;
  }
  get busy(): boolean {
    return this.#status === 'reading' || this.#status === 'building';
  }

  /** Why Create is not possible now (null = it is). */
  get blocker(): string | null {
    const chosen = this.#tables.filter((t) => !this.choices[t.key]?.skip);
    if (!chosen.length) return 'no table to create';
    const seen = new Set<string>();
    for (const t of chosen) {
      const name = this.choices[t.key]?.name ?? t.name;
      if (!isCleanIdentifier(name)) return `"${name}" is not a usable table name (letters, digits and _)`;
      if (seen.has(name.toLowerCase())) return `two tables are called "${name}"`;
      seen.add(name.toLowerCase());
    }
    return null;
  }

  private start(status: ImportStatus): { ac: AbortController; report: (p: Progress) => void } {
    this.#abort?.abort();
    const ac = new AbortController();
    this.#abort = ac;
    this.#status = status;
    this.#error = null;
    this.#progress = null;
    const job = this.deps.jobs.start(
      'import',
      status === 'reading' ? 'Reading files to import' : 'Building the database',
      () => ac.abort(),
    );
    const report = (p: Progress) => {
      if (this.#abort !== ac) return;
      this.#progress = p;
      job(p);
    };
    return { ac, report };
  }

  private finish(ac: AbortController): void {
    if (this.#abort !== ac) return;
    this.#abort = null;
    this.#progress = null;
    this.deps.jobs.end('import');
  }

  /** Read the files (first pass). Files that cannot be read are listed; the database is untouched. */
  async pick(files: File[]): Promise<void> {
    if (!files.length) return;
    const { ac, report } = this.start('reading');
    this.#tables = [];
    this.#failures = [];
    this.#built = [];
    this.choices = {};
    const inputs: ImportInput[] = files.map((f) => ({ name: f.name, blob: f }));
    try {
      const plan = await this.deps.importer.analyse(inputs, {
        signal: ac.signal,
        onProgress: report,
      });
      if (this.#abort !== ac) return;
      this.#tables = plan.tables;
      this.#failures = plan.failures;
      this.choices = Object.fromEntries(
        plan.tables.map((t) => [t.key, { name: t.name, types: t.columns.map((c) => c.type), skip: false }]),
      );
      this.#status = plan.tables.length ? 'ready' : 'idle';
      if (!plan.tables.length) this.#error = 'No file could be read; the current database is unchanged.';
    } catch (e) {
      if (this.#abort !== ac) return;
      this.#status = 'idle';
      this.#error = e instanceof CancelledError ? 'Import cancelled.' : errorMessage(e);
    } finally {
      this.finish(ac);
    }
  }

  rename(key: string, name: string): void {
    const c = this.choices[key];
    if (c) c.name = name.trim();
  }

  setType(key: string, column: number, type: ColumnType): void {
    const c = this.choices[key];
    if (c) c.types[column] = type;
  }

  setSkip(key: string, skip: boolean): void {
    const c = this.choices[key];
    if (c) c.skip = skip;
  }

  /** Build the database and open it; on failure the current database stays open. */
  async create(): Promise<boolean> {
    const why = this.blocker;
    if (why) {
      this.#error = why;
      return false;
    }
    const { ac, report } = this.start('building');
    try {
      const edits = this.#tables.map((t) => {
        const c = this.choices[t.key];
        return { key: t.key, name: c?.name ?? t.name, types: c ? [...c.types] : [], skip: c?.skip ?? false };
      });
      const result = await this.deps.importer.build(edits, {
        signal: ac.signal,
        onProgress: report,
      });
      if (this.#abort !== ac) return false;
      await this.deps.database.openImported(result);
      this.#built = result.built;
      this.#status = 'done';
      return true;
    } catch (e) {
      if (this.#abort !== ac) return false;
      this.#status = e instanceof CancelledError ? 'idle' : 'ready';
      this.#error =
        e instanceof CancelledError
          ? 'Import cancelled; the current database is unchanged. Pick the files again to import them.'
          : `${errorMessage(e)} (the current database is unchanged)`;
      if (e instanceof CancelledError) this.#tables = [];
      return false;
    } finally {
      this.finish(ac);
    }
  }

  /** Stop reading or building now (the worker is terminated). */
  cancel(): void {
    this.#abort?.abort();
  }

  /** Forget the picked files and their preview. */
  clear(): void {
    const ac = this.#abort;
    ac?.abort();
    if (ac) this.finish(ac);
    this.#tables = [];
    this.#failures = [];
    this.#built = [];
    this.#error = null;
    this.#status = 'idle';
  }

  /** The current database as a SQLite file. */
  async exportSqlite(): Promise<Uint8Array> {
    return this.deps.sql.export();
  }
}
