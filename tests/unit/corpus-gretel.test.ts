import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { parquetMetadata } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { toCsv } from '../../src/lib/corpus/csv.ts';
import {
  parseGretelCsv,
  parseGretelJsonl,
  parseGretelParquet,
  parseGretelRecords,
} from '../../src/lib/corpus/gretel.ts';
import { CorpusFormatError } from '../../src/lib/corpus/records.ts';

const fixture = (name: string) =>
  readFileSync(fileURLToPath(new URL(`../fixtures/corpus/${name}`, import.meta.url)), 'utf8');

describe('parseGretelJsonl', () => {
  test('loads good lines; bad JSON, missing fields, non-objects and duplicate ids are reported by line', () => {
    const r = parseGretelJsonl(fixture('gretel-sample.jsonl'));
    expect(r.examples.map((e) => e.id)).toEqual(['gretel-5097', 'gretel-5098', 'gretel-5102', 'gretel-5103']);
    expect(r.issues.map((i) => i.row)).toEqual([3, 5, 6, 7, 9]);
    const why = Object.fromEntries(r.issues.map((i) => [i.row, i.reason]));
    expect(why[3]).toMatch(/invalid JSON/);
    expect(why[5]).toMatch(/"sql_prompt"/);
    expect(why[6]).toMatch(/"sql"/);
    expect(why[7]).toMatch(/not a JSON object/);
    expect(why[9]).toMatch(/duplicate id "gretel-5098".*row 2/);
  });

  test('maps fields: sql_prompt -> question, sql_context -> schema', () => {
    const r = parseGretelJsonl(fixture('gretel-sample.jsonl'));
    expect(r.examples[1]).toEqual({
      id: 'gretel-5098',
      question: 'List all the unique equipment types and their corresponding total maintenance frequency.',
      sql: 'SELECT equipment_type, SUM(maintenance_frequency) AS total_maintenance_frequency FROM equipment_maintenance GROUP BY equipment_type;',
      schema: 'CREATE TABLE equipment_maintenance (equipment_type VARCHAR(255), maintenance_frequency INT);',
    });
    expect(r.examples[2].schema).toBeUndefined();
    expect(r.examples[3].question).toBe('Names in the "north" region?');
    expect(r.examples.every((e) => e.dbId === undefined)).toBe(true);
  });

  test('CRLF lines, id prefix, records without id', () => {
    const text = '{"sql_prompt":"a?","sql":"SELECT 1"}\r\n{"sql_prompt":"b?","sql":"SELECT 2","id":7}\r\n';
    const r = parseGretelJsonl(text, { idPrefix: 'g' });
    expect(r.examples.map((e) => e.id)).toEqual(['g-r1', 'g-7']);
    expect(r.issues).toEqual([]);
  });
});

describe('parseGretelRecords', () => {
  test('JSON array rows are index + 1', () => {
    const r = parseGretelRecords([{ id: 1, sql_prompt: 'q', sql: 's' }, { id: 2, sql_prompt: 'q' }, null]);
    expect(r.examples).toHaveLength(1);
    expect(r.issues.map((i) => i.row)).toEqual([2, 3]);
  });
});

describe('parseGretelCsv', () => {
  test('loads by header name, rows are CSV lines even after multi-line cells', () => {
    const text = toCsv(
      ['id', 'domain', 'sql_prompt', 'sql_context', 'sql', 'sql_explanation'],
      [
        [
          1,
          'retail',
          'Total sales?',
          'CREATE TABLE s (v INT);\nINSERT INTO s VALUES (1), (2);',
          'SELECT SUM(v) FROM s;',
          'sums',
        ],
        [2, 'retail', 'Broken?', 'CREATE TABLE s (v INT);', '', 'no sql'],
        [
          3,
          'health',
          'Patients over 60, by "ward"?',
          'CREATE TABLE p (age INT, ward TEXT);',
          'SELECT ward, COUNT(*) FROM p WHERE age > 60 GROUP BY ward;',
          '',
        ],
      ],
    );
    const r = parseGretelCsv(text + '4,x,too few cells\r\n');
    expect(r.examples.map((e) => e.id)).toEqual(['gretel-1', 'gretel-3']);
    expect(r.examples[0].schema).toBe('CREATE TABLE s (v INT);\nINSERT INTO s VALUES (1), (2);');
    expect(r.examples[1].question).toBe('Patients over 60, by "ward"?');
    // header = 1, record 1 = lines 2-3, record 2 = line 4, record 3 = line 5, bad record = line 6
    expect(r.issues.map((i) => i.row)).toEqual([4, 6]);
  });

  test('missing required columns throw a clear error', () => {
    expect(() => parseGretelCsv('id,question,sql\n1,q,s\n')).toThrow(CorpusFormatError);
    expect(() => parseGretelCsv('id,question,sql\n1,q,s\n')).toThrow(/sql_prompt/);
  });
});

describe('parseGretelParquet', () => {
  function writeParquet(
    rows: { id: bigint; sql_prompt: string | null; sql_context: string; sql: string | null }[],
    codec?: 'SNAPPY' | 'UNCOMPRESSED',
    rowGroupSize?: number,
  ): ArrayBuffer {
    return parquetWriteBuffer({
      codec,
      rowGroupSize,
      columnData: [
        { name: 'id', data: rows.map((r) => r.id), type: 'INT64' },
        { name: 'domain', data: rows.map(() => 'testing'), type: 'STRING' },
        { name: 'sql_prompt', data: rows.map((r) => r.sql_prompt), type: 'STRING', nullable: true },
        { name: 'sql_context', data: rows.map((r) => r.sql_context), type: 'STRING' },
        { name: 'sql', data: rows.map((r) => r.sql), type: 'STRING', nullable: true },
      ],
    });
  }

  const rows = [
    { id: 10n, sql_prompt: 'How many rows?', sql_context: 'CREATE TABLE t (a INT);', sql: 'SELECT COUNT(*) FROM t;' },
    {
      id: 11n,
      sql_prompt: 'Ünïcode — names?',
      sql_context: "CREATE TABLE n (name TEXT); INSERT INTO n VALUES ('Zoë');",
      sql: 'SELECT name FROM n;',
    },
    { id: 12n, sql_prompt: 'No SQL here', sql_context: 'CREATE TABLE t (a INT);', sql: null },
    { id: 13n, sql_prompt: null, sql_context: 'CREATE TABLE t (a INT);', sql: 'SELECT 1;' },
  ];

  for (const codec of ['SNAPPY', 'UNCOMPRESSED'] as const) {
    test(`round trip (${codec})`, async () => {
      const r = await parseGretelParquet(writeParquet(rows, codec));
      expect(r.examples).toEqual([
        {
          id: 'gretel-10',
          question: 'How many rows?',
          sql: 'SELECT COUNT(*) FROM t;',
          schema: 'CREATE TABLE t (a INT);',
        },
        {
          id: 'gretel-11',
          question: 'Ünïcode — names?',
          sql: 'SELECT name FROM n;',
          schema: "CREATE TABLE n (name TEXT); INSERT INTO n VALUES ('Zoë');",
        },
      ]);
      expect(r.issues.map((i) => i.row)).toEqual([3, 4]);
      expect(r.issues[0].reason).toMatch(/"sql"/);
      expect(r.issues[1].reason).toMatch(/"sql_prompt"/);
    });
  }

  test('several row groups keep order', async () => {
    const many = Array.from({ length: 2500 }, (_, i) => ({
      id: BigInt(i),
      sql_prompt: `question ${i}`,
      sql_context: `CREATE TABLE t${i % 7} (a INT);`,
      sql: `SELECT ${i};`,
    }));
    const buf = writeParquet(many, 'SNAPPY', 1000);
    expect(parquetMetadata(buf).row_groups).toHaveLength(3);
    const r = await parseGretelParquet(buf);
    expect(r.issues).toEqual([]);
    expect(r.examples).toHaveLength(2500);
    expect(r.examples[2499]).toEqual({
      id: 'gretel-2499',
      question: 'question 2499',
      sql: 'SELECT 2499;',
      schema: 'CREATE TABLE t0 (a INT);',
    });
  });

  test('a parquet file without gretel columns, or not parquet at all, is rejected', async () => {
    const other = parquetWriteBuffer({ columnData: [{ name: 'text', data: ['x'], type: 'STRING' }] });
    await expect(parseGretelParquet(other)).rejects.toThrow(/sql_prompt and sql.*found: text/);
    const junk = new TextEncoder().encode('this is not parquet at all').buffer as ArrayBuffer;
    await expect(parseGretelParquet(junk)).rejects.toThrow(CorpusFormatError);
  });
});
