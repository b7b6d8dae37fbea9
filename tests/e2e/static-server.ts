/**
 * A plain static file server for e2e tests: serves dist/ (and ../shared/models at /models/ when
 * present) WITHOUT COOP/COEP headers, like a simple static host. It can be stopped mid-test.
 */
import { createServer, type Server } from 'node:http';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.sql': 'text/plain',
  '.jsonl': 'text/plain',
  '.onnx': 'application/octet-stream',
};

export interface StaticServer {
  url: string;
  /** Every request served, as "METHOD /path" (to count downloads). */
  requests: string[];
  close(): Promise<void>;
}

export async function startStaticServer(root: string, modelsDir: string | null): Promise<StaticServer> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const urlPath = decodeURIComponent((req.url ?? '/').split('?')[0]);
    requests.push(`${req.method ?? 'GET'} ${urlPath}`);
    let file: string;
    if (urlPath.startsWith('/models/') && modelsDir) {
      const rel = urlPath.slice('/models/'.length);
      if (rel === 'index.json') {
        const models = readdirSync(modelsDir).filter((d) => existsSync(path.join(modelsDir, d, 'config.json')));
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ models }));
        return;
      }
      file = path.resolve(modelsDir, rel);
      if (!file.startsWith(modelsDir)) file = '';
    } else {
      file = path.resolve(root, '.' + (urlPath === '/' ? '/index.html' : urlPath));
      if (!file.startsWith(root)) file = '';
    }
    if (!file || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404);
      res.end('not found');
      return;
    }
    res.writeHead(200, {
      'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'Content-Length': statSync(file).size,
    });
    createReadStream(file).pipe(res);
  });
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://localhost:${port}/`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
