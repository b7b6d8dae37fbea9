/**
 * Big results cross the SQL worker boundary column-wise (src/lib/sql/columnar.ts): the rows the
 * page reads are the rows the engine produced, built only when read, and the buffers are moved.
 */
import { describe, expect, test } from 'vitest';
import * as Comlink from 'comlink';
import {
  COLUMNAR_MIN_ROWS,
  cellReader,
  fromWire,
  isColumnar,
  knownOrdered,
  toWire,
  wireBuffers,
  type ColumnarResult,
} from '../../src/lib/sql/columnar.ts';
import { chartData, chooseChart, profileColumns } from '../../src/lib/chart/choose.ts';
import { SqlClient } from '../../src/lib/sql/client.ts';
import type { QueryResult } from '../../src/lib/types.ts';

function mixed(n: number): QueryResult {
  const rows = Array.from({ length: n }, (_, i) => [
    i + 1,
    i % 5 === 0 ? null : (i * 0.37) % 11,
    `naïve ${i % 13} ✓`,
    i % 7 === 0 ? null : i % 3 === 0 ? '' : `c${i % 4}`,
    i % 2 ? new Uint8Array([i % 256, 1]) : 'mixed',
    null,
  ]);
  return { columns: ['id', 'v', 'label', 'cat', 'blob', 'nothing'], rows, ms: 12.5, truncated: false };
}

/** What crosses a MessageChannel, as in the page (structured clone plus the listed transfers). */
async function across(r: QueryResult): Promise<{ got: QueryResult; moved: ArrayBuffer[] }> {
  const { port1, port2 } = new MessageChannel();
  const wire = toWire(r);
  const moved = wireBuffers(wire);
  try {
    const got = new Promise<QueryResult | ColumnarResult>((resolve) => {
      port2.onmessage = (e) => resolve(e.data);
    });
    port1.postMessage(wire, moved);
    return { got: fromWire(await got), moved };
  } finally {
    setTimeout(() => {
      port1.close();
      port2.close();
    }, 0);
  }
}

describe('columnar results', () => {
  test('a big result crosses as columns in moved buffers and reads back as the same rows', async () => {
    const r = mixed(COLUMNAR_MIN_ROWS + 345);
    const wire = toWire(r);
    expect(isColumnar(wire)).toBe(true);
    const kinds = (wire as ColumnarResult).data.map((d) => d.kind);
    expect(kinds).toEqual(['num', 'num', 'text', 'text', 'any', 'num']);
    const { got, moved } = await across(r);
    expect(moved.length).toBeGreaterThan(5);
    expect(moved.every((b) => b.byteLength === 0)).toBe(true); // moved, not copied
    expect(got.columns).toEqual(r.columns);
    expect(got.ms).toBe(12.5);
    expect(got.truncated).toBe(false);
    expect(got.rows.length).toBe(r.rows.length);
    expect(Array.isArray(got.rows)).toBe(true);
    // every way of reading the rows gives the engine's rows
    expect(got.rows[0]).toEqual(r.rows[0]);
    expect(got.rows[r.rows.length - 1]).toEqual(r.rows[r.rows.length - 1]);
    expect(got.rows.slice(100, 200)).toEqual(r.rows.slice(100, 200));
    expect([...got.rows]).toEqual(r.rows);
    expect(Array.from(got.rows)).toEqual(r.rows);
    expect(got.rows.map((x) => x[2])).toEqual(r.rows.map((x) => x[2]));
    expect(JSON.stringify(got.rows.slice(0, 50))).toBe(JSON.stringify(r.rows.slice(0, 50)));
    expect(got.rows.some((x) => x[0] === 2000)).toBe(true);
    expect(got.rows.findIndex((x) => x[0] === 1500)).toBe(1499);
    expect(Object.keys(got.rows).length).toBe(r.rows.length);
    expect(got.rows[r.rows.length]).toBeUndefined();
    // a row is built once and kept (same object on each read)
    expect(got.rows[7]).toBe(got.rows[7]);
    // what is stored (a slice) is a plain array again: it can be cloned (IndexedDB, postMessage)
    expect(structuredClone(got.rows.slice(0, 3))).toEqual(r.rows.slice(0, 3));
  });

  test('cellReader reads big results from the columns, small ones from the rows', async () => {
    const r = mixed(COLUMNAR_MIN_ROWS * 2);
    const { got } = await across(r);
    const at = cellReader(got);
    for (const i of [0, 1, 5, 999, r.rows.length - 1])
      for (let c = 0; c < 6; c++) expect(at(i, c)).toEqual(r.rows[i][c]);
    const small = mixed(10);
    expect(toWire(small)).toBe(small);
    expect(fromWire(toWire(small))).toBe(small);
    expect(cellReader(small)(3, 2)).toBe(small.rows[3][2]);
  });

  test('the automatic chart is the same over lazy rows as over plain rows', async () => {
    const n = 30_000;
    const line: QueryResult = {
      columns: ['x', 'g', 'day'],
      rows: Array.from({ length: n }, (_, i) => [
        i,
        (i * 7919) % 101,
        `2024-01-${String(1 + (i % 28)).padStart(2, '0')}`,
      ]),
      ms: 1,
    };
    const bars: QueryResult = {
      columns: ['cat', 'n'],
      rows: Array.from({ length: n }, (_, i) => [`k${i % 40}`, i % 9]),
      ms: 1,
    };
    for (const r of [line, bars]) {
      const { got } = await across(r);
      const a = chooseChart(r);
      expect(a).not.toBeNull();
      expect(chooseChart(got)).toEqual(a);
      expect(chartData(got, a!)).toEqual(chartData(r, a!));
    }
  });

  test('a number column’s order is found in the worker; the page’s chart choice uses it without a scan', async () => {
    const n = COLUMNAR_MIN_ROWS * 3;
    const rows = Array.from({ length: n }, (_, i) => [
      i % 10 === 3 ? null : i, // ordered, with nulls
      n - i, // decreasing
      i === n - 1 ? -1 : i, // ordered until the last row
      (i * 7) % 5, // not ordered
    ]);
    const r: QueryResult = { columns: ['a', 'b', 'c', 'd'], rows, ms: 1 };
    const { got } = await across(r);
    expect([0, 1, 2, 3].map((c) => knownOrdered(got, c))).toEqual([true, false, false, false]);
    expect(profileColumns(got)).toEqual(profileColumns(r));
    expect(knownOrdered(r, 0)).toBeUndefined(); // plain rows: not known, the rows are read
    // the flag is what the page trusts: a column sent as ordered is not read row by row again
    const wire = toWire({ columns: ['x', 'y'], rows: Array.from({ length: n }, (_, i) => [i % 3, i]), ms: 1 });
    if (!isColumnar(wire) || wire.data[0].kind !== 'num') throw new Error('expected a number column');
    expect(wire.data[0].ordered).toBe(false);
    wire.data[0].ordered = true;
    expect(profileColumns(fromWire(wire))[0].ordered).toBe(true);
  });

  test('SqlClient turns a columnar answer of its worker back into a QueryResult', async () => {
    const r = mixed(COLUMNAR_MIN_ROWS + 1);
    const { port1, port2 } = new MessageChannel();
    Comlink.expose(
      {
        open: async () => ({ name: 'x', tables: [] }),
        exec: async () => {
          const w = toWire(r);
          return Comlink.transfer(w, wireBuffers(w));
        },
      },
      port1 as unknown as Comlink.Endpoint,
    );
    const remote = Comlink.wrap(port2 as unknown as Comlink.Endpoint) as unknown as ConstructorParameters<
      typeof SqlClient
    >[0] extends () => { remote: infer R }
      ? R
      : never;
    const client = new SqlClient(() => ({ remote, terminate: () => {} }));
    try {
      const got = await client.exec('SELECT …');
      expect(got.rows.length).toBe(r.rows.length);
      expect(got.rows.slice(-3)).toEqual(r.rows.slice(-3));
    } finally {
      port1.close();
      port2.close();
    }
  });
});
