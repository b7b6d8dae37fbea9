/** The demo database's file URL alone (the page's small entry prefetches it: src/main.ts). */
import shopSqlUrl from '../../static-data/demo/shop.sql?url';

export const DEMO_DB_URL: string = shopSqlUrl;
/** The demo database's name (the early open and the app's open must give the same). */
export const DEMO_DB_NAME = 'Demo shop';
