/**
 * An AppState for unit tests, built on in-process implementations of the same seams the page
 * gets from createBrowserServices(): the real SQL engine (sql.js in process, behind the same
 * SqlClient the page uses), the real IndexService over IndexedDB (fake-indexeddb), the real
 * in-process lexical source, and scripted models that implement the Embedder and AnswerGenerator
 * interfaces (a hashing embedder and a generator that replies with set SQL).
 */
import 'fake-indexeddb/auto';
import { AppState, type AppDeps } from '../../src/ui/app.svelte.ts';
import type {
  EmbedderInfo,
  GeneratorInfo,
  KvStore,
  LoadableEmbedder,
  LoadableGenerator,
  UiServices,
} from '../../src/ui/state/ports.ts';
import { lazyKv } from '../../src/ui/state/ports.ts';
import { IndexStore } from '../../src/lib/index/store.ts';
import { IndexService } from '../../src/lib/index/service.ts';
import { flatFactory } from '../../src/lib/index/flat.ts';
import { int8Factory } from '../../src/lib/index/int8.ts';
import { ivfFactory } from '../../src/lib/index/ivf.ts';
import { SqlEngine } from '../../src/lib/sql/engine.ts';
import { SqlClient } from '../../src/lib/sql/client.ts';
import { InstantHost } from '../../src/lib/instant/host.ts';
import { createInstantGenerator } from '../../src/lib/instant/engine.ts';
import { sqlJs } from '../../src/node/host.ts';
import { corpusHash } from '../../src/lib/corpus/hash.ts';
import { LocalLexicalSource } from '../../src/lib/retrieve/lexical-search.ts';
import { LocalImporter } from '../../src/lib/import/client.ts';
import type { Corpus, Example } from '../../src/lib/types.ts';
import type { BuiltPrompt } from '../../src/lib/llm/prompts.ts';
import { throwIfAborted } from '../../src/lib/errors.ts';
import type { GenerateResult } from '../../src/lib/llm/generator.ts';
import type { Embedder } from '../../src/lib/embed/embedder.ts';
import { runDistillJob } from '../../src/lib/embed/distill-job.ts';
import { lightQueryEmbedder, type LightQueryPort } from '../../src/lib/embed/light-query.ts';
import type { PieceTokenizer } from '../../src/lib/embed/static-encoder.ts';

export const SHOP_SQL = `CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, country TEXT);
INSERT INTO customers VALUES (1, 'Ann', 'France'), (2, 'Bo', 'Spain'), (3, 'Cy', 'France');`;

export function makeCorpus(name: string, pairs: [string, string][]): Corpus {
  const examples: Example[] = pairs.map(([question, sql], i) => ({ id: `${name}-${i}`, question, sql }));
  return { name, hash: corpusHash(examples), examples };
}

export const DEMO_CORPUS = makeCorpus('Demo examples', [
  ['How many customers are there?', 'SELECT count(*) FROM customers'],
  ['Which customers are from France?', "SELECT name FROM customers WHERE country = 'France'"],
  ['List all countries', 'SELECT DISTINCT country FROM customers'],
]);

/** A deterministic bag-of-words embedding (dim 16): similar wording, similar vectors. */
export function hashEmbed(text: string, dim = 16): Float32Array {
  const v = new Float32Array(dim);
  for (const w of text.toLowerCase().match(/[a-z]+/g) ?? []) {
    let h = 2166136261;
    for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 16777619);
    v[(h >>> 0) % dim] += 1;
  }
  const n = Math.hypot(...v) || 1;
  return v.map((x) => x / n);
}

export interface Script {
  /** What the generator answers (the SQL text), by prompt. */
  reply: (prompt: string) => string;
  /** Make the next embedder loads fail with this message. */
  embedFails?: string;
  /** Finish loading the embedder only when this promise settles (a search model still loading). */
  embedHold?: Promise<void>;
  /** Make loading another question dtype fail with this message (the documents' model loads). */
  queryDtypeFails?: string;
  /** Resolve generation only when this promise settles (to test Stop). */
  hold?: Promise<void>;
  /** Resolve SQL execution only when this promise settles (to test Stop during execution). */
  execHold?: Promise<void>;
}

export interface TestApp {
  app: AppState;
  services: UiServices;
  kv: () => Promise<KvStore>;
  storage: Map<string, string>;
  script: Script;
  calls: { embedDocs: number; generate: number; interrupt: number; lightQueries: number };
  /** URLs the fake fetch serves. */
  served: Map<string, string>;
  /** URLs the fake fetch serves as bytes (packs). */
  servedBytes: Map<string, Uint8Array<ArrayBuffer>>;
  /** Set offline: fetch fails as with no network, and the page reports navigator.onLine = false. */
  network: { offline: boolean };
}

let dbCounter = 0;

/** A word-level stand-in for the teacher's tokenizer (lower-case words; unknown words are skipped). */
export function wordTokenizer(words: readonly string[]): PieceTokenizer {
  const vocab = ['<unk>', ...words.map((w) => `\u2581${w}`)];
  const ids = new Map(words.map((w, i) => [w, i + 1]));
  return {
    vocab,
    specialIds: [0],
    encode: (text) => (text.toLowerCase().match(/[a-z]+/g) ?? []).map((w) => ids.get(w) ?? 0),
  };
}

/** Words of the fake tokenizer: the questions' words of the test corpora. */
export const FAKE_WORDS = (
  'how many customers are there which from france list all countries orders products show count total ' +
  'what is the average price of each name spain city cities employees departments salary per sold order ' +
  'most least highest lowest number in by with than more less'
).split(' ');

export async function makeTestApp(
  opts: {
    storage?: Map<string, string>;
    dbName?: string;
    demoPack?: Uint8Array<ArrayBuffer>;
    demoCorpus?: Corpus;
    /** Where corpus files are parsed (the page: a corpus worker); in process when absent. */
    openCorpus?: UiServices['openCorpus'];
  } = {},
): Promise<TestApp> {
  const SQL = await sqlJs();
  const dbName = opts.dbName ?? `coderag-ui-test-${++dbCounter}`;
  const open = () => IndexStore.open(dbName);
  const indexService = new IndexService(await open(), { flat: flatFactory, int8: int8Factory, ivf: ivfFactory });
  const script: Script = { reply: () => 'SELECT count(*) FROM customers' };
  const calls = { embedDocs: 0, generate: 0, interrupt: 0, lightQueries: 0 };
  /** The query-side decorator the fake light port sets (like the embed worker's). */
  let queryEncoder: Embedder | null = null;
  let interrupted = false;
  const engine = new SqlEngine(SQL);
  const instantHost = new InstantHost(() => engine);
  const sql = new SqlClient(() => ({
    remote: {
      open: async (src) => {
        const info = engine.open(src);
        instantHost.reset();
        return info;
      },
      exec: async (q, o) => {
        if (script.execHold) await script.execHold;
        return engine.exec(q, o);
      },
      export: async () => engine.exportBytes(),
      // the real instant generator next to the database, as the page's SQL worker runs it
      instant: async (req) => instantHost.answer(req),
    },
    terminate: () => {},
  }));
  // In-process implementations of the seams the page gets from createBrowserServices().
  let embedInfo: EmbedderInfo | null = null;
  const embedder: LoadableEmbedder = {
    get id() {
      return embedInfo?.id ?? '';
    },
    get dim() {
      return embedInfo?.dim ?? 0;
    },
    get dtype() {
      return embedInfo?.dtype ?? '';
    },
    get device() {
      return embedInfo?.device ?? '';
    },
    async load(_cfg, id, dtype, device, onP, queryDtype) {
      embedInfo = null;
      queryEncoder = null; // like the embed worker: a new model drops the query-side decorator
      onP?.({ phase: 'load', done: 1, total: 1 });
      if (script.embedHold) await script.embedHold;
      if (script.embedFails) throw new Error(script.embedFails);
      const other = queryDtype && queryDtype !== dtype;
      embedInfo = {
        id,
        dim: 16,
        dtype,
        device,
        ...(other && !script.queryDtypeFails ? { queryDtype } : {}),
        // like the embed worker: the documents' model works, questions use it too
        ...(other && script.queryDtypeFails
          ? { queryDtypeError: `the ${queryDtype} question model could not be loaded (${script.queryDtypeFails})` }
          : {}),
      };
      return embedInfo;
    },
    async embed(texts, o = {}) {
      throwIfAborted(o.signal, 'embedding');
      if ((o.role ?? 'doc') === 'doc') calls.embedDocs++;
      else if (queryEncoder) {
        calls.lightQueries++;
        return queryEncoder.embed(texts, o);
      }
      const out = new Float32Array(texts.length * 16);
      texts.forEach((t, i) => out.set(hashEmbed(t), i * 16));
      return out;
    },
  };
  let genInfo: GeneratorInfo | null = null;
  const generator: LoadableGenerator = {
    get id() {
      return genInfo?.id ?? '';
    },
    get engine() {
      return genInfo?.engine ?? 'transformers';
    },
    get format() {
      return genInfo?.format ?? 'tiny-sql';
    },
    get contextTokens() {
      return 2048;
    },
    async loadCpu(_cfg, id) {
      genInfo = { id, engine: 'transformers', format: 'tiny-sql', device: 'wasm' };
      return genInfo;
    },
    async loadWebLlm() {
      throw new Error('no WebGPU');
    },
    async cancelLoad() {},
    async buildPrompt(input) {
      return { format: 'tiny-sql', text: input.question, examplesUsed: input.examples.length } as BuiltPrompt;
    },
    async buildFollowUpPrompt(input) {
      return { format: 'tiny-sql', text: input.standalone, examplesUsed: input.examples.length } as BuiltPrompt;
    },
    async buildExplainPrompt() {
      return null;
    },
    async generate(prompt, o = {}): Promise<GenerateResult> {
      // like WorkerGenerator: an aborted signal starts nothing, an abort interrupts the model
      throwIfAborted(o.signal, 'generation');
      const stop = () => void generator.interrupt();
      o.signal?.addEventListener('abort', stop);
      try {
        calls.generate++;
        interrupted = false;
        const text = script.reply(prompt);
        o.onToken?.(text);
        if (script.hold) await script.hold;
        return { text, tokens: 5, ms: 10, tokensPerSecond: 500, interrupted };
      } finally {
        o.signal?.removeEventListener('abort', stop);
      }
    },
    async interrupt() {
      calls.interrupt++;
      interrupted = true;
    },
  };
  // The teacher as the embed worker holds it: documents' model, never the decorated query side.
  const teacher: Embedder = {
    get id() {
      return embedInfo?.id ?? '';
    },
    get dim() {
      return embedInfo?.dim ?? 0;
    },
    get dtype() {
      return embedInfo?.dtype ?? '';
    },
    device: 'cpu',
    async embed(texts) {
      const out = new Float32Array(texts.length * 16);
      texts.forEach((t, i) => out.set(hashEmbed(t), i * 16));
      return out;
    },
  };
  const tokenizer = wordTokenizer(FAKE_WORDS);
  let distillAbort: AbortController | null = null;
  const light: LightQueryPort = {
    async distill(req, onProgress) {
      distillAbort = new AbortController();
      return runDistillJob(req, { teacher, tokenizer }, { signal: distillAbort.signal, onProgress });
    },
    async cancelDistill() {
      distillAbort?.abort();
    },
    async timeQueries(texts, variant) {
      let e: Embedder = teacher;
      if (variant.kind === 'static') {
        const r = await lightQueryEmbedder(teacher, variant, tokenizer);
        if (!r.light) throw new Error(r.fallbackReason);
        e = (r.embedder as Embedder & { queryEncoder: Embedder }).queryEncoder;
      }
      const vectors = new Float32Array(texts.length * e.dim);
      const ms: number[] = [];
      for (let i = 0; i < texts.length; i++) {
        const t0 = performance.now();
        vectors.set(await e.embed([texts[i]], { role: 'query' }), i * e.dim);
        ms.push(performance.now() - t0);
      }
      return { vectors, ms };
    },
    async useQueryEncoder(blobs) {
      if (!blobs) {
        queryEncoder = null;
        return { light: false };
      }
      const r = await lightQueryEmbedder(teacher, blobs, tokenizer);
      queryEncoder = r.light ? r.embedder : null;
      return { light: r.light, ...(r.fallbackReason ? { fallbackReason: r.fallbackReason } : {}) };
    },
  };
  const services: UiServices = {
    light,
    embedder,
    index: indexService,
    generator,
    instant: createInstantGenerator(sql),
    gpu: {
      probe: async () => ({ available: false, shaderF16: false, isFallback: false, reason: 'no WebGPU in Node' }),
      planWebLlm: async () => {
        throw new Error('no WebGPU');
      },
    },
    sql,
    newSql: () => sql,
    lexical: new LocalLexicalSource(),
    importer: new LocalImporter(async () => SQL),
    ...(opts.openCorpus ? { openCorpus: opts.openCorpus } : {}),
  };
  const storage = opts.storage ?? new Map<string, string>();
  const servedBytes = new Map<string, Uint8Array<ArrayBuffer>>();
  const served = new Map<string, string>([
    [
      'http://app.test/models/index.json',
      JSON.stringify({ models: ['universal-sentence-encoder-lite', 'tiny-sql-lm'] }),
    ],
  ]);
  const kv = lazyKv(open);
  const network = { offline: false };
  const deps: AppDeps = {
    services,
    kv,
    env: {
      href: () => 'http://app.test/?x=1',
      online: () => !network.offline,
      fetch: async (input) => {
        // no network, or a host that does not answer (*.unreachable.test)
        if (network.offline || /^https?:\/\/[^/]*unreachable\.test\//.test(String(input)))
          throw new TypeError('Failed to fetch');
        const body = served.get(String(input)) ?? servedBytes.get(String(input));
        return body == null ? new Response('not found', { status: 404 }) : new Response(body);
      },
    },
    settingsStorage: {
      getItem: (k) => storage.get(k) ?? null,
      setItem: (k, v) => void storage.set(k, v),
    },
    demo: {
      dbName: 'Demo shop',
      dbSql: async () => SHOP_SQL,
      corpusName: DEMO_CORPUS.name,
      corpus: async () => opts.demoCorpus ?? DEMO_CORPUS,
      ...(opts.demoPack ? { pack: async () => opts.demoPack!.slice().buffer } : {}),
    },
    quotaWarning: async () => null,
  };
  return { app: new AppState(deps), services, kv, storage, script, calls, served, servedBytes, network };
}
