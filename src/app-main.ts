import { mount } from 'svelte';
import App from './ui/App.svelte';
import { pwa } from './ui/pwa.svelte.ts';
import { createBrowserUi } from './ui/browser-app.ts';

import { mark } from './lib/marks.ts';
import { nextTask } from './lib/tasks.ts';

mark('app-chunk');
pwa.start();
// The chunk's evaluation, the app's state and services, and the first render as three tasks, not
// one (issue 15, item 2: no main-thread task over 50 ms at load).
await nextTask();
const ui = createBrowserUi();
await nextTask();
mount(App, { target: document.getElementById('app')!, props: { ui } });
mark('mounted');
