/** The Ask page's database: open from a file, a URL, a schema or the demo; reopened after a reload. */
import type { DbInfo, DbSource } from '../../lib/sql/engine.ts';
import type { TableInfo } from '../../lib/types.ts';
import type { ImportResult } from '../../lib/import/session.ts';
import type { ShareState } from '../../lib/share/codec.ts';
import { errorMessage } from '../../lib/errors.ts';
import { mark } from '../../lib/marks.ts';
import { START_DB_HINT_KEY } from '../demo-urls.ts';
import type { SettingsStorage } from '../settings.ts';
import { applyNotes, dbIdentity, emptyNotes, parseNotes, withNote, type NotesDoc } from '../../lib/notes/notes.ts';
import type { SchemaNote } from '../../lib/types.ts';
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
  /** The open database's schema notes (Database & corpus → Schema notes). */
  #notes = $state.raw<NotesDoc>(emptyNotes());
  /** What was opened (for the workspace file): the file bytes or the SQL text. */
  #source: DbSource | null = null;
  /** Bumped by every notes write, so a background read that started earlier does not undo it. */
  #notesGen = 0;
  #identity = $derived(this.#info ? dbIdentity(this.#info) : null);
  /** The tables as prompts and schema linking see them: with the notes merged in. */
  #tables = $derived(applyNotes(this.#info?.tables ?? [], this.#notes));

  constructor(
    private readonly deps: {
      sql: Pick<UiServices['sql'], 'open'>;
      kv: OpenKv;
      env: Pick<PageEnv, 'fetch'>;
      demo: { name: string; sql: () => Promise<string> };
      /** Called after each database opened (the learning loop loads its examples). */
      onOpen?: () => void;
      /** Where the page's entry reads which database comes back (START_DB_HINT_KEY). */
      hints?: SettingsStorage | null;
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
  get notes(): NotesDoc {
    return this.#notes;
  }
  /** The open database's identity (what its notes and examples are stored under). */
  get identity(): string | null {
    return this.#identity;
  }
  get source(): DbSource | null {
    return this.#source;
  }

  /** Set (or clear, with an empty note) a table's note (column null) or a column's; saved at once. */
  async setNote(table: string, column: string | null, note: SchemaNote | undefined): Promise<void> {
    const id = this.#identity;
    if (!id) return;
    this.#notesGen++;
    const next = withNote(this.#notes, table, column, note);
    await (await this.deps.kv()).setKv(`notes:${id}`, next);
    this.#notes = next;
  }

  /** Replace all notes of the open database (a workspace import). */
  async replaceNotes(doc: NotesDoc): Promise<void> {
    const id = this.#identity;
    if (!id) return;
    this.#notesGen++;
    await (await this.deps.kv()).setKv(`notes:${id}`, doc);
    this.#notes = doc;
  }

  private async loadNotes(): Promise<void> {
    const id = this.#identity;
    const gen = ++this.#notesGen;
    let doc = emptyNotes();
    try {
      const stored = id ? await (await this.deps.kv()).getKv(`notes:${id}`) : undefined;
      if (stored) doc = parseNotes(stored);
    } catch {
      /* unreadable notes are ignored (the database still works) */
    }
    if (id === this.#identity && gen === this.#notesGen) this.#notes = doc;
  }

  private async save(src: SavedDb): Promise<void> {
    try {
      this.deps.hints?.setItem(START_DB_HINT_KEY, src.kind === 'demo' ? 'demo' : 'other');
    } catch {
      /* no localStorage: the entry opens the demo early, which the app then replaces */
    }
    try {
      await (await this.deps.kv()).setKv(DB_KEY, src);
    } catch {
      /* quota: the database still works for this session */
    }
  }

  async restore(): Promise<void> {
    mark('db-restore');
    const saved = await (await this.deps.kv()).getKv(DB_KEY);
    mark('db-saved-read');
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
      mark('db-open');
      this.#info = await this.deps.sql.open(plain as DbSource);
      mark('db-opened');
      this.#source = plain as DbSource;
      this.#notes = emptyNotes();
      // read in the background (opening does not wait on the store); a later write wins
      void this.loadNotes();
      this.deps.onOpen?.();
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
    if (!this.#info) return;
    // The files' original headers become the columns' schema notes, stored with the database
    // (columns that already have a note, from an earlier import of the same data, keep theirs).
    await this.loadNotes();
    let doc = this.#notes;
    for (const t of r.tables) {
      if (t.note && !doc.tables[t.name]?.note) doc = withNote(doc, t.name, null, t.note);
      t.columnNotes?.forEach((n, i) => {
        const col = t.columns[i];
        if (n && col && !doc.tables[t.name]?.columns?.[col]) doc = withNote(doc, t.name, col, n);
      });
    }
    if (doc !== this.#notes) await this.replaceNotes(doc).catch(() => {});
  }

  /** A database made from CREATE statements (the schema context of a question). */
  async openContext(ddl: string): Promise<void> {
    await this.open({ kind: 'sql', sql: ddl, name: 'Schema context' }).catch(() => {});
  }
}
