/**
 * Node-side data for evaluation runs: Spider dev questions with their SQLite files, gretel files
 * whose `sql_context` builds one database per question, retrieval corpora from any file
 * `loadCorpusFile` accepts, and an on-disk cache of corpus vectors.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Corpus, Example, TableInfo } from '../lib/types.ts';
import type { DbSource } from '../lib/sql/engine.ts';
import type { EvalItem } from '../lib/eval/runner.ts';
import { loadCorpusFile } from '../lib/corpus/detect.ts';
import { parseSpiderQuestions, parseSpiderTables } from '../lib/corpus/spider.ts';
import { corpusHash } from '../lib/corpus/hash.ts';
import type { TextMode } from '../lib/rag/doc-text.ts';
import { EMBED_CACHE_DIR, readCachedVectors, writeCachedVectors, type EmbedCacheKey } from './embed-cache.ts';

/** The questions of an evaluation, and how to open the database of each. */
export interface EvalDataset {
  name: string;
  items: EvalItem[];
  /** Database source for a dbId (a Spider .sqlite file, or a gretel CREATE/INSERT context). */
  source(dbId: string): DbSource;
  /** Prompt tables for a dbId, when the dataset defines them (Spider tables.json); else the database's own. */
  tables(dbId: string): TableInfo[] | undefined;
  /** Rows that could not be used. */
  issues: number;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
}

/** Spider tables.json of a Spider-layout folder, parsed (null when the file is absent). */
export function spiderTables(dir: string): { json: unknown; tables: Record<string, TableInfo[]> } | null {
  const file = path.join(dir, 'tables.json');
  if (!existsSync(file)) return null;
  const json = readJson(file);
  return { json, tables: parseSpiderTables(json) };
}

/**
 * Spider dev questions (`DIR/dev.json`, ids `spider-dev-<n>`), executed on
 * `DIR/database/<db>/<db>.sqlite`. Prompts show tables.json's schema (the one tiny-sql-lm was
 * trained with), falling back to the database's own.
 */
export function loadSpiderDev(dir: string): EvalDataset {
  const devFile = path.join(dir, 'dev.json');
  if (!existsSync(devFile))
    throw new Error(
      `${devFile} not found: --spider needs a folder with dev.json, tables.json and database/<db>/<db>.sqlite`,
    );
  const t = spiderTables(dir);
  const res = parseSpiderQuestions(readJson(devFile), { idPrefix: 'spider-dev', tables: t?.tables });
  const items: EvalItem[] = res.examples.map((e) => ({ id: e.id, dbId: e.dbId!, question: e.question, gold: e.sql }));
  const bytes = new Map<string, Uint8Array>();
  return {
    name: `Spider dev (${path.resolve(dir)})`,
    items,
    issues: res.issues.length,
    source(dbId) {
      let b = bytes.get(dbId);
      if (!b) {
        const file = path.join(dir, 'database', dbId, `${dbId}.sqlite`);
        if (!existsSync(file)) throw new Error(`database file ${file} not found`);
        b = new Uint8Array(readFileSync(file));
        bytes.set(dbId, b);
      }
      return { kind: 'bytes', bytes: b, name: dbId };
    },
    tables: (dbId) => t?.tables[dbId],
  };
}

/** A gretel-format file: each question runs on the database its own `sql_context` builds. */
export async function loadGretelDataset(
  file: string,
): Promise<{ dataset: EvalDataset; examples: Example[]; format: string }> {
  const buf = readFileSync(file);
  const res = await loadCorpusFile(
    file,
    buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer,
  );
  const withContext = res.examples.filter((e) => e.schema && e.schema.trim());
  const contexts = new Map(withContext.map((e) => [e.id, e.schema!]));
  return {
    examples: res.examples,
    format: res.format,
    dataset: {
      name: `gretel (${path.resolve(file)})`,
      items: withContext.map((e) => ({ id: e.id, dbId: e.id, question: e.question, gold: e.sql })),
      issues: res.issues.length + (res.examples.length - withContext.length),
      source(dbId) {
        const sql = contexts.get(dbId);
        if (sql === undefined) throw new Error(`no sql_context for ${dbId}`);
        return { kind: 'sql', sql, name: dbId };
      },
      tables: () => undefined,
    },
  };
}

export interface LoadedCorpus {
  corpus: Corpus;
  path: string;
  format: string;
  issues: number;
}

/**
 * A retrieval corpus from any file `loadCorpusFile` accepts. With Spider tables.json, examples
 * with a known database get its schema (for the `schema+sql` and `mix` text modes).
 */
export async function loadCorpus(file: string, tablesJson?: unknown, idPrefix?: string): Promise<LoadedCorpus> {
  if (!existsSync(file)) throw new Error(`corpus file ${file} not found`);
  const buf = readFileSync(file);
  const res = await loadCorpusFile(
    file,
    buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer,
    { tablesJson, idPrefix },
  );
  if (!res.examples.length) throw new Error(`corpus file ${file} holds no usable examples`);
  const base = path.basename(file);
  return {
    corpus: {
      hash: corpusHash(res.examples),
      name: `${base} (${res.examples.length.toLocaleString('en-US')})`,
      examples: res.examples,
      schemas: res.schemas,
    },
    path: path.resolve(file),
    format: res.format,
    issues: res.issues.length,
  };
}

/** Default id prefix for a corpus file: Spider's train CSV gets `spider-train`, like the app. */
export function corpusIdPrefix(file: string): string | undefined {
  return /train/i.test(path.basename(file)) && /\.csv$/i.test(file) ? 'spider-train' : undefined;
}

// ---------------------------------------------------------------------------------------------
// Vector cache: the Node tools' one embedding cache (./embed-cache.ts), keyed by corpus and text mode

export const DEFAULT_CACHE_DIR = EMBED_CACHE_DIR;

export interface VectorKey {
  embedderId: string;
  dtype: string;
  dim: number;
  textMode: TextMode;
  corpusHash: string;
  count: number;
  /** Texts per embedder call (q8 vectors depend slightly on their batch). */
  batch: number;
}

const cacheKey = (k: VectorKey): EmbedCacheKey => ({
  embedderId: k.embedderId,
  dtype: k.dtype,
  dim: k.dim,
  mode: `doc:${k.textMode}`,
  batch: k.batch,
  content: k.corpusHash,
  count: k.count,
});

/** Cached corpus vectors for this identity, or null. */
export function readVectors(dir: string, k: VectorKey): Float32Array | null {
  return readCachedVectors(dir, cacheKey(k));
}

/** Store corpus vectors (write to a temporary file, then rename: never a half file). */
export function writeVectors(dir: string, k: VectorKey, v: Float32Array): void {
  writeCachedVectors(dir, cacheKey(k), v);
}
