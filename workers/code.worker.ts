/**
 * Code worker: ingestion, tree-sitter chunking and search of the code & docs collections, off the
 * page's main thread. Grammars are bundled assets fetched on first use of their language; the
 * opt-in cross-encoder reranker is loaded here when the user turns it on.
 */
import * as Comlink from 'comlink';
import runtimeWasm from 'web-tree-sitter/web-tree-sitter.wasm?url';
import typescriptWasm from '@vscode/tree-sitter-wasm/wasm/tree-sitter-typescript.wasm?url';
import tsxWasm from '@vscode/tree-sitter-wasm/wasm/tree-sitter-tsx.wasm?url';
import javascriptWasm from '@vscode/tree-sitter-wasm/wasm/tree-sitter-javascript.wasm?url';
import pythonWasm from '@vscode/tree-sitter-wasm/wasm/tree-sitter-python.wasm?url';
import goWasm from '@vscode/tree-sitter-wasm/wasm/tree-sitter-go.wasm?url';
import { registerErrorTransfer } from '../src/lib/errors-transfer.ts';
import type { GrammarId } from '../src/lib/code/languages.ts';
import { CodeParsers } from '../src/lib/code/parsers.ts';
import { loadCrossEncoder } from '../src/lib/code/rerank.ts';
import { LocalCodeCollections } from '../src/lib/code/service.ts';
import { browserTransformers } from '../src/browser/runtime.ts';

const GRAMMARS: Record<GrammarId, string> = {
  typescript: typescriptWasm,
  tsx: tsxWasm,
  javascript: javascriptWasm,
  python: pythonWasm,
  go: goWasm,
};

const parsers = new CodeParsers({
  runtimeWasm,
  async grammar(id) {
    const r = await fetch(GRAMMARS[id]);
    if (!r.ok) throw new Error(`grammar ${id}: HTTP ${r.status}`);
    return new Uint8Array(await r.arrayBuffer());
  },
});

// The opt-in cross-encoder runs here too, beside the search it reranks (transformers.js on WASM,
// from the same model base as the embedder; the download's progress goes back to the page).
const api = new LocalCodeCollections(parsers, async (spec, source, onProgress) => {
  if (!source) throw new Error('no model source was given');
  return loadCrossEncoder(await browserTransformers(source, 'wasm'), spec, { device: 'wasm', onProgress });
});
export type CodeApi = LocalCodeCollections;

registerErrorTransfer();
Comlink.expose(api);
