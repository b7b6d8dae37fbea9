/**
 * Opening a corpus pack (src/lib/pack/) from a file or a URL as the current corpus, ready to search
 * with nothing embedded: one job with progress and a real cancel (the download, then each index);
 * a truncated, damaged or foreign pack is refused with its message and the previous corpus and
 * its indexes stay in use. A pack built for another embedder or document text is kept aside so
 * the user can re-embed its examples with the current embedder instead.
 */
import { CancelledError, errorMessage, isCancelled } from '../../lib/errors.ts';
import { PackError } from '../../lib/pack/format.ts';
import { readPackHere, type Pack, type PackReader } from '../../lib/pack/read.ts';
import { packMismatch, type PackTarget } from '../../lib/pack/restore.ts';
import type { ProgressFn } from '../../lib/types.ts';
import type { CorpusState } from './corpus.svelte.ts';
import type { IndexesState } from './indexes.svelte.ts';
import type { Jobs } from './jobs.svelte.ts';
import type { PageEnv } from './ports.ts';

export const PACK_JOB = 'pack';

/** The body of a response, with byte progress when the length is known, stopped by `signal`. */
export async function readBody(res: Response, signal: AbortSignal, onProgress?: ProgressFn): Promise<ArrayBuffer> {
  const total = Number(res.headers.get('content-length')) || 0;
  if (!res.body) return res.arrayBuffer();
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let done = 0;
  const stop = () => void reader.cancel().catch(() => {});
  signal.addEventListener('abort', stop, { once: true });
  try {
    for (;;) {
      const r = await reader.read();
      if (signal.aborted) throw new CancelledError('opening the pack');
      if (r.done) break;
      parts.push(r.value);
      done += r.value.byteLength;
      onProgress?.({ phase: 'Downloading the pack', done, total: Math.max(total, done) });
    }
  } finally {
    signal.removeEventListener('abort', stop);
  }
  const out = new Uint8Array(done);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out.buffer;
}

export class PackState {
  #error = $state<string | null>(null);
  /** A valid pack built for another embedder or text mode: its examples can be re-embedded. */
  #foreign = $state.raw<Pack | null>(null);
  /** What the last opened pack gave, for the user. */
  #opened = $state<string | null>(null);
  #busy = $state(false);

  constructor(
    private readonly deps: {
      jobs: Jobs;
      corpus: CorpusState;
      indexes: IndexesState;
      env: Pick<PageEnv, 'fetch'>;
      /** What the pack must match: the loaded embedder, else the one that will load, and the document text. */
      target: () => PackTarget | null;
      /** Checks and decodes a pack: the index worker in the page (not the main thread); in process by default. */
      read?: PackReader;
    },
  ) {}

  get error(): string | null {
    return this.#error;
  }
  get foreign(): Pack | null {
    return this.#foreign;
  }
  get opened(): string | null {
    return this.#opened;
  }
  get busy(): boolean {
    return this.#busy;
  }

  openFile(file: File): Promise<void> {
    return this.open(file.name, () => file.arrayBuffer());
  }

  openUrl(url: string): Promise<void> {
    return this.open(url.split('/').pop()?.split('?')[0] || url, async (signal, onProgress) => {
      const r = await this.deps.env.fetch(url, { signal });
      if (!r.ok) throw new Error(`HTTP ${r.status} fetching ${url}`);
      return readBody(r, signal, onProgress);
    });
  }

  /** Use the examples of the pack refused for its embedder: embedded again with the current one. */
  async reembed(): Promise<void> {
    const pack = this.#foreign;
    if (!pack) return;
    this.#foreign = null;
    this.#error = null;
    await this.deps.corpus.usePack(pack.corpus, true);
  }

  cancel(): void {
    this.deps.jobs.cancel(PACK_JOB);
  }

  private async open(
    name: string,
    bytes: (signal: AbortSignal, onProgress: ProgressFn) => Promise<ArrayBuffer>,
  ): Promise<void> {
    const { jobs, corpus, indexes } = this.deps;
    this.#error = null;
    this.#foreign = null;
    this.#opened = null;
    const ac = new AbortController();
    const onP = jobs.start(PACK_JOB, `Opening pack ${name}`, () => ac.abort());
    this.#busy = true;
    let adopted = false;
    try {
      const t0 = performance.now();
      const buf = await bytes(ac.signal, onP);
      if (ac.signal.aborted) throw new CancelledError('opening the pack');
      onP({ phase: 'Checking the pack', done: 0, total: 1 });
      const pack = await (this.deps.read ?? readPackHere)(buf);
      if (ac.signal.aborted) throw new CancelledError('opening the pack');
      const target = this.deps.target();
      if (!target) throw new Error('the search model is not known yet: try again once it has loaded');
      const mismatch = packMismatch(pack.header, target);
      if (mismatch) {
        this.#foreign = pack;
        throw mismatch;
      }
      adopted = true;
      await indexes.adoptPack(pack, pack.corpus.name, ac.signal, onP);
      await corpus.usePack(pack.corpus, false);
      adopted = false;
      indexes.prepareLexical();
      const n = pack.corpus.examples.length.toLocaleString('en-US');
      this.#opened = `${pack.corpus.name}: ${n} examples opened in ${((performance.now() - t0) / 1000).toFixed(1)} s, nothing embedded`;
      // A strategy that needs the masked-question index, with a pack that has none: that one is embedded.
      await indexes.ensureMasked();
    } catch (e) {
      this.#error = isCancelled(e)
        ? 'opening the pack was cancelled; the previous corpus is still in use'
        : e instanceof PackError
          ? e.message
          : `the pack could not be opened (${errorMessage(e)}); the previous corpus is still in use`;
      // The pack's index may have become the active one before the failure: bring back the current corpus's.
      if (adopted) await indexes.ensure();
    } finally {
      this.#busy = false;
      jobs.end(PACK_JOB);
    }
  }
}
