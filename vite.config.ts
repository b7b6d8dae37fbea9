/// <reference types="vitest/config" />
import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { VitePWA } from 'vite-plugin-pwa';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';

// COOP/COEP make the page cross-origin isolated, which WASM threads (SharedArrayBuffer) need.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * Serves a local model folder at /models/ on the dev and preview servers, with /models/index.json
 * listing the models in it. The folder is CODERAG_MODELS, else ../shared/models when present.
 * The built site has no /models/ unless you deploy one; then the app uses the Hugging Face Hub.
 */
function localModels(): Plugin {
  const dir = process.env.CODERAG_MODELS
    ? path.resolve(process.env.CODERAG_MODELS)
    : path.resolve(import.meta.dirname, '../shared/models');
  const types: Record<string, string> = {
    '.json': 'application/json',
    '.onnx': 'application/octet-stream',
    '.txt': 'text/plain',
    '.md': 'text/markdown',
  };
  const mount = (server: {
    middlewares: { use: (fn: (req: IncomingMessage, res: ServerResponse, next: () => void) => void) => void };
  }) => {
    server.middlewares.use((req, res, next) => {
      const url = decodeURIComponent((req.url ?? '').split('?')[0]);
      const m = url.match(/^(?:.*?)\/models\/(.*)$/);
      if (!m || !existsSync(dir)) return next();
      const rel = m[1];
      if (rel === 'index.json' || rel === '') {
        const models = readdirSync(dir).filter((d) => existsSync(path.join(dir, d, 'config.json')));
        res.setHeader('Content-Type', 'application/json');
        res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
        res.end(JSON.stringify({ models }));
        return;
      }
      const file = path.resolve(dir, rel);
      if (!file.startsWith(dir + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
        res.statusCode = 404;
        res.end('not found');
        return;
      }
      res.setHeader('Content-Type', types[path.extname(file)] ?? 'application/octet-stream');
      res.setHeader('Content-Length', String(statSync(file).size));
      res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
      createReadStream(file).pipe(res);
    });
  };
  return {
    name: 'coderag-local-models',
    configureServer: mount,
    configurePreviewServer: mount,
  };
}

export default defineConfig({
  base: './',
  plugins: [
    // Under Vitest (Node) the state classes in src/ui/*.svelte.ts are compiled for the browser, as
    // in the app: runes stay reactive and $derived/$effect behave as they do on the page.
    svelte(process.env.VITEST ? { dynamicCompileOptions: () => ({ generate: 'client' }) } : {}),
    localModels(),
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.ts',
      registerType: 'prompt',
      injectRegister: false,
      manifest: {
        name: 'CodeRAG Web',
        short_name: 'CodeRAG',
        description: 'Ask a database in plain English. Retrieval, generation and SQL execution run in your browser.',
        start_url: './',
        scope: './',
        display: 'standalone',
        background_color: '#f7f8fa',
        theme_color: '#1d4ed8',
        icons: [
          { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      injectManifest: {
        // The ORT wasm of the CPU engine is about 14 MB; precache it so the CPU engine works offline.
        // The WebGPU build (27 MB, src/browser/runtime.ts) is left to the first WebGPU load, which
        // stores it in transformers.js's cache: machines without WebGPU never fetch it.
        maximumFileSizeToCacheInBytes: 64 * 1024 * 1024,
        globPatterns: ['**/*.{js,mjs,css,html,wasm,svg,png,sql,jsonl,webmanifest}'],
        globIgnores: ['**/bench*', '**/ort-wasm-simd-threaded.asyncify*.wasm'],
      },
      devOptions: { enabled: false },
    }),
  ],
  worker: { format: 'es' },
  build: {
    target: 'esnext',
    modulePreload: {
      // The page's entry imports the app's chunk at once: no link element per dependency for it
      // (its static imports load with it), only its stylesheet. Inserting a dozen link elements
      // cost the entry's task 30-50 ms on the 2-core machine (docs/instant-start.md, round 6).
      resolveDependencies: (filename, deps, ctx) =>
        ctx.hostType === 'js' && /(^|\/)app-main-[\w-]+\.js$/.test(filename)
          ? deps.filter((d) => d.endsWith('.css'))
          : deps,
    },
    chunkSizeWarningLimit: 8000,
    // bench.html is the in-browser benchmark harness driven by `npm run bench`.
    rollupOptions: { input: { main: 'index.html', bench: 'bench.html' } },
  },
  optimizeDeps: {
    exclude: ['voy-search', 'onnxruntime-web', '@huggingface/transformers'],
    // The dev server's dependency scan starts from the pages; the workers (started with
    // `new Worker(new URL(…))`) are entries too, or their dependencies (sql.js, web-llm, …) are
    // found only when a worker starts, and the re-optimisation that follows broke the first load
    // of `npm run demo` on a fresh clone ("Failed to fetch dynamically imported module").
    entries: ['index.html', 'bench.html', 'workers/*.worker.ts'],
  },
  server: { headers: isolation, fs: { allow: ['..'] } },
  preview: { headers: isolation },
  test: {
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
