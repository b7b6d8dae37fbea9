import { mount } from 'svelte';
import App from './ui/App.svelte';
import { pwa } from './ui/pwa.svelte.ts';

import { mark } from './lib/marks.ts';

mark('app-chunk');
pwa.start();
mount(App, { target: document.getElementById('app')! });
mark('mounted');
