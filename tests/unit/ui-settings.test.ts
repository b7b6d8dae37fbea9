import { describe, expect, test } from 'vitest';
import { SettingsState } from '../../src/ui/state/settings.svelte.ts';
import { DEFAULT_SETTINGS } from '../../src/ui/settings.ts';

function memoryStorage(init: Record<string, string> = {}) {
  const m = new Map(Object.entries(init));
  return { m, getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) };
}

describe('SettingsState', () => {
  test('starts from the defaults and persists each update', () => {
    const st = memoryStorage();
    const s = new SettingsState(st);
    expect(s.value).toEqual(DEFAULT_SETTINGS);
    s.update({ k: 5, retriever: 'dense' });
    expect(s.value.k).toBe(5);
    const again = new SettingsState(st);
    expect(again.value.k).toBe(5);
    expect(again.value.retriever).toBe('dense');
    expect(again.value.timeoutMs).toBe(DEFAULT_SETTINGS.timeoutMs);
  });

  test('stored settings are merged over the defaults (a newer build adds fields)', () => {
    const st = memoryStorage({ 'coderag.settings.v1': JSON.stringify({ k: 7 }) });
    const s = new SettingsState(st);
    expect(s.value.k).toBe(7);
    expect(s.value.indexKind).toBe(DEFAULT_SETTINGS.indexKind);
  });

  test('corrupt stored settings fall back to the defaults; a failing store keeps them in memory', () => {
    const s = new SettingsState(memoryStorage({ 'coderag.settings.v1': '{not json' }));
    expect(s.value).toEqual(DEFAULT_SETTINGS);
    const full = new SettingsState({
      getItem: () => null,
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    });
    full.update({ k: 1 });
    expect(full.value.k).toBe(1);
  });

  test('without any storage (null) it still works', () => {
    const s = new SettingsState(null);
    s.update({ maxNewTokens: 64 });
    expect(s.value.maxNewTokens).toBe(64);
  });
});
