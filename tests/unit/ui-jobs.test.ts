import { describe, expect, test } from 'vitest';
import { Jobs } from '../../src/ui/state/jobs.svelte.ts';
import { StageStatus } from '../../src/ui/state/status.svelte.ts';

describe('Jobs registry', () => {
  test('lists started jobs in order, records progress, and forgets ended ones', () => {
    const jobs = new Jobs();
    const onA = jobs.start('a', 'Loading A');
    jobs.start('b', 'Indexing B');
    expect(jobs.list.map(([k, j]) => [k, j.label])).toEqual([
      ['a', 'Loading A'],
      ['b', 'Indexing B'],
    ]);
    onA({ phase: 'download', done: 3, total: 10 });
    expect(jobs.get('a')?.progress).toEqual({ phase: 'download', done: 3, total: 10 });
    expect(jobs.get('b')?.progress).toBeNull();
    jobs.end('a');
    expect(jobs.count).toBe(1);
    expect(jobs.get('a')).toBeUndefined();
  });

  test('a progress event after the job ended does not bring it back', () => {
    const jobs = new Jobs();
    const on = jobs.start('index', 'Indexing');
    jobs.end('index');
    on({ phase: 'embed', done: 1, total: 2 });
    expect(jobs.list).toEqual([]);
  });

  test('cancel calls the job’s own cancel function', () => {
    const jobs = new Jobs();
    let cancelled = 0;
    jobs.start('gen', 'Loading model', () => cancelled++);
    jobs.start('other', 'No cancel');
    jobs.cancel('gen');
    jobs.cancel('other');
    jobs.cancel('missing');
    expect(cancelled).toBe(1);
  });
});

describe('StageStatus', () => {
  test('loading clears the error but keeps the note; fail sets both status and message', () => {
    const s = new StageStatus();
    expect(s.status).toBe('idle');
    s.setNote('stale; rebuilding');
    s.fail('boom');
    expect([s.status, s.error]).toEqual(['error', 'boom']);
    s.loading();
    expect([s.status, s.error, s.note]).toEqual(['loading', null, 'stale; rebuilding']);
    s.set('ready');
    expect(s.ready).toBe(true);
  });
});
