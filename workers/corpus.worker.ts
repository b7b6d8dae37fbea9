/**
 * Corpus worker: parses, checks and hashes a chosen corpus file (src/lib/corpus/open.ts) off the
 * page's main thread. One per file; the page terminates it when done.
 */
import * as Comlink from 'comlink';
import { registerErrorTransfer } from '../src/lib/errors-transfer.ts';
import { openCorpusFile } from '../src/lib/corpus/open.ts';

const api = { open: openCorpusFile };

export type CorpusApi = typeof api;
registerErrorTransfer();
Comlink.expose(api);
