import { describe, expect, it } from 'vitest';
import { ImportClient, type ImportRemote, type ImportWorkerHandle } from '../../src/lib/import/client.ts';
import { CancelledError, ImportError } from '../../src/lib/errors.ts';
import type { ImportPlan } from '../../src/lib/import/session.ts';

/** Workers whose analyse waits forever (or answers at once); records spawns and terminations. */
function fakeWorkers(hang: boolean) {
  const log = { spawned: 0, terminated: 0 };
  const spawn = (): ImportWorkerHandle => {
    const id = ++log.spawned;
    const remote: ImportRemote = {
      analyse: () =>
        hang
          ? new Promise<ImportPlan>(() => {})
          : Promise.resolve({ tables: [], failures: [{ file: `w${id}`, message: '' }] }),
      build: (edits) =>
        edits.length
          ? Promise.resolve({ bytes: new Uint8Array(), name: 'x', tables: [], built: [], ms: 0 })
          : Promise.reject(new ImportError('nothing to build')),
    };
    return { remote, callback: (fn) => fn, terminate: () => void log.terminated++ };
  };
  return { log, spawn };
}

describe('ImportClient (the import worker behind the Importer port)', () => {
  it('cancel terminates the worker at once, and the next call gets a fresh one', async () => {
    const { log, spawn } = fakeWorkers(true);
    const client = new ImportClient(spawn);
    const ac = new AbortController();
    const p = client.analyse([], { signal: ac.signal });
    expect(log.spawned).toBe(1);
    ac.abort();
    await expect(p).rejects.toBeInstanceOf(CancelledError);
    expect(log.terminated).toBe(1);
    // A build after a cancelled analysis is refused: the session died with the worker.
    await expect(client.build([])).rejects.toThrow(/pick the files to import again/);
    void client.analyse([]);
    expect(log.spawned).toBe(2);
  });

  it('reuses one worker across calls while nothing is cancelled', async () => {
    const { log, spawn } = fakeWorkers(false);
    const client = new ImportClient(spawn);
    expect(log.spawned).toBe(0);
    const a = await client.analyse([]);
    const b = await client.analyse([]);
    expect([a.failures[0].file, b.failures[0].file]).toEqual(['w1', 'w1']);
    await expect(client.build([])).rejects.toThrow('nothing to build');
    expect(log).toEqual({ spawned: 1, terminated: 0 });
    // A successful build gives the worker (and its memory) back.
    await client.build([{ key: '0:', name: 't', types: [] }]);
    expect(log).toEqual({ spawned: 1, terminated: 1 });
    await expect(client.build([{ key: '0:', name: 't', types: [] }])).rejects.toThrow(/pick the files/);
  });
});
