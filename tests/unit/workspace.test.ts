/** Workspace files (issue 14 item 4): round trip, and tampered or malformed files are refused. */
import { describe, expect, test } from 'vitest';
import { readWorkspace, writeWorkspace, WorkspaceError, type Workspace } from '../../src/lib/workspace/workspace.ts';
import { emptyNotes, withNote } from '../../src/lib/notes/notes.ts';
import { addConfirmed, emptyMyExamples } from '../../src/lib/loop/my-examples.ts';
import { makeTestApp } from './ui-fakes.ts';

const notes = withNote(emptyNotes(), 'customers', 'country', { text: 'Country of residence', synonyms: ['nation'] });
const examples = addConfirmed(emptyMyExamples(), 'How many customers?', 'SELECT count(*) FROM customers').doc;
const bytesWs: Workspace = {
  db: { kind: 'bytes', bytes: new Uint8Array([83, 81, 76, 0, 1, 2, 255]), name: 'shop.sqlite' },
  notes,
  examples,
  adapter: '{"format":"coderag-linear-adapter"}',
};

describe('workspace file', () => {
  test('round trip: database bytes or SQL, notes, examples, adapter', () => {
    expect(readWorkspace(writeWorkspace(bytesWs))).toEqual(bytesWs);
    const sqlWs: Workspace = { db: { kind: 'sql', sql: 'CREATE TABLE t(a); -- é', name: 'Demo' }, notes, examples };
    expect(readWorkspace(writeWorkspace(sqlWs))).toEqual(sqlWs);
  });

  test('every changed byte is caught, with a clear message', () => {
    const good = writeWorkspace(bytesWs);
    for (let i = 0; i < good.length; i++) {
      const bad = good.slice();
      bad[i] ^= 0x01;
      let err: unknown = null;
      try {
        readWorkspace(bad);
      } catch (e) {
        err = e;
      }
      expect(err, `byte ${i}`).toBeInstanceOf(WorkspaceError);
      expect((err as Error).message).toMatch(/^Not a usable workspace file: .+\. Nothing was changed\.$/);
    }
  });

  test('truncated, foreign and empty files are refused', () => {
    const good = writeWorkspace(bytesWs);
    expect(() => readWorkspace(good.subarray(0, good.length - 1))).toThrow(/cut off/);
    expect(() => readWorkspace(new Uint8Array(0))).toThrow(/too short/);
    expect(() => readWorkspace(new TextEncoder().encode('SQLite format 3\0' + 'x'.repeat(100)))).toThrow(/signature/);
  });

  test('importing a tampered file into the app changes nothing; a good one brings everything', async () => {
    const { app } = await makeTestApp();
    await app.boot('', false);
    await app.database.setNote('customers', 'country', { text: 'Country', synonyms: ['nation'] });
    await app.mine.confirm('How many customers are there?', 'SELECT count(*) FROM customers');
    const { bytes, fileName } = app.workspace.export();
    expect(fileName).toBe('Demo_shop.coderag-workspace');

    const other = await makeTestApp();
    await other.app.boot('', false);
    const tampered = bytes.slice();
    tampered[tampered.length - 3] ^= 0x20; // inside the examples section
    expect(await other.app.workspace.importBytes(tampered)).toBe(false);
    expect(other.app.workspace.error).toMatch(/checksum/);
    expect(other.app.mine.examples).toHaveLength(0);
    expect(other.app.database.notes.tables).toEqual({});

    expect(await other.app.workspace.importBytes(bytes)).toBe(true);
    expect(other.app.workspace.message).toMatch(/Workspace imported/);
    expect(other.app.database.info?.name).toBe('Demo shop');
    expect(other.app.mine.examples.map((e) => e.question)).toEqual(['How many customers are there?']);
    expect(other.app.mine.ready).toBe(true);
    expect(other.app.database.tables[0].columnNotes?.[2]).toEqual({ text: 'Country', synonyms: ['nation'] });
  });
});

describe('share links to a workspace', () => {
  test('ws= is encoded, validated, and replaces db', async () => {
    const { decodeShare, encodeShare } = await import('../../src/lib/share/codec.ts');
    const url = 'https://example.org/shop.coderag-workspace';
    const enc = encodeShare({ question: 'q', workspace: url, db: { kind: 'demo' } });
    expect(enc).toContain('ws=');
    expect(enc).not.toContain('db=');
    expect(decodeShare(enc).state).toEqual({ question: 'q', workspace: url });
    const both = decodeShare(`db=demo&ws=${encodeURIComponent(url)}`);
    expect(both.state.workspace).toBe(url);
    expect(both.state.db).toBeUndefined();
    expect(both.errors).toEqual(['the workspace (ws) carries its own database: db is ignored']);
    expect(decodeShare('ws=javascript:alert(1)').errors[0]).toMatch(/http\(s\) URL/);
  });

  test('a workspace opened from a URL is what the next link points to; a bad one keeps the own database', async () => {
    const { app } = await makeTestApp();
    await app.boot('', false);
    await app.mine.confirm('How many customers are there?', 'SELECT count(*) FROM customers');
    const file = app.workspace.export().bytes;
    const url = 'https://example.org/shop.coderag-workspace';

    const { WorkspaceState } = await import('../../src/ui/state/workspace.svelte.ts');
    const other = await makeTestApp();
    await other.app.boot('', false);
    const ws = new WorkspaceState({
      database: other.app.database,
      mine: other.app.mine,
      adapter: other.app.adapter,
      embedder: other.app.embedder,
      fetch: (async (u: string) =>
        u === url ? new Response(file as BlobPart) : new Response('no', { status: 404 })) as typeof fetch,
    });
    expect(await ws.importUrl(url)).toBe(true);
    expect(ws.sharedUrl).toBe(url);
    expect(other.app.mine.examples).toHaveLength(1);
    expect(await ws.importUrl('https://example.org/missing')).toBe(false);
    expect(ws.error).toMatch(/HTTP 404/);
    expect(ws.sharedUrl).toBe(url); // the failed import changed nothing
    await other.app.database.openContext('CREATE TABLE t (a INTEGER);');
    expect(ws.sharedUrl).toBeNull(); // another database is open now

    // a link to a workspace that cannot be read: the recipient's own database stays, and is named
    const r = await makeTestApp();
    await r.app.boot(`?q=Hi&ws=${encodeURIComponent('https://example.org/missing')}`, false);
    expect(r.app.database.info?.name).toBe('Demo shop');
    expect(r.app.share.errors.join(' ')).toMatch(
      /workspace https:\/\/example\.org\/missing could not be opened \(HTTP 404/,
    );
  });
});
