/**
 * Ingestion of a code & docs collection: which files of a folder, a drop or a zip become sources,
 * and why the others do not. Everything skipped is listed with its reason; nothing throws on a
 * hostile input (a binary, a minified bundle, a zip bomb, text that is not UTF-8).
 */
import { unzipSync } from 'fflate';
import { GitIgnore } from './gitignore.ts';
import type { SkippedFile, SourceFile } from './types.ts';

export interface IngestLimits {
  /** Largest file read, in bytes (default 1 MB). */
  maxFileBytes: number;
  /** Largest collection, in bytes of text (default 50 MB). */
  maxTotalBytes: number;
  /** Most files read (default 20,000). */
  maxFiles: number;
  /** Largest expanded size of a zip, in bytes (default 200 MB): a zip bomb stops here. */
  maxZipBytes: number;
}

export const DEFAULT_INGEST_LIMITS: IngestLimits = {
  maxFileBytes: 1_000_000,
  maxTotalBytes: 50_000_000,
  maxFiles: 20_000,
  maxZipBytes: 200_000_000,
};

/** A file offered for ingestion: its path in the collection and a way to read it. */
export interface FileEntry {
  path: string;
  size: number;
  read(): Promise<Uint8Array>;
}

/** Folders never read: dependencies, vendored code, version control. */
const SKIP_FOLDERS = new Set([
  'node_modules',
  '.git',
  '.hg',
  '.svn',
  'vendor',
  'vendored',
  'third_party',
  'bower_components',
  '__pycache__',
  '.venv',
  'venv',
]);

const LOCKFILES = new Set([
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'bun.lockb',
  'cargo.lock',
  'poetry.lock',
  'pipfile.lock',
  'gemfile.lock',
  'composer.lock',
  'go.sum',
]);

const BINARY_EXT =
  /\.(png|jpe?g|gif|webp|bmp|ico|icns|tiff?|psd|pdf|zip|gz|tgz|bz2|xz|7z|rar|jar|war|class|o|a|so|dylib|dll|exe|bin|wasm|onnx|pt|pth|safetensors|npy|npz|pkl|parquet|sqlite3?|db|woff2?|ttf|otf|eot|mp3|mp4|wav|ogg|webm|mov|avi|xlsx?|docx?|pptx?)$/i;

/** Normalise a path: `/` separators, no leading `./` or `/`; null when it climbs out (`..`). */
export function normalisePath(p: string): string | null {
  const parts = p.replace(/\\/g, '/').split('/');
  const out: string[] = [];
  for (const s of parts) {
    if (!s || s === '.') continue;
    if (s === '..') return null;
    out.push(s);
  }
  return out.length ? out.join('/') : null;
}

/** Why a path is left out before reading it, or null. */
export function skipByPath(path: string): string | null {
  const segs = path.split('/');
  for (const s of segs.slice(0, -1)) if (SKIP_FOLDERS.has(s)) return `inside ${s}/`;
  const name = segs[segs.length - 1].toLowerCase();
  if (LOCKFILES.has(name)) return 'lockfile';
  if (BINARY_EXT.test(name)) return 'binary file type';
  if (/\.min\.(js|css|mjs)$/.test(name) || /\.map$/.test(name)) return 'minified or generated';
  if (/\.(csv|tsv|jsonl|ndjson)$/.test(name)) return 'data file (not code or docs)';
  return null;
}

/** Why a file's content is left out, or null; `text` is the decoded content when usable. */
export function checkContent(bytes: Uint8Array): { text: string } | { reason: string } {
  const head = bytes.subarray(0, 8192);
  if (head.includes(0)) return { reason: 'binary content' };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return { reason: 'not UTF-8 text' };
  }
  const lines = text.split('\n');
  const longest = lines.reduce((m, l) => Math.max(m, l.length), 0);
  if (longest > 2000 && text.length / lines.length > 300) return { reason: 'minified (very long lines)' };
  return { text };
}

export interface IngestResult {
  files: SourceFile[];
  skipped: SkippedFile[];
  bytes: number;
}

export interface IngestOptions {
  limits?: Partial<IngestLimits>;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Read the entries that belong in a collection. `.gitignore` files among the entries apply to
 * their folder and below (read first, whatever the entries' order).
 */
export async function ingest(entries: FileEntry[], o: IngestOptions = {}): Promise<IngestResult> {
  const lim = { ...DEFAULT_INGEST_LIMITS, ...o.limits };
  const skipped: SkippedFile[] = [];
  const files: SourceFile[] = [];
  const ignore = new GitIgnore();
  const byPath = new Map<string, FileEntry>();
  for (const e of entries) {
    const p = normalisePath(e.path);
    if (!p) skipped.push({ path: e.path, reason: 'path outside the collection' });
    else if (byPath.has(p)) skipped.push({ path: p, reason: 'duplicate path' });
    else byPath.set(p, e);
  }
  const gitignores = [...byPath.keys()].filter((p) => p === '.gitignore' || p.endsWith('/.gitignore'));
  gitignores.sort((a, b) => a.split('/').length - b.split('/').length);
  for (const g of gitignores) {
    const e = byPath.get(g)!;
    if (e.size > lim.maxFileBytes) continue;
    const c = checkContent(await e.read());
    if ('text' in c) ignore.add(g.slice(0, -'.gitignore'.length), c.text);
  }
  let bytes = 0;
  let done = 0;
  const total = byPath.size;
  for (const [path, e] of byPath) {
    if (o.signal?.aborted) throw o.signal.reason ?? new Error('cancelled');
    o.onProgress?.(done++, total);
    const why =
      skipByPath(path) ??
      (ignore.ignores(path) ? 'ignored by .gitignore' : null) ??
      (e.size > lim.maxFileBytes ? `larger than ${fmtBytes(lim.maxFileBytes)}` : null) ??
      (files.length >= lim.maxFiles ? `over the cap of ${lim.maxFiles} files` : null) ??
      (bytes + e.size > lim.maxTotalBytes ? `over the collection cap of ${fmtBytes(lim.maxTotalBytes)}` : null);
    if (why) {
      skipped.push({ path, reason: why });
      continue;
    }
    let data: Uint8Array;
    try {
      data = await e.read();
    } catch (err) {
      skipped.push({ path, reason: `could not be read (${(err as Error)?.message ?? err})` });
      continue;
    }
    const c = checkContent(data);
    if ('reason' in c) {
      skipped.push({ path, reason: c.reason });
      continue;
    }
    bytes += data.length;
    files.push({ path, text: c.text });
  }
  o.onProgress?.(total, total);
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, skipped, bytes };
}

/**
 * The entries of a zip, with the expanded size capped before anything is inflated (the sizes in
 * the zip's directory are checked, and an entry that inflates past its declared size fails).
 */
export function zipEntries(
  zip: Uint8Array,
  limits: Partial<IngestLimits> = {},
): { entries: FileEntry[]; skipped: SkippedFile[] } {
  const lim = { ...DEFAULT_INGEST_LIMITS, ...limits };
  const skipped: SkippedFile[] = [];
  let declared = 0;
  let out: Record<string, Uint8Array>;
  try {
    out = unzipSync(zip, {
      filter: (f) => {
        if (f.name.endsWith('/')) return false;
        const p = normalisePath(f.name) ?? f.name;
        if (f.originalSize > lim.maxFileBytes) {
          skipped.push({ path: p, reason: `larger than ${fmtBytes(lim.maxFileBytes)}` });
          return false;
        }
        const why = skipByPath(p);
        if (why) {
          skipped.push({ path: p, reason: why });
          return false;
        }
        if (declared + f.originalSize > lim.maxZipBytes) {
          skipped.push({ path: p, reason: `the zip expands past ${fmtBytes(lim.maxZipBytes)}` });
          return false;
        }
        declared += f.originalSize;
        return true;
      },
    });
  } catch (e) {
    throw new Error(`this zip file cannot be read: ${(e as Error)?.message ?? e}`, { cause: e });
  }
  const entries: FileEntry[] = Object.entries(out).map(([path, data]) => ({
    path,
    size: data.length,
    read: async () => data,
  }));
  return { entries, skipped };
}

export function fmtBytes(n: number): string {
  return n >= 1e6 ? `${Math.round(n / 1e5) / 10} MB` : `${Math.round(n / 100) / 10} kB`;
}
