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
