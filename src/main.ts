import { mount } from 'svelte';
import App from './ui/App.svelte';
import { pwa } from './ui/pwa.svelte.ts';
import './ui/app.css';

pwa.start();
const app = mount(App, { target: document.getElementById('app')! });
export default app;
