/**
 * A corpus file → a corpus ready to use (with its hash): what the page does when a corpus file is
 * chosen. Parsing Spider's train questions and hashing them takes most of a second, so the page
 * runs this in a worker of its own (workers/corpus.worker.ts); Node and the tests call it here.
 */
import type { Corpus, RowIssue } from '../types.ts';
import type { KvStore, SavedCorpus } from '../index/store.ts';
import { corpusHash } from './hash.ts';
import { loadCorpusFile } from './detect.ts';
import { saveCorpus } from './saved.ts';

export interface CorpusFileInput {
  /** The file's name (its extension picks the format; it names the corpus). */
  name: string;
  /** The file's bytes (required for parquet) or its text. */
  data: ArrayBuffer | string;
  /** Spider tables.json, parsed… */
  tablesJson?: unknown;
  /** …or as text (parsed where the file is). */
  tablesText?: string;
  /**
   * Also store the corpus as the current one (corpus/saved.ts, with this origin) where it is
   * parsed, when the opener can reach the key-value store (the corpus worker can: IndexedDB's
   * copy of a large corpus then costs the page's main thread nothing). `stored` says if it did.
   */
  store?: { origin?: SavedCorpus['origin'] };
}

export interface OpenedCorpus {
  /** null when the file has no usable row (the issues say why). */
  corpus: Corpus | null;
  /** Rows skipped or repaired. */
  issues: RowIssue[];
  /** File-level notes (e.g. decoded from UTF-16). */
  notes: string[];
  format: string;
  /** The corpus was stored as the current one (see `CorpusFileInput.store`). */
  stored?: boolean;
}

/** Parses a corpus file somewhere: here (`openCorpusFile`) or in a worker (the page). */
export type CorpusFileOpener = (input: CorpusFileInput) => Promise<OpenedCorpus>;

/** Parse, check and hash a corpus file (no corpus when no row is usable). */
export const openCorpusFile: CorpusFileOpener = async ({ name, data, tablesJson, tablesText }) => {
  const tables = tablesText !== undefined ? (JSON.parse(tablesText) as unknown) : tablesJson;
  const res = await loadCorpusFile(name, data, { tablesJson: tables });
  const notes = res.notes ?? [];
  if (!res.examples.length) return { corpus: null, issues: res.issues, notes, format: res.format };
  const corpus: Corpus = {
    name: `${name} (${res.examples.length.toLocaleString('en-US')})`,
    hash: corpusHash(res.examples),
    examples: res.examples,
    schemas: res.schemas,
  };
  return { corpus, issues: res.issues, notes, format: res.format };
};

/**
 * `openCorpusFile`, then store the corpus when `input.store` asks (the corpus worker's open): a
 * store that fails is no failure here, `stored` stays false and the caller stores it.
 */
export async function openAndStoreCorpus(input: CorpusFileInput, kv: () => Promise<KvStore>): Promise<OpenedCorpus> {
  const r = await openCorpusFile(input);
  if (input.store && r.corpus) {
    try {
      await saveCorpus(await kv(), { ...r.corpus, origin: input.store.origin });
      r.stored = true;
    } catch {
      r.stored = false;
    }
  }
  return r;
}
