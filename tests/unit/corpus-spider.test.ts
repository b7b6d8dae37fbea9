import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import initSqlJs from 'sql.js';
import { CorpusFormatError } from '../../src/lib/corpus/records.ts';
import { parseSpiderCsv, parseSpiderQuestions, parseSpiderTables, schemaDdl } from '../../src/lib/corpus/spider.ts';
import { stripMysqlQuoting } from '../../src/lib/sql/normalize.ts';

const fixture = (name: string) =>
  readFileSync(fileURLToPath(new URL(`../fixtures/corpus/${name}`, import.meta.url)), 'utf8');
const tablesJson = JSON.parse(fixture('tables-mini.json')) as unknown;

describe('backtick rewriting', () => {
  const fix = stripMysqlQuoting;

  test('plain identifiers become bare, keywords and odd names double-quoted', () => {
    expect(fix('SELECT `t2`.`Location` FROM `match` AS `t2`')).toBe('SELECT t2.Location FROM "match" AS t2');
    expect(fix('SELECT `order`, `Range`, `ties` FROM `x`')).toBe('SELECT "order", "Range", "ties" FROM x');
    expect(fix('SELECT `Home Town`, `1st`, `a"b` FROM `p`')).toBe('SELECT "Home Town", "1st", "a""b" FROM p');
    expect(fix('SELECT `a``b` FROM t')).toBe('SELECT "a`b" FROM t');
  });

  test('string literals and comments are untouched', () => {
    expect(fix("SELECT `a` FROM t WHERE b = 'x `y` z' AND c = 'it''s `q`'")).toBe(
      "SELECT a FROM t WHERE b = 'x `y` z' AND c = 'it''s `q`'",
    );
    expect(fix('SELECT `a` FROM t WHERE b = "`lit`"')).toBe('SELECT a FROM t WHERE b = "`lit`"');
    expect(fix('SELECT `a` -- `c`\nFROM `t` /* `d` */')).toBe('SELECT a -- `c`\nFROM t /* `d` */');
    expect(fix("SELECT `a` FROM t WHERE b = 'x\\' `y`'")).toBe("SELECT a FROM t WHERE b = 'x\\' `y`'");
  });

  test('SQL without backticks is returned as is; an unterminated backtick is kept', () => {
    const s = 'SELECT avg(age) ,  min(age) FROM singer WHERE country  =  "France"';
    expect(fix(s)).toBe(s);
    expect(fix('SELECT `a FROM t')).toBe('SELECT `a FROM t');
  });
});

describe('parseSpiderTables', () => {
  test('original names in database order, * column dropped, types kept', () => {
    const t = parseSpiderTables(tablesJson);
    expect(Object.keys(t)).toEqual(['aircraft', 'perpetrator']);
    expect(t.aircraft).toEqual([
      { name: 'aircraft', columns: ['Aircraft_ID', 'Aircraft'], types: ['number', 'text'] },
      { name: 'match', columns: ['Round', 'Location', 'Winning_Aircraft'], types: ['number', 'text', 'others'] },
    ]);
    expect(t.perpetrator[0].columns).toEqual(['People_ID', 'Name', 'Home Town', 'Range']);
  });

  test('rejects what is not a tables.json', () => {
    expect(() => parseSpiderTables({ db_id: 'x' })).toThrow(CorpusFormatError);
    expect(() => parseSpiderTables([{ foo: 1 }])).toThrow(/no Spider database/);
  });
});

describe('schemaDdl', () => {
  test('one CREATE TABLE per table, SQLite quoting, mapped types', () => {
    const t = parseSpiderTables(tablesJson);
    expect(schemaDdl(t.aircraft)).toBe(
      'CREATE TABLE aircraft (Aircraft_ID NUMERIC, Aircraft TEXT);\n' +
        'CREATE TABLE "match" (Round NUMERIC, Location TEXT, Winning_Aircraft);',
    );
    expect(schemaDdl(t.perpetrator)).toBe(
      'CREATE TABLE people (People_ID NUMERIC, Name TEXT, "Home Town" TEXT, "Range" BOOLEAN);',
    );
  });

  test('without types, with foreign type names, and skipping sqlite_ tables', () => {
    expect(
      schemaDdl([
        { name: 'a', columns: ['x', 'y'] },
        { name: 'sqlite_sequence', columns: ['name', 'seq'] },
        { name: 'b', columns: ['z', 'w', 'v'], types: ['varchar(20)', 'DECIMAL(10, 2)', 'weird;type'] },
      ]),
    ).toBe('CREATE TABLE a (x, y);\nCREATE TABLE b (z VARCHAR(20), w DECIMAL(10, 2), v);');
  });

  test('the DDL runs in SQLite', async () => {
    const SQL = await initSqlJs();
    const db = new SQL.Database();
    const t = parseSpiderTables(tablesJson);
    db.exec(schemaDdl(t.aircraft) + schemaDdl(t.perpetrator));
    const names = db.exec("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")[0].values.flat();
    expect(names).toEqual(['aircraft', 'match', 'people']);
    db.close();
  });
});

describe('parseSpiderCsv', () => {
  test('loads good rows, reports bad ones by line, rewrites backticks', () => {
    const r = parseSpiderCsv(fixture('spider-mini.csv'), { idPrefix: 'spider-train' });
    expect(r.issues.map((i) => i.row)).toEqual([4, 5]);
    expect(r.issues[0].reason).toMatch(/question/);
    expect(r.issues[1].reason).toMatch(/expected 3 cells/);
    expect(r.examples).toEqual([
      {
        id: 'spider-train-0',
        dbId: 'aircraft',
        question: 'How many aircraft are there?',
        sql: 'SELECT COUNT(*) FROM aircraft',
      },
      {
        id: 'spider-train-1',
        dbId: 'aircraft',
        question: 'Where was the match, and which aircraft won?',
        sql: 'SELECT t2.Location, t1.Aircraft FROM aircraft AS t1 JOIN "match" AS t2 ON t1.Aircraft_ID = t2.Winning_Aircraft',
      },
      {
        id: 'spider-train-3',
        dbId: 'perpetrator',
        question: 'People whose home town is "Austin"',
        sql: `SELECT Name FROM people WHERE "Home Town" = 'Austin, TX' AND "Range" > 1`,
      },
      {
        id: 'spider-train-4',
        dbId: 'perpetrator',
        question: 'Quoted literal keeps backticks',
        sql: "SELECT Name FROM people WHERE Name = 'a `b` c'",
      },
    ]);
  });

  test('attaches schema DDL and the schemas it used', () => {
    const tables = parseSpiderTables(tablesJson);
    const r = parseSpiderCsv(fixture('spider-mini.csv'), { tables });
    expect(r.examples[0].schema).toBe(schemaDdl(tables.aircraft));
    expect(r.examples[2].schema).toBe(schemaDdl(tables.perpetrator));
    expect(Object.keys(r.schemas ?? {}).sort()).toEqual(['aircraft', 'perpetrator']);
  });

  test('normalizeQuoting: false keeps the SQL', () => {
    const r = parseSpiderCsv(fixture('spider-mini.csv'), { normalizeQuoting: false });
    expect(r.examples[0].sql).toBe('SELECT COUNT(*) FROM `aircraft`');
  });

  test('accepts db_id/query headers in any order, and no database column', () => {
    const r = parseSpiderCsv('Query,db_id,Question\nSELECT 1,x,one?\n');
    expect(r.examples).toEqual([{ id: 'spider-0', dbId: 'x', question: 'one?', sql: 'SELECT 1' }]);
    const r2 = parseSpiderCsv('question,sql\nq?,SELECT `a` FROM `t`\n');
    expect(r2.examples).toEqual([{ id: 'spider-0', question: 'q?', sql: 'SELECT a FROM t' }]);
  });

  test('an empty database cell is an issue when the column exists', () => {
    const r = parseSpiderCsv('database,question,sql\n,q?,SELECT 1\n');
    expect(r.examples).toEqual([]);
    expect(r.issues).toEqual([{ row: 2, reason: expect.stringMatching(/"database"/) }]);
  });

  test('missing columns throw a clear error', () => {
    expect(() => parseSpiderCsv('db,text\nx,y\n')).toThrow(/question and sql.*found: "db", "text"/);
  });
});

describe('parseSpiderQuestions', () => {
  test('dev.json style entries, issues at index + 1', () => {
    const json = [
      { db_id: 'a', question: ' Q0 ', query: 'SELECT 1 ', sql: { from: {} } },
      { db_id: 'a', question: 'Q1' },
      'nope',
      { db_id: 'b', question: 'Q3', sql: 'SELECT 3' },
      { question: 'Q4', query: 'SELECT 4' },
      { db_id: 'a', question: ['x'], query: 'SELECT 5' },
    ];
    const r = parseSpiderQuestions(json, { idPrefix: 'spider-dev' });
    expect(r.examples).toEqual([
      { id: 'spider-dev-0', dbId: 'a', question: 'Q0', sql: 'SELECT 1' },
      { id: 'spider-dev-3', dbId: 'b', question: 'Q3', sql: 'SELECT 3' },
    ]);
    expect(r.issues.map((i) => i.row)).toEqual([2, 3, 5, 6]);
    expect(r.issues[0].reason).toMatch(/"query"/);
    expect(r.issues[1].reason).toMatch(/not a JSON object/);
    expect(r.issues[2].reason).toMatch(/"db_id"/);
    expect(r.issues[3].reason).toMatch(/"question" is an array/);
  });

  test('not an array throws', () => {
    expect(() => parseSpiderQuestions({ questions: [] })).toThrow(CorpusFormatError);
  });
});
