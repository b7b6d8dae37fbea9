/**
 * A large corpus crossing from a worker to the page in parts. A worker's reply is deserialised on
 * the page in one task: the 6,726 Spider rows in the corpus worker's reply took 35 ms plus the
 * garbage collection it set off (about 100 ms; docs/main-thread.md). The worker keeps the rows of
 * the corpus it opened (`HeldRows`) and replies with everything else; the page then takes the rows
 * CORPUS_PART_ROWS at a time (`takeRows`), each part arriving in a task of its own.
 */
import type { Example } from '../types.ts';
import type { OpenedCorpus } from './open.ts';
import { CORPUS_PART_ROWS } from './saved.ts';

/** An opened corpus as it crosses: `rows` set means its examples are held by the worker. */
export type OpenedHead = OpenedCorpus & { rows?: number };

/** The worker's side: holds the rows of the corpus opened last. */
export class HeldRows {
  #rows: Example[] | null = null;

  /** A small corpus is sent whole; a large one without its rows, which are kept here. */
  hold(r: OpenedCorpus): OpenedHead {
    this.#rows = null;
    if (!r.corpus || r.corpus.examples.length <= CORPUS_PART_ROWS) return r;
    this.#rows = r.corpus.examples;
    return { ...r, corpus: { ...r.corpus, examples: [] }, rows: this.#rows.length };
  }

  rows(start: number, end: number): Example[] {
    if (!this.#rows) throw new Error('no corpus rows are held (open a corpus first)');
    return this.#rows.slice(start, end);
  }
}

/** The page's side: the opened corpus with its rows, taken in parts when the worker held them. */
export async function takeRows(
  r: OpenedHead,
  rows: (start: number, end: number) => Promise<Example[]>,
): Promise<OpenedCorpus> {
  const { rows: n, ...opened } = r;
  if (n === undefined || !opened.corpus) return opened;
  const examples: Example[] = [];
  for (let i = 0; i < n; i += CORPUS_PART_ROWS) for (const e of await rows(i, i + CORPUS_PART_ROWS)) examples.push(e);
  if (examples.length !== n) throw new Error(`the corpus worker sent ${examples.length} of ${n} rows`);
  return { ...opened, corpus: { ...opened.corpus, examples } };
}
