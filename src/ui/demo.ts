/** The built-in demo: the team's shop database and question→SQL corpus from static-data/. */
import shopSqlUrl from '../../static-data/demo/shop.sql?url';
import corpusUrl from '../../static-data/demo/corpus.jsonl?url';
import { parseDemoCorpus } from '../lib/corpus/demo.ts';
import { corpusHash } from '../lib/corpus/hash.ts';
import type { Corpus } from '../lib/types.ts';

const schemaFiles = import.meta.glob('../../static-data/demo/schemas/*.sql', {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>;

export const DEMO_DB_NAME = 'Demo shop';
export const DEMO_CORPUS_NAME = 'Demo examples';

export async function demoDatabaseSql(): Promise<string> {
  const r = await fetch(shopSqlUrl);
  if (!r.ok) throw new Error(`could not fetch the demo database (${r.status})`);
  return r.text();
}

export async function demoCorpus(): Promise<Corpus> {
  const shop = await demoDatabaseSql();
  const ddl: Record<string, string> = { shop: onlyDdl(shop) };
  for (const [file, text] of Object.entries(schemaFiles)) {
    const name = file
      .split('/')
      .pop()!
      .replace(/\.sql$/, '');
    ddl[name] = onlyDdl(text);
  }
  const r = await fetch(corpusUrl);
  if (!r.ok) throw new Error(`could not fetch the demo corpus (${r.status})`);
  const res = parseDemoCorpus(await r.text());
  const examples = res.examples.map((e) => ({ ...e, schema: e.dbId ? ddl[e.dbId] : undefined }));
  return { name: DEMO_CORPUS_NAME, hash: corpusHash(examples), examples };
}

/** Keep the CREATE statements of a SQL script (drop INSERTs): the schema context of an example. */
export function onlyDdl(sql: string): string {
  return (sql.match(/CREATE\s+TABLE[\s\S]*?\);/gi) ?? []).join('\n');
}
