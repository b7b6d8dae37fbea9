import 'fake-indexeddb/auto';
import { describe, expect, test } from 'vitest';
import { IndexStore } from '../../src/lib/index/store.ts';
import { HistoryStore, historyKey } from '../../src/lib/history/store.ts';
import {
  addTurn,
  childrenOf,
  latestLeaf,
  newTurnId,
  pathTo,
  searchTurns,
  standaloneQuestion,
  storeResult,
  threadOf,
  validTurns,
  type Turn,
} from '../../src/lib/history/turns.ts';

let clock = 1_000;
function turn(p: Partial<Turn>): Turn {
  return {
    id: newTurnId(),
    parentId: null,
    kind: 'ask',
    question: 'q',
    standalone: 'q',
    sql: 'SELECT 1',
    result: null,
    error: null,
    createdAt: clock++,
    ...p,
  };
}

describe('conversation tree', () => {
  const a = turn({ id: 'a', question: 'Which customers are there?', standalone: 'Which customers are there?' });
  const b = turn({ id: 'b', parentId: 'a', kind: 'followup', question: 'only those from France' });
  const c = turn({ id: 'c', parentId: 'b', kind: 'followup', question: 'sort by name' });
  const d = turn({ id: 'd', parentId: 'a', kind: 'followup', question: 'only from Spain' }); // a branch from a
  const e = turn({ id: 'e', question: 'How many products?' });
  const all = [a, b, c, d, e];

  test('paths, children, branches', () => {
    expect(pathTo(all, 'c').map((t) => t.id)).toEqual(['a', 'b', 'c']);
    expect(childrenOf(all, 'a').map((t) => t.id)).toEqual(['b', 'd']);
    expect(childrenOf(all, null).map((t) => t.id)).toEqual(['a', 'e']);
    expect(latestLeaf(all, 'a')!.id).toBe('d');
    expect(threadOf(all, 'b').map((t) => t.id)).toEqual(['a', 'b', 'c']);
    // a turn whose parent was dropped is a root
    expect(pathTo([b, c], 'c').map((t) => t.id)).toEqual(['b', 'c']);
    expect(childrenOf([b, c], null).map((t) => t.id)).toEqual(['b']);
  });

  test('a follow-up becomes a self-contained question', () => {
    expect(standaloneQuestion(a, ' only  those from France ')).toBe(
      'Which customers are there? only those from France',
    );
    expect(standaloneQuestion({ ...b, standalone: 'List customers' }, 'sort by name')).toBe(
      'List customers; sort by name',
    );
    expect(standaloneQuestion(undefined, 'x')).toBe('x');
  });

  test('search matches question, SQL and columns, newest first', () => {
    const s = [
      turn({ question: 'count products', sql: 'SELECT count(*) FROM products' }),
      turn({ question: 'list customers', sql: 'SELECT name FROM customers' }),
    ];
    expect(searchTurns(s, 'customers').map((t) => t.question)).toEqual(['list customers']);
    expect(searchTurns(s, 'SELECT').map((t) => t.question)).toEqual(['list customers', 'count products']);
    expect(searchTurns(s, 'count FROM products')).toHaveLength(1);
    expect(searchTurns(s, 'nothing')).toHaveLength(0);
  });

  test('results are stored truncated, and old turns drop past the cap', () => {
    const rows = Array.from({ length: 1000 }, (_, i) => [i]);
    const st = storeResult({ columns: ['x'], rows, ms: 3 })!;
    expect(st.rows).toHaveLength(200);
    expect(st.rowCount).toBe(1000);
    let ts: Turn[] = [];
    for (let i = 0; i < 5; i++) ts = addTurn(ts, turn({ question: `q${i}` }), 3);
    expect(ts.map((t) => t.question)).toEqual(['q2', 'q3', 'q4']);
  });

  test('validTurns drops malformed records', () => {
    expect(validTurns(null)).toEqual([]);
    expect(validTurns({ turns: [{ id: 1 }, a, { ...a, id: 'z', result: 'bad' }] }).map((t) => t.id)).toEqual(['a']);
  });

  test('validTurns keeps a stored prompt only when its format is a known one', () => {
    const prompt = { format: 'chatml', text: '<|im_start|>system', examplesUsed: 2 };
    const [kept, unknown, malformed, none] = validTurns({
      turns: [
        { ...a, id: 'p1', prompt },
        { ...a, id: 'p2', prompt: { ...prompt, format: 'llama-9' } },
        { ...a, id: 'p3', prompt: { format: 'plain', text: 7 } },
        { ...a, id: 'p4' },
      ],
    });
    expect(kept.prompt).toEqual(prompt);
    expect(unknown.prompt).toBeNull();
    expect(malformed.prompt).toBeNull();
    expect(none).not.toHaveProperty('prompt');
  });
});

describe('HistoryStore in IndexedDB (fake-indexeddb)', () => {
  test('per database, survives reopening, clearable', async () => {
    const name = `history-test-${Math.random()}`;
    let idb = await IndexStore.open(name);
    const h = new HistoryStore(idb);
    const t1 = turn({ question: 'shop question', result: storeResult({ columns: ['n'], rows: [[1], [2]], ms: 1 }) });
    const t2 = turn({ question: 'other db question' });
    void h.save('Demo shop', [t1]);
    await h.save('other.sqlite', [t2]);
    idb.close();
    idb = await IndexStore.open(name);
    const h2 = new HistoryStore(idb);
    const back = await h2.load('Demo shop');
    expect(back).toHaveLength(1);
    expect(back[0]).toEqual(t1);
    expect((await h2.load('other.sqlite'))[0].question).toBe('other db question');
    expect(await idb.kvKeys()).toEqual(expect.arrayContaining([historyKey('Demo shop'), historyKey('other.sqlite')]));
    await h2.clear('Demo shop');
    expect(await h2.load('Demo shop')).toEqual([]);
    expect(await h2.load('other.sqlite')).toHaveLength(1);
    idb.close();
  });

  test('writes land in order', async () => {
    const idb = await IndexStore.open(`history-order-${Math.random()}`);
    const h = new HistoryStore(idb);
    const ps = [1, 2, 3, 4].map((n) =>
      h.save(
        'db',
        Array.from({ length: n }, () => turn({})),
      ),
    );
    await Promise.all(ps);
    expect(await h.load('db')).toHaveLength(4);
    idb.close();
  });
});
