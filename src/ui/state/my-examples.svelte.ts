/**
 * The learning loop's UI state: the open database's "My examples" (questions the user confirmed,
 * with their SQL), their small dense index, and the retriever decorator that searches them with
 * the loaded corpus. A confirmed example is stored at once and appended to the index (only the
 * new question is embedded: IndexService.append), so the next question can retrieve it.
 */
import { corpusHashAppend } from '../../lib/corpus/hash.ts';
import { docText } from '../../lib/rag/doc-text.ts';
import { errorMessage } from '../../lib/errors.ts';
import type { IndexMeta } from '../../lib/index/store.ts';
import {
  addConfirmed,
  emptyMyExamples,
  myCorpus,
  parseMyExamples,
  type MyExamplesDoc,
} from '../../lib/loop/my-examples.ts';
import { combinedCorpus, withMyExamples } from '../../lib/retrieve/mine.ts';
import type { Embedder, Retriever } from '../../lib/services.ts';
import type { Corpus, Example } from '../../lib/types.ts';
import type { DatabaseState } from './database.svelte.ts';
import type { EmbedderState } from './embedder.svelte.ts';
import type { OpenKv, UiServices } from './ports.ts';

export class MyExamplesState {
  #id = $state<string | null>(null);
  #doc = $state.raw<MyExamplesDoc>(emptyMyExamples());
  /** The index meta that is stored and active for the current doc (null = none yet). */
  #indexed = $state.raw<IndexMeta | null>(null);
  #note = $state<string | null>(null);
  /** How the last confirmation reached the index ('appended' = only the new row was embedded). */
  #lastIndexing = $state<'appended' | 'built' | null>(null);
  #corpus = $derived.by(() => myCorpus(this.#doc, this.deps.database.info?.name ?? ''));
  #chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: {
      database: Pick<DatabaseState, 'identity' | 'info'>;
      embedder: Pick<EmbedderState, 'info'>;
      embed: Embedder;
      index: UiServices['index'];
      kv: OpenKv;
    },
  ) {}

  get examples(): Example[] {
    return this.#doc.examples;
  }
  get doc(): MyExamplesDoc {
    return this.#doc;
  }
  get corpus(): Corpus {
    return this.#corpus;
  }
  get note(): string | null {
    return this.#note;
  }
  get lastIndexing(): 'appended' | 'built' | null {
    return this.#lastIndexing;
  }
  /** The index covers every example (the loop's examples can be retrieved). */
  get ready(): boolean {
    return this.#indexed?.corpusHash === this.#corpus.hash && this.#doc.examples.length > 0;
  }

  /** One thing at a time: loads, confirmations and index work run in order. */
  private serial<T>(f: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(f, f);
    this.#chain = next.catch(() => {});
    return next;
  }

  private meta(count: number, corpusHash: string): IndexMeta | null {
    const emb = this.deps.embedder.info;
    if (!emb || !this.#id) return null;
    return {
      slot: `${this.#id}#mine`,
      embedderId: emb.id,
      dtype: emb.dtype,
      dim: emb.dim,
      corpusHash,
      count,
      kind: 'flat',
      textMode: 'question',
    };
  }

  /** Read the open database's examples (after each open), then restore or build their index. */
  load(): Promise<void> {
    return this.serial(async () => {
      const id = this.deps.database.identity;
      this.#id = id;
      this.#indexed = null;
      this.#note = null;
      let doc = emptyMyExamples();
      try {
        const stored = id ? await (await this.deps.kv()).getKv(`mine:${id}`) : undefined;
        if (stored) doc = parseMyExamples(stored);
      } catch (e) {
        this.#note = `stored examples could not be read (${errorMessage(e)})`;
      }
      if (id !== this.#id) return;
      this.#doc = doc;
      await this.indexAll();
    });
  }

  /** Restore or (re)build the index of all examples (when the embedder is there). */
  ensureIndex(): Promise<void> {
    return this.serial(() => this.indexAll());
  }

  private async indexAll(): Promise<void> {
    const examples = this.#doc.examples;
    const meta = this.meta(examples.length, this.#corpus.hash);
    if (!meta || !examples.length) return;
    if (this.#indexed && this.#indexed.corpusHash === meta.corpusHash && this.#indexed.embedderId === meta.embedderId)
      return;
    try {
      const r = await this.deps.index.restore(meta);
      if (r.status !== 'restored') {
        const v = await this.deps.embed.embed(
          examples.map((e) => docText(e, 'question')),
          { role: 'doc' },
        );
        await this.deps.index.build(meta, v, 0);
        this.#lastIndexing = 'built';
      }
      this.#indexed = meta;
    } catch (e) {
      this.#note = `My examples could not be indexed (${errorMessage(e)})`;
    }
  }

  /**
   * Store {question, SQL} as confirmed on the open database, then make it retrievable: the new
   * row is embedded and appended to the stored index (a full build only if there is none).
   */
  confirm(question: string, sql: string): Promise<Example | null> {
    return this.serial(async () => {
      const id = this.#id;
      if (!id) throw new Error('no database is open');
      const before = this.#doc;
      const { doc, added } = addConfirmed(before, question, sql);
      if (!added) return null;
      await (await this.deps.kv()).setKv(`mine:${id}`, $state.snapshot(doc) as MyExamplesDoc);
      this.#doc = doc;
      const base = this.#indexed;
      const meta = this.meta(doc.examples.length, corpusHashAppend(myCorpus(before, '').hash, [added]));
      if (!meta) return added; // indexed once the embedder is loaded (ensureIndex)
      try {
        if (base && base.count === before.examples.length) {
          const v = await this.deps.embed.embed([docText(added, 'question')], { role: 'doc' });
          await this.deps.index.append(meta, base, v);
          this.#indexed = meta;
          this.#lastIndexing = 'appended';
          return added;
        }
      } catch {
        /* no usable stored index to extend: build below */
      }
      await this.indexAll();
      return added;
    });
  }

  /** Replace the open database's examples (a workspace import); the index is rebuilt. */
  replace(doc: MyExamplesDoc): Promise<void> {
    return this.serial(async () => {
      const id = this.deps.database.identity;
      if (!id) return;
      await (await this.deps.kv()).setKv(`mine:${id}`, doc);
      this.#id = id;
      this.#doc = doc;
      this.#indexed = null;
      await this.indexAll();
    });
  }

  /**
   * The retriever and corpus an answer uses: the loaded corpus's retriever decorated with My
   * examples (rows after the loaded corpus's), when there are any and they are indexed.
   */
  decorate(base: Retriever | null, corpus: Corpus | null): { retriever: Retriever | null; corpus: Corpus | null } {
    const meta = this.#indexed;
    if (!this.ready || !meta) return { retriever: base, corpus };
    const mine = this.#corpus;
    return {
      retriever: withMyExamples(base, corpus?.examples.length ?? 0, {
        embedder: this.deps.embed,
        index: this.deps.index,
        slot: meta.slot,
        corpusHash: meta.corpusHash,
        count: meta.count,
      }),
      corpus: combinedCorpus(corpus, mine),
    };
  }
}
