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
import { SqlEngine } from '../../src/lib/sql/engine.ts';
import { SqlClient } from '../../src/lib/sql/client.ts';
import { InstantHost } from '../../src/lib/instant/host.ts';
import { createInstantGenerator } from '../../src/lib/instant/engine.ts';
import { sqlJs } from '../../src/node/host.ts';
import { corpusHash } from '../../src/lib/corpus/hash.ts';
import { LocalLexicalSource } from '../../src/lib/retrieve/lexical-search.ts';
import type { Corpus, Example } from '../../src/lib/types.ts';
import type { BuiltPrompt } from '../../src/lib/llm/prompts.ts';
import { throwIfAborted } from '../../src/lib/errors.ts';
import type { GenerateResult } from '../../src/lib/llm/generator.ts';

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
  calls: { embedDocs: number; generate: number; interrupt: number };
  /** URLs the fake fetch serves. */
  served: Map<string, string>;
  /** Set offline: fetch fails as with no network, and the page reports navigator.onLine = false. */
  network: { offline: boolean };
}

let dbCounter = 0;

export async function makeTestApp(opts: { storage?: Map<string, string>; dbName?: string } = {}): Promise<TestApp> {
  const SQL = await sqlJs();
  const dbName = opts.dbName ?? `coderag-ui-test-${++dbCounter}`;
  const open = () => IndexStore.open(dbName);
  const indexService = new IndexService(await open(), { flat: flatFactory, int8: int8Factory });
  const script: Script = { reply: () => 'SELECT count(*) FROM customers' };
  const calls = { embedDocs: 0, generate: 0, interrupt: 0 };
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
    async load(_cfg, id, dtype, device, onP) {
      embedInfo = null;
      onP?.({ phase: 'load', done: 1, total: 1 });
      if (script.embedFails) throw new Error(script.embedFails);
      embedInfo = { id, dim: 16, dtype, device };
      return embedInfo;
    },
    async embed(texts, o = {}) {
      throwIfAborted(o.signal, 'embedding');
      if ((o.role ?? 'doc') === 'doc') calls.embedDocs++;
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
  const services: UiServices = {
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
  };
  const storage = opts.storage ?? new Map<string, string>();
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
        const body = served.get(String(input));
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
      corpus: async () => DEMO_CORPUS,
    },
    quotaWarning: async () => null,
  };
  return { app: new AppState(deps), services, kv, storage, script, calls, served, network };
}
