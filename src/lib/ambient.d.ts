// voy-search ships no types for its wasm-bindgen glue module, which we instantiate by hand.
declare module 'voy-search/voy_search_bg.js' {
  const glue: Record<string, unknown>;
  export = glue;
}
