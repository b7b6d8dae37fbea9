/** What the app keeps in the key-value store, listed with readable labels for the Storage page. */
import { CORPUS_KEY } from './corpus.svelte.ts';
import { DB_KEY } from './database.svelte.ts';
import type { OpenKv } from './ports.ts';

const LABELS: Record<string, string> = {
  [CORPUS_KEY]: 'Loaded corpus (used after a reload)',
  [DB_KEY]: 'Opened database (used after a reload)',
};

export function savedLabel(key: string): string {
  return LABELS[key] ?? (key.startsWith('history:') ? `Question history of "${key.slice(8)}"` : key);
}

export class SavedData {
  constructor(private readonly kv: OpenKv) {}

  async list(): Promise<{ key: string; label: string }[]> {
    const keys = await (await this.kv()).kvKeys();
    return keys.map((key) => ({ key, label: savedLabel(key) }));
  }

  async delete(key: string): Promise<void> {
    await (await this.kv()).deleteKv(key);
  }
}
