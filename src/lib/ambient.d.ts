// voy-search ships no types for its wasm-bindgen glue module, which we instantiate by hand.
declare module 'voy-search/voy_search_bg.js' {
  const glue: Record<string, unknown>;
  export = glue;
}

// hnswlib-wasm's emscripten factory (the WASM inlined), imported directly by src/lib/index/hnsw.ts.
declare module 'hnswlib-wasm/dist/hnswlib-317962d7.js' {
  const factory: () => Promise<unknown>;
  export default factory;
}
