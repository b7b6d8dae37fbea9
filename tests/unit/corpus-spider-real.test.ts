/**
 * Loads the real Spider files from ../shared (beside the repository). Skipped, with a message, on a
 * machine without them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import initSqlJs from 'sql.js';
import { corpusHash } from '../../src/lib/corpus/hash.ts';
import { loadCorpusFile } from '../../src/lib/corpus/detect.ts';
import { parseSpiderCsv, parseSpiderQuestions, parseSpiderTables, schemaDdl } from '../../src/lib/corpus/spider.ts';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const spiderDir = resolve(repoRoot, '../shared/data/spider');
const trainCsv = resolve(spiderDir, 'train/train_queries.spiderman.csv');
const devJson = resolve(spiderDir, 'dev.json');
const tablesPath = resolve(spiderDir, 'tables.json');
const toArrayBuffer = (b: Buffer): ArrayBuffer =>
  b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
const missing = ![trainCsv, devJson, tablesPath].every(existsSync);
if (missing)
  console.warn(
    `corpus-spider-real: skipped, Spider data not found under ${spiderDir} (needs ../shared beside the repo)`,
  );

describe.skipIf(missing)('real Spider data from ../shared', () => {
  const tablesJson = missing ? undefined : (JSON.parse(readFileSync(tablesPath, 'utf8')) as unknown);
  const tables = missing ? {} : parseSpiderTables(tablesJson);

  test('tables.json: 166 databases, concert_singer in database order', () => {
    expect(Object.keys(tables)).toHaveLength(166);
    expect(tables.concert_singer.map((t) => t.name)).toEqual(['stadium', 'singer', 'concert', 'singer_in_concert']);
    expect(tables.concert_singer[0].columns).toEqual([
      'Stadium_ID',
      'Location',
      'Name',
      'Capacity',
      'Highest',
      'Lowest',
      'Average',
    ]);
    expect(tables.concert_singer[0].types).toEqual(['number', 'text', 'text', 'number', 'number', 'number', 'number']);
    expect(tables.concert_singer.flatMap((t) => t.columns)).not.toContain('*');
  });

  test('train CSV: 6,726 examples, no issues, no backticks, ids spider-train-<n>', () => {
    const r = parseSpiderCsv(readFileSync(trainCsv, 'utf8'), { idPrefix: 'spider-train', tables });
    expect(r.issues).toEqual([]);
    expect(r.examples).toHaveLength(6726);
    expect(r.examples.filter((e) => e.sql.includes('`')).map((e) => e.id)).toEqual([]);
    expect(new Set(r.examples.map((e) => e.id)).size).toBe(6726);
    expect(r.examples[0]).toMatchObject({
      id: 'spider-train-0',
      dbId: 'activity_1',
      question: 'How many faculty do we have?',
      sql: 'SELECT COUNT(*) FROM Faculty',
    });
    expect(r.examples[6725].id).toBe('spider-train-6725');
    expect(new Set(r.examples.map((e) => e.dbId)).size).toBe(137);
    expect(r.examples.every((e) => e.schema && e.dbId && e.dbId in tables)).toBe(true);
    // Keyword identifiers come out double-quoted (the tiny-sql-lm training convention).
    expect(r.examples.some((e) => e.sql.includes('JOIN "match" AS t2'))).toBe(true);
    expect(corpusHash(r.examples)).toMatch(/^[0-9a-f]{16}$/);
  });

  test('rewritten train SQL compiles against the tables.json schemas in SQLite', async () => {
    const SQL = await initSqlJs();
    const r = parseSpiderCsv(readFileSync(trainCsv, 'utf8'), { idPrefix: 'spider-train' });
    const dbs = new Map<string, InstanceType<typeof SQL.Database>>();
    const failed: string[] = [];
    try {
      for (const [id, t] of Object.entries(tables)) {
        const db = new SQL.Database();
        db.exec(schemaDdl(t));
        dbs.set(id, db);
      }
      for (const e of r.examples) {
        try {
          dbs.get(e.dbId!)!.prepare(e.sql).free();
        } catch {
          failed.push(e.id);
        }
      }
    } finally {
      for (const db of dbs.values()) db.close();
    }
    // Known source quirks, not loader bugs: two queries name tables as db.table (MySQL style) and
    // two call MySQL's STR_TO_DATE.
    expect(failed).toEqual(['spider-train-356', 'spider-train-405', 'spider-train-6380', 'spider-train-6381']);
  });

  test('dev.json: 662 questions on 13 databases', () => {
    const r = parseSpiderQuestions(JSON.parse(readFileSync(devJson, 'utf8')), { idPrefix: 'spider-dev', tables });
    expect(r.issues).toEqual([]);
    expect(r.examples).toHaveLength(662);
    expect(r.examples[0]).toMatchObject({
      id: 'spider-dev-0',
      dbId: 'concert_singer',
      question: 'How many singers do we have?',
      sql: 'SELECT count(*) FROM singer',
    });
    expect(Object.keys(r.schemas ?? {})).toHaveLength(13);
    expect(r.examples[0].schema).toContain('CREATE TABLE singer_in_concert (');
  });

  test('loadCorpusFile picks the right loader for the real files', async () => {
    const train = await loadCorpusFile('train_queries.spiderman.csv', toArrayBuffer(readFileSync(trainCsv)), {
      tablesJson,
      idPrefix: 'spider-train',
    });
    expect(train.format).toBe('spider-csv');
    expect(train.examples).toHaveLength(6726);
    expect(Object.keys(train.schemas ?? {})).toHaveLength(137);
    const dev = await loadCorpusFile('dev.json', readFileSync(devJson, 'utf8'), { idPrefix: 'spider-dev' });
    expect(dev.format).toBe('spider-json');
    expect(dev.examples).toHaveLength(662);
  });
});
