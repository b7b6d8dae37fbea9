/**
 * voy-search (a WASM k-d tree) behind the VectorIndex interface.
 *
 * voy returns neighbours without distances, so scores are recomputed exactly from the stored
 * vectors. Known limits (measured): the constructor throws `unwrap_throw failed` at 50k+ vectors
 * of 512-d, and it is no faster than a flat scan at 512-d. It stays for small corpora and the
 * benchmark; the flat scan is the default.
 *
 * The wasm is instantiated by hand from bytes the host supplies (a `?url` fetch in the browser,
 * a file read in Node), so no bundler wasm integration is needed.
 */
import * as bg from 'voy-search/voy_search_bg.js';
import { dot, type IndexFactory, type SearchHit, type VectorIndex } from './vector-index.ts';

type VoyCtor = typeof import('voy-search').Voy;
type VoyInstance = InstanceType<VoyCtor>;

let ready: Promise<void> | null = null;

/** Instantiate voy's wasm once per realm. `source` is the wasm's bytes or a Response. */
export function initVoy(source: () => Promise<ArrayBuffer | Response>): Promise<void> {
  ready ??= (async () => {
    const src = await source();
    const imports = { './voy_search_bg.js': bg as unknown as WebAssembly.ModuleImports };
    const { instance } =
      src instanceof Response
        ? await WebAssembly.instantiate(await src.arrayBuffer(), imports)
        : await WebAssembly.instantiate(src, imports);
    (bg as unknown as { __wbg_set_wasm(x: unknown): void }).__wbg_set_wasm(instance.exports);
  })();
  return ready;
}

function voyClass(): VoyCtor {
  if (!ready) throw new Error('voy-search is not initialised: call initVoy first');
  return (bg as unknown as { Voy: VoyCtor }).Voy;
}

/** voy's Resource shape, built without copying vectors more than once. */
function resource(vectors: Float32Array, dim: number) {
  const n = vectors.length / dim;
  const embeddings = new Array(n);
  for (let i = 0; i < n; i++) {
    embeddings[i] = {
      id: String(i),
      title: '',
      url: '',
      embeddings: Array.from(vectors.subarray(i * dim, (i + 1) * dim)),
    };
  }
  return { embeddings };
}

function checkWidth(vectors: Float32Array, dim: number): void {
  if (vectors.length % dim !== 0) throw new Error(`vector buffer of ${vectors.length} is not a multiple of dim ${dim}`);
}

export class VoyIndex implements VectorIndex {
  readonly kind = 'voy' as const;
  readonly size: number;
  private constructor(
    readonly vectors: Float32Array,
    readonly dim: number,
    private voy: VoyInstance,
  ) {
    this.size = vectors.length / dim;
  }
  static build(vectors: Float32Array, dim: number): VoyIndex {
    checkWidth(vectors, dim);
    const Voy = voyClass();
    let voy: VoyInstance;
    try {
      voy = new Voy(resource(vectors, dim));
    } catch (e) {
      throw new Error(
        `voy-search could not build an index of ${vectors.length / dim} vectors (${(e as Error).message}); use the flat index`,
        { cause: e },
      );
    }
    return new VoyIndex(vectors, dim, voy);
  }
  static restore(vectors: Float32Array, dim: number, serialized: string | undefined): VoyIndex {
    if (!serialized) return VoyIndex.build(vectors, dim);
    checkWidth(vectors, dim);
    return new VoyIndex(vectors, dim, voyClass().deserialize(serialized));
  }
  search(query: Float32Array, k: number, exclude?: (row: number) => boolean): SearchHit[] {
    // voy would read a query of another width without complaint, and panics (a wasm trap) on k <= 0.
    if (query.length !== this.dim) throw new Error(`query has ${query.length} dims, index has ${this.dim}`);
    if (k <= 0) return [];
    // Ask for extra neighbours when some may be excluded.
    const want = Math.min(this.size, exclude ? k + 8 : k);
    const res = this.voy.search(query, want);
    const hits: SearchHit[] = [];
    for (const nb of res.neighbors) {
      const i = Number(nb.id);
      if (exclude?.(i)) continue;
      hits.push({ row: i, score: dot(query, this.vectors, i * this.dim) });
    }
    hits.sort((a, b) => b.score - a.score);
    return hits.slice(0, k);
  }
  serializeExtra(): string {
    return this.voy.serialize();
  }
  dispose(): void {
    this.voy.free();
  }
}

export const voyFactory: IndexFactory = {
  kind: 'voy',
  build: (vectors, dim) => VoyIndex.build(vectors, dim),
  restore: (vectors, dim, extra) => VoyIndex.restore(vectors, dim, extra),
};
