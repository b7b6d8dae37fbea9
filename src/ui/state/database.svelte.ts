/** The Ask page's database: open from a file, a URL, a schema or the demo; reopened after a reload. */
import type { DbInfo, DbSource } from '../../lib/sql/engine.ts';
import type { TableInfo } from '../../lib/types.ts';
import type { ImportResult } from '../../lib/import/session.ts';
import type { ShareState } from '../../lib/share/codec.ts';
import { errorMessage } from '../../lib/errors.ts';
import type { OpenKv, PageEnv, UiServices } from './ports.ts';

/** Stored database source: what to reopen after a reload (with its URL when it came from one). */
export type SavedDb = { kind: 'demo' } | (DbSource & { url?: string });

export const DB_KEY = 'db:current' as const;

export class DatabaseState {
  #info = $state<DbInfo | null>(null);
  #error = $state<string | null>(null);
  #isDemo = $state(false);
  /** Where it came from, for share links (null = a local file). */
  #origin = $state<ShareState['db'] | null>(null);
  #tables = $derived(this.#info?.tables ?? []);

  constructor(
    private readonly deps: {
      sql: Pick<UiServices['sql'], 'open'>;
      kv: OpenKv;
      env: Pick<PageEnv, 'fetch'>;
      demo: { name: string; sql: () => Promise<string> };
    },
  ) {}

  get info(): DbInfo | null {
    return this.#info;
  }
  get error(): string | null {
    return this.#error;
  }
  get isDemo(): boolean {
    return this.#isDemo;
  }
  get origin(): ShareState['db'] | null {
    return this.#origin;
  }
  get tables(): TableInfo[] {
    return this.#tables;
  }

  private async save(src: SavedDb): Promise<void> {
    try {
      await (await this.deps.kv()).setKv(DB_KEY, src);
    } catch {
      /* quota: the database still works for this session */
    }
  }

  async restore(): Promise<void> {
    const saved = await (await this.deps.kv()).getKv(DB_KEY);
    if (saved && saved.kind !== 'demo') {
      try {
        await this.open(saved, false);
        this.#origin = saved.url ? { kind: 'url', url: saved.url } : null;
        return;
      } catch {
        /* fall back to the demo */
      }
    }
    await this.openDemo();
  }

  async openDemo(): Promise<void> {
    const { demo } = this.deps;
    await this.open({ kind: 'sql', sql: await demo.sql(), name: demo.name }, false);
    this.#isDemo = true;
    this.#origin = { kind: 'demo' };
    await this.save({ kind: 'demo' });
  }

  async open(src: DbSource & { url?: string }, persist = true): Promise<void> {
    this.#error = null;
    try {
      const { url: _url, ...plain } = src;
      this.#info = await this.deps.sql.open(plain as DbSource);
      this.#isDemo = false;
      this.#origin = src.url ? { kind: 'url', url: src.url } : null;
      if (persist) await this.save(src);
    } catch (e) {
      this.#error = errorMessage(e);
      throw e;
    }
  }

  async openFile(file: File): Promise<void> {
    const bytes = new Uint8Array(await file.arrayBuffer());
    await this.open({ kind: 'bytes', bytes, name: file.name }).catch(() => {});
  }

  async openUrl(url: string): Promise<void> {
    this.#error = null;
    try {
      const r = await this.deps.env.fetch(url);
      if (!r.ok) throw new Error(`HTTP ${r.status} fetching ${url}`);
      const bytes = new Uint8Array(await r.arrayBuffer());
      await this.open({ kind: 'bytes', bytes, name: url.split('/').pop()?.split('?')[0] || url, url });
    } catch (e) {
      this.#error = errorMessage(e);
    }
  }

  /**
   * A database built from imported files: opened (and saved for the next visit) like a .sqlite
   * file; the tables keep the import's notes (original headers as column notes). Throws when it
   * cannot be opened, and the current database stays open then.
   */
  async openImported(r: Pick<ImportResult, 'bytes' | 'name' | 'tables'>): Promise<void> {
    await this.open({ kind: 'bytes', bytes: r.bytes, name: r.name });
    const info = this.#info;
    if (!info) return;
    const notes = new Map(r.tables.map((t) => [t.name, t]));
    this.#info = {
      ...info,
      tables: info.tables.map((t) => {
        const n = notes.get(t.name);
        return n
          ? { ...t, ...(n.note ? { note: n.note } : {}), ...(n.columnNotes ? { columnNotes: n.columnNotes } : {}) }
          : t;
      }),
    };
  }

  /** A database made from CREATE statements (the schema context of a question). */
  async openContext(ddl: string): Promise<void> {
    await this.open({ kind: 'sql', sql: ddl, name: 'Schema context' }).catch(() => {});
  }
}
