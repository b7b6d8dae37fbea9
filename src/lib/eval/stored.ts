/**
 * What the browser's Evaluate page keeps in IndexedDB (index/store.ts, keys `eval:dataset` and
 * `eval:progress`) so that a run resumes after a reload.
 */
import type { PromptFormat } from '../config.ts';
import type { TextMode } from '../rag/doc-text.ts';
import type { RetrieverName } from '../retrieve/strategies.ts';
import type { EvalExample } from './report.ts';
import type { EvalItem } from './runner.ts';

/** The questions of a browser evaluation and the databases they run on. */
export interface StoredEvalDataset {
  name: string;
  kind: 'spider' | 'gretel';
  items: EvalItem[];
  /** Spider: database bytes by db_id. */
  dbs: Record<string, Uint8Array>;
  /** gretel: the CREATE/INSERT context of each item, by item id (the item's dbId). */
  contexts: Record<string, string>;
}

/** How a browser evaluation was run (a resumed run must match it). */
export interface EvalConfig {
  ks: number[];
  limit: number;
  seed: number;
  dataset: string;
  generator: string;
  format: PromptFormat;
  embedder: string;
  corpus: string;
  textMode: TextMode;
  adapter: boolean;
  retriever: RetrieverName;
  startedAt: string;
  /** Model candidates voted per question beside the greedy answer (absent or 0: greedy only). */
  candidates?: number;
}

/** A browser evaluation in progress (or finished): its config, questions and the answers so far. */
export interface StoredEvalProgress {
  config: EvalConfig;
  items: EvalItem[];
  done: { k: number; examples: EvalExample[] }[];
  finished: boolean;
  wallMs: number;
}
