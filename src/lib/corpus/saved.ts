/**
 * The current corpus in the key-value store, for the next visit. A large corpus is stored in parts
 * of CORPUS_PART_ROWS rows ('corpus:current' holds everything but the rows and the number of
 * parts; 'corpus:current#i' part i): reading the 6,726 Spider rows back as one record deserialised
 * them in one task of the page's main thread (30 ms, plus the garbage collection it set off:
 * 133–182 ms in all, docs/main-thread.md); in parts each is read back in a task of its own. The
 * head and its parts are written in one transaction and read in one, so a reader never mixes two
 * corpora and an interrupted or refused write (a full quota) leaves the previous corpus whole.
 */
import type { Example } from '../types.ts';
import type { KvKey, KvStore, SavedCorpus, SavedCorpusPart } from '../index/store.ts';

export const CORPUS_KEY = 'corpus:current' as const;
/** Rows per stored part. */
export const CORPUS_PART_ROWS = 1000;

export const corpusPartKey = (i: number) => `${CORPUS_KEY}#${i}` as const;

/** Is `key` one of the records a stored corpus is made of (the head or a part)? */
export const isCorpusKey = (key: string) => key === CORPUS_KEY || key.startsWith(`${CORPUS_KEY}#`);

type Kv = Pick<KvStore, 'replaceKvPrefix' | 'getKvChain'>;

/** Store `corpus` as the current one (replacing the previous one and all its parts). */
export async function saveCorpus(kv: Kv, corpus: SavedCorpus): Promise<void> {
  const { examples, ...head } = corpus;
  delete head.parts;
  if (examples.length <= CORPUS_PART_ROWS) {
    await kv.replaceKvPrefix(CORPUS_KEY, [[CORPUS_KEY, { ...head, examples }]]);
    return;
  }
  const entries: [KvKey, unknown][] = [];
  for (let i = 0; i * CORPUS_PART_ROWS < examples.length; i++) {
    const part: SavedCorpusPart = {
      hash: corpus.hash,
      examples: examples.slice(i * CORPUS_PART_ROWS, (i + 1) * CORPUS_PART_ROWS),
    };
    entries.push([corpusPartKey(i), part]);
  }
  entries.unshift([CORPUS_KEY, { ...head, examples: [], parts: entries.length }]);
  await kv.replaceKvPrefix(CORPUS_KEY, entries);
}

/** Forget the stored corpus (the head and every part). */
export async function deleteSavedCorpus(kv: Kv): Promise<void> {
  await kv.replaceKvPrefix(CORPUS_KEY, []);
}

/**
 * The stored corpus, or undefined when there is none or it is not whole (a part missing or from
 * another corpus: never a mix of two). Reads the single-record form older versions wrote too.
 */
export async function readSavedCorpus(kv: Kv): Promise<SavedCorpus | undefined> {
  const { value, more } = await kv.getKvChain(CORPUS_KEY, (head) =>
    Array.from({ length: head.parts ?? 0 }, (_, i) => corpusPartKey(i)),
  );
  if (!value) return undefined;
  const { parts, ...head } = value;
  if (!parts) return head;
  const examples: Example[] = [];
  for (const p of more as (SavedCorpusPart | undefined)[]) {
    if (!p || p.hash !== head.hash || !Array.isArray(p.examples)) return undefined;
    for (const e of p.examples) examples.push(e);
  }
  return { ...head, examples };
}
