/** The demo database's file URL alone (the page's small entry prefetches it: src/main.ts). */
import shopSqlUrl from '../../static-data/demo/shop.sql?url';

export const DEMO_DB_URL: string = shopSqlUrl;
