import { describe, expect, test } from 'vitest';
import { Jobs } from '../../src/ui/state/jobs.svelte.ts';
import { StageStatus } from '../../src/ui/state/status.svelte.ts';
import { PhasedProgress, formatEta, type JobProgress } from '../../src/ui/state/phased-progress.ts';

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

describe('PhasedProgress: one job over several phases, with an ETA', () => {
  test('the phases run on one bar; the step, counts and time left are reported', () => {
    let t = 1000;
    const seen: JobProgress[] = [];
    const p = new PhasedProgress(
      ['question index', 'masked-question index'],
      100,
      (x) => seen.push(x),
      () => t,
    );
    expect(p.steps).toBe(2);
    t += 2000;
    p.phase(0)({ phase: 'Embedding corpus', done: 50, total: 100, detail: '25 docs/s' });
    expect(seen.at(-1)).toMatchObject({ done: 50, total: 200, step: 1, steps: 2, etaMs: 6000 });
    expect(seen.at(-1)!.phase).toBe('step 1 of 2, question index: embedding corpus 50 / 100');
    expect(seen.at(-1)!.detail).toBe('25 docs/s · about 6 s left');
    t += 2000;
    p.phase(0)({ phase: 'Saving index', done: 100, total: 100 });
    // the second phase goes on from the middle of the bar, not back to 0
    t += 2000;
    p.phase(1)({ phase: 'Embedding corpus', done: 0, total: 100 });
    expect(seen.at(-1)).toMatchObject({ done: 100, total: 200, step: 2, etaMs: 6000 });
    expect(seen.at(-1)!.phase).toBe('step 2 of 2, masked-question index: embedding corpus 0 / 100');
    t += 3000;
    p.phase(1)({ phase: 'Embedding corpus', done: 100, total: 100 });
    expect(seen.at(-1)).toMatchObject({ done: 200, total: 200, etaMs: 0 });
    expect(seen.map((s) => s.done)).toEqual([50, 100, 100, 200]);
    expect(() => p.phase(2)).toThrow(/no phase 2/);
  });

  test('a single phase names no step; no ETA before any progress', () => {
    const seen: JobProgress[] = [];
    const p = new PhasedProgress(
      ['masked-question index'],
      10,
      (x) => seen.push(x),
      () => 0,
    );
    p.phase(0)({ phase: 'Embedding corpus', done: 0, total: 10 });
    expect(seen[0]).toMatchObject({ phase: 'masked-question index: embedding corpus 0 / 10', etaMs: null, steps: 1 });
    expect(seen[0].detail).toBeUndefined();
  });

  test('formatEta', () => {
    expect(formatEta(400)).toBe('about 1 s left');
    expect(formatEta(45_000)).toBe('about 45 s left');
    expect(formatEta(185_000)).toBe('about 3 min 5 s left');
    expect(formatEta(2 * 3600_000 + 60_000)).toBe('about 2 h 1 min left');
  });
});
