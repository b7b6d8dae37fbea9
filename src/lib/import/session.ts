/**
 * An import in two passes over the same files, both streamed:
 * 1. `analyseImport` reads every table once: header → identifiers (original header kept), types
 *    guessed from the first rows (the sample) and checked on every row (widened where a later
 *    value does not fit), structural bad rows (wrong field count, broken quotes, invalid JSON)
 *    listed with their row numbers, and a preview of the first rows. Nothing is built yet.
 * 2. `ImportSession.build` reads them again with the user's edits (table names, column types),
 *    converts every value, lists and skips rows that do not fit, and builds a new SQLite database
 *    (CREATE + batched INSERTs in one transaction) that it returns as bytes. The database the app
 *    has open is not involved: the caller opens the bytes only when the build succeeded.
 */
import type { Database, SqlJsStatic } from 'sql.js';
import type { ProgressFn, RowIssue, TableInfo } from '../types.ts';
import { CancelledError } from '../errors.ts';
import { ImportError } from './errors.ts';
import { isCleanIdentifier, uniqueIdentifiers } from './identifiers.ts';
import {
  COLUMN_TYPES,
  TypeTracker,
  convertValue,
  declaredType,
  isoFromDate,
  type ColumnType,
  type SqlCell,
} from './infer.ts';
import { openSource, type ImportInput, type SourceRecord, type SourceTable, type SourceFormat } from './readers.ts';

export interface ImportColumn {
  /** Identifier in the new table (cleaned from the header). */
  name: string;
  /** The header as written in the file (kept as the column's note). */
  original: string;
  /** Type after checking every row (the one the table gets unless the user changes it). */
  type: ColumnType;
  /** What the sample alone suggested. */
  sampleType: ColumnType;
  /** Row where a value first did not fit the sample's guess (the type was widened there). */
  widenedAt?: number;
}

export interface TablePlan {
  /** Stable key within the session: file index and sheet. */
  key: string;
  file: string;
  sheet?: string;
  format: SourceFormat;
  /** Table name (editable; must be a clean identifier). */
  name: string;
  columns: ImportColumn[];
  /** The first rows as text, for the preview (null = blank). */
  preview: (string | null)[][];
  /** Rows read that have the right shape. */
  rows: number;
  /** Rows with the wrong shape (all counted; `issues` lists the first ones). */
  badRows: number;
  issues: RowIssue[];
  blankRows: number;
  /** How many rows the type guess was made from. */
  sampleSize: number;
  notes: string[];
}

export interface ImportFailure {
  file: string;
  message: string;
}

export interface ImportPlan {
  tables: TablePlan[];
  /** Files that could not be read (the rest can still be imported). */
  failures: ImportFailure[];
}

/** What the user may change before building: per table key, its name and column types. */
export interface TableEdit {
  key: string;
  name: string;
  types: ColumnType[];
  /** Leave the table out. */
  skip?: boolean;
}

export interface BuiltTable {
  name: string;
  rows: number;
  badRows: number;
  issues: RowIssue[];
}

export interface ImportResult {
  /** The new database file. */
  bytes: Uint8Array;
  name: string;
  /** Tables with their original headers as column notes (TableInfo.columnNotes[i].text). */
  tables: TableInfo[];
  built: BuiltTable[];
  ms: number;
}

export interface ImportOptions {
  signal?: AbortSignal;
  onProgress?: ProgressFn;
  /** Rows the type guess is made from (default 1,000). */
  sampleSize?: number;
  /** Rows in the preview (default 20). */
  previewRows?: number;
  /** Bad rows listed per table (all are counted; default 1,000). */
  maxListed?: number;
}

const PREVIEW_ROWS = 20;
const SAMPLE_SIZE = 1000;
const MAX_LISTED = 1000;

function check(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError('import');
}

function display(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return isoFromDate(v);
  if (typeof v === 'object' && !(v instanceof Uint8Array))
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x));
  return String(v);
}

/**
 * Turns records into rows of cells in column order: tabular records by position (trailing empty
 * extra cells dropped), objects by key (new keys add columns).
 */
class Shaper {
  header: string[] | null = null;
  private keyIndex = new Map<string, number>();

  constructor(private readonly padShort: boolean) {}

  /** Fixed header for a second pass (object keys, in the order the first pass found them). */
  fix(header: string[], objects: boolean): void {
    this.header = [...header];
    if (objects) header.forEach((k, i) => this.keyIndex.set(k, i));
  }

  /** Cells in column order, or a reason the record is bad; null for a header record. */
  shape(r: SourceRecord, grow: boolean): unknown[] | string | null {
    if (r.kind === 'header') {
      this.header ??= r.cells.map((c) => c.trim());
      return null;
    }
    if (r.kind === 'object') {
      this.header ??= [];
      const cells: unknown[] = new Array(this.header.length).fill(null);
      for (const [k, v] of Object.entries(r.object)) {
        let i = this.keyIndex.get(k);
        if (i === undefined) {
          if (!grow) continue;
          i = this.header.length;
          this.header.push(k);
          this.keyIndex.set(k, i);
        }
        cells[i] = v;
      }
      return cells;
    }
    if (r.kind !== 'cells') return null;
    if (!this.header) return 'no header row before it';
    let cells = r.cells;
    const n = this.header.length;
    if (cells.length > n && cells.slice(n).every((c) => c === null || c === undefined || c === ''))
      cells = cells.slice(0, n);
    if (cells.length < n && this.padShort) cells = [...cells, ...new Array(n - cells.length).fill(null)];
    if (cells.length !== n) return `has ${cells.length} fields, the header has ${n}`;
    return cells;
  }
}

interface SessionTable {
  source: SourceTable;
  plan: TablePlan;
  objects: boolean;
}

async function analyseTable(
  source: SourceTable,
  key: string,
  opts: ImportOptions,
): Promise<{ plan: TablePlan; objects: boolean }> {
  const sampleSize = opts.sampleSize ?? SAMPLE_SIZE;
  const previewN = opts.previewRows ?? PREVIEW_ROWS;
  const maxListed = opts.maxListed ?? MAX_LISTED;
  const tracker = new TypeTracker(sampleSize);
  const shaper = new Shaper(source.format === 'xlsx');
  const preview: (string | null)[][] = [];
  const issues: RowIssue[] = [];
  let rows = 0;
  let badRows = 0;
  let blankRows = 0;
  let objects = false;
  const phase = `Reading ${source.sheet ? `${source.file} › ${source.sheet}` : source.file}`;
  for await (const r of source.records({
    signal: opts.signal,
    onProgress: (done, total) => opts.onProgress?.({ phase, done, total }),
  })) {
    if (r.kind === 'blank') {
      blankRows++;
      continue;
    }
    if (r.kind === 'bad') {
      badRows++;
      if (issues.length < maxListed) issues.push({ row: r.row, reason: r.reason });
      continue;
    }
    if (r.kind === 'object') objects = true;
    const cells = shaper.shape(r, true);
    if (cells === null) continue;
    if (typeof cells === 'string') {
      badRows++;
      if (issues.length < maxListed) issues.push({ row: r.row, reason: cells });
      continue;
    }
    rows++;
    tracker.add(cells, r.row);
    if (preview.length < previewN) preview.push(cells.map(display));
  }
  check(opts.signal);
  const header = shaper.header ?? [];
  const where = source.sheet ? `"${source.file}", sheet "${source.sheet}"` : `"${source.file}"`;
  if (!header.length) throw new ImportError(`${where} has no header row or no columns`);
  if (rows === 0) {
    const first = issues[0] ? ` (row ${issues[0].row}: ${issues[0].reason})` : '';
    throw new ImportError(
      `${where} has no readable data rows${badRows ? `: all ${badRows} rows are malformed${first}` : ''}`,
    );
  }
  if (badRows > rows) {
    const first = issues[0] ? `; first: row ${issues[0].row}: ${issues[0].reason}` : '';
    throw new ImportError(
      `${where} does not look like ${source.format.toUpperCase()}: ${badRows} of ${badRows + rows} rows are malformed${first}`,
    );
  }
  for (const p of preview) while (p.length < header.length) p.push(null);
  const names = uniqueIdentifiers(header);
  const sampled = tracker.sampleTypes(header.length);
  const final = tracker.types(header.length);
  const columns: ImportColumn[] = header.map((h, i) => ({
    name: names[i],
    original: h,
    type: final[i],
    sampleType: sampled[i],
    ...(tracker.widenedAt[i] !== undefined ? { widenedAt: tracker.widenedAt[i] } : {}),
  }));
  return {
    objects,
    plan: {
      key,
      file: source.file,
      ...(source.sheet !== undefined ? { sheet: source.sheet } : {}),
      format: source.format,
      name: source.name,
      columns,
      preview,
      rows,
      badRows,
      issues,
      blankRows,
      sampleSize: Math.min(sampleSize, rows),
      notes: source.notes,
    },
  };
}

/** Suffix duplicate table names (two files called data.csv) so every name is unique. */
function uniqueTableNames(plans: TablePlan[]): void {
  const used = new Set<string>();
  for (const p of plans) {
    let n = p.name;
    for (let k = 2; used.has(n.toLowerCase()); k++) n = `${p.name}_${k}`;
    p.name = n;
    used.add(n.toLowerCase());
  }
}

function quote(id: string): string {
  return `"${id.replace(/"/g, '""')}"`;
}

export class ImportSession {
  private constructor(
    private readonly tables: SessionTable[],
    readonly plan: ImportPlan,
  ) {}

  /** Read every file once (first pass). Files that cannot be read are listed in `plan.failures`. */
  static async analyse(inputs: ImportInput[], opts: ImportOptions = {}): Promise<ImportSession> {
    const tables: SessionTable[] = [];
    const failures: ImportFailure[] = [];
    for (let f = 0; f < inputs.length; f++) {
      check(opts.signal);
      try {
        const sources = await openSource(inputs[f]);
        for (const source of sources) {
          const { plan, objects } = await analyseTable(source, `${f}:${source.sheet ?? ''}`, opts);
          tables.push({ source, plan, objects });
        }
      } catch (e) {
        if (e instanceof CancelledError) throw e;
        failures.push({
          file: inputs[f].name,
          message:
            e instanceof ImportError ? e.message : `"${inputs[f].name}" could not be read (${(e as Error).message})`,
        });
      }
    }
    uniqueTableNames(tables.map((t) => t.plan));
    return new ImportSession(tables, { tables: tables.map((t) => t.plan), failures });
  }

  /**
   * Second pass: build a new database from the tables with the user's edits (default: as analysed).
   * Throws ImportError (bad names, a table where no row fits) or CancelledError; nothing is kept then.
   */
  async build(
    SQL: SqlJsStatic,
    edits: TableEdit[] = [],
    opts: ImportOptions & { name?: string } = {},
  ): Promise<ImportResult> {
    const t0 = performance.now();
    const byKey = new Map(edits.map((e) => [e.key, e]));
    const chosen = this.tables.map((t) => ({ t, edit: byKey.get(t.plan.key) })).filter(({ edit }) => !edit?.skip);
    if (!chosen.length) throw new ImportError('no table to create');
    const names = new Set<string>();
    for (const { t, edit } of chosen) {
      const name = edit?.name ?? t.plan.name;
      if (!isCleanIdentifier(name)) {
        throw new ImportError(
          `"${name}" is not a usable table name: use letters, digits and _ (not starting with a digit, not an SQL keyword)`,
        );
      }
      if (names.has(name.toLowerCase())) throw new ImportError(`two tables are called "${name}"`);
      names.add(name.toLowerCase());
      for (const ty of edit?.types ?? [])
        if (!COLUMN_TYPES.includes(ty)) throw new ImportError(`unknown column type "${ty}"`);
    }
    const db = new SQL.Database();
    try {
      // A scratch database: no rollback journal (a failed build is thrown away whole), and a page
      // cache large enough that pages are not spilled to sql.js's in-memory file and read back.
      db.exec('PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -65536');
      db.exec('BEGIN');
      const built: BuiltTable[] = [];
      const infos: TableInfo[] = [];
      for (const { t, edit } of chosen) {
        const name = edit?.name ?? t.plan.name;
        const types = t.plan.columns.map((c, i) => edit?.types?.[i] ?? c.type);
        built.push(await this.fill(db, t, name, types, opts));
        infos.push({
          name,
          columns: t.plan.columns.map((c) => c.name),
          types: types.map(declaredType),
          columnNotes: t.plan.columns.map((c, i) => ({
            text: types[i] === 'DATE' ? `${c.original} (ISO date)` : c.original,
          })),
          note: { text: `Imported from ${t.plan.file}${t.plan.sheet ? `, sheet ${t.plan.sheet}` : ''}` },
        });
      }
      db.exec('COMMIT');
      const bytes = db.export();
      return {
        bytes,
        name: opts.name ?? defaultName(this.plan.tables, chosen.length),
        tables: infos,
        built,
        ms: performance.now() - t0,
      };
    } finally {
      db.close();
    }
  }

  private async fill(
    db: Database,
    t: SessionTable,
    name: string,
    types: ColumnType[],
    opts: ImportOptions,
  ): Promise<BuiltTable> {
    const cols = t.plan.columns;
    const maxListed = opts.maxListed ?? MAX_LISTED;
    db.exec(
      `CREATE TABLE ${quote(name)} (${cols.map((c, i) => `${quote(c.name)} ${declaredType(types[i])}`).join(', ')})`,
    );
    const n = cols.length;
    // Batched INSERTs: as many rows per statement as SQLite's parameter limit allows (at most 256).
    const batch = Math.max(1, Math.min(256, Math.floor(32_000 / n)));
    const tuple = `(${new Array(n).fill('?').join(',')})`;
    const insertSql = (k: number) => `INSERT INTO ${quote(name)} VALUES ${new Array(k).fill(tuple).join(',')}`;
    const full = db.prepare(insertSql(batch));
    const shaper = new Shaper(t.source.format === 'xlsx');
    if (t.objects)
      shaper.fix(
        cols.map((c) => c.original),
        true,
      );
    let params: SqlCell[] = [];
    let inBatch = 0;
    let rows = 0;
    let badRows = 0;
    const issues: RowIssue[] = [];
    const bad = (row: number, reason: string) => {
      badRows++;
      if (issues.length < maxListed) issues.push({ row, reason });
    };
    const phase = `Building ${name}`;
    try {
      for await (const r of t.source.records({
        signal: opts.signal,
        onProgress: (done, total) => opts.onProgress?.({ phase, done, total }),
      })) {
        if (r.kind === 'blank') continue;
        if (r.kind === 'bad') {
          bad(r.row, r.reason);
          continue;
        }
        const cells = shaper.shape(r, false);
        if (cells === null) continue;
        if (typeof cells === 'string') {
          bad(r.row, cells);
          continue;
        }
        const start = params.length;
        let why: string | null = null;
        for (let i = 0; i < n; i++) {
          const v = convertValue(cells[i], types[i]);
          if (v === undefined) {
            why = `${cols[i].name}: "${String(display(cells[i])).slice(0, 40)}" is not ${types[i] === 'DATE' ? 'a date' : types[i]}`;
            break;
          }
          params.push(v);
        }
        if (why) {
          params.length = start;
          bad(r.row, why);
          continue;
        }
        rows++;
        if (++inBatch === batch) {
          full.run(params);
          params = [];
          inBatch = 0;
        }
      }
      check(opts.signal);
      if (inBatch > 0) {
        const tail = db.prepare(insertSql(inBatch));
        try {
          tail.run(params);
        } finally {
          tail.free();
        }
      }
    } finally {
      full.free();
    }
    if (rows === 0) {
      const first = issues[0] ? ` (row ${issues[0].row}: ${issues[0].reason})` : '';
      throw new ImportError(`no row of "${t.plan.file}" fits the chosen column types for table ${name}${first}`);
    }
    return { name, rows, badRows, issues };
  }
}

function defaultName(tables: TablePlan[], n: number): string {
  const files = [...new Set(tables.map((t) => t.file))];
  return files.length === 1 ? files[0] : `${files[0]} + ${n - 1} more`;
}
