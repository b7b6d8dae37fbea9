/**
 * The page's entry, kept small: it starts the SQL worker and the demo database's fetch
 * (./browser/early.ts), then loads the app. Those run while the app's chunk is fetched, parsed
 * and evaluated, so Run is enabled sooner after a load (docs/instant-start.md, round 5).
 */
import { startEarly } from './browser/early.ts';
import { DEMO_DB_NAME, DEMO_DB_URL, START_DB_HINT_KEY } from './ui/demo-urls.ts';
import './ui/app.css';
import { mark } from './lib/marks.ts';

mark('entry');

// The demo comes back unless the last visit saved another database (the Ask page writes the hint).
let hint: string | null = null;
try {
  hint = localStorage.getItem(START_DB_HINT_KEY);
} catch {
  /* no storage: open the demo early, as on a first visit */
}
startEarly([], hint === 'other' ? undefined : { url: DEMO_DB_URL, name: DEMO_DB_NAME });
void import('./app-main.ts');

// The first number or date formatted on a page loads ICU's formats (about 15-20 ms, once per page;
// the app's first render formats counts): done now, in a task of its own while the app's chunk is
// fetched, so that render's task is that much shorter (docs/main-thread.md, round 8).
setTimeout(() => {
  (0).toLocaleString('en-US');
  new Date(0).toLocaleString();
}, 0);
