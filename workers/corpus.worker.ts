/**
 * Corpus worker: parses, checks and hashes a chosen corpus file (src/lib/corpus/open.ts) off the
 * page's main thread; a large corpus's rows then go to the page in parts. One per file; the page
 * terminates it when done.
 */
import * as Comlink from 'comlink';
import { registerErrorTransfer } from '../src/lib/errors-transfer.ts';
import { openAndStoreCorpus, type CorpusFileInput } from '../src/lib/corpus/open.ts';
import { IndexStore } from '../src/lib/index/store.ts';
import { buildDemoCorpus } from '../src/lib/corpus/demo.ts';
import { HeldRows } from '../src/lib/corpus/in-parts.ts';

const held = new HeldRows();

const api = {
  /** Parse and hash; store the corpus too when asked (the page's key-value store, IndexedDB, is reachable here). */
  open: async (input: CorpusFileInput) => held.hold(await openAndStoreCorpus(input, () => IndexStore.open())),
  /** Rows [start, end) of a large corpus `open` replied without (src/lib/corpus/in-parts.ts). */
  rows: (start: number, end: number) => held.rows(start, end),
  /** The built-in demo corpus: parsed, given its schemas and hashed here, not on the page at load. */
  demo: (shopSql: string, schemas: Record<string, string>, jsonl: string) => buildDemoCorpus(shopSql, schemas, jsonl),
};

export type CorpusApi = typeof api;
registerErrorTransfer();
Comlink.expose(api);
