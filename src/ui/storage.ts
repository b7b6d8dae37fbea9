/**
 * What this app keeps in the browser, for the Storage panel: Cache API entries (model files,
 * grouped by model), IndexedDB indexes and saved corpus/database, with sizes and deletes.
 */
export interface CachedModel {
  /** Model id (Hub id or local folder name) or the file's origin when unknown. */
  id: string;
  cache: string;
  files: number;
  bytes: number;
  urls: string[];
}

/**
 * The model a cached file belongs to, or null when the file is not a model file (the runtime's
 * own .wasm/.mjs files fetched from node_modules or assets, the app shell, anything unknown).
 */
export function modelIdFromUrl(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (/\/node_modules\//.test(u.pathname)) return null;
  if (/\/models\/[^/]+\/./.test(u.pathname)) {
    // /models/<id>/file or /models/<org>/<name>/file (also under onnx/)
    const parts = u.pathname.split('/models/')[1].split('/');
    const fileIdx = parts.findIndex((p, i) => i > 0 && (p === 'onnx' || /\.(json|onnx|txt|model|bin|wasm)$/.test(p)));
    return parts.slice(0, fileIdx > 0 ? fileIdx : 1).join('/');
  }
  const hub = u.pathname.match(/^\/([^/]+\/[^/]+)\/resolve\//);
  if (hub) return hub[1];
  const mlc = u.pathname.match(/\/(?:mlc-ai\/)?([^/]*-MLC)\//);
  if (mlc) return mlc[1];
  // WebLLM's compiled model libraries (…/<model>-ctx4k_cs1k-webgpu.wasm)
  const lib = u.pathname.match(/\/([^/]+)-webgpu\.wasm$/);
  if (lib) return `${lib[1]} (WebGPU library)`;
  return null;
}

/** Readable name of a stored vector index: its corpus, and which index of it (no internal "#masked"). */
export function indexLabel(meta: { slot: string; textMode: string }): { corpus: string; index: string } {
  const masked = meta.textMode === 'masked-question' || meta.slot.endsWith('#masked');
  const corpus = meta.slot.replace(/#masked$/, '');
  const index = masked ? 'masked-question index' : `${meta.textMode} index`;
  return { corpus, index };
}

async function entrySize(cache: Cache, req: Request): Promise<number> {
  const res = await cache.match(req);
  if (!res) return 0;
  const len = Number(res.headers.get('content-length'));
  if (len > 0) return len;
  try {
    return (await res.blob()).size;
  } catch {
    return 0;
  }
}

/** Model files cached by transformers.js, WebLLM and our service worker. Skips the app shell. */
export async function listCachedModels(): Promise<CachedModel[]> {
  if (typeof caches === 'undefined') return [];
  const out = new Map<string, CachedModel>();
  for (const name of await caches.keys()) {
    if (name.startsWith('workbox-precache') || name === 'coderag-runtime') continue;
    const cache = await caches.open(name);
    for (const req of await cache.keys()) {
      if (/\/models\/index\.json$/.test(req.url)) continue;
      const id = modelIdFromUrl(req.url);
      if (!id) continue; // not a model file (runtime wasm, app files): not listed as a model
      const key = `${name}|${id}`;
      const m = out.get(key) ?? { id, cache: name, files: 0, bytes: 0, urls: [] };
      m.files++;
      m.bytes += await entrySize(cache, req);
      m.urls.push(req.url);
      out.set(key, m);
    }
  }
  return [...out.values()].sort((a, b) => b.bytes - a.bytes);
}

export async function deleteCachedModel(m: CachedModel): Promise<void> {
  const cache = await caches.open(m.cache);
  for (const u of m.urls) await cache.delete(u);
}

export async function estimate(): Promise<{ usage: number; quota: number; persisted: boolean } | null> {
  if (!navigator.storage?.estimate) return null;
  const e = await navigator.storage.estimate();
  const persisted = navigator.storage.persisted ? await navigator.storage.persisted() : false;
  return { usage: e.usage ?? 0, quota: e.quota ?? 0, persisted };
}

export async function requestPersist(): Promise<boolean> {
  return navigator.storage?.persist ? navigator.storage.persist() : false;
}

/** A warning when a download of `mb` megabytes would not fit the free quota, else null. */
export async function quotaWarning(mb: number): Promise<string | null> {
  const e = await estimate();
  if (!e || !e.quota) return null;
  const freeMB = (e.quota - e.usage) / 1e6;
  return freeMB < mb * 1.1
    ? `Only about ${freeMB.toFixed(0)} MB of browser storage is free, and this needs about ${mb.toFixed(0)} MB. Free space in Storage first, or the download will fail.`
    : null;
}

export function fmtBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)} kB`;
  return `${n} B`;
}
