/** The cross-encoder reranker in Node (evaluations, tests): the host's transformers.js and model base. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { RerankerSpec } from '../../lib/config.ts';
import { loadCrossEncoder, type PairScorer } from '../../lib/code/rerank.ts';
import type { RerankerLoader } from '../../lib/code/service.ts';
import { localModelsDir, transformers } from '../host.ts';

export function nodeRerankerLoader(): RerankerLoader {
  return async (spec, _source, onProgress) =>
    loadCrossEncoder(await transformers(), spec, { device: 'cpu', onProgress });
}

/** Load a registry cross-encoder in process (throws ModelLoadError when it cannot be). */
export async function loadNodeReranker(spec: RerankerSpec): Promise<PairScorer> {
  return loadCrossEncoder(await transformers(), spec, { device: 'cpu' });
}

/** Whether a local copy of the model is there (no Hub is reachable on offline machines). */
export function localReranker(spec: RerankerSpec, modelsDir: string | null = localModelsDir()): boolean {
  return modelsDir != null && existsSync(path.join(modelsDir, spec.id, 'config.json'));
}
