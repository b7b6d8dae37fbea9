/// <reference lib="webworker" />
/**
 * Service worker (vite-plugin-pwa, injectManifest):
 * - precaches the app shell and the ORT, sql.js and voy wasm files, so the app opens offline;
 * - caches local model files (/models/…) at runtime, and the local model list (models/index.json)
 *   already at install, so an offline reload after a single visit still finds the local models
 *   (their files are in transformers.js's Cache API from that visit); Hub models are cached by
 *   transformers.js (Cache API) and WebLLM (its own cache);
 * - adds COOP/COEP headers to every same-origin response it serves, so the page is
 *   cross-origin isolated (WASM threads) even on static hosts that cannot send those headers,
 *   from the second load on.
 */
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute, addPlugins } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { CacheFirst, NetworkFirst } from 'workbox-strategies';
import { clientsClaim } from 'workbox-core';
import type { WorkboxPlugin } from 'workbox-core/types.js';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: (string | { url: string; revision: string | null })[] };

const isolation: WorkboxPlugin = {
  handlerWillRespond: async ({ response }) => withIsolation(response),
};

function withIsolation(response: Response): Response {
  if (!response || response.type === 'opaque' || response.status === 0) return response;
  const headers = new Headers(response.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  headers.set('Cross-Origin-Resource-Policy', 'same-origin');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

const LOCAL_MODELS_CACHE = 'coderag-local-models';

addPlugins([isolation]);
precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();

// The app is a single page: navigations get the precached index.html.
registerRoute(new NavigationRoute(createHandlerBoundToURL('index.html'), { denylist: [/\/models\//, /bench\.html$/] }));

// Local model base: the list may change (network first); model files do not (cache first).
registerRoute(
  ({ url }) => url.origin === self.location.origin && /\/models\/index\.json$/.test(url.pathname),
  new NetworkFirst({ cacheName: LOCAL_MODELS_CACHE, networkTimeoutSeconds: 3, plugins: [isolation] }),
);
registerRoute(
  ({ url }) => url.origin === self.location.origin && /\/models\//.test(url.pathname),
  new CacheFirst({ cacheName: LOCAL_MODELS_CACHE, plugins: [isolation] }),
);

// Any other same-origin GET (e.g. a .sqlite file served beside the app): network, with isolation headers.
registerRoute(
  ({ url, request }) => url.origin === self.location.origin && request.method === 'GET',
  new NetworkFirst({ cacheName: 'coderag-runtime', networkTimeoutSeconds: 5, plugins: [isolation] }),
);

/** Store the local model list now: the first visit fetched it before this worker controlled the page. */
async function cacheModelList(): Promise<void> {
  try {
    const url = new URL('models/index.json', self.registration.scope).href;
    const r = await fetch(url, { cache: 'no-store' });
    if (r.ok && /json/.test(r.headers.get('content-type') ?? 'application/json')) {
      await (await caches.open(LOCAL_MODELS_CACHE)).put(url, r);
    }
  } catch {
    /* no local model base (a Hub-only deployment) or offline: nothing to store */
  }
}

// First install: take control at once. Later versions wait until the user accepts the update.
self.addEventListener('install', (event) => {
  event.waitUntil(cacheModelList());
  if (!self.registration.active) void self.skipWaiting();
});
clientsClaim();
self.addEventListener('message', (e) => {
  if (e.data?.type === 'SKIP_WAITING') void self.skipWaiting();
});
