/** Index worker: the active vector index (int8 scan, IVF, flat scan or voy-search WASM), persisted in IndexedDB. */
import * as Comlink from 'comlink';
import { registerErrorTransfer } from '../src/lib/errors-transfer.ts';
import voyWasm from 'voy-search/voy_search_bg.wasm?url';
import { IndexService } from '../src/lib/index/service.ts';
import { IndexStore, type IndexMeta } from '../src/lib/index/store.ts';
import type { IndexSearchOptions } from '../src/lib/services.ts';
import { flatFactory } from '../src/lib/index/flat.ts';
import { initVoy, voyFactory } from '../src/lib/index/voy.ts';
import { createInt8Factory, int8Factory } from '../src/lib/index/int8.ts';
import { sharedMemoryAvailable, type SpawnScanHelper } from '../src/lib/index/int8-threads.ts';
import { ivfFactory } from '../src/lib/index/ivf.ts';
import { decodePackVectors, packBuffers, readPack, type ReadPackOptions } from '../src/lib/pack/read.ts';

/** A scan helper thread for the int8 index (a module worker started from this one). */
const spawnScanHelper: SpawnScanHelper = (init) => {
  const w = new Worker(new URL('./scan-helper.worker.ts', import.meta.url), { type: 'module', name: 'scan-helper' });
  w.postMessage(init);
  return { terminate: () => w.terminate() };
};

/**
 * The int8 scan runs on two threads when the page is cross-origin isolated (shared memory) and has
 * cores to spare; a helper that cannot start never joins, and the scan runs on this thread alone.
 */
const scanThreads = sharedMemoryAvailable() && (self.navigator?.hardwareConcurrency ?? 1) >= 4 ? 2 : 1;
const int8 =
  scanThreads > 1 ? createInt8Factory({ threads: { count: scanThreads, spawn: spawnScanHelper } }) : int8Factory;

const servicePromise = (async () => {
  await initVoy(() => fetch(voyWasm));
  return new IndexService(await IndexStore.open(), {
    flat: flatFactory,
    voy: voyFactory,
    int8,
    ivf: ivfFactory,
  });
})();

const api = {
  async restore(meta: IndexMeta) {
    return (await servicePromise).restore(meta);
  },
  async build(meta: IndexMeta, vectors: Float32Array, embedMs: number) {
    return (await servicePromise).build(meta, vectors, embedMs);
  },
  async append(meta: IndexMeta, base: IndexMeta, vectors: Float32Array) {
    return (await servicePromise).append(meta, base, vectors);
  },
  async search(query: Float32Array, k: number, o?: IndexSearchOptions) {
    return (await servicePromise).search(query, k, o);
  },
  async list() {
    return (await servicePromise).list();
  },
  async delete(key: string) {
    return (await servicePromise).delete(key);
  },
  /**
   * Check a pack (checksums, corpus hash) and decode its vectors here, off the page's main thread;
   * the pack's buffers move back to the page, not copied.
   */
  async readPack(buf: ArrayBuffer, opts?: ReadPackOptions) {
    const pack = decodePackVectors(readPack(buf, opts));
    return Comlink.transfer(pack, packBuffers(pack));
  },
};

export type IndexApi = typeof api;
registerErrorTransfer();
Comlink.expose(api);
