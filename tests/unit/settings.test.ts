import { afterEach, describe, expect, test } from 'vitest';
import {
  DEFAULT_SETTINGS,
  loadSettings,
  parseSettings,
  saveSettings,
  settingValue,
  type Settings,
} from '../../src/ui/settings.ts';

describe('stored settings are checked field by field', () => {
  test('valid values are kept, every field of the defaults is present', () => {
    const s: Settings = {
      ...DEFAULT_SETTINGS,
      modelSource: 'local',
      embedderId: 'Xenova/bge-small-en-v1.5',
      embedDtype: 'fp32',
      embedDevice: 'wasm',
      indexKind: 'voy',
      textMode: 'masked-question',
      retriever: 'hybrid+mmr',
      adapterOn: false,
      engine: 'cpu',
      webllmFamily: 'qwen2.5-coder-1.5b',
      cpuModelId: 'tiny-sql-lm',
      cpuDtype: 'q8',
      k: 0,
      timeoutMs: 250,
      maxNewTokens: 64,
      autoDownloadMB: 0,
    };
    expect(parseSettings(JSON.parse(JSON.stringify(s)))).toEqual(s);
    expect(parseSettings({})).toEqual(DEFAULT_SETTINGS);
  });

  test('an unknown or mistyped value falls back to that field default; the others stay', () => {
    const s = parseSettings({
      modelSource: 'ftp',
      embedderId: 'no/such-model',
      embedDtype: 'int3',
      indexKind: 'hnsw',
      textMode: 'sql-only',
      retriever: 'vote+rerank',
      adapterOn: 'yes',
      engine: 'cpu',
      webllmFamily: 'llama-70b',
      cpuModelId: 42,
      k: -1,
      timeoutMs: 0,
      maxNewTokens: 2.5,
      autoDownloadMB: Number.NaN,
      somethingElse: 1,
    });
    expect(s).toEqual({ ...DEFAULT_SETTINGS, engine: 'cpu' });
    expect(s).not.toHaveProperty('somethingElse');
  });

  test('not an object: the defaults', () => {
    for (const bad of [null, 3, 'x', [1, 2]]) expect(parseSettings(bad)).toEqual(DEFAULT_SETTINGS);
  });

  test('settingValue types a select value by its field', () => {
    expect(settingValue('indexKind', 'flat')).toBe('flat');
    expect(settingValue('indexKind', 'annoy')).toBe(DEFAULT_SETTINGS.indexKind);
    expect(settingValue('retriever', 'masked-bm25')).toBe('masked-bm25');
    expect(settingValue('retriever', 'masked-bm25+mmr')).toBe('masked-bm25+mmr');
    expect(settingValue('retriever', 'bm26')).toBe(DEFAULT_SETTINGS.retriever);
    expect(settingValue('embedDtype', '')).toBe('');
    expect(settingValue('cpuModelId', '')).toBe('');
  });
});

describe('loadSettings from localStorage', () => {
  const store = new Map<string, string>();
  const fake = {
    getItem: (k: string) => store.get(k) ?? null,
    setItem: (k: string, v: string) => void store.set(k, v),
  };
  afterEach(() => {
    store.clear();
    delete (globalThis as { localStorage?: unknown }).localStorage;
  });

  test('round-trips, and a corrupt or hostile entry gives defaults instead of a crash', () => {
    (globalThis as { localStorage?: unknown }).localStorage = fake;
    expect(loadSettings()).toEqual(DEFAULT_SETTINGS);
    saveSettings({ ...DEFAULT_SETTINGS, k: 5, textMode: 'mix' });
    expect(loadSettings()).toEqual({ ...DEFAULT_SETTINGS, k: 5, textMode: 'mix' });
    store.set('coderag.settings.v1', '{not json');
    expect(loadSettings()).toEqual(DEFAULT_SETTINGS);
    store.set('coderag.settings.v1', JSON.stringify({ retriever: 'drop table', k: '3' }));
    expect(loadSettings()).toEqual(DEFAULT_SETTINGS);
  });
});
