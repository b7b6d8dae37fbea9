/**
 * Workspace files (lib/workspace/workspace.ts) for the open database: export it with its schema
 * notes, My examples and the query adapter; import one (a file or a URL). An import is checked
 * completely before anything is written, and the database is opened first (the SQL engine checks
 * it before replacing the current one), so a malformed or tampered file changes nothing.
 */
import { errorMessage } from '../../lib/errors.ts';
import { readWorkspace, writeWorkspace, WORKSPACE_EXTENSION } from '../../lib/workspace/workspace.ts';
import type { AdapterState } from './adapter.svelte.ts';
import type { DatabaseState } from './database.svelte.ts';
import type { EmbedderState } from './embedder.svelte.ts';
import type { MyExamplesState } from './my-examples.svelte.ts';

export class WorkspaceState {
  #error = $state<string | null>(null);
  #message = $state<string | null>(null);
  #busy = $state(false);
  /** The URL the open database's workspace came from, and that database's identity. */
  #from = $state<{ url: string; identity: string | null } | null>(null);

  constructor(
    private readonly deps: {
      database: Pick<DatabaseState, 'source' | 'notes' | 'info' | 'identity' | 'open' | 'replaceNotes'>;
      mine: Pick<MyExamplesState, 'doc' | 'replace'>;
      adapter: Pick<AdapterState, 'json' | 'save'>;
      embedder: Pick<EmbedderState, 'info'>;
      fetch?: typeof fetch;
    },
  ) {}

  get error(): string | null {
    return this.#error;
  }
  get message(): string | null {
    return this.#message;
  }
  get busy(): boolean {
    return this.#busy;
  }
  /** The workspace URL a share link can point to: set while the database it opened is open. */
  get sharedUrl(): string | null {
    const f = this.#from;
    return f && f.identity === this.deps.database.identity ? f.url : null;
  }

  /** The workspace file of the open database, and a file name for it. */
  export(): { bytes: Uint8Array; fileName: string } {
    const src = this.deps.database.source;
    if (!src) throw new Error('no database is open');
    const bytes = writeWorkspace({
      db: src.kind === 'bytes' ? { kind: 'bytes', bytes: src.bytes, name: src.name } : src,
      notes: $state.snapshot(this.deps.database.notes),
      examples: $state.snapshot(this.deps.mine.doc),
      ...(this.deps.adapter.json ? { adapter: this.deps.adapter.json } : {}),
    });
    const base = src.name.replace(/\.(sqlite3?|db)$/i, '').replace(/[^\w.-]+/g, '_') || 'database';
    return { bytes, fileName: `${base}${WORKSPACE_EXTENSION}` };
  }

  /** Import a workspace file's bytes: check it all, then open its database and store the rest. */
  async importBytes(bytes: Uint8Array): Promise<boolean> {
    this.#error = null;
    this.#message = null;
    this.#busy = true;
    try {
      const ws = readWorkspace(bytes);
      this.#from = null;
      await this.deps.database.open(ws.db);
      await this.deps.database.replaceNotes(ws.notes);
      await this.deps.mine.replace(ws.examples);
      const parts = [
        `opened ${ws.db.name}`,
        `${ws.examples.examples.length} of My examples`,
        `notes on ${Object.keys(ws.notes.tables).length} tables`,
      ];
      if (ws.adapter) {
        try {
          const d = await this.deps.adapter.save(ws.adapter);
          parts.push(`the adapter (${d.on ? 'on' : 'kept off'})`);
        } catch (e) {
          parts.push(`not the adapter (${errorMessage(e)})`);
        }
      }
      this.#message = `Workspace imported: ${parts.join(', ')}.`;
      return true;
    } catch (e) {
      this.#error = errorMessage(e);
      return false;
    } finally {
      this.#busy = false;
    }
  }

  async importFile(file: File): Promise<boolean> {
    return this.importBytes(new Uint8Array(await file.arrayBuffer()));
  }

  /** Import a workspace from a URL (what a share link with `ws=` points to). */
  async importUrl(url: string): Promise<boolean> {
    try {
      const r = await (this.deps.fetch ?? fetch)(url);
      if (!r.ok) throw new Error(`HTTP ${r.status} fetching ${url}`);
      const ok = await this.importBytes(new Uint8Array(await r.arrayBuffer()));
      if (ok) this.#from = { url, identity: this.deps.database.identity };
      return ok;
    } catch (e) {
      this.#error = errorMessage(e);
      return false;
    }
  }
}
