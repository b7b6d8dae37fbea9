import { describe, expect, test } from 'vitest';
import { lazyModelFetch, underModelBase } from '../../src/browser/model-fetch.ts';

/** A fake server: counts requests by method and streams a file body, bytes sent included. */
function fakeServer(files: Record<string, Uint8Array>, opts: { headStatus?: number } = {}) {
  const log: string[] = [];
  let bytesSent = 0;
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = (init?.method ?? 'GET').toUpperCase();
    log.push(`${method} ${url}`);
    const path = new URL(url, 'http://app.test/').pathname;
    const file = files[path];
    if (!file) return new Response('not found', { status: 404 });
    const headers = { 'content-length': String(file.byteLength), 'content-type': 'application/octet-stream' };
    if (method === 'HEAD') return new Response(null, { status: opts.headStatus ?? 200, headers });
    let sent = false;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent) return c.close();
        sent = true;
        bytesSent += file.byteLength;
        c.enqueue(file);
      },
    });
    return new Response(body, { status: 200, headers });
  };
  return { fetch, log, bytes: () => bytesSent };
}

const MODEL = new Uint8Array(1000).map((_, i) => i % 251);
const isModel = underModelBase('/models/', 'http://app.test/index.html');

describe('lazyModelFetch: each local model file crosses the network once', () => {
  test('a size probe (headers only) then a load: one HEAD, one GET, the bytes sent once', async () => {
    const srv = fakeServer({ '/models/m/onnx/model.onnx': MODEL });
    const f = lazyModelFetch(srv.fetch, isModel);
    // what transformers.js does: get_file_metadata reads only the headers…
    const probe = await f('/models/m/onnx/model.onnx');
    expect(probe.status).toBe(200);
    expect(probe.headers.get('content-length')).toBe('1000');
    await new Promise((r) => setTimeout(r, 10));
    expect(srv.bytes()).toBe(0);
    // …then the load reads the body
    const load = await f('/models/m/onnx/model.onnx');
    expect(new Uint8Array(await load.arrayBuffer())).toEqual(MODEL);
    expect(srv.log).toEqual([
      'HEAD /models/m/onnx/model.onnx',
      'HEAD /models/m/onnx/model.onnx',
      'GET /models/m/onnx/model.onnx',
    ]);
    expect(srv.bytes()).toBe(1000);
  });

  test('a missing file is a 404 without a GET; other URLs and hosts that refuse HEAD are plain GETs', async () => {
    const srv = fakeServer({ '/models/m/config.json': new Uint8Array([123, 125]), '/app.js': new Uint8Array([1]) });
    const f = lazyModelFetch(srv.fetch, isModel);
    expect((await f('/models/m/missing.onnx')).status).toBe(404);
    expect(srv.log).toEqual(['HEAD /models/m/missing.onnx']);
    await f('http://app.test/app.js');
    await f('https://huggingface.co/x/y/resolve/main/config.json');
    expect(srv.log.slice(1)).toEqual([
      'GET http://app.test/app.js',
      'GET https://huggingface.co/x/y/resolve/main/config.json',
    ]);
    const refusing = fakeServer({ '/models/m/config.json': new Uint8Array([123, 125]) }, { headStatus: 405 });
    const g = lazyModelFetch(refusing.fetch, isModel);
    expect(await (await g('/models/m/config.json')).text()).toBe('{}');
    expect(refusing.log).toEqual(['HEAD /models/m/config.json', 'GET /models/m/config.json']);
  });

  test('underModelBase: same origin, under the base, not the model list', () => {
    expect(isModel('/models/a/b.onnx')).toBe(true);
    expect(isModel('http://app.test/models/a/b.onnx')).toBe(true);
    expect(isModel('http://other.test/models/a/b.onnx')).toBe(false);
    expect(isModel('/models/index.json')).toBe(false);
    expect(isModel('/assets/ort.wasm')).toBe(false);
  });
});
