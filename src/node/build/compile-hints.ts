/**
 * A Vite plugin: V8's explicit compile hint (`//# allFunctionsCalledOnLoad`, Chromium 136+) opens
 * the chunks whose entry module matches `roots` and every chunk they import statically. V8 then
 * compiles all their functions while the files stream in, on a background thread, instead of one
 * by one on the page's main thread the first time each runs (docs/main-thread.md, round 8). For
 * code that runs as the page starts; browsers without the hint ignore a comment.
 */
import type { Plugin } from 'vite';

export const COMPILE_HINT = '//# allFunctionsCalledOnLoad';

interface ChunkLike {
  type: 'chunk';
  fileName: string;
  facadeModuleId: string | null;
  imports: string[];
  code: string;
}
type BundleLike = Record<string, ChunkLike | { type: 'asset' }>;

/** Put the hint first in the chunks reached from `roots` (exported for its unit test). */
export function hintChunks(bundle: BundleLike, roots: RegExp): string[] {
  const todo = Object.values(bundle)
    .filter((c): c is ChunkLike => c.type === 'chunk' && !!c.facadeModuleId && roots.test(c.facadeModuleId))
    .map((c) => c.fileName);
  const seen = new Set<string>();
  while (todo.length) {
    const name = todo.pop()!;
    const c = bundle[name];
    if (seen.has(name) || !c || c.type !== 'chunk') continue;
    seen.add(name);
    if (!c.code.startsWith(COMPILE_HINT)) c.code = `${COMPILE_HINT}\n${c.code}`;
    todo.push(...c.imports);
  }
  return [...seen].sort();
}

export function compileHints(roots: RegExp): Plugin {
  return {
    name: 'coderag-compile-hints',
    apply: 'build',
    generateBundle: {
      // after Vite's own edits (it puts its preload map first in the app's chunk): the hint must
      // open the file
      order: 'post',
      handler(_options, bundle) {
        hintChunks(bundle as unknown as BundleLike, roots);
      },
    },
  };
}
