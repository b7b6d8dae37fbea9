/** User settings, persisted in localStorage. */
import { DEFAULT_TEXT_MODE, type TextMode } from '../lib/rag/doc-text.ts';
import type { IndexKind } from '../lib/index/vector-index.ts';
import type { Dtype } from '../lib/config.ts';

export interface Settings {
  /** 'auto': local models when the site serves ./models/index.json, else the Hub. */
  modelSource: 'auto' | 'hub' | 'local';
  localBase: string;
  /** '' = pick from what is available. */
  embedderId: string;
  embedDtype: Dtype | '';
  embedDevice: 'auto' | 'webgpu' | 'wasm';
  indexKind: IndexKind;
  textMode: TextMode;
  /** Example-selection strategy (src/lib/retrieve/strategies.ts). */
  retriever: string;
  /** Apply the trained query adapter (when one exists for the embedder). */
  adapterOn: boolean;
  engine: 'auto' | 'webllm' | 'cpu';
  webllmFamily: string;
  cpuModelId: string;
  cpuDtype: Dtype | '';
  k: number;
  timeoutMs: number;
  maxNewTokens: number;
  /** Models larger than this (MB) are only downloaded after the user confirms. */
  autoDownloadMB: number;
}

export const DEFAULT_SETTINGS: Settings = {
  modelSource: 'auto',
  localBase: './models/',
  embedderId: '',
  embedDtype: '',
  embedDevice: 'auto',
  // Measured fastest with recall@10 = 1.00 (docs/benchmarks.md): int8 scan + exact re-rank.
  indexKind: 'int8',
  textMode: DEFAULT_TEXT_MODE,
  retriever: 'vote',
  adapterOn: true,
  engine: 'auto',
  webllmFamily: 'mistral-7b-instruct',
  cpuModelId: '',
  cpuDtype: '',
  k: 3,
  timeoutMs: 5000,
  maxNewTokens: 128,
  autoDownloadMB: 100,
};

const KEY = 'coderag.settings.v1';

/** Where settings are kept: localStorage in the page, a fake in tests. */
export type SettingsStorage = Pick<Storage, 'getItem' | 'setItem'>;

/** The page's localStorage, or null where there is none (Node). */
export function pageStorage(): SettingsStorage | null {
  return typeof localStorage === 'undefined' ? null : localStorage;
}

export function loadSettings(storage: SettingsStorage | null = pageStorage()): Settings {
  try {
    const raw = storage?.getItem(KEY);
    if (raw) return { ...DEFAULT_SETTINGS, ...JSON.parse(raw) };
  } catch {
    /* corrupt settings: fall back to defaults */
  }
  return { ...DEFAULT_SETTINGS };
}

export function saveSettings(s: Settings, storage: SettingsStorage | null = pageStorage()): void {
  try {
    storage?.setItem(KEY, JSON.stringify(s));
  } catch {
    /* storage full or disabled: settings stay in memory */
  }
}
