/** `npm run bench` section `shell`: the built app's size (JS and wasm reachable from index.html) and the model downloads. */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { EMBEDDER, GENERATOR } from '../../../bench/native.ts';
import { fmt, reachable, type ShellFile } from '../../../bench/report.ts';
import { localModelsDir } from '../../host.ts';
import type { BenchRun } from '../run.ts';

export function shellSize(rec: BenchRun): void {
  const { notes, add } = rec;
  const files: string[] = [];
  const walk = (dir: string, rel = '') => {
    for (const f of readdirSync(dir)) {
      const p = path.join(dir, f);
      const r = rel ? `${rel}/${f}` : f;
      if (statSync(p).isDirectory()) walk(p, r);
      else files.push(r);
    }
  };
  walk(rec.dist);
  const textExt = /\.(html|js|mjs|css|webmanifest|json)$/;
  const textOf = (n: string) =>
    textExt.test(n) && n !== 'sw.js' ? readFileSync(path.join(rec.dist, n), 'utf8') : null;
  const info = new Map<string, ShellFile>();
  const stat = (n: string): ShellFile => {
    let s = info.get(n);
    if (!s) {
      const buf = readFileSync(path.join(rec.dist, n));
      s = { name: n, bytes: buf.byteLength, gzip: gzipSync(buf, { level: 9 }).byteLength };
      info.set(n, s);
    }
    return s;
  };
  const sum = (names: string[], re: RegExp) =>
    names
      .filter((n) => re.test(n))
      .map(stat)
      .reduce((a, f) => ({ bytes: a.bytes + f.bytes, gzip: a.gzip + f.gzip, count: a.count + 1 }), {
        bytes: 0,
        gzip: 0,
        count: 0,
      });
  const app = reachable('index.html', files, textOf);
  const benchOnly = new Set(reachable('bench.html', files, textOf).filter((n) => !app.includes(n)));
  const all = files.filter((n) => !benchOnly.has(n) && n !== 'bench.html');
  const kinds: [string, RegExp][] = [
    ['JS', /\.(js|mjs)$/],
    ['wasm', /\.wasm$/],
    ['JS+wasm', /\.(js|mjs|wasm)$/],
  ];
  for (const [label, re] of kinds) {
    const a = sum(app, re);
    add({
      id: `shell.app.${label}.gzip`,
      group: 'shell',
      name: `app ${label}, gzip (${a.count} files reachable from index.html)`,
      host: 'build',
      unit: 'bytes',
      better: 'lower',
      runs: [a.gzip],
      params: { raw: a.bytes, files: a.count },
    });
  }
  const a = sum(app, /\.(js|mjs|wasm)$/);
  add({
    id: 'shell.app.JS+wasm.raw',
    group: 'shell',
    name: 'app JS+wasm, raw',
    host: 'build',
    unit: 'bytes',
    better: 'lower',
    runs: [a.bytes],
  });
  const d = sum(all, /\.(js|mjs|wasm)$/);
  add({
    id: 'shell.dist.JS+wasm.gzip',
    group: 'shell',
    name: `all of dist/ JS+wasm except the bench harness, gzip (${d.count} files)`,
    host: 'build',
    unit: 'bytes',
    better: 'lower',
    runs: [d.gzip],
    params: { raw: d.bytes },
  });
  // What the service worker downloads at install (its precache manifest, injected into sw.js): a
  // first visit's download beside the page's own, whatever the page itself asks for.
  const sw = existsSync(path.join(rec.dist, 'sw.js')) ? readFileSync(path.join(rec.dist, 'sw.js'), 'utf8') : '';
  const precached = [...sw.matchAll(/"url":"([^"]+)"/g)].map((m) => m[1]).filter((n) => files.includes(n));
  if (precached.length) {
    const p = sum(precached, /./);
    add({
      id: 'shell.precache.gzip',
      group: 'shell',
      name: `service worker precache, gzip (${p.count} files, a first visit's install)`,
      host: 'build',
      unit: 'bytes',
      better: 'lower',
      runs: [p.gzip],
      params: { raw: p.bytes, files: p.count },
    });
  }
  const top = app
    .map(stat)
    .sort((x, y) => y.gzip - x.gzip)
    .slice(0, 6)
    .map((f) => `${f.name} ${fmt(f.gzip)} gz`);
  notes.push(`shell: largest app files (gzip level 9): ${top.join(', ')}`);
  const models = localModelsDir();
  if (models) {
    for (const [id, file] of [
      [EMBEDDER, 'model_quantized.onnx'],
      [GENERATOR, 'model_quantized.onnx'],
    ]) {
      const p = path.join(models, id, 'onnx', file);
      if (existsSync(p))
        add({
          id: `shell.model.${id}`,
          group: 'shell',
          name: `model download (not in shell): ${id} q8 onnx, gzip`,
          host: 'build',
          unit: 'bytes',
          better: 'lower',
          runs: [gzipSync(readFileSync(p), { level: 6 }).byteLength],
          params: { raw: statSync(p).size },
        });
    }
  }
}
