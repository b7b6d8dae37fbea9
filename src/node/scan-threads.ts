/**
 * Node's host for the int8 scan threads (src/lib/index/int8-threads.ts): each helper is a
 * worker_threads Worker running `scanHelperMain` from its source text (the function is
 * self-contained), with the compiled kernel and the shared memory in its workerData.
 */
import { Worker } from 'node:worker_threads';
import { scanHelperMain, type SpawnScanHelper } from '../lib/index/int8-threads.ts';

const source = `const { workerData } = require('node:worker_threads');\n(${scanHelperMain.toString()})(workerData);\n`;

export const spawnNodeScanHelper: SpawnScanHelper = (init) => {
  const w = new Worker(source, { eval: true, workerData: init });
  w.unref(); // a helper blocked in Atomics.wait must not keep the process alive
  w.on('error', () => {}); // a helper that fails never registers: the scan runs without it
  return { terminate: () => void w.terminate() };
};
