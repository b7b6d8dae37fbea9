/**
 * Shareable demo links: the state of a question encoded in URL query parameters.
 *
 *   ?q=<question>&db=demo|<https URL of a .sqlite>|local:<file name>
 *    &corpus=demo|<URL>|local:<file name>[&tables=<tables.json URL>]
 *    &emb=<embedder id>&gen=cpu:<model id>|webllm:<family>&k=0..10&adapter=0|1
 *    &ws=<https URL of a workspace file> (the database with its notes and My examples; replaces db)
 *
 * `local:<name>` records that the sender used a local file, which a link cannot carry: the
 * recipient is told which file it was instead of silently seeing another one.
 *
 * Decoding validates every parameter: unknown keys and bad values produce messages, and the
 * valid part of the link is still used.
 */
import { EMBEDDERS, CPU_GENERATORS, WEBLLM_MODELS } from '../config.ts';

export interface ShareState {
  question?: string;
  db?: { kind: 'demo' } | { kind: 'url'; url: string } | { kind: 'local'; name: string };
  corpus?: { kind: 'demo' } | { kind: 'url'; url: string; tables?: string } | { kind: 'local'; name: string };
  embedder?: string;
  generator?: { engine: 'cpu'; id: string } | { engine: 'webllm'; family: string };
  k?: number;
  adapter?: boolean;
  /** A workspace file (lib/workspace/) to open: its database, schema notes and My examples. */
  workspace?: string;
}

export interface DecodeResult {
  state: ShareState;
  errors: string[];
  /** True when the URL carried any share parameter at all. */
  present: boolean;
}

const KEYS = ['q', 'db', 'corpus', 'tables', 'emb', 'gen', 'k', 'adapter', 'ws'] as const;
const MAX_QUESTION = 2000;
const MAX_NAME = 200;

function sourceParam(s: { kind: 'demo' } | { kind: 'url'; url: string } | { kind: 'local'; name: string }): string {
  if (s.kind === 'demo') return 'demo';
  if (s.kind === 'local') return `local:${s.name.slice(0, MAX_NAME)}`;
  return s.url;
}

/** `local:<name>` → the file name (trimmed, bounded), or null when the value is not of that form. */
function localName(v: string): string | null {
  if (!v.startsWith('local:')) return null;
  const name = v.slice('local:'.length).trim().slice(0, MAX_NAME);
  return name || 'a local file';
}

function httpUrl(v: string): string | null {
  try {
    const u = new URL(v);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
  } catch {
    return null;
  }
}

export function encodeShare(s: ShareState): string {
  const p = new URLSearchParams();
  if (s.question) p.set('q', s.question);
  if (s.workspace) p.set('ws', s.workspace);
  else if (s.db) p.set('db', sourceParam(s.db));
  if (s.corpus) {
    p.set('corpus', sourceParam(s.corpus));
    if (s.corpus.kind === 'url' && s.corpus.tables) p.set('tables', s.corpus.tables);
  }
  if (s.embedder) p.set('emb', s.embedder);
  if (s.generator)
    p.set('gen', s.generator.engine === 'cpu' ? `cpu:${s.generator.id}` : `webllm:${s.generator.family}`);
  if (s.k != null) p.set('k', String(s.k));
  if (s.adapter != null) p.set('adapter', s.adapter ? '1' : '0');
  return p.toString();
}

export function decodeShare(search: string): DecodeResult {
  const p = new URLSearchParams(search.startsWith('?') ? search.slice(1) : search);
  const state: ShareState = {};
  const errors: string[] = [];
  let present = false;
  for (const key of new Set(p.keys())) {
    if (!(KEYS as readonly string[]).includes(key)) errors.push(`unknown link parameter "${key}" (ignored)`);
    else present = true;
  }
  const q = p.get('q');
  if (q != null) {
    if (!q.trim()) errors.push('the question (q) is empty');
    else if (q.length > MAX_QUESTION) errors.push(`the question (q) is longer than ${MAX_QUESTION} characters`);
    else state.question = q;
  }
  const db = p.get('db');
  if (db != null) {
    const local = localName(db);
    if (db === 'demo') state.db = { kind: 'demo' };
    else if (local) state.db = { kind: 'local', name: local };
    else {
      const u = httpUrl(db);
      if (u) state.db = { kind: 'url', url: u };
      else
        errors.push(`the database (db) must be "demo" or an http(s) URL of a .sqlite file, not "${db.slice(0, 80)}"`);
    }
  }
  const corpus = p.get('corpus');
  if (corpus != null) {
    const local = localName(corpus);
    if (corpus === 'demo') state.corpus = { kind: 'demo' };
    else if (local) state.corpus = { kind: 'local', name: local };
    else {
      const u = httpUrl(corpus);
      const tablesRaw = p.get('tables');
      const tables = tablesRaw != null ? httpUrl(tablesRaw) : undefined;
      if (tablesRaw != null && !tables) errors.push('tables must be an http(s) URL of a Spider tables.json');
      if (u) state.corpus = { kind: 'url', url: u, ...(tables ? { tables } : {}) };
      else errors.push(`the corpus must be "demo" or an http(s) URL, not "${corpus.slice(0, 80)}"`);
    }
  } else if (p.get('tables') != null) {
    errors.push('tables is only used together with a corpus URL');
  }
  const emb = p.get('emb');
  if (emb != null) {
    if (EMBEDDERS.some((e) => e.id === emb)) state.embedder = emb;
    else errors.push(`unknown embedder "${emb.slice(0, 80)}"; known: ${EMBEDDERS.map((e) => e.id).join(', ')}`);
  }
  const gen = p.get('gen');
  if (gen != null) {
    const m = gen.match(/^(cpu|webllm):(.+)$/);
    if (m?.[1] === 'cpu' && CPU_GENERATORS.some((g) => g.id === m[2])) state.generator = { engine: 'cpu', id: m[2] };
    else if (m?.[1] === 'webllm' && WEBLLM_MODELS.some((g) => g.family === m[2]))
      state.generator = { engine: 'webllm', family: m[2] };
    else errors.push(`unknown generator "${gen.slice(0, 80)}" (expected cpu:<model id> or webllm:<family>)`);
  }
  const k = p.get('k');
  if (k != null) {
    const n = Number(k);
    if (/^\d+$/.test(k) && n >= 0 && n <= 10) state.k = n;
    else errors.push(`k must be a whole number from 0 to 10, not "${k.slice(0, 20)}"`);
  }
  const ad = p.get('adapter');
  if (ad != null) {
    if (ad === '1' || ad === '0') state.adapter = ad === '1';
    else errors.push(`adapter must be 0 or 1, not "${ad.slice(0, 20)}"`);
  }
  const ws = p.get('ws');
  if (ws != null) {
    const u = httpUrl(ws);
    if (!u) errors.push(`the workspace (ws) must be an http(s) URL of a workspace file, not "${ws.slice(0, 80)}"`);
    else {
      state.workspace = u;
      if (state.db) errors.push('the workspace (ws) carries its own database: db is ignored');
      delete state.db;
    }
  }
  return { state, errors, present: present || errors.length > 0 };
}
