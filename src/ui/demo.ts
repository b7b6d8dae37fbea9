/** The built-in demo: the team's shop database and question→SQL corpus from static-data/. */
import corpusUrl from '../../static-data/demo/corpus.jsonl?url';
import { DEMO_CORPUS_NAME, onlyDdl } from '../lib/corpus/demo.ts';
import type { Corpus } from '../lib/types.ts';
import { takeEarlyFetch } from '../browser/early.ts';
import { buildDemoCorpusInWorker } from '../browser/services.ts';
import { DEMO_DB_URL } from './demo-urls.ts';

const schemaFiles = import.meta.glob('../../static-data/demo/schemas/*.sql', {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>;

export { DEMO_DB_NAME } from './demo-urls.ts';
export { DEMO_CORPUS_NAME, onlyDdl };
/** The demo corpus's pack (scripts/demo-pack.ts writes it; vite copies public/ into the build). */
export const DEMO_PACK_URL = `${import.meta.env.BASE_URL}packs/demo.pack`;

let demoSqlText: Promise<string> | null = null;

/** The demo database's SQL, fetched once per page (the database and the demo corpus both read it). */
export function demoDatabaseSql(): Promise<string> {
  demoSqlText ??= (async () => {
    // the page's entry may have started this fetch already (src/browser/early.ts)
    const r = (await takeEarlyFetch(DEMO_DB_URL)) ?? (await fetch(DEMO_DB_URL));
    if (!r.ok) throw new Error(`could not fetch the demo database (${r.status})`);
    return r.text();
  })();
  demoSqlText.catch(() => (demoSqlText = null)); // a failed fetch is tried again next time
  return demoSqlText;
}

export async function demoCorpus(): Promise<Corpus> {
  // both files at once (the page's first load waits for this corpus before a question can be asked)
  const [shop, r] = await Promise.all([demoDatabaseSql(), fetch(corpusUrl)]);
  const schemas: Record<string, string> = {};
  for (const [file, text] of Object.entries(schemaFiles)) {
    schemas[
      file
        .split('/')
        .pop()!
        .replace(/\.sql$/, '')
    ] = text;
  }
  if (!r.ok) throw new Error(`could not fetch the demo corpus (${r.status})`);
  return buildDemoCorpusInWorker(shop, schemas, await r.text());
}
