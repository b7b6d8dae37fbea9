/**
 * src/browser/early.ts: what the page's entry starts before the app (the SQL worker, the demo
 * database's fetch) is handed over once, and a failed early fetch gives way to the caller's own.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

class FakeWorker {
  static made = 0;
  constructor(
    readonly url: URL | string,
    readonly opts?: WorkerOptions,
  ) {
    FakeWorker.made++;
  }
}

async function fresh() {
  vi.resetModules();
  return import('../../src/browser/early.ts');
}

afterEach(() => {
  vi.unstubAllGlobals();
  FakeWorker.made = 0;
});

describe('early start', () => {
  it('hands nothing over when nothing was started (Node, tests, a restart)', async () => {
    const early = await fresh();
    expect(early.takeEarlySqlWorker()).toBeNull();
    expect(await early.takeEarlyFetch('/demo.sql')).toBeNull();
  });

  it('starts the SQL worker once and hands it over once', async () => {
    vi.stubGlobal('Worker', FakeWorker);
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => new Response('x')),
    );
    const early = await fresh();
    early.startEarly();
    early.startEarly();
    expect(FakeWorker.made).toBe(1);
    const w = early.takeEarlySqlWorker() as unknown as FakeWorker;
    expect(w).toBeInstanceOf(FakeWorker);
    expect(w.opts).toMatchObject({ type: 'module', name: 'sql' });
    expect(String(w.url)).toMatch(/sql\.worker/);
    expect(early.takeEarlySqlWorker()).toBeNull();
  });

  it('hands the early response over once, for its URL only', async () => {
    vi.stubGlobal('Worker', FakeWorker);
    const fetch = vi.fn(async (url: string) => new Response(`body of ${url}`));
    vi.stubGlobal('fetch', fetch);
    const early = await fresh();
    early.startEarly(['/demo.sql']);
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(await early.takeEarlyFetch('/other.sql')).toBeNull();
    const r = await early.takeEarlyFetch('/demo.sql');
    expect(await r!.text()).toBe('body of /demo.sql');
    expect(await early.takeEarlyFetch('/demo.sql')).toBeNull();
  });

  it('a failed or non-OK early fetch gives null, so the caller fetches (and reports) itself', async () => {
    vi.stubGlobal('Worker', FakeWorker);
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) => {
        if (url === '/down') throw new TypeError('network down');
        return new Response('gone', { status: 404 });
      }),
    );
    const early = await fresh();
    early.startEarly(['/down', '/missing']);
    expect(await early.takeEarlyFetch('/down')).toBeNull();
    expect(await early.takeEarlyFetch('/missing')).toBeNull();
  });
});

describe('early open of the demo database', () => {
  class PostingWorker extends FakeWorker {
    posted: unknown[] = [];
    postMessage(m: unknown) {
      this.posted.push(m);
    }
  }

  it('posts the fetched SQL to the worker once, and the response handed over keeps its body', async () => {
    vi.stubGlobal('Worker', PostingWorker);
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => new Response('CREATE TABLE t (x);')),
    );
    const early = await fresh();
    early.startEarly([], { url: '/demo.sql', name: 'Demo shop' });
    const r = await early.takeEarlyFetch('/demo.sql');
    expect(await r!.text()).toBe('CREATE TABLE t (x);');
    const w = early.takeEarlySqlWorker() as unknown as PostingWorker;
    await vi.waitFor(() => expect(w.posted).toHaveLength(1));
    const { EARLY_OPEN } = await import('../../src/lib/sql/early-open.ts');
    expect(w.posted[0]).toEqual({ [EARLY_OPEN]: { kind: 'sql', sql: 'CREATE TABLE t (x);', name: 'Demo shop' } });
  });

  it('posts nothing when the fetch fails or is not OK', async () => {
    vi.stubGlobal('Worker', PostingWorker);
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => new Response('gone', { status: 404 })),
    );
    const early = await fresh();
    early.startEarly([], { url: '/demo.sql', name: 'Demo shop' });
    expect(await early.takeEarlyFetch('/demo.sql')).toBeNull();
    await new Promise((r) => setTimeout(r, 10));
    expect((early.takeEarlySqlWorker() as unknown as PostingWorker).posted).toEqual([]);
  });
});
