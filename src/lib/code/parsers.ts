/**
 * tree-sitter parsers for the chunker, loaded once per host: the runtime (web-tree-sitter) and a
 * grammar per language, from bytes the host provides (files in Node, bundled asset URLs in the
 * page), so this module stays DOM-free.
 */
import { Language, Parser, type Tree } from 'web-tree-sitter';
import type { GrammarId } from './languages.ts';

export interface GrammarLoader {
  /** Where the runtime's own wasm is (the page passes its bundled URL; Node resolves it itself). */
  runtimeWasm?: string;
  /** The bytes of one grammar's wasm. */
  grammar(id: GrammarId): Promise<Uint8Array>;
}

let runtime: Promise<void> | null = null;

export class CodeParsers {
  private languages = new Map<GrammarId, Promise<Language | null>>();
  private parser: Parser | null = null;
  /** Grammars that failed to load, with the reason (their files are chunked as plain windows). */
  readonly failures = new Map<GrammarId, string>();

  constructor(private readonly loader: GrammarLoader) {}

  private async init(): Promise<Parser> {
    if (!runtime) {
      const wasm = this.loader.runtimeWasm;
      runtime = Parser.init(wasm ? { locateFile: () => wasm } : undefined);
    }
    await runtime;
    this.parser ??= new Parser();
    return this.parser;
  }

  private language(id: GrammarId): Promise<Language | null> {
    let p = this.languages.get(id);
    if (!p) {
      p = this.loader
        .grammar(id)
        .then((bytes) => Language.load(bytes))
        .catch((e: unknown) => {
          this.failures.set(id, (e as Error)?.message ?? String(e));
          return null;
        });
      this.languages.set(id, p);
    }
    return p;
  }

  /**
   * Parse `text`; null when the grammar is unavailable. The caller must `delete()` the tree.
   */
  async parse(id: GrammarId, text: string): Promise<Tree | null> {
    const parser = await this.init();
    const lang = await this.language(id);
    if (!lang) return null;
    parser.setLanguage(lang);
    return parser.parse(text);
  }
}
