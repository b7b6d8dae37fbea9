/** Schema notes (issue 14 item 2): storage shape, merging, prompt rendering per family, linking. */
import 'fake-indexeddb/auto';
import { describe, expect, test, vi } from 'vitest';
import {
  applyNotes,
  cleanNote,
  dbIdentity,
  emptyNotes,
  parseNotes,
  parseSynonyms,
  withNote,
} from '../../src/lib/notes/notes.ts';
import { PROMPT_FORMATS as FORMATS } from '../../src/lib/llm/formats/index.ts';
import { linkSchema } from '../../src/lib/link/link.ts';
import type { TableInfo } from '../../src/lib/types.ts';

const tables: TableInfo[] = [
  { name: 'cust', columns: ['id', 'nm', 'ctry'], types: ['INTEGER', 'TEXT', 'TEXT'] },
  { name: 'ord', columns: ['id', 'cust_id', 'amt'], types: ['INTEGER', 'INTEGER', 'REAL'] },
];

describe('notes storage', () => {
  test('withNote sets, replaces and clears table and column notes', () => {
    let doc = withNote(emptyNotes(), 'cust', null, { text: 'People who bought', synonyms: ['customers', 'clients'] });
    doc = withNote(doc, 'cust', 'ctry', { text: 'Country', synonyms: ['nation'] });
    expect(doc.tables.cust.note).toEqual({ text: 'People who bought', synonyms: ['customers', 'clients'] });
    expect(doc.tables.cust.columns?.ctry).toEqual({ text: 'Country', synonyms: ['nation'] });
    doc = withNote(doc, 'cust', null, { text: '  ' });
    expect(doc.tables.cust.note).toBeUndefined();
    doc = withNote(doc, 'cust', 'ctry', undefined);
    expect(doc.tables.cust).toBeUndefined();
  });

  test('parseNotes keeps well-formed entries, bounds them, and refuses what is not notes', () => {
    const doc = parseNotes({
      version: 1,
      tables: {
        cust: { note: { text: 'x'.repeat(2000), synonyms: ['a', 'a', 3, ' b  c '] }, columns: { nm: 'bad', ctry: {} } },
        junk: 5,
      },
    });
    expect(doc.tables.cust.note?.text).toHaveLength(500);
    expect(doc.tables.cust.note?.synonyms).toEqual(['a', 'b c']);
    expect(doc.tables.cust.columns).toBeUndefined();
    expect(doc.tables.junk).toBeUndefined();
    expect(() => parseNotes({ version: 2, tables: {} })).toThrow(/version/);
    expect(() => parseNotes([])).toThrow();
    expect(cleanNote({ text: '', synonyms: [] })).toBeUndefined();
    expect(parseSynonyms(' buyers, , clients ')).toEqual(['buyers', 'clients']);
  });

  test('identity follows the name and the schema', () => {
    const a = dbIdentity({ name: 'shop', tables });
    expect(dbIdentity({ name: 'shop', tables: structuredClone(tables) })).toBe(a);
    expect(dbIdentity({ name: 'shop2', tables })).not.toBe(a);
    expect(dbIdentity({ name: 'shop', tables: [tables[0]] })).not.toBe(a);
  });

  test('applyNotes: a user note replaces an import note, others are kept', () => {
    const imported: TableInfo[] = [
      { ...tables[0], columnNotes: [undefined, { text: 'Name (original header)' }, undefined] },
    ];
    const doc = withNote(emptyNotes(), 'cust', 'ctry', { text: 'Country code' });
    const out = applyNotes(imported, doc);
    expect(out[0].columnNotes).toEqual([undefined, { text: 'Name (original header)' }, { text: 'Country code' }]);
    expect(applyNotes(imported, emptyNotes())).toBe(imported);
  });
});

describe('notes in prompts', () => {
  let doc = withNote(emptyNotes(), 'cust', null, { text: 'Customers of the shop', synonyms: ['clients'] });
  doc = withNote(doc, 'cust', 'ctry', { text: 'Country of residence', synonyms: ['nation'] });
  const noted = applyNotes(tables, doc);
  const input = { tables: noted, examples: [], question: 'How many clients per nation?' };

  test('instruction families carry notes as SQL comments in the DDL', () => {
    for (const id of ['plain', 'chatml', 'mistral-inst'] as const) {
      const p = FORMATS[id].build(input);
      expect(p).toContain('-- Customers of the shop (also: clients)\nCREATE TABLE cust (');
      expect(p).toContain('  ctry TEXT -- Country of residence (also: nation)');
      expect(p).toContain('  nm TEXT,\n');
      // without notes, the DDL is the plain one
      expect(FORMATS[id].build({ ...input, tables })).not.toContain('--');
    }
  });

  test('tiny-sql keeps its exact trained format: notes are left out', () => {
    expect(FORMATS['tiny-sql'].build(input)).toBe(FORMATS['tiny-sql'].build({ ...input, tables }));
  });
});

describe('notes in schema linking', () => {
  test('synonyms count as names', async () => {
    const doc = withNote(withNote(emptyNotes(), 'cust', null, { synonyms: ['clients'] }), 'cust', 'ctry', {
      synonyms: ['nation'],
    });
    const q = 'How many clients per nation?';
    const before = await linkSchema(q, tables, null);
    const after = await linkSchema(q, applyNotes(tables, doc), null);
    expect(before.columns.find((c) => c.column === 'ctry')).toBeUndefined();
    expect(after.tables[0].table).toBe('cust');
    expect(after.tables[0].nameScore).toBeGreaterThan(0.9);
    expect(after.columns[0]).toMatchObject({ table: 'cust', column: 'ctry' });
  });
});

describe('notes in the app', () => {
  test('saved with the database, back after a reload, and in the tables the prompt gets', async () => {
    const { makeTestApp } = await import('./ui-fakes.ts');
    const first = await makeTestApp({ dbName: 'notes-app-1' });
    await first.app.boot('', false);
    await first.app.database.setNote('customers', 'country', { text: 'Where they live', synonyms: ['nation'] });
    expect(first.app.database.tables[0].columnNotes?.[2]).toEqual({ text: 'Where they live', synonyms: ['nation'] });
    const second = await makeTestApp({ dbName: 'notes-app-1', storage: first.storage });
    await second.app.boot('', false);
    await vi.waitFor(() =>
      expect(second.app.database.notes.tables.customers?.columns?.country?.text).toBe('Where they live'),
    );
    // another database does not see them
    await second.app.database.openContext('CREATE TABLE customers (id INTEGER, name TEXT, country TEXT);');
    await new Promise((r) => setTimeout(r, 20));
    expect(second.app.database.notes.tables).toEqual({});
  });
});

describe('the Storage page names what the loop stores', () => {
  test('notes and My examples keys get readable labels', async () => {
    const { savedLabel } = await import('../../src/ui/state/saved.ts');
    expect(savedLabel('notes:Demo shop@0123456789abcdef')).toBe('Schema notes of "Demo shop"');
    expect(savedLabel('mine:shop.sqlite@0123456789abcdef')).toBe('My examples of "shop.sqlite" (confirmed answers)');
  });
});
