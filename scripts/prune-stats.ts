/**
 * `npx tsx scripts/prune-stats.ts --spider DIR --eval EVAL.json [--out FILE]`
 *
 * How schema pruning and value hints change the prompts of an evaluation, without generating:
 * for every question of an `npm run eval` report (its k > 0 run), the same retrieved examples
 * (by id), linked through the same engine, rendered with and without links, the tiny-sql prompt
 * cut with tiny-sql-lm's own tokenizer to its context (1,024 tokens minus 128 for the answer).
 * Counts the prompts that needed cutting, that schema pruning changed, and the questions that get
 * value hints in the families that show them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildPrompt, type PromptBudget } from '../src/lib/llm/prompts.ts';
import { promptLinker } from '../src/lib/rag/linking.ts';
import { SqlEngine } from '../src/lib/sql/engine.ts';
import { corpusIdPrefix, loadCorpus, loadSpiderDev, spiderTables } from '../src/node/eval-data.ts';
import { loadCpuGenerator, sqlJs } from '../src/node/host.ts';
import { writeAtomic } from '../src/node/cli/output.ts';
import type { EvalExample, EvalRun } from '../src/lib/eval/report.ts';

const { values } = parseArgs({
  options: { spider: { type: 'string' }, eval: { type: 'string' }, out: { type: 'string' } },
});
if (!values.spider || !values.eval) {
  console.error('usage: npx tsx scripts/prune-stats.ts --spider DIR --eval EVAL.json [--out FILE]');
  process.exit(2);
}
const dir = values.spider;
const report = JSON.parse(readFileSync(values.eval, 'utf8')) as { runs: EvalRun[] };
const run = report.runs.find((r) => r.k > 0);
if (!run) throw new Error(`${values.eval} has no run with k > 0`);
const dataset = loadSpiderDev(dir);
const corpusFile = path.join(dir, 'train/train_queries.spiderman.csv');
const { corpus } = await loadCorpus(corpusFile, spiderTables(dir)?.json, corpusIdPrefix(corpusFile));
const byId = new Map(corpus.examples.map((e) => [e.id, e]));
const gen = await loadCpuGenerator('tiny-sql-lm');
const budget: PromptBudget = {
  countTokens: (t) => gen.countTokens(t),
  maxTokens: gen.contextTokens - 128,
  contextTokens: gen.contextTokens,
};
const engine = new SqlEngine(await sqlJs());
let current = '';
const link = promptLinker(
  { exec: (sql, o) => engine.exec(sql, { timeoutMs: Math.min(o?.timeoutMs ?? 5000, 5000) }) },
  {
    dbKey: () => current,
  },
);

const rows: {
  id: string;
  db_id: string;
  tokens_full: number;
  cut_without_links: boolean;
  pruned: string[];
  changed: boolean;
  hints_chat: number;
  link_error?: string;
  link_ms: number;
}[] = [];
for (const e of run.examples as EvalExample[]) {
  if (current !== e.db_id) {
    engine.open(dataset.source(e.db_id));
    current = e.db_id;
  }
  const tables = dataset.tables(e.db_id) ?? engine.current!.tables;
  const examples = e.retrieved.map((r) => byId.get(r.id)!).map((x) => ({ question: x.question, sql: x.sql }));
  const t0 = performance.now();
  const l = await link(e.question, tables);
  const linkMs = performance.now() - t0;
  const input = { tables, examples, question: e.question };
  const blind = buildPrompt('tiny-sql', input, budget);
  const linked = buildPrompt('tiny-sql', { ...input, links: l.links, linkError: l.error }, budget);
  const chat = buildPrompt('chatml', { ...input, links: l.links });
  rows.push({
    id: e.id,
    db_id: e.db_id,
    tokens_full: gen.countTokens(buildPrompt('tiny-sql', input).text),
    cut_without_links: !!blind.cut || blind.examplesUsed < examples.length,
    pruned: linked.pruned?.left.map((t) => t.table) ?? [],
    changed: linked.text !== blind.text,
    hints_chat: chat.hints?.length ?? 0,
    ...(l.error ? { link_error: l.error } : {}),
    link_ms: Math.round(linkMs * 10) / 10,
  });
}
const n = rows.length;
const sorted = rows.map((r) => r.link_ms).sort((a, b) => a - b);
const summary = {
  eval: path.resolve(values.eval),
  questions: n,
  generator: { id: 'tiny-sql-lm', context_tokens: gen.contextTokens, prompt_budget: budget.maxTokens },
  tiny_sql: {
    max_tokens_full_prompt: Math.max(...rows.map((r) => r.tokens_full)),
    over_budget: rows.filter((r) => r.tokens_full > budget.maxTokens!).length,
    cut_without_links: rows.filter((r) => r.cut_without_links).length,
    pruned_with_links: rows.filter((r) => r.pruned.length).length,
    prompt_changed_by_links: rows.filter((r) => r.changed).length,
  },
  chatml_questions_with_value_hints: rows.filter((r) => r.hints_chat > 0).length,
  link_errors: rows.filter((r) => r.link_error).length,
  link_ms: { p50: sorted[Math.floor(n / 2)], p95: sorted[Math.floor(n * 0.95)] },
};
console.log(JSON.stringify(summary, null, 2));
if (values.out) writeAtomic(values.out, JSON.stringify({ ...summary, rows }, null, 2) + '\n');
await gen.dispose?.();
