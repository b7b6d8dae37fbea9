/** `npm run eval -- --resume`: the examples already scored in --out by a run with the same settings. */
import { existsSync, readFileSync } from 'node:fs';
import type { EvalExample, EvalRun, RetrievalRun } from '../../lib/eval/report.ts';
import { errorMessage } from '../../lib/errors.ts';
import { UsageError, type CliIO } from '../cli/args.ts';
import type { EvalCliOptions } from './args.ts';
import type { RunConfig } from './config.ts';

/** A saved report: runs and the config they were made with. */
export interface EvalReport {
  runs: (EvalRun | RetrievalRun)[];
  config: Record<string, unknown>;
}

/** Examples already scored by the same configuration (none without --resume or a saved --out). */
export function previousRuns(
  o: EvalCliOptions,
  baseConfig: RunConfig,
  io: CliIO,
): { k: number; examples: EvalExample[] }[] {
  const done: { k: number; examples: EvalExample[] }[] = [];
  if (!(o.resume && o.out && existsSync(o.out))) return done;
  let prev: EvalReport;
  try {
    prev = JSON.parse(readFileSync(o.out, 'utf8')) as EvalReport;
  } catch (e) {
    throw new UsageError(`--resume: ${o.out} is not a report this CLI wrote (${errorMessage(e)})`, { cause: e });
  }
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const pc = prev.config as RunConfig;
  const mismatch: string[] = (['seed', 'limit', 'max_new_tokens', 'adapter'] as const).filter(
    (key) => !same(pc?.[key], baseConfig[key]),
  );
  if ((pc?.prune ?? false) !== baseConfig.prune) mismatch.push('prune');
  if (!same(pc?.data?.spider, baseConfig.data.spider) || !same(pc?.data?.gretel, baseConfig.data.gretel))
    mismatch.push('data');
  if (!same(pc?.models?.generator, baseConfig.models.generator)) mismatch.push('generator');
  // Retrieval settings only matter when both runs retrieve (a k = 0 run may gain a k = 3 run).
  if (pc?.models?.embedder && baseConfig.models.embedder) {
    if (!same(pc.models.embedder, baseConfig.models.embedder)) mismatch.push('embedder');
    if (!same(pc.corpus, baseConfig.corpus)) mismatch.push('corpus');
    if (!same(pc.text_mode, baseConfig.text_mode)) mismatch.push('text_mode');
    if (!same(pc.retriever ?? 'dense', baseConfig.retriever)) mismatch.push('retriever');
  }
  if (mismatch.length)
    throw new UsageError(
      `--resume: ${o.out} was written with different settings (${mismatch.join(', ')}); use another --out or the same settings`,
    );
  for (const r of prev.runs as EvalRun[]) done.push({ k: r.k, examples: r.examples });
  io.err(`[eval] resuming: ${done.reduce((s, d) => s + d.examples.length, 0)} examples already scored`);
  return done;
}
