import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTestApp } from './ui-fakes.ts';
import { SALES_ROWS } from '../../src/node/import-testdata.ts';
import { sqlJs } from '../../src/node/host.ts';

const dir = join(import.meta.dirname, '..', '..', 'static-data', 'import');
const staticFile = (name: string) => new File([readFileSync(join(dir, name))], name);

describe('ImportState: files become tables', () => {
  test('pick → preview and types → rename, change a type → Create opens the new database with header notes', async () => {
    const { app } = await makeTestApp();
    await app.database.openDemo();
    await app.imports.pick([staticFile('sales.csv')]);
    expect(app.imports.status).toBe('ready');
    expect(app.jobs.get('import')).toBeUndefined();
    const [t] = app.imports.tables;
    expect(t.rows).toBe(SALES_ROWS);
    expect(t.preview.length).toBeGreaterThan(0);
    expect(app.database.info?.name).toBe('Demo shop');
    app.imports.rename(t.key, 'orders2');
    app.imports.setType(t.key, 0, 'TEXT');
    expect(app.imports.blocker).toBeNull();
    expect(await app.imports.create()).toBe(true);
    expect(app.imports.status).toBe('done');
    expect(app.database.info?.tables.map((x) => x.name)).toEqual(['orders2']);
    expect(app.database.info?.rows.orders2).toBe(SALES_ROWS);
    expect(app.database.info?.tables[0]?.types?.[0]).toBe('TEXT');
    // the original headers are the columns' schema notes, stored with the database
    const info = app.database.tables[0];
    expect(info?.columnNotes?.[5]?.text).toBe('Unit Price (€)');
    expect(app.database.notes.tables.orders2?.columns?.[info!.columns[5]]?.text).toBe('Unit Price (€)');
    const r = await app.services.sql.exec('SELECT typeof(order_id), count(*) FROM orders2');
    expect(r.rows[0]).toEqual(['text', SALES_ROWS]);
    // The export is a SQLite file of the current database.
    const bytes = await app.imports.exportSqlite();
    expect(new TextDecoder().decode(bytes.subarray(0, 15))).toBe('SQLite format 3');
  });

  test('the .sqlite export of a database built from CREATE/INSERT text holds its tables and rows', async () => {
    const { app } = await makeTestApp();
    await app.database.openDemo();
    const SQL = await sqlJs();
    const db = new SQL.Database(await app.imports.exportSqlite());
    expect(db.exec('SELECT count(*) FROM customers')[0].values[0][0]).toBe(app.database.info?.rows.customers);
    db.close();
  });

  test('a bad table name blocks Create; a malformed file keeps the current database', async () => {
    const { app } = await makeTestApp();
    await app.database.openDemo();
    await app.imports.pick([new File(['a,b\n1,2\n'], 'ok.csv')]);
    app.imports.rename(app.imports.tables[0].key, 'drop table');
    expect(app.imports.blocker).toMatch(/not a usable table name/);
    expect(await app.imports.create()).toBe(false);
    expect(app.database.info?.name).toBe('Demo shop');

    await app.imports.pick([new File(['a,b\n1,2,3\n4,5,6\n7,8,9\n'], 'broken.csv')]);
    expect(app.imports.tables).toEqual([]);
    expect(app.imports.failures[0].message).toMatch(/malformed/);
    expect(app.imports.error).toMatch(/unchanged/);
    expect(app.database.info?.name).toBe('Demo shop');
  });

  test('a type no row fits fails the build and keeps the current database', async () => {
    const { app } = await makeTestApp();
    await app.database.openDemo();
    await app.imports.pick([new File(['name\nalpha\nbeta\n'], 'names.csv')]);
    app.imports.setType(app.imports.tables[0].key, 0, 'INTEGER');
    expect(await app.imports.create()).toBe(false);
    expect(app.imports.error).toMatch(/no row .* fits the chosen column types.*unchanged/);
    expect(app.database.info?.name).toBe('Demo shop');
  });

  test('cancel stops reading and leaves nothing behind', async () => {
    const { app } = await makeTestApp();
    await app.database.openDemo();
    const p = app.imports.pick([staticFile('sales.csv')]);
    app.imports.cancel();
    await p;
    expect(app.imports.error).toBe('Import cancelled.');
    expect(app.imports.tables).toEqual([]);
    expect(app.jobs.get('import')).toBeUndefined();
    expect(app.database.info?.name).toBe('Demo shop');
  });
});
