/**
 * The Node host of the code & docs space: tree-sitter grammars from node_modules, and a folder
 * walk that never follows symbolic links (so a link loop cannot trap it) and never descends into
 * folders that ingestion skips anyway.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { skipByPath, type FileEntry } from '../../lib/code/ingest.ts';
import type { GrammarLoader } from '../../lib/code/parsers.ts';
import type { SkippedFile } from '../../lib/code/types.ts';

export function nodeGrammarLoader(): GrammarLoader {
  const require = createRequire(import.meta.url);
  return {
    grammar: async (id) => readFile(require.resolve(`@vscode/tree-sitter-wasm/wasm/tree-sitter-${id}.wasm`)),
  };
}

/** Every regular file below `root`, as ingestion entries; links and unreadable folders are listed. */
export function folderEntries(
  root: string,
  o: { exclude?: (rel: string) => boolean } = {},
): {
  entries: FileEntry[];
  skipped: SkippedFile[];
} {
  const entries: FileEntry[] = [];
  const skipped: SkippedFile[] = [];
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (e) {
      skipped.push({
        path: path.relative(root, dir) || '.',
        reason: `folder could not be read (${(e as Error).message})`,
      });
      return;
    }
    for (const name of names.sort()) {
      const abs = path.join(dir, name);
      const rel = path.relative(root, abs).split(path.sep).join('/');
      if (o.exclude?.(rel)) continue;
      const st = lstatSync(abs, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isSymbolicLink()) skipped.push({ path: rel, reason: 'symbolic link (not followed)' });
      else if (st.isDirectory()) {
        const why = skipByPath(rel + '/x');
        if (why) skipped.push({ path: rel + '/', reason: `skipped folder (${why.replace(/^inside /, '')})` });
        else walk(abs);
      } else if (st.isFile())
        entries.push({ path: rel, size: st.size, read: async () => new Uint8Array(await readFile(abs)) });
    }
  };
  walk(root);
  return { entries, skipped };
}
