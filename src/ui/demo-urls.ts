/** The demo database's file URL alone (the page's small entry prefetches it: src/main.ts). */
import shopSqlUrl from '../../static-data/demo/shop.sql?url';

export const DEMO_DB_URL: string = shopSqlUrl;
/**
 * A hint in localStorage for the page's entry: 'other' when the database to reopen is not the
 * demo, so the entry neither fetches nor opens the demo early (src/main.ts); written by the
 * Ask page's database state whenever it saves what to reopen.
 */
export const START_DB_HINT_KEY = 'coderag.start-db';

/** The demo database's name (the early open and the app's open must give the same). */
export const DEMO_DB_NAME = 'Demo shop';
