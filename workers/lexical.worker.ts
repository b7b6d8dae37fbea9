/**
 * Lexical worker: builds the BM25 indexes of a corpus (its questions and its masked questions)
 * off the page's main thread, as soon as the corpus is loaded, and answers lexical searches.
 */
import * as Comlink from 'comlink';
import { registerErrorTransfer } from '../src/lib/errors-transfer.ts';
import { lexicalWorkerApi } from '../src/lib/retrieve/lexical-search.ts';

const api = lexicalWorkerApi();

registerErrorTransfer();
Comlink.expose(api);
