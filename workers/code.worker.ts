/**
 * Code worker: ingestion, tree-sitter chunking and search of the code & docs collections, off the
 * page's main thread. Grammars are bundled assets fetched on first use of their language.
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
import { LocalCodeCollections } from '../src/lib/code/service.ts';

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

const api = new LocalCodeCollections(parsers);
export type CodeApi = LocalCodeCollections;

registerErrorTransfer();
Comlink.expose(api);
