import { describe, expect, it } from 'vitest';
import { COMPILE_HINT, hintChunks } from '../../src/node/build/compile-hints.ts';

const chunk = (fileName: string, facadeModuleId: string | null, imports: string[] = []) => ({
  type: 'chunk' as const,
  fileName,
  facadeModuleId,
  imports,
  code: `// ${fileName}\nexport {};`,
});

describe('compile hints', () => {
  it('opens the root chunks and their static imports with the hint, once, and nothing else', () => {
    const bundle = {
      'app-main-1.js': chunk('app-main-1.js', '/x/src/app-main.ts', ['shared-2.js', 'svelte-3.js']),
      'shared-2.js': chunk('shared-2.js', null, ['svelte-3.js']),
      'svelte-3.js': chunk('svelte-3.js', null),
      'train-4.js': chunk('train-4.js', '/x/src/ui/TrainPanel.svelte', ['shared-2.js']),
      'style.css': { type: 'asset' as const },
    };
    const hinted = hintChunks(bundle, /src\/app-main\.ts$/);
    expect(hinted).toEqual(['app-main-1.js', 'shared-2.js', 'svelte-3.js']);
    for (const f of hinted)
      expect(bundle[f as keyof typeof bundle]).toMatchObject({
        code: expect.stringMatching(/^\/\/# allFunctionsCalledOnLoad\n\/\/ /),
      });
    expect(bundle['train-4.js'].code.startsWith(COMPILE_HINT)).toBe(false);
    // a second pass adds nothing
    hintChunks(bundle, /src\/app-main\.ts$/);
    expect(bundle['app-main-1.js'].code.split(COMPILE_HINT).length).toBe(2);
  });

  it('hints nothing when no chunk comes from a root', () => {
    const bundle = { 'a.js': chunk('a.js', '/x/src/other.ts') };
    expect(hintChunks(bundle, /src\/app-main\.ts$/)).toEqual([]);
    expect(bundle['a.js'].code.startsWith(COMPILE_HINT)).toBe(false);
  });
});
