import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { parseDemoCorpus, parseQuestionJsonl } from '../../src/lib/corpus/demo.ts';
import { loadCorpusFile } from '../../src/lib/corpus/detect.ts';
import { CorpusFormatError } from '../../src/lib/corpus/records.ts';
import { parseSpiderTables, schemaDdl } from '../../src/lib/corpus/spider.ts';

const fixture = (name: string) =>
  readFileSync(fileURLToPath(new URL(`../fixtures/corpus/${name}`, import.meta.url)), 'utf8');
const bytes = (s: string) => new TextEncoder().encode(s).buffer as ArrayBuffer;
const tablesJson = JSON.parse(fixture('tables-mini.json')) as unknown;

describe('parseDemoCorpus', () => {
  test('loads {id, db_id, question, sql} lines and reports the rest by line', () => {
    const r = parseDemoCorpus(fixture('demo-sample.jsonl'));
    expect(r.examples).toEqual([
      { id: 'demo-1', dbId: 'shop', question: 'How many customers are there?', sql: 'SELECT COUNT(*) FROM customers' },
      { id: 'demo-2', dbId: 'shop', question: 'List product names.', sql: 'SELECT name FROM products' },
      { id: '6', dbId: 'shop', question: 'Numeric id', sql: 'SELECT 6' },
    ]);
    expect(r.issues.map((i) => i.row)).toEqual([3, 4, 5, 6, 7]);
    const why = Object.fromEntries(r.issues.map((i) => [i.row, i.reason]));
    expect(why[3]).toMatch(/"sql"/);
    expect(why[4]).toMatch(/invalid JSON/);
    expect(why[5]).toMatch(/"id"/);
    expect(why[6]).toMatch(/duplicate id "demo-2"/);
    expect(why[7]).toMatch(/"db_id"/);
  });

  test('generic question JSONL: optional id and db_id, query accepted for sql', () => {
    const r = parseQuestionJsonl(
      '{"question":"q?","query":"SELECT 1"}\n\n{"id":"x","question":"r?","sql":"SELECT 2","db_id":"d"}\n',
      { idPrefix: 'u' },
    );
    expect(r.examples).toEqual([
      { id: 'u-0', question: 'q?', sql: 'SELECT 1' },
      { id: 'x', question: 'r?', sql: 'SELECT 2', dbId: 'd' },
    ]);
  });
});

describe('loadCorpusFile', () => {
  test('.jsonl with sql_prompt -> gretel-jsonl (string or bytes)', async () => {
    for (const data of [fixture('gretel-sample.jsonl'), bytes('\uFEFF' + fixture('gretel-sample.jsonl'))]) {
      const r = await loadCorpusFile('uploads/gretel-sample.JSONL', data);
      expect(r.format).toBe('gretel-jsonl');
      expect(r.examples).toHaveLength(4);
      expect(r.issues.map((i) => i.row)).toEqual([3, 5, 6, 7, 9]);
    }
  });

  test('.jsonl with question/sql -> question-jsonl, tables attach schema by db_id', async () => {
    const text =
      '{"id":"a","db_id":"aircraft","question":"How many?","sql":"SELECT COUNT(*) FROM aircraft"}\n{"id":"b","db_id":"nope","question":"?","sql":"SELECT 1"}\n';
    const r = await loadCorpusFile('mine.jsonl', text, { tablesJson });
    expect(r.format).toBe('question-jsonl');
    expect(r.examples[0].schema).toBe(schemaDdl(parseSpiderTables(tablesJson).aircraft));
    expect(r.examples[1].schema).toBeUndefined();
    expect(Object.keys(r.schemas ?? {})).toEqual(['aircraft']);
  });

  test('.json Spider array -> spider-json with schemas', async () => {
    const dev = [
      {
        db_id: 'aircraft',
        question: 'How many aircraft?',
        query: 'SELECT count(*) FROM aircraft',
        sql: { select: [] },
      },
      { db_id: 'perpetrator', question: 'Names?' },
    ];
    const r = await loadCorpusFile('dev.json', JSON.stringify(dev), { tablesJson, idPrefix: 'spider-dev' });
    expect(r.format).toBe('spider-json');
    expect(r.examples).toEqual([
      {
        id: 'spider-dev-0',
        dbId: 'aircraft',
        question: 'How many aircraft?',
        sql: 'SELECT count(*) FROM aircraft',
        schema: schemaDdl(parseSpiderTables(tablesJson).aircraft),
      },
    ]);
    expect(r.issues).toEqual([{ row: 2, reason: expect.stringMatching(/"query"/) }]);
  });

  test('.json gretel array -> gretel-json; .json that is really JSON Lines is read as such', async () => {
    const arr = [{ id: 1, sql_prompt: 'q', sql_context: 'CREATE TABLE t (a INT);', sql: 'SELECT a FROM t' }];
    expect((await loadCorpusFile('g.json', JSON.stringify(arr))).format).toBe('gretel-json');
    const lines = arr.map((a) => JSON.stringify(a)).join('\n') + '\n' + JSON.stringify({ ...arr[0], id: 2 });
    const r = await loadCorpusFile('g.json', lines);
    expect(r.format).toBe('gretel-jsonl');
    expect(r.examples.map((e) => e.id)).toEqual(['gretel-1', 'gretel-2']);
  });

  test('.csv is chosen by header', async () => {
    const spider = await loadCorpusFile('train.csv', fixture('spider-mini.csv'), {
      tablesJson,
      idPrefix: 'spider-train',
    });
    expect(spider.format).toBe('spider-csv');
    expect(spider.examples).toHaveLength(4);
    expect(spider.examples.every((e) => e.schema !== undefined)).toBe(true);
    // Backticks survive only inside string literals.
    expect(spider.examples.filter((e) => e.sql.replace(/'[^']*'/g, '').includes('`'))).toEqual([]);
    const gretel = await loadCorpusFile(
      'g.csv',
      'id,sql_prompt,sql_context,sql\n1,q?,CREATE TABLE t (a INT);,SELECT a FROM t\n',
    );
    expect(gretel.format).toBe('gretel-csv');
    expect(gretel.examples[0]).toEqual({
      id: 'gretel-1',
      question: 'q?',
      sql: 'SELECT a FROM t',
      schema: 'CREATE TABLE t (a INT);',
    });
    await expect(loadCorpusFile('x.csv', 'name,age\nbob,3\n')).rejects.toThrow(
      /unrecognised CSV columns \("name", "age"\)/,
    );
  });

  test('.parquet (and parquet bytes without an extension) -> gretel-parquet', async () => {
    const buf = parquetWriteBuffer({
      columnData: [
        { name: 'id', data: [1, 2], type: 'INT32' },
        { name: 'sql_prompt', data: ['q1', 'q2'], type: 'STRING' },
        { name: 'sql_context', data: ['CREATE TABLE t (a INT);', ''], type: 'STRING' },
        { name: 'sql', data: ['SELECT 1', 'SELECT 2'], type: 'STRING' },
      ],
    });
    for (const name of ['train-00000-of-00001.parquet', 'download']) {
      const r = await loadCorpusFile(name, buf);
      expect(r.format).toBe('gretel-parquet');
      expect(r.examples).toEqual([
        { id: 'gretel-1', question: 'q1', sql: 'SELECT 1', schema: 'CREATE TABLE t (a INT);' },
        { id: 'gretel-2', question: 'q2', sql: 'SELECT 2' },
      ]);
    }
    await expect(loadCorpusFile('a.parquet', 'PAR1 text')).rejects.toThrow(/binary/);
  });

  test('unsupported input throws a CorpusFormatError with a clear message', async () => {
    await expect(loadCorpusFile('notes.txt', 'hello world')).rejects.toThrow(/Unsupported file type "\.txt"/);
    await expect(loadCorpusFile('notes.txt', 'hello world')).rejects.toBeInstanceOf(CorpusFormatError);
    await expect(loadCorpusFile('empty.csv', '')).rejects.toThrow(/empty/);
    await expect(loadCorpusFile('data.jsonl.gz', new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0]).buffer)).rejects.toThrow(
      /unpack/,
    );
    await expect(loadCorpusFile('tables.json', JSON.stringify(tablesJson))).rejects.toThrow(
      /tables\.json.*schema file/,
    );
    await expect(loadCorpusFile('x.json', '{"rows": []}')).rejects.toThrow(/JSON array/);
    await expect(loadCorpusFile('x.json', '{not json')).rejects.toThrow(/not valid JSON/);
    await expect(loadCorpusFile('x.jsonl', '{"text":"a"}\n')).rejects.toThrow(
      /unrecognised JSON Lines records \(keys: "text"\)/,
    );
  });

  test('unknown extension with JSON content is sniffed', async () => {
    const r = await loadCorpusFile('export', '[{"db_id":"d","question":"q","query":"SELECT 1"}]');
    expect(r.format).toBe('spider-json');
  });
});
