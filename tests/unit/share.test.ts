import { describe, expect, test } from 'vitest';
import { decodeShare, encodeShare, type ShareState } from '../../src/lib/share/codec.ts';

describe('share link codec', () => {
  test('round trip of every field', () => {
    const s: ShareState = {
      question: 'How many singers are there? (über & co)',
      db: { kind: 'url', url: 'https://example.org/db/concert_singer.sqlite' },
      corpus: { kind: 'url', url: 'https://example.org/train.csv', tables: 'https://example.org/tables.json' },
      embedder: 'Xenova/all-MiniLM-L6-v2',
      generator: { engine: 'webllm', family: 'mistral-7b-instruct' },
      k: 3,
      adapter: true,
    };
    const d = decodeShare('?' + encodeShare(s));
    expect(d.errors).toEqual([]);
    expect(d.present).toBe(true);
    expect(d.state).toEqual(s);
    expect(
      decodeShare(encodeShare({ db: { kind: 'demo' }, generator: { engine: 'cpu', id: 'tiny-sql-lm' }, k: 0 })).state,
    ).toEqual({ db: { kind: 'demo' }, generator: { engine: 'cpu', id: 'tiny-sql-lm' }, k: 0 });
  });

  test('local files round-trip by name (bounded), so the recipient can be told which file it was', () => {
    const s = {
      db: { kind: 'local' as const, name: 'shop & co.sqlite' },
      corpus: { kind: 'local' as const, name: 'mine.csv (3)' },
    };
    expect(decodeShare(encodeShare(s))).toEqual({ state: s, errors: [], present: true });
    expect(decodeShare('?db=local:').state.db).toEqual({ kind: 'local', name: 'a local file' });
    const long = decodeShare('?db=local:' + 'x'.repeat(500)).state.db;
    expect(long?.kind === 'local' && long.name.length).toBe(200);
  });

  test('no parameters: nothing present, no errors', () => {
    expect(decodeShare('')).toEqual({ state: {}, errors: [], present: false });
  });

  test('malformed and unknown parameters give messages; valid ones still apply', () => {
    const d = decodeShare('?q=hi&k=99&db=javascript:alert(1)&emb=nope&gen=gpu:x&adapter=yes&zzz=1&tables=ftp://x');
    expect(d.state).toEqual({ question: 'hi' });
    const msg = d.errors.join('\n');
    expect(msg).toMatch(/unknown link parameter "zzz"/);
    expect(msg).toMatch(/k must be a whole number from 0 to 10/);
    expect(msg).toMatch(/database \(db\) must be "demo" or an http\(s\) URL/);
    expect(msg).toMatch(/unknown embedder "nope"/);
    expect(msg).toMatch(/unknown generator "gpu:x"/);
    expect(msg).toMatch(/adapter must be 0 or 1/);
    expect(msg).toMatch(/tables/);
    expect(d.errors).toHaveLength(7);
  });

  test('empty or huge questions are rejected', () => {
    expect(decodeShare('?q=%20').errors[0]).toMatch(/empty/);
    expect(decodeShare('?q=' + 'a'.repeat(3000)).errors[0]).toMatch(/longer than/);
  });
});
