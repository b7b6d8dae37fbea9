import { mount } from 'svelte';
import App from './ui/App.svelte';
import { pwa } from './ui/pwa.svelte.ts';

import { mark } from './lib/marks.ts';

mark('app-chunk');
pwa.start();
// The chunk's evaluation and the first render as two tasks, not one (issue 15, item 2).
await new Promise<void>((resolve) => setTimeout(resolve, 0));
mount(App, { target: document.getElementById('app')! });
mark('mounted');
