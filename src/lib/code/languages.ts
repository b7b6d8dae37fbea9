/**
 * The languages whose files are chunked along their syntax, as data: the tree-sitter grammar, the
 * file extensions, and which syntax nodes are definitions worth a chunk of their own. Grammars are
 * the prebuilt WebAssembly ones of @vscode/tree-sitter-wasm (sizes in docs/code-docs.md).
 */
export type GrammarId = 'typescript' | 'tsx' | 'javascript' | 'python' | 'go';

export type DefinitionKind = 'function' | 'class' | 'method' | 'declaration';

export interface CodeLanguage {
  grammar: GrammarId;
  extensions: string[];
  /** Node types that are definitions, and what they are. */
  definitions: Record<string, DefinitionKind>;
  /** Node types that wrap a definition (an export, decorators): the chunk spans the wrapper. */
  wrappers: string[];
  /** Node types of comments (a comment right above a definition belongs to it). */
  comments: string[];
}

const JS_DEFS: Record<string, DefinitionKind> = {
  function_declaration: 'function',
  generator_function_declaration: 'function',
  class_declaration: 'class',
  abstract_class_declaration: 'class',
  class: 'class',
  interface_declaration: 'class',
  enum_declaration: 'declaration',
  type_alias_declaration: 'declaration',
  lexical_declaration: 'declaration',
  variable_declaration: 'declaration',
  method_definition: 'method',
  method_signature: 'method',
  abstract_method_signature: 'method',
  public_field_definition: 'declaration',
  field_definition: 'declaration',
};

export const CODE_LANGUAGES: readonly CodeLanguage[] = [
  {
    grammar: 'typescript',
    extensions: ['.ts', '.mts', '.cts'],
    definitions: JS_DEFS,
    wrappers: ['export_statement', 'ambient_declaration'],
    comments: ['comment'],
  },
  {
    grammar: 'tsx',
    extensions: ['.tsx'],
    definitions: JS_DEFS,
    wrappers: ['export_statement', 'ambient_declaration'],
    comments: ['comment'],
  },
  {
    grammar: 'javascript',
    extensions: ['.js', '.mjs', '.cjs', '.jsx'],
    definitions: JS_DEFS,
    wrappers: ['export_statement'],
    comments: ['comment'],
  },
  {
    grammar: 'python',
    extensions: ['.py', '.pyi'],
    definitions: { function_definition: 'function', class_definition: 'class' },
    wrappers: ['decorated_definition'],
    comments: ['comment'],
  },
  {
    grammar: 'go',
    extensions: ['.go'],
    definitions: {
      function_declaration: 'function',
      method_declaration: 'method',
      type_declaration: 'class',
      const_declaration: 'declaration',
      var_declaration: 'declaration',
    },
    wrappers: [],
    comments: ['comment'],
  },
];

export const MARKDOWN_EXTENSIONS = ['.md', '.markdown', '.mdx'];

/** The language of a path by its extension, or undefined (then Markdown or plain windows). */
export function languageOf(path: string): CodeLanguage | undefined {
  const dot = path.lastIndexOf('.');
  if (dot < 0) return undefined;
  const ext = path.slice(dot).toLowerCase();
  return CODE_LANGUAGES.find((l) => l.extensions.includes(ext));
}

export function isMarkdown(path: string): boolean {
  const dot = path.lastIndexOf('.');
  return dot >= 0 && MARKDOWN_EXTENSIONS.includes(path.slice(dot).toLowerCase());
}
