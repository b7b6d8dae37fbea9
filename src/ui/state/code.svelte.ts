/**
 * The "Code & docs" space: collections of a user's source files (a folder, dropped files or a
 * zip), each chunked in the code worker, embedded through the Embedder seam and stored in
 * IndexedDB; questions answered from the best chunks with numbered citations, or an honest
 * "I don't know" when nothing retrieved is similar enough.
 */
import { buildCodePrompt, citationParts, type AnswerPart } from '../../lib/code/answer.ts';
import { estimateTokens } from '../../lib/code/chunk.ts';
import { EMBED_BATCH, embedRows } from '../../lib/code/collection.ts';
import { CONFIDENCE_TOP, type CodeHit, type CodeMethod } from '../../lib/code/search.ts';
import type { CodeCollectionsApi, CodeInput, ModelSource, RerankerStatus } from '../../lib/code/service.ts';
import type { Chunk, SkippedFile } from '../../lib/code/types.ts';
import { CancelledError, errorMessage, isCancelled } from '../../lib/errors.ts';
import type { StoredCodeCollection } from '../../lib/index/store.ts';
import type { AnswerGenerator, Embedder } from '../../lib/services.ts';
import type { EmbedderInfo } from './embedder.svelte.ts';
import type { Jobs } from './jobs.svelte.ts';
import type { OpenKv } from './ports.ts';
import type { SettingsState } from './settings.svelte.ts';

/** What a question asks for (CodeRAG's task kinds). */
export type CodeAskKind = 'question' | 'explain' | 'similar';

export const CODE_ASK_KINDS: { id: CodeAskKind; label: string; hint: string }[] = [
  { id: 'question', label: 'Ask in words', hint: 'text → code: where and how something is done' },
  { id: 'explain', label: 'Explain this code', hint: 'code → text: paste a snippet to have it explained' },
  { id: 'similar', label: 'Find code like this', hint: 'code → code: paste a snippet to find similar code' },
];

export interface CollectionSummary {
  id: string;
  name: string;
  files: number;
  chunks: number;
  embedderId: string;
  created: number;
  skipped: number;
  /** Bytes of the source files read. */
  bytes: number;
  /** About what the collection takes in the store: its vectors and chunk texts. */
  storedBytes: number;
  /** Chunks without a vector yet: the collection is searched by keywords (BM25) until it is 0. */
  pending: number;
  dim: number;
}

export interface CodeSource {
  n: number;
  chunk: Chunk;
  similarity: number;
}

export interface CodeAnswer {
  question: string;
  kind: CodeAskKind;
  sources: CodeSource[];
  /**
   * How much of the question's rare vocabulary the top sources hold (0..1), against `threshold`:
   * the "I don't know" signal (lexical, so the same scale for every embedder).
   */
  coverage: number;
  threshold: number;
  /** How the sources were found: `bm25` while the collection's vectors are still being embedded. */
  method: CodeMethod;
  /** What reranked them (`mmr` or a cross-encoder), and why MMR when a cross-encoder was asked for. */
  reranker: RerankerStatus | null;
  /** Nothing relevant enough: the app says so instead of generating. */
  dontKnow: boolean;
  /** The answer text as it streams (empty when there is no generator able to write prose). */
  text: string;
  parts: AnswerPart[];
  /** Why no answer text was written (no generator, SQL-only model, "I don't know"). */
  note: string | null;
  searchUrl: string;
  done: boolean;
}

const PREFIX = 'code:';
const METHOD: CodeMethod = 'hybrid+rerank';
/** Before every chunk has its vector: keyword search (and the lexical "I don't know", which needs none). */
const KEYWORD_METHOD: CodeMethod = 'bm25';

/** The embedding of a collection in progress (the build's second half, or a resumed one). */
export interface EmbeddingProgress {
  id: string;
  done: number;
  total: number;
}

/** A search engine link for the question (opened in a new tab; the app itself fetches nothing). */
export function webSearchUrl(question: string): string {
  return `https://duckduckgo.com/?q=${encodeURIComponent(question.slice(0, 500))}`;
}

export class CodeSpaceState {
  #collections = $state<CollectionSummary[]>([]);
  #active = $state<string | null>(null);
  #lastSkipped = $state<SkippedFile[]>([]);
  #error = $state<string | null>(null);
  #answer = $state<CodeAnswer | null>(null);
  #busy = $state<'building' | 'asking' | null>(null);
  #embedding = $state<EmbeddingProgress | null>(null);
  #running: Promise<void> | null = null;
  #reranker: RerankerStatus | null = null;
  #rerankerFor: string | null = null;
  #opened = new Set<string>();
  /** The chunks of the collections opened in the code worker (sources are read from here, not re-read from IndexedDB). */
  #chunks = new Map<string, Chunk[]>();
  #reused = $state(0);
  #confirmDelete = $state<string | null>(null);
  #ask: AbortController | null = null;
  #build: AbortController | null = null;

  constructor(
    private readonly deps: {
      settings: SettingsState;
      jobs: Jobs;
      kv: OpenKv;
      code: CodeCollectionsApi;
      embedder: Embedder;
      /** The loaded embedder, or null while none is. */
      embedderInfo: () => EmbedderInfo | null;
      generator: AnswerGenerator;
      generatorReady: () => boolean;
      /** Where models come from (for the opt-in cross-encoder); null: none can be loaded. */
      modelSource?: () => ModelSource | null;
    },
  ) {}

  get collections(): CollectionSummary[] {
    return this.#collections;
  }
  get active(): CollectionSummary | null {
    return this.#collections.find((c) => c.id === this.#active) ?? null;
  }
  get lastSkipped(): SkippedFile[] {
    return this.#lastSkipped;
  }
  get error(): string | null {
    return this.#error;
  }
  /** Chunks whose vectors the last build reused from the previous one (a refresh). */
  get reused(): number {
    return this.#reused;
  }
  get answer(): CodeAnswer | null {
    return this.#answer;
  }
  /** `building` while files are read and chunked (Ask waits); the embedding that follows does not block asking. */
  get busy(): 'building' | 'asking' | null {
    return this.#busy;
  }
  /** The collection whose delete waits for a confirmation (on the Code & docs page or in Storage). */
  get confirmingDelete(): string | null {
    return this.#confirmDelete;
  }
  /** The collection whose vectors are being embedded, with progress (questions meanwhile use keywords). */
  get embedding(): EmbeddingProgress | null {
    return this.#embedding;
  }

  select(id: string): void {
    this.#active = id;
    this.#answer = null;
  }

  /** Read the stored collections' summaries (no vectors are loaded until a question needs them). */
  async refreshList(): Promise<void> {
    const kv = await this.deps.kv();
    const keys = (await kv.kvKeys()).filter((k) => k.startsWith(PREFIX));
    const out: CollectionSummary[] = [];
    for (const k of keys) {
      const c = await kv.getKv(k as `code:${string}`);
      if (c?.version === 1) out.push(summary(c));
    }
    out.sort((a, b) => b.created - a.created);
    this.#collections = out;
    if (!this.#active || !out.some((c) => c.id === this.#active)) this.#active = out[0]?.id ?? null;
  }

  /**
   * Build a collection from files as one job in two commits. Read and chunk (code worker), then
   * store the collection at once with the vectors a previous build of it already had: it is
   * searchable by keywords (BM25 and the lexical "I don't know") seconds after the files are read.
   * The rest of the job embeds the chunks still without a vector (embedder worker, in batches, with
   * progress) and stores the collection again, complete: hybrid search from then on.
   *
   * Atomicity: a cancel while reading or chunking stores nothing (the previous collection of the
   * same name stays as it was); a cancel while embedding keeps the new keyword-searchable
   * collection with the vectors embedded so far, and `resume` embeds only the rest. A tab closed
   * while embedding leaves the first commit (every row still pending).
   */
  async add(name: string, inputs: CodeInput[]): Promise<void> {
    const info = this.deps.embedderInfo();
    this.#error = null;
    if (!info) {
      this.#error = 'the embedding model is not loaded yet; wait for it (Models & device) and try again';
      return;
    }
    if (!inputs.length) {
      this.#error = 'no files were given';
      return;
    }
    // (awaited only when something runs: a build started and cancelled at once must see its controller)
    if (this.#running) {
      await this.#stopRunning();
      this.#error = null; // the stopped build's "embedding stopped" is not this build's news
    }
    const ac = new AbortController();
    this.#build = ac;
    this.#busy = 'building';
    const { jobs, code, settings } = this.deps;
    const onP = jobs.start('code', `Indexing ${name}`, () => this.cancelBuild());
    let stored: StoredCodeCollection | null = null;
    const run = (async () => {
      try {
        const t0 = performance.now();
        const prepared = await code.prepare(inputs, { maxTokens: settings.value.codeChunkTokens }, (p) =>
          onP({ phase: p.phase, done: p.done, total: p.total }),
        );
        if (ac.signal.aborted) throw new CancelledError('indexing');
        this.#lastSkipped = prepared.skipped;
        if (!prepared.chunks.length) throw new Error(`nothing to index: ${prepared.skipped.length} files were skipped`);
        // A refresh: chunks of unchanged files keep their stored vectors; only the rest is embedded.
        const kv = await this.deps.kv();
        const previous = await kv.getKv(`${PREFIX}${collectionId(name)}`);
        const { vectors, todo } = reuseVectors(previous, prepared.chunks, info.id, info.dim);
        this.#reused = prepared.chunks.length - todo.length;
        stored = {
          version: 1,
          id: collectionId(name),
          name,
          created: Date.now(),
          embedderId: info.id,
          dim: info.dim,
          files: prepared.files,
          chunks: prepared.chunks,
          vectors,
          pending: todo,
          skipped: prepared.skipped,
          bytes: prepared.bytes,
          ms: { prepare: performance.now() - t0, embed: 0 },
        };
        onP({ phase: 'Saving', done: 0, total: 1 });
        // first commit: the whole new collection replaces the previous one at once, keyword-searchable
        await kv.setKv(`${PREFIX}${stored.id}`, stored);
        // its BM25 index is built in the code worker now, so that it is listed when a question can be answered
        await this.#openIn(stored);
        await this.refreshList();
        this.#active = stored.id;
        this.#busy = null;
        await this.#embedPending(stored, ac, onP);
      } catch (e) {
        const col = stored as StoredCodeCollection | null;
        if (isCancelled(e) || ac.signal.aborted)
          this.#error = col
            ? `embedding stopped: ${col.name} is searchable by keywords; ${col.pending?.length ?? 0} of ${col.chunks.length} chunks have no vector yet (Finish embedding resumes)`
            : 'indexing cancelled; nothing was saved';
        else this.#error = errorMessage(e);
      } finally {
        jobs.end('code');
        if (this.#build === ac) this.#build = null;
        if (this.#busy === 'building') this.#busy = null;
      }
    })();
    this.#running = run;
    await run;
    if (this.#running === run) this.#running = null;
  }

  /** Embed the chunks a stored collection still lacks (after a stop or a closed tab), as a job. */
  async resume(id: string): Promise<void> {
    this.#error = null;
    const info = this.deps.embedderInfo();
    if (!info) {
      this.#error = 'the embedding model is not loaded yet';
      return;
    }
    await this.#stopRunning();
    const stored = await (await this.deps.kv()).getKv(`${PREFIX}${id}`);
    if (!stored) {
      this.#error = 'this collection is no longer stored; add it again';
      return;
    }
    if (stored.embedderId !== info.id || stored.dim !== info.dim) {
      this.#error = `${stored.name} was indexed with ${stored.embedderId}, and ${info.id} is loaded now: add it again to re-index it`;
      return;
    }
    if (!stored.pending?.length) return;
    const ac = new AbortController();
    this.#build = ac;
    const onP = this.deps.jobs.start('code', `Embedding ${stored.name}`, () => this.cancelBuild());
    const run = (async () => {
      try {
        await this.#embedPending(stored, ac, onP);
      } catch (e) {
        this.#error =
          isCancelled(e) || ac.signal.aborted
            ? `embedding stopped: ${stored.pending?.length ?? 0} of ${stored.chunks.length} chunks have no vector yet`
            : errorMessage(e);
      } finally {
        this.deps.jobs.end('code');
        if (this.#build === ac) this.#build = null;
      }
    })();
    this.#running = run;
    await run;
    if (this.#running === run) this.#running = null;
  }

  /**
   * The build's second half: embed the pending rows in batches (questions keep working, by
   * keywords), then store the collection again with its vectors (the second commit). A stop
   * stores the rows embedded so far, and throws CancelledError; `stored.pending` is updated.
   */
  async #embedPending(
    stored: StoredCodeCollection,
    ac: AbortController,
    onP: (p: { phase: string; done: number; total: number }) => void,
  ): Promise<void> {
    const rows = stored.pending ?? [];
    if (!rows.length) return;
    const t0 = performance.now();
    const done = new Set<number>();
    this.#embedding = { id: stored.id, done: 0, total: rows.length };
    try {
      await embedRows(this.deps.embedder, stored.chunks, rows, stored.vectors, {
        batchSize: EMBED_BATCH,
        signal: ac.signal,
        onProgress: (p) => {
          onP({ phase: 'Embedding chunks (keyword search works meanwhile)', done: p.done, total: p.total });
          this.#embedding = { id: stored.id, done: p.done, total: p.total };
        },
        onBatch: (b) => b.forEach((r) => done.add(r)),
      });
    } finally {
      this.#embedding = null;
      stored.pending = rows.filter((r) => !done.has(r));
      stored.ms = { ...stored.ms, embed: stored.ms.embed + (performance.now() - t0) };
      // second commit (or the checkpoint of a stop), unless the collection was deleted or rebuilt meanwhile
      if (done.size) {
        const kv = await this.deps.kv();
        await this.refreshList();
        if (this.#collections.some((c) => c.id === stored.id && c.created === stored.created)) {
          onP({ phase: 'Saving', done: 0, total: 1 });
          await kv.setKv(`${PREFIX}${stored.id}`, stored);
          await this.#openIn(stored);
          await this.refreshList();
        }
      }
    }
    if (ac.signal.aborted) throw new CancelledError('embedding');
  }

  /** Stop a build or embedding in flight and wait until it has stored what it keeps. */
  async #stopRunning(): Promise<void> {
    const r = this.#running;
    if (!r) return;
    this.cancelBuild();
    await r.catch(() => {});
  }

  cancelBuild(): void {
    this.#build?.abort();
    this.deps.code.cancelPrepare();
  }

  /** First step of a delete: ask for a confirmation (nothing is deleted yet). */
  askRemove(id: string): void {
    this.#confirmDelete = id;
  }
  cancelRemove(): void {
    this.#confirmDelete = null;
  }
  /** Delete the collection waiting for confirmation. */
  async confirmRemove(): Promise<void> {
    const id = this.#confirmDelete;
    this.#confirmDelete = null;
    if (id) await this.remove(id);
  }

  /**
   * Refresh a stored collection from its source picked again: the same name, so only chunks of
   * changed files are embedded (the rest keep their vectors; `reused` says how many).
   */
  async refresh(id: string, inputs: CodeInput[]): Promise<void> {
    const c = this.#collections.find((x) => x.id === id);
    if (!c) {
      this.#error = 'this collection is no longer stored; add it again';
      return;
    }
    await this.add(c.name, stripRoot(inputs));
  }

  /** A stored collection's files: paths and content fingerprints (FNV-1a 32 of the UTF-8 text). */
  async storedFiles(id: string): Promise<{ path: string; print: string }[]> {
    const c = await (await this.deps.kv()).getKv(`${PREFIX}${id}`);
    return c?.files.map((f) => ({ path: f.path, print: f.print })) ?? [];
  }

  async remove(id: string): Promise<void> {
    if (this.#confirmDelete === id) this.#confirmDelete = null;
    if (this.#embedding?.id === id) {
      await this.#stopRunning();
      this.#error = null;
    }
    await (await this.deps.kv()).deleteKv(`${PREFIX}${id}`);
    await this.deps.code.close(id);
    this.#opened.delete(id);
    this.#chunks.delete(id);
    await this.refreshList();
  }

  /** Ask the active collection. Retrieval first; below the threshold, "I don't know". */
  async ask(question: string, kind: CodeAskKind = 'question'): Promise<void> {
    const q = question.trim();
    const col = this.active;
    this.#error = null;
    if (!q) return;
    if (!col) {
      this.#error = 'add a folder, files or a zip first';
      return;
    }
    const info = this.deps.embedderInfo();
    if (!info) {
      this.#error = 'the embedding model is not loaded yet';
      return;
    }
    if (info.id !== col.embedderId) {
      this.#error = `${col.name} was indexed with ${col.embedderId}, and ${info.id} is loaded now: add it again to re-index it`;
      return;
    }
    this.stop();
    const ac = new AbortController();
    this.#ask = ac;
    this.#busy = 'asking';
    const { code, embedder, settings, generator } = this.deps;
    try {
      await this.ensureOpen(col.id);
      const method = col.pending ? KEYWORD_METHOD : METHOD;
      // Keyword search needs no query vector: not waiting for the embedder, busy with the chunks' batches.
      const qv =
        method === KEYWORD_METHOD
          ? new Float32Array(col.dim)
          : await embedder.embed([q], { role: 'query', signal: ac.signal });
      const reranker = method === METHOD ? await this.#applyReranker() : null;
      if (ac.signal.aborted) return;
      const hits: CodeHit[] = await code.search(col.id, q, qv, 5, method);
      const rerankedBy = reranker?.active !== 'mmr' ? await code.rerankerStatus() : reranker;
      if (ac.signal.aborted) return;
      const chunks = this.#chunks.get(col.id) ?? [];
      const sources = hits.map((h, i) => ({ n: i + 1, chunk: chunks[h.row], similarity: h.similarity }));
      const threshold = settings.value.codeThreshold;
      const coverage = hits.length
        ? await code.coverage(
            col.id,
            q,
            hits.slice(0, CONFIDENCE_TOP).map((h) => h.row),
          )
        : 0;
      const dontKnow = coverage < threshold;
      const answer: CodeAnswer = {
        question: q,
        kind,
        sources,
        coverage,
        threshold,
        method,
        reranker: rerankedBy,
        dontKnow,
        text: '',
        parts: [],
        note: null,
        searchUrl: webSearchUrl(q),
        done: false,
      };
      this.#answer = answer;
      if (dontKnow || kind === 'similar') {
        this.#answer = {
          ...answer,
          done: true,
          note: dontKnow
            ? `I don't know: ${col.name} does not seem to cover this question (the best sources hold ${Math.round(coverage * 100)}% of its distinctive words; the threshold is ${Math.round(threshold * 100)}%).`
            : null,
        };
        return;
      }
      if (!this.deps.generatorReady()) {
        this.#answer = {
          ...answer,
          done: true,
          note: 'No model is loaded to write an answer: the best sources are below.',
        };
        return;
      }
      const ask = kind === 'explain' ? `Explain what this code does:\n${q}` : q;
      const prompt = buildCodePrompt(
        generator.format,
        ask,
        sources.map((s) => s.chunk),
        { countTokens: (t) => Math.ceil(estimateTokens(t) * 1.2), maxTokens: generator.contextTokens - 256 },
      );
      if (!prompt) {
        this.#answer = {
          ...answer,
          done: true,
          note: `The loaded model (${generator.id}) writes SQL only and cannot answer in prose: the best sources are below.`,
        };
        return;
      }
      let text = '';
      const shown = sources.slice(0, prompt.sources.length);
      const r = await generator.generate(prompt.text, {
        maxNewTokens: 384,
        signal: ac.signal,
        onToken: (piece) => {
          if (ac.signal.aborted) return;
          text += piece;
          this.#answer = { ...answer, sources: shown, text, parts: citationParts(text, prompt.sources) };
        },
      });
      if (ac.signal.aborted || r.interrupted) return;
      this.#answer = {
        ...answer,
        sources: shown,
        text: r.text,
        parts: citationParts(r.text, prompt.sources),
        done: true,
      };
    } catch (e) {
      if (!isCancelled(e) && !ac.signal.aborted) this.#error = errorMessage(e);
    } finally {
      if (this.#ask === ac) this.#ask = null;
      this.#busy = null;
    }
  }

  /**
   * The reranker the settings ask for, loaded in the code worker on first use as a job with the
   * download's progress; a model that cannot be loaded leaves MMR, and the status says why.
   */
  async #applyReranker(): Promise<RerankerStatus> {
    const want = this.deps.settings.value.codeReranker || null;
    if (this.#rerankerFor === want && this.#reranker) return this.#reranker;
    const { jobs, code } = this.deps;
    const onP = want ? jobs.start('code-reranker', `Loading the reranker ${want}`) : null;
    try {
      this.#reranker = await code.useReranker(want, this.deps.modelSource?.() ?? null, (p) =>
        onP?.({ phase: p.phase, done: p.done, total: p.total }),
      );
    } finally {
      if (want) jobs.end('code-reranker');
    }
    this.#rerankerFor = want;
    return this.#reranker;
  }

  /** Stop the question in flight (retrieval is dropped, generation interrupted). */
  stop(): void {
    if (!this.#ask) return;
    this.#ask.abort();
    this.#ask = null;
    void this.deps.generator.interrupt();
    if (this.#answer && !this.#answer.done) this.#answer = { ...this.#answer, done: true, note: 'Stopped.' };
  }

  /** Make a stored collection searchable in the code service (once per build). */
  async ensureOpen(id: string): Promise<void> {
    if (this.#opened.has(id)) return;
    const c = await (await this.deps.kv()).getKv(`${PREFIX}${id}`);
    if (!c) throw new Error('this collection is no longer stored; add it again');
    await this.#openIn(c);
  }

  /** Open a collection in the code worker (its BM25 index is built there) as it is now. */
  async #openIn(c: Pick<StoredCodeCollection, 'id' | 'chunks' | 'vectors' | 'dim'>): Promise<void> {
    await this.deps.code.open(c.id, c.chunks, c.vectors, c.dim);
    this.#opened.add(c.id);
    this.#chunks.set(c.id, c.chunks);
  }
}

/**
 * The vectors of a new build, with rows copied from the previous build of the same collection
 * where the chunk is identical (same file, lines and text), has its vector (is not pending) and the
 * embedder is the same; `todo`
 * lists the rows still to embed.
 */
export function reuseVectors(
  previous: StoredCodeCollection | undefined,
  chunks: Chunk[],
  embedderId: string,
  dim: number,
): { vectors: Float32Array; todo: number[] } {
  const vectors = new Float32Array(chunks.length * dim);
  const old = new Map<string, number>();
  if (previous && previous.embedderId === embedderId && previous.dim === dim) {
    const missing = new Set(previous.pending ?? []);
    previous.chunks.forEach((c, i) => {
      if (!missing.has(i)) old.set(chunkKey(c), i);
    });
  }
  const todo: number[] = [];
  chunks.forEach((c, i) => {
    const j = old.get(chunkKey(c));
    if (j === undefined) todo.push(i);
    else vectors.set(previous!.vectors.subarray(j * dim, (j + 1) * dim), i * dim);
  });
  return { vectors, todo };
}

function chunkKey(c: Chunk): string {
  return `${c.path}\u0000${c.startLine}\u0000${c.endLine}\u0000${c.header}\u0000${c.text}`;
}

function summary(c: StoredCodeCollection): CollectionSummary {
  return {
    id: c.id,
    name: c.name,
    files: c.files.length,
    chunks: c.chunks.length,
    embedderId: c.embedderId,
    created: c.created,
    skipped: c.skipped.length,
    bytes: c.bytes,
    storedBytes: c.vectors.byteLength + c.chunks.reduce((n, x) => n + x.text.length + x.header.length, 0),
    pending: c.pending?.length ?? 0,
    dim: c.dim,
  };
}

/**
 * Picked files as collection inputs under a name: the name typed, else the folder's name for a
 * folder pick, the zip's name for one zip, or "files". Paths of a picked folder start below it.
 */
export function collectionInputs(
  files: { path: string; data: Blob | Uint8Array }[],
  typed = '',
): { name: string; inputs: CodeInput[] } {
  const folder = pickedFolder(files);
  const first = files[0]?.path ?? 'collection';
  const name = typed.trim() || folder || (files.length === 1 ? first.replace(/\.zip$/i, '') : 'files');
  return { name, inputs: stripRoot(files) };
}

/** The folder a set of picked files came from (every path starts with it), or null. */
function pickedFolder(inputs: { path: string }[]): string | null {
  const top = inputs[0]?.path.split('/')[0];
  return top && inputs.every((i) => i.path.startsWith(top + '/')) ? top : null;
}

/** A picked folder's files with paths inside the folder (the same on every pick, for refreshes). */
function stripRoot(inputs: CodeInput[]): CodeInput[] {
  const folder = pickedFolder(inputs);
  return folder ? inputs.map((i) => ({ ...i, path: i.path.slice(folder.length + 1) })) : inputs;
}
/** A stable id from a collection's name (adding the same folder again replaces it). */
export function collectionId(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'collection'
  );
}
