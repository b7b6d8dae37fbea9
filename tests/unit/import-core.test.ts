import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import initSqlJs from 'sql.js';
import { parquetWriteBuffer } from 'hyparquet-writer';
import {
  cleanIdentifier,
  isCleanIdentifier,
  tableNameFor,
  uniqueIdentifiers,
} from '../../src/lib/import/identifiers.ts';
import { TypeTracker, convertValue, isoDate, kindOf, widen } from '../../src/lib/import/infer.ts';
import { openSource, type ImportInput, type SourceRecord } from '../../src/lib/import/readers.ts';
import { ImportSession } from '../../src/lib/import/session.ts';
import { ImportError, CancelledError } from '../../src/lib/errors.ts';
import { EVENT_BAD_LINES, EVENT_LINES, SALES_ROWS, STORE_ROWS, TARGET_ROWS } from '../../src/node/import-testdata.ts';

const dir = join(import.meta.dirname, '..', '..', 'static-data', 'import');
const file = (name: string): ImportInput => ({ name, blob: new Blob([readFileSync(join(dir, name))]) });
const text = (name: string, s: string | Uint8Array<ArrayBuffer>): ImportInput => ({ name, blob: new Blob([s]) });
const SQL = await initSqlJs();

async function all(input: ImportInput): Promise<SourceRecord[][]> {
  const out: SourceRecord[][] = [];
  for (const t of await openSource(input)) {
    const rs: SourceRecord[] = [];
    for await (const r of t.records()) rs.push(r);
    out.push(rs);
  }
  return out;
}

describe('identifier cleaning', () => {
  it('turns headers into plain identifiers', () => {
    expect(cleanIdentifier('Order Date')).toBe('order_date');
    expect(cleanIdentifier('Unit Price (€)')).toBe('unit_price');
    expect(cleanIdentifier('Discount %')).toBe('discount_pct');
    expect(cleanIdentifier('Café Name')).toBe('cafe_name');
    expect(cleanIdentifier('customerID')).toBe('customer_id');
    expect(cleanIdentifier('2024 sales')).toBe('c_2024_sales');
    expect(cleanIdentifier('order')).toBe('order_');
    expect(cleanIdentifier('  ')).toBe('column_');
    expect(cleanIdentifier('x'.repeat(100)).length).toBeLessThanOrEqual(60);
  });
  it('makes names unique within a table and names blank headers by position', () => {
    expect(uniqueIdentifiers(['Name', 'name', 'NAME', '', 'Name 2'])).toEqual([
      'name',
      'name_2',
      'name_3',
      'column_4',
      'name_2_2',
    ]);
  });
  it('names tables after files and sheets', () => {
    expect(tableNameFor('My Sales 2024.csv')).toBe('my_sales_2024');
    expect(tableNameFor('/x/stores.xlsx', 'Targets')).toBe('stores_targets');
    expect(tableNameFor('2024.csv')).toBe('t_2024');
    expect(isCleanIdentifier('sales')).toBe(true);
    expect(isCleanIdentifier('select')).toBe(false);
    expect(isCleanIdentifier('bad name')).toBe(false);
  });
});

describe('type inference', () => {
  it('classifies single values', () => {
    expect(kindOf('42')).toBe('INTEGER');
    expect(kindOf(' -7 ')).toBe('INTEGER');
    expect(kindOf('007')).toBe('TEXT');
    expect(kindOf('3.50')).toBe('REAL');
    expect(kindOf('1e3')).toBe('REAL');
    expect(kindOf('0.5')).toBe('REAL');
    expect(kindOf('2024-02-29')).toBe('DATE');
    expect(kindOf('2023-02-29')).toBe('TEXT');
    expect(kindOf('2024/3/7 09:05')).toBe('DATE');
    expect(kindOf('')).toBeNull();
    expect(kindOf('12345678901234567890')).toBe('TEXT');
    expect(kindOf(3)).toBe('INTEGER');
    expect(kindOf(3.5)).toBe('REAL');
    expect(kindOf(true)).toBe('INTEGER');
    expect(kindOf(new Date(Date.UTC(2024, 0, 2)))).toBe('DATE');
    expect(kindOf(10n)).toBe('INTEGER');
    expect(kindOf({ a: 1 })).toBe('TEXT');
  });
  it('widens INTEGER to REAL to TEXT, and DATE to TEXT', () => {
    expect(widen('INTEGER', 'REAL')).toBe('REAL');
    expect(widen('REAL', 'INTEGER')).toBe('REAL');
    expect(widen(null, 'DATE')).toBe('DATE');
    expect(widen('DATE', 'INTEGER')).toBe('TEXT');
    expect(widen('REAL', 'TEXT')).toBe('TEXT');
  });
  it('writes dates as ISO text', () => {
    expect(isoDate('2024/3/7')).toBe('2024-03-07');
    expect(isoDate('2024-03-07 9:05')).toBe('2024-03-07T09:05:00');
    expect(isoDate('2024-13-01')).toBeNull();
    expect(convertValue(new Date(Date.UTC(2024, 0, 2)), 'DATE')).toBe('2024-01-02');
    expect(convertValue(new Date(Date.UTC(2024, 0, 2, 10, 30)), 'DATE')).toBe('2024-01-02T10:30:00');
  });
  it('converts values to the chosen type, or reports that they do not fit', () => {
    expect(convertValue('42', 'INTEGER')).toBe(42);
    expect(convertValue('4.2', 'INTEGER')).toBeUndefined();
    expect(convertValue('abc', 'REAL')).toBeUndefined();
    expect(convertValue(' ', 'REAL')).toBeNull();
    expect(convertValue('007', 'TEXT')).toBe('007');
    expect(convertValue(12, 'TEXT')).toBe('12');
    expect(convertValue(['a', 1], 'TEXT')).toBe('["a",1]');
  });
  it('guesses from the sample, then checks every row and records where it had to widen', () => {
    const t = new TypeTracker(3);
    t.add(['1', 'a', '2024-01-01'], 2);
    t.add(['2', 'b', ''], 3);
    t.add(['3', 'c', '2024-01-03'], 4);
    t.add(['4.5', 'd', 'soon'], 5);
    expect(t.sampleTypes(3)).toEqual(['INTEGER', 'TEXT', 'DATE']);
    expect(t.types(3)).toEqual(['REAL', 'TEXT', 'TEXT']);
    expect(t.widenedAt).toEqual([5, undefined, 5]);
  });
});

describe('readers on the generated files', () => {
  it('CSV: BOM dropped, quotes, commas and line breaks inside fields, every row read', async () => {
    const [rs] = await all(file('sales.csv'));
    const header = rs[0];
    expect(header.kind).toBe('header');
    expect(header.kind === 'header' && header.cells[0]).toBe('Order ID');
    const cells = rs.filter((r) => r.kind === 'cells');
    expect(cells).toHaveLength(SALES_ROWS);
    expect(rs.filter((r) => r.kind === 'bad')).toEqual([]);
    const flat = cells.flatMap((r) => (r.kind === 'cells' ? r.cells : []));
    expect(flat).toContain('27" monitor');
    expect(flat).toContain('two lines:\nsecond line');
    expect(flat.some((c) => typeof c === 'string' && c.includes(', '))).toBe(true);
  });
  it('CSV read in tiny chunks gives the same records (rows split across chunks)', async () => {
    const csv = 'a,b\r\n1,"x\r\ny"\r\n2,"he said ""hi"""\r\n3,z\r\n';
    const bytes = new TextEncoder().encode(csv);
    // A Blob made of 1-byte parts streams in small pieces.
    const blob = new Blob(Array.from(bytes, (b) => new Uint8Array([b])));
    const [rs] = await all({ name: 't.csv', blob });
    expect(rs.map((r) => (r.kind === 'cells' || r.kind === 'header' ? r.cells : r.kind))).toEqual([
      ['a', 'b'],
      ['1', 'x\r\ny'],
      ['2', 'he said "hi"'],
      ['3', 'z'],
    ]);
  });
  it('xlsx: one table per sheet, numbers and dates typed', async () => {
    const tables = await openSource(file('stores.xlsx'));
    expect(tables.map((t) => [t.name, t.sheet])).toEqual([
      ['stores_stores', 'Stores'],
      ['stores_targets', 'Targets'],
    ]);
    const [stores, targets] = await all(file('stores.xlsx'));
    expect(stores.filter((r) => r.kind === 'cells')).toHaveLength(STORE_ROWS);
    expect(targets.filter((r) => r.kind === 'cells')).toHaveLength(TARGET_ROWS);
    const first = stores.find((r) => r.kind === 'cells');
    expect(first?.kind === 'cells' && typeof first.cells[0]).toBe('number');
    expect(first?.kind === 'cells' && first.cells[3] instanceof Date).toBe(true);
  });
  it('JSON Lines: objects by line, broken lines listed with their line numbers', async () => {
    const [rs] = await all(file('events.jsonl'));
    expect(rs.filter((r) => r.kind === 'object')).toHaveLength(EVENT_LINES - EVENT_BAD_LINES.length);
    const bad = rs.filter((r) => r.kind === 'bad');
    expect(bad.map((r) => r.row)).toEqual(EVENT_BAD_LINES);
    expect(bad[1].kind === 'bad' && bad[1].reason).toMatch(/not a JSON object/);
  });
  it('JSON array: streamed element by element, non-objects listed', async () => {
    const json = '[{"a":1,"s":"x,]}"},\n {"a":2,"nested":{"b":[1,2]}}, 5, {"a":3}]';
    const [rs] = await all(text('t.json', json));
    expect(rs.map((r) => r.kind)).toEqual(['object', 'object', 'bad', 'object']);
    expect(rs[2].row).toBe(3);
    expect(rs[0].kind === 'object' && rs[0].object.s).toBe('x,]}');
  });
  it('Parquet: row groups read one at a time, INT64 as numbers, rows numbered from 1', async () => {
    const n = 2500;
    const buf = parquetWriteBuffer({
      rowGroupSize: 1000,
      columnData: [
        { name: 'id', data: Array.from({ length: n }, (_, i) => BigInt(i + 1)), type: 'INT64' },
        { name: 'price', data: Array.from({ length: n }, (_, i) => i / 4), type: 'DOUBLE' },
        { name: 'label', data: Array.from({ length: n }, (_, i) => (i % 7 ? `item ${i}` : null)), type: 'STRING' },
      ],
    });
    const progress: number[] = [];
    const [t] = await openSource({ name: 'items.parquet', blob: new Blob([buf]) });
    const rs: SourceRecord[] = [];
    for await (const r of t.records({ onProgress: (d) => progress.push(d) })) rs.push(r);
    expect(rs).toHaveLength(n);
    expect(progress).toEqual([1000, 2000, 2500]);
    expect(rs[2498]).toMatchObject({ kind: 'object', row: 2499, object: { id: 2499n, label: 'item 2498' } });
    const s = await ImportSession.analyse([{ name: 'items.parquet', blob: new Blob([buf]) }]);
    expect(s.plan.tables[0].columns.map((c) => c.type)).toEqual(['INTEGER', 'REAL', 'TEXT']);
    const db = new SQL.Database((await s.build(SQL)).bytes);
    expect(db.exec('SELECT sum(id), count(label) FROM items')[0].values[0]).toEqual([
      (n * (n + 1)) / 2,
      n - Math.ceil(n / 7),
    ]);
    db.close();
    await expect(openSource(text('bad.parquet', 'PAR1 but nothing else here at all'))).resolves.toHaveLength(1);
    await expect(all(text('bad.parquet', 'PAR1 but nothing else here at all'))).rejects.toThrow(
      /not a readable Parquet/,
    );
  });

  it('refuses binary, empty and truncated files with a clear message', async () => {
    await expect(openSource(text('x.csv', ''))).rejects.toThrow(/empty/);
    await expect(openSource(text('x.csv', new Uint8Array([1, 0, 2, 3])))).rejects.toThrow(/binary/);
    await expect(all(text('x.json', '[{"a":1},'))).rejects.toThrow(ImportError);
    await expect(openSource(text('x.xlsx', 'a,b\n1,2'))).rejects.toThrow(/not a readable .xlsx/);
  });
  it('reads Windows-1252 text when the file is not UTF-8', async () => {
    const [rs] = await all(text('x.csv', new Uint8Array([0x61, 0x0a, 0x63, 0x61, 0x66, 0xe9, 0x0a])));
    expect(rs[1].kind === 'cells' && rs[1].cells[0]).toBe('café');
  });
});

describe('import session: analyse, then build a database', () => {
  it('analyses the sales CSV: identifiers, original headers, types checked on every row, a preview', async () => {
    const s = await ImportSession.analyse([file('sales.csv')]);
    const [t] = s.plan.tables;
    expect(s.plan.failures).toEqual([]);
    expect(t.name).toBe('sales');
    expect(t.rows).toBe(SALES_ROWS);
    expect(t.badRows).toBe(0);
    expect(t.columns.map((c) => [c.name, c.type])).toEqual([
      ['order_id', 'INTEGER'],
      ['order_date', 'DATE'],
      ['customer_name', 'TEXT'],
      ['product', 'TEXT'],
      ['quantity', 'INTEGER'],
      ['unit_price', 'REAL'],
      ['discount_pct', 'INTEGER'],
      ['region', 'TEXT'],
      ['notes', 'TEXT'],
      ['shipped_on', 'DATE'],
    ]);
    expect(t.columns[5].original).toBe('Unit Price (€)');
    expect(t.preview).toHaveLength(20);
    expect(t.preview[0][0]).toBe('1001');
  });

  it('builds a SQLite database that answers SQL, with the headers as column notes', async () => {
    const s = await ImportSession.analyse([file('sales.csv'), file('stores.xlsx'), file('events.jsonl')]);
    const r = await s.build(SQL);
    const db = new SQL.Database(r.bytes);
    const count = (t: string) => db.exec(`SELECT count(*) FROM ${t}`)[0].values[0][0];
    expect(count('sales')).toBe(SALES_ROWS);
    expect(count('stores_stores')).toBe(STORE_ROWS);
    expect(count('stores_targets')).toBe(TARGET_ROWS);
    expect(count('events')).toBe(EVENT_LINES - 2);
    expect(
      db.exec('SELECT typeof(order_date), typeof(unit_price), typeof(quantity) FROM sales LIMIT 1')[0].values[0],
    ).toEqual(['text', 'real', 'integer']);
    expect(db.exec("SELECT min(order_date) >= '2023-01-01' FROM sales")[0].values[0][0]).toBe(1);
    expect(db.exec('SELECT count(*) FROM sales WHERE discount_pct IS NULL')[0].values[0][0]).toBeGreaterThan(0);
    expect(db.exec('SELECT opened FROM stores_stores LIMIT 1')[0].values[0][0]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(db.exec('SELECT tags FROM events WHERE tags IS NOT NULL LIMIT 1')[0].values[0][0]).toMatch(/^\["promo",/);
    db.close();
    const sales = r.tables.find((t) => t.name === 'sales');
    expect(sales?.columnNotes?.[5]?.text).toBe('Unit Price (€)');
    expect(r.built.find((b) => b.name === 'events')?.issues.map((i) => i.row)).toEqual(EVENT_BAD_LINES);
  });

  it('lists bad rows with their numbers and skips them; a mostly malformed file is refused', async () => {
    const csv = 'id,amount\n1,2.5\n2,3,extra\n3,4\n"4,5\n';
    const s = await ImportSession.analyse([text('m.csv', csv)]);
    const [t] = s.plan.tables;
    expect(t.rows).toBe(2);
    expect(t.issues).toEqual([
      { row: 3, reason: 'has 3 fields, the header has 2' },
      { row: 5, reason: 'a quoted field is not closed' },
    ]);
    const r = await s.build(SQL);
    expect(r.built[0]).toMatchObject({ rows: 2, badRows: 2 });

    const broken = await ImportSession.analyse([text('broken.csv', 'a,b\n1,2,3\n4,5,6\n7,8,9\n1,2\n')]);
    expect(broken.plan.tables).toEqual([]);
    expect(broken.plan.failures[0].message).toMatch(/3 of 4 rows are malformed/);
  });

  it('applies edits: a renamed table, a changed type; values that do not fit are bad rows', async () => {
    const s = await ImportSession.analyse([text('t.csv', 'code,n\n007,1\n008,2\nabc,3\n')]);
    const [t] = s.plan.tables;
    expect(t.columns[0].type).toBe('TEXT');
    const r = await s.build(SQL, [{ key: t.key, name: 'codes', types: ['INTEGER', 'REAL'] }]);
    const db = new SQL.Database(r.bytes);
    expect(db.exec('SELECT code, n FROM codes')[0].values).toEqual([
      [7, 1],
      [8, 2],
    ]);
    db.close();
    expect(r.built[0].issues).toEqual([{ row: 4, reason: 'code: "abc" is not INTEGER' }]);
    await expect(s.build(SQL, [{ key: t.key, name: 'select', types: [] }])).rejects.toThrow(/not a usable table name/);
  });

  it('widens a type when a row past the sample does not fit, and says where', async () => {
    const lines = ['x'];
    for (let i = 0; i < 50; i++) lines.push(String(i));
    lines.push('1.5');
    const s = await ImportSession.analyse([text('w.csv', lines.join('\n'))], { sampleSize: 10 });
    const c = s.plan.tables[0].columns[0];
    expect([c.sampleType, c.type, c.widenedAt]).toEqual(['INTEGER', 'REAL', 52]);
  });

  it('stops when cancelled', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(ImportSession.analyse([file('sales.csv')], { signal: ac.signal })).rejects.toBeInstanceOf(
      CancelledError,
    );
    const s = await ImportSession.analyse([file('sales.csv')]);
    const ac2 = new AbortController();
    const p = s.build(SQL, [], { signal: ac2.signal, onProgress: () => ac2.abort() });
    await expect(p).rejects.toBeInstanceOf(CancelledError);
  });
});
