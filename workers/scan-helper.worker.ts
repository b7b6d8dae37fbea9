/**
 * A scan helper for the int8 index (src/lib/index/int8-threads.ts): started by the index worker
 * when the page is cross-origin isolated; scores its shard of the rows for each search, on the
 * shared memory it is sent, until the index is disposed.
 */
import { scanHelperMain, type ScanHelperInit } from '../src/lib/index/int8-threads.ts';

self.onmessage = (e: MessageEvent<ScanHelperInit>) => scanHelperMain(e.data);
