/**
 * A static file server on 127.0.0.1 for tests and the IVF benchmark: serves files from a folder
 * (or an in-memory map), honours single-range `Range: bytes=…` requests with 206 (416 when
 * unsatisfiable), or ignores Range (`range: false`) as some static hosts do. Logs every request.
 */
import { readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface RangeServerOptions {
  /** Folder to serve. */
  root?: string;
  /** Files by path (without the leading slash); checked before `root`. */
  files?: Map<string, Uint8Array>;
  /** Honour Range requests (default true). */
  range?: boolean;
}

export interface ServedRequest {
  path: string;
  range?: string;
  status: number;
  bytes: number;
}

export interface RangeServer {
  /** Base URL, ending with a slash. */
  url: string;
  log: ServedRequest[];
  close(): Promise<void>;
}

/** Parse one `bytes=a-b`, `bytes=a-` or `bytes=-n` range against a size; null when unsatisfiable. */
export function parseRange(h: string, size: number): [number, number] | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(h.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let a: number;
  let b: number;
  if (m[1] === '') {
    a = Math.max(0, size - Number(m[2]));
    b = size - 1;
  } else {
    a = Number(m[1]);
    b = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  return a <= b && a < size ? [a, b] : null;
}

export function startRangeServer(o: RangeServerOptions): Promise<RangeServer> {
  const log: ServedRequest[] = [];
  const read = (p: string): Uint8Array | null => {
    const mem = o.files?.get(p);
    if (mem) return mem;
    if (!o.root) return null;
    const file = path.resolve(o.root, p);
    if (!file.startsWith(path.resolve(o.root) + path.sep)) return null;
    try {
      return statSync(file).isFile() ? readFileSync(file) : null;
    } catch {
      return null;
    }
  };
  const server: Server = createServer((req, res) => {
    const p = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/+/, '');
    const range = typeof req.headers.range === 'string' ? req.headers.range : undefined;
    const body = read(p);
    const done = (status: number, bytes: number) => log.push({ path: p, ...(range ? { range } : {}), status, bytes });
    res.setHeader('Access-Control-Allow-Origin', '*');
    if (!body) {
      res.statusCode = 404;
      res.end();
      return done(404, 0);
    }
    res.setHeader('Content-Type', 'application/octet-stream');
    if (o.range !== false) res.setHeader('Accept-Ranges', 'bytes');
    if (range && o.range !== false) {
      const r = parseRange(range, body.byteLength);
      if (!r) {
        res.statusCode = 416;
        res.setHeader('Content-Range', `bytes */${body.byteLength}`);
        res.end();
        return done(416, 0);
      }
      const part = body.subarray(r[0], r[1] + 1);
      res.statusCode = 206;
      res.setHeader('Content-Range', `bytes ${r[0]}-${r[1]}/${body.byteLength}`);
      res.setHeader('Content-Length', part.byteLength);
      res.end(part);
      return done(206, part.byteLength);
    }
    res.statusCode = 200;
    res.setHeader('Content-Length', body.byteLength);
    res.end(body);
    done(200, body.byteLength);
  });
  // idle keep-alive sockets stay open for a minute: with Node's 5 s default, a client reusing one at
  // the moment the server drops it (likely on a loaded machine, between benchmark phases) fails
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}/`,
        log,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}
