/** What the app keeps in the key-value store, listed with readable labels for the Storage page. */
import { CORPUS_KEY, deleteSavedCorpus, isCorpusKey } from '../../lib/corpus/saved.ts';
import { DB_KEY } from './database.svelte.ts';
import type { OpenKv } from './ports.ts';

const LABELS: Record<string, string> = {
  [CORPUS_KEY]: 'Loaded corpus (used after a reload)',
  [DB_KEY]: 'Opened database (used after a reload)',
};

/** `name@schemahash` (notes/notes.ts dbIdentity) → `name`. */
const dbOf = (identity: string) => identity.replace(/@[0-9a-f]{16}$/, '');

export function savedLabel(key: string): string {
  if (LABELS[key]) return LABELS[key];
  if (key.startsWith('history:')) return `Question history of "${key.slice(8)}"`;
  if (key.startsWith('notes:')) return `Schema notes of "${dbOf(key.slice(6))}"`;
  if (key.startsWith('mine:')) return `My examples of "${dbOf(key.slice(5))}" (confirmed answers)`;
  return key;
}

export class SavedData {
  constructor(private readonly kv: OpenKv) {}

  async list(): Promise<{ key: string; label: string }[]> {
    // code & docs collections have their own list (with refresh) in Storage
    // a large corpus's parts are listed (and deleted) as the corpus
    const keys = (await (await this.kv()).kvKeys()).filter(
      (k) => !k.startsWith('code:') && (k === CORPUS_KEY || !isCorpusKey(k)),
    );
    return keys.map((key) => ({ key, label: savedLabel(key) }));
  }

  async delete(key: string): Promise<void> {
    if (key === CORPUS_KEY) await deleteSavedCorpus(await this.kv());
    else await (await this.kv()).deleteKv(key);
  }
}
