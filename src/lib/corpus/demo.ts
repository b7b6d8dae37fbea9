/**
 * JSON Lines corpora of question/SQL records: the team's `static-data/demo/corpus.jsonl`
 * (`{"id","db_id","question","sql"}` per line) and Spider-like JSONL files (`query` accepted for
 * `sql`, `id` optional). Row numbers are line numbers.
 */
import { ExampleSink, isRecord, parseJsonLines, readFields } from './records.ts';
import { attachSchemas } from './spider.ts';
import { corpusHash } from './hash.ts';
import type { Corpus, Example, LoadResult, TableInfo } from '../types.ts';

export interface QuestionJsonlOptions {
  /** Prefix for records without an `id`: `<idPrefix>-<line - 1>`. Default `jsonl`. */
  idPrefix?: string;
  /** When true, a record without an `id` is an issue (skipped). */
  requireId?: boolean;
  /** When true, a record without a `db_id` is an issue (skipped). */
  requireDbId?: boolean;
  /** Schemas by db_id: examples get `schema` DDL and the result gets `schemas`. */
  tables?: Record<string, TableInfo[]>;
}

/** Generic question/SQL JSON Lines: `question`, `sql` (or `query`), optional `id`, `db_id`, `schema`. */
export function parseQuestionJsonl(text: string, opts: QuestionJsonlOptions = {}): LoadResult {
  const prefix = opts.idPrefix ?? 'jsonl';
  const { lines, issues } = parseJsonLines(text);
  const sink = new ExampleSink(issues);
  for (const { row, value } of lines) {
    if (!isRecord(value)) {
      sink.issue(row, 'not a JSON object; skipped');
      continue;
    }
    const required: ('question' | 'id' | 'db_id' | readonly ('sql' | 'query')[])[] = [];
    if (opts.requireId) required.push('id');
    if (opts.requireDbId) required.push('db_id');
    required.push('question', ['sql', 'query']);
    const r = readFields(value, required, ['id', 'db_id', 'schema'] as const);
    if ('reason' in r) {
      sink.issue(row, r.reason);
      continue;
    }
    const v = r.values as Record<string, string | undefined>;
    const ex: Example = { id: v.id ?? `${prefix}-${row - 1}`, question: v.question!, sql: v.sql! };
    if (v.schema !== undefined) ex.schema = v.schema;
    if (v.db_id !== undefined) ex.dbId = v.db_id;
    sink.add(row, ex);
  }
  return attachSchemas(sink.result(), opts.tables);
}

/**
 * The demo corpus: every line `{"id","db_id","question","sql"}`, all four required (records
 * without them, bad JSON and duplicate ids are reported by line and skipped). Ids are kept as is.
 */
export function parseDemoCorpus(jsonlText: string, opts: { tables?: Record<string, TableInfo[]> } = {}): LoadResult {
  return parseQuestionJsonl(jsonlText, { idPrefix: 'demo', requireId: true, requireDbId: true, tables: opts.tables });
}

/** The demo corpus's name in the app (its index slot, and the pack's name). */
export const DEMO_CORPUS_NAME = 'Demo examples';

/** Keep the CREATE statements of a SQL script (drop INSERTs): the schema context of an example. */
export function onlyDdl(sql: string): string {
  return (sql.match(/CREATE\s+TABLE[\s\S]*?\);/gi) ?? []).join('\n');
}

/**
 * The demo corpus exactly as the app shows it: the JSONL examples, each with the DDL of its
 * database (`shop` from the demo shop script, the others from `schemas/<db>.sql`). The page and
 * the demo pack's build script (scripts/demo-pack.ts) share it, so their corpus hashes agree.
 * @param schemaFiles SQL text by database name (file name without `.sql`)
 */
export function buildDemoCorpus(shopSql: string, schemaFiles: Record<string, string>, jsonlText: string): Corpus {
  const ddl: Record<string, string> = { shop: onlyDdl(shopSql) };
  for (const [name, text] of Object.entries(schemaFiles)) ddl[name] = onlyDdl(text);
  const res = parseDemoCorpus(jsonlText);
  const examples = res.examples.map((e) => ({ ...e, schema: e.dbId ? ddl[e.dbId] : undefined }));
  return { name: DEMO_CORPUS_NAME, hash: corpusHash(examples), examples };
}
