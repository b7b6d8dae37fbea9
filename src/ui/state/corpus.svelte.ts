/** The question→SQL corpus retrieval draws examples from: loaded from files, a URL or the demo. */
import type { Corpus, RowIssue } from '../../lib/types.ts';
import type { ShareState } from '../../lib/share/codec.ts';
import type { CorpusFileInput, CorpusFileOpener } from '../../lib/corpus/open.ts';
import { errorMessage } from '../../lib/errors.ts';
import { deleteSavedCorpus, readSavedCorpus, saveCorpus } from '../../lib/corpus/saved.ts';
import type { OpenKv, PageEnv } from './ports.ts';

export { CORPUS_KEY } from '../../lib/corpus/saved.ts';

type CorpusOrigin = ShareState['corpus'] | null;

export class CorpusState {
  #current = $state.raw<Corpus | null>(null);
  #issues = $state.raw<RowIssue[]>([]);
  #format = $state('');
  /** File-level notes on the last corpus file (e.g. decoded from UTF-16 or Latin-1). */
  #notes = $state.raw<string[]>([]);
  #error = $state<string | null>(null);
  /** Where it came from, for share links (null = a local file). */
  #origin = $state<CorpusOrigin>(null);

  constructor(
    private readonly deps: {
      kv: OpenKv;
      env: Pick<PageEnv, 'fetch'>;
      demo: { name: string; corpus: () => Promise<Corpus> };
      /** Parses and hashes a corpus file: a worker in the page; in process (loaded on first use) by default. */
      open?: CorpusFileOpener;
      /** After a new corpus is in place (and `index` was asked for): bring its index up to date. */
      onChange?: () => Promise<void>;
    },
  ) {}

  get current(): Corpus | null {
    return this.#current;
  }
  /** Rows skipped or repaired while loading the last file. */
  get issues(): RowIssue[] {
    return this.#issues;
  }
  get notes(): string[] {
    return this.#notes;
  }
  get format(): string {
    return this.#format;
  }
  get error(): string | null {
    return this.#error;
  }
  get origin(): CorpusOrigin {
    return this.#origin;
  }

  async restore(): Promise<void> {
    // in parts, each read back in a task of its own (a large corpus at once was a long task)
    const saved = await readSavedCorpus(await this.deps.kv());
    if (saved?.examples?.length) {
      const { origin, ...corpus } = saved;
      this.#current = corpus;
      this.#origin = origin ?? null;
      return;
    }
    await this.showDemo();
  }

  /** Show the demo corpus without storing it (start-up, share links). */
  async showDemo(): Promise<void> {
    this.#current = await this.deps.demo.corpus();
    this.#origin = { kind: 'demo' };
  }

  async useDemo(): Promise<void> {
    this.#error = null;
    this.#issues = [];
    this.#notes = [];
    this.#format = 'demo';
    await this.set(await this.deps.demo.corpus(), { kind: 'demo' });
  }

  /**
   * Make an opened pack's corpus the current one (src/ui/state/packs.svelte.ts): its indexes are
   * already in place unless `index` (then they are built as for any new corpus).
   */
  async usePack(corpus: Corpus, index: boolean): Promise<void> {
    this.#error = null;
    this.#issues = [];
    this.#notes = [];
    this.#format = 'pack';
    await this.set(corpus, null, index);
  }

  /** Load a corpus from files (a questions file, plus tables.json for Spider). */
  async loadFiles(files: File[]): Promise<void> {
    this.#error = null;
    // What was said about the previous file no longer applies.
    this.#issues = [];
    this.#notes = [];
    try {
      const tablesFile = files.find((f) => /tables\.json$/i.test(f.name));
      const main = files.filter((f) => f !== tablesFile);
      if (main.length !== 1)
        throw new Error(
          main.length
            ? 'choose one questions file (plus tables.json for Spider)'
            : 'choose a questions file, not only tables.json',
        );
      // parsed with the questions (in the corpus worker in the page)
      const tablesText = tablesFile ? await tablesFile.text() : undefined;
      const f = main[0];
      // Bytes, not text: the core detects the encoding (UTF-16, Latin-1) and says so.
      const data = await f.arrayBuffer();
      await this.accept({ name: f.name, data, tablesText }, null);
    } catch (e) {
      // A bad file never replaces the current corpus.
      this.#error = errorMessage(e);
    }
  }

  async loadUrl(url: string, tablesUrl?: string, index = true): Promise<void> {
    this.#error = null;
    this.#issues = [];
    this.#notes = [];
    const fetch = this.deps.env.fetch;
    try {
      const r = await fetch(url);
      if (!r.ok) throw new Error(`HTTP ${r.status} fetching ${url}`);
      const data = await r.arrayBuffer();
      let tablesJson: unknown;
      if (tablesUrl) {
        const t = await fetch(tablesUrl);
        if (!t.ok) throw new Error(`HTTP ${t.status} fetching ${tablesUrl}`);
        tablesJson = await t.json();
      }
      await this.accept(
        { name: url.split('/').pop()?.split('?')[0] || url, data, tablesJson },
        { kind: 'url', url, ...(tablesUrl ? { tables: tablesUrl } : {}) },
        index,
      );
    } catch (e) {
      this.#error = errorMessage(e);
    }
  }

  private async accept(input: CorpusFileInput, origin: CorpusOrigin, index = true): Promise<void> {
    // The file parsers (parquet and its codecs, CSV, Excel) load on the first corpus file, not with
    // the page; in the page they run in the corpus worker.
    const open = this.deps.open ?? (await import('../../lib/corpus/open.ts')).openCorpusFile;
    const res = await open({ ...input, store: { origin: origin ?? undefined } });
    this.#issues = res.issues;
    this.#notes = res.notes;
    this.#format = res.format;
    if (!res.corpus) throw new Error(`${input.name}: no usable rows (${res.issues.length} skipped)`);
    await this.set(res.corpus, origin, index, res.stored);
  }

  /** `stored`: the opener has stored it already (the corpus worker, off the main thread). */
  private async set(corpus: Corpus, origin: CorpusOrigin, index = true, stored = false): Promise<void> {
    this.#current = corpus;
    this.#origin = origin;
    if (!stored)
      try {
        const store = await this.deps.kv();
        if (corpus.name === this.deps.demo.name) await deleteSavedCorpus(store);
        else await saveCorpus(store, { ...corpus, origin: origin ?? undefined });
      } catch (e) {
        this.#error = `the corpus is loaded but could not be saved for the next visit: ${errorMessage(e)}`;
      }
    if (index) await this.deps.onChange?.();
  }
}
