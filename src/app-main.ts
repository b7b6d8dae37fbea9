import { mount } from 'svelte';
import App from './ui/App.svelte';
import { pwa } from './ui/pwa.svelte.ts';

pwa.start();
mount(App, { target: document.getElementById('app')! });
