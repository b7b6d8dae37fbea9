/**
 * Chunking that knows code. Functions, classes and methods become chunks of their own (a class
 * that does not fit is split into its methods, a function that does not fit into overlapping
 * windows that keep its name); a comment right above a definition belongs to it; code between
 * definitions is gathered into windows. Markdown is cut at its headings. Everything else is cut
 * into token windows (512 tokens with 50 of overlap by default, lowered to the embedder's limit).
 */
import type { Node } from 'web-tree-sitter';
import { isMarkdown, languageOf, type CodeLanguage, type DefinitionKind } from './languages.ts';
import type { CodeParsers } from './parsers.ts';
import { chunkLabel, type Chunk, type ChunkKind, type SourceFile } from './types.ts';

export interface ChunkOptions {
  /** Largest chunk in tokens (default 512); set it to the embedder's limit. */
  maxTokens?: number;
  /** Overlap of consecutive windows in tokens (default 50). */
  overlapTokens?: number;
  /** Token counter; default `estimateTokens`. */
  countTokens?: (text: string) => number;
}

/**
 * An estimate of a text's token count for subword tokenizers on code and prose: words, numbers
 * and each punctuation mark, with long identifiers counted per camelCase/snake_case part.
 */
export function estimateTokens(text: string): number {
  let n = 0;
  for (const m of text.matchAll(/[A-Za-z]+|\d+|[^\sA-Za-z\d]/g)) {
    const w = m[0];
    n += w.length > 6 ? Math.ceil(w.length / 6) : 1;
  }
  return n;
}

interface Ctx {
  file: SourceFile;
  lines: string[];
  max: number;
  overlap: number;
  count: (t: string) => number;
  out: Chunk[];
}

function linesText(ctx: Ctx, start: number, end: number): string {
  return ctx.lines.slice(start - 1, end).join('\n');
}

function describe(kind: ChunkKind, symbols: string[]): string {
  if (!symbols.length) return '';
  const last = symbols[symbols.length - 1];
  return kind === 'window' || kind === 'section' ? last : `${kind} ${last}`;
}

/** Emit lines start..end (1-based, inclusive), as one chunk or as overlapping windows. */
function emit(ctx: Ctx, start: number, end: number, kind: ChunkKind, symbols: string[]): void {
  while (start <= end && !ctx.lines[start - 1]?.trim()) start++;
  while (end >= start && !ctx.lines[end - 1]?.trim()) end--;
  if (start > end) return;
  const text = linesText(ctx, start, end);
  const push = (s: number, e: number, t: string, part?: string) => {
    const what = describe(kind, symbols);
    const header = `${chunkLabel({ path: ctx.file.path, startLine: s, endLine: e })}${what ? ' ' + what : ''}${part ?? ''}`;
    ctx.out.push({ path: ctx.file.path, startLine: s, endLine: e, kind, symbols: [...symbols], header, text: t });
  };
  if (ctx.count(text) <= ctx.max) return push(start, end, text);
  // Too long: windows of whole lines, each at most `max` tokens, overlapping by about `overlap`.
  const parts: [number, number][] = [];
  let s = start;
  while (s <= end) {
    let e = s;
    let used = ctx.count(ctx.lines[s - 1]);
    while (e < end) {
      const next = ctx.count(ctx.lines[e]) + 1;
      if (used + next > ctx.max) break;
      used += next;
      e++;
    }
    parts.push([s, e]);
    if (e >= end) break;
    // step back over about `overlap` tokens of lines, but always advance
    let back = e;
    let kept = 0;
    while (back > s + 1 && kept + ctx.count(ctx.lines[back - 1]) <= ctx.overlap) kept += ctx.count(ctx.lines[--back]);
    s = Math.max(s + 1, back + 1);
  }
  parts.forEach(([ps, pe], i) => push(ps, pe, linesText(ctx, ps, pe), ` (part ${i + 1} of ${parts.length})`));
}

interface Definition {
  /** The node the chunk spans (the wrapper, when there is one). */
  outer: Node;
  inner: Node;
  kind: DefinitionKind;
  name: string;
}

function nameOf(n: Node): string | null {
  const named = n.childForFieldName('name');
  if (named) return named.text;
  // `const x = …` / `let a = …, b = …`: the first declarator's name
  for (const c of n.namedChildren) {
    if (!c) continue;
    if (
      c.type === 'variable_declarator' ||
      c.type === 'type_spec' ||
      c.type === 'const_spec' ||
      c.type === 'var_spec'
    ) {
      const nm = c.childForFieldName('name');
      if (nm) return nm.text;
    }
  }
  return null;
}

function asDefinition(lang: CodeLanguage, n: Node): Definition | null {
  let inner = n;
  if (lang.wrappers.includes(n.type)) {
    const d = n.childForFieldName('declaration') ?? n.childForFieldName('definition');
    const found = d ?? n.namedChildren.find((c) => c && lang.definitions[c.type]) ?? null;
    if (!found) return null;
    inner = found;
  }
  const kind = lang.definitions[inner.type];
  if (!kind) return null;
  const name = nameOf(inner);
  if (!name) return null;
  // a `const f = () => …` is a function; a `type X = …` or a plain constant stays a declaration
  const value = inner.namedChildren.find((c) => c?.type === 'variable_declarator')?.childForFieldName('value');
  const k = kind === 'declaration' && value && /function|arrow_function/.test(value.type) ? 'function' : kind;
  return { outer: n, inner, kind: k, name };
}

/** The members of a class-like definition (methods, fields), or [] when it has no body. */
function membersOf(def: Definition): Node[] {
  let body = def.inner.childForFieldName('body');
  if (!body && def.inner.type === 'type_declaration') {
    // Go: `type X struct {…}` has no methods inside; it is one chunk
    return [];
  }
  if (!body) body = def.inner.namedChildren.find((c) => c && /body|class_body|block/.test(c.type)) ?? null;
  return body ? (body.namedChildren.filter(Boolean) as Node[]) : [];
}

function walk(ctx: Ctx, lang: CodeLanguage, nodes: Node[], prefix: string[], from: number, to: number): void {
  // `from`..`to`: the lines this level covers; code between definitions becomes windows.
  let cursor = from;
  const gap = (until: number) => {
    if (until > cursor) emit(ctx, cursor, until - 1, 'window', prefix);
  };
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    const def = asDefinition(lang, n);
    if (!def) continue;
    let start = def.outer.startPosition.row + 1;
    // comments directly above (no blank line between) belong to the definition
    for (let j = i - 1; j >= 0; j--) {
      const c = nodes[j];
      if (!lang.comments.includes(c.type) || c.endPosition.row + 2 < start) break;
      start = Math.max(cursor, c.startPosition.row + 1);
    }
    const end = def.outer.endPosition.row + 1;
    if (start < cursor) start = cursor; // two definitions on one line: the first one took it
    gap(start);
    const symbols = [...prefix, prefix.length ? `${prefix[prefix.length - 1]}.${def.name}` : def.name];
    const qualified = symbols[symbols.length - 1];
    const text = linesText(ctx, start, end);
    const members = def.kind === 'class' ? membersOf(def) : [];
    if (def.kind === 'class' && members.length && ctx.count(text) > ctx.max) {
      // a class that does not fit: its own lines around the members, then each member
      const bodyStart = members[0].startPosition.row + 1;
      emit(ctx, start, Math.max(start, bodyStart - 1), 'class', [...prefix, qualified]);
      walk(ctx, lang, members, [...prefix, qualified], bodyStart, end);
    } else {
      const covered = def.kind === 'class' ? members.map((m) => asDefinition(lang, m)?.name).filter(Boolean) : [];
      emit(ctx, start, end, def.kind, [...symbols, ...covered.map((m) => `${qualified}.${m}`)]);
    }
    cursor = end + 1;
  }
  gap(to + 1);
}

function chunkMarkdown(ctx: Ctx): void {
  const heads: { line: number; level: number; title: string }[] = [];
  let fence: string | null = null;
  ctx.lines.forEach((l, i) => {
    const f = /^\s*(```|~~~)/.exec(l);
    if (f) fence = fence === f[1] ? null : (fence ?? f[1]);
    const h = fence ? null : /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(l);
    if (h) heads.push({ line: i + 1, level: h[1].length, title: h[2] });
  });
  const first = heads[0]?.line ?? ctx.lines.length + 1;
  emit(ctx, 1, first - 1, 'window', []);
  const trail: { level: number; title: string }[] = [];
  heads.forEach((h, i) => {
    while (trail.length && trail[trail.length - 1].level >= h.level) trail.pop();
    trail.push(h);
    const end = (heads[i + 1]?.line ?? ctx.lines.length + 1) - 1;
    emit(
      ctx,
      h.line,
      end,
      'section',
      trail.map((t) => t.title),
    );
  });
}

/**
 * Merge neighbouring small pieces that carry no definition of their own (imports, fields,
 * constants, a class's closing brace) while the result fits the budget; functions, classes and
 * methods keep chunks of their own. The merged chunk covers the symbols of both.
 */
function mergeSmall(ctx: Ctx): Chunk[] {
  const out: Chunk[] = [];
  const loose = (c: Chunk) => c.kind === 'window' || c.kind === 'declaration';
  for (const c of ctx.out) {
    const prev = out[out.length - 1];
    const fragment = !/[A-Za-z0-9]/.test(c.text); // `}` or `];`
    if (prev && prev.kind !== 'section' && c.startLine - prev.endLine <= 2 && ((loose(prev) && loose(c)) || fragment)) {
      const text = linesText(ctx, prev.startLine, c.endLine);
      if (ctx.count(text) <= ctx.max && !/\(part \d/.test(prev.header + c.header)) {
        const symbols = [...new Set([...prev.symbols, ...c.symbols])];
        const kind: ChunkKind = fragment ? prev.kind : prev.kind === c.kind ? c.kind : 'declaration';
        const top = symbols.filter((x) => !symbols.some((y) => x.startsWith(y + '.')));
        out[out.length - 1] = {
          ...prev,
          endLine: c.endLine,
          kind,
          symbols,
          text,
          header: fragment
            ? prev.header.replace(/:\d+-\d+/, `:${prev.startLine}-${c.endLine}`)
            : `${chunkLabel({ path: prev.path, startLine: prev.startLine, endLine: c.endLine })}${top.length ? ' ' + top.join(', ') : ''}`,
        };
        continue;
      }
    }
    out.push(c);
  }
  return out;
}

/** Chunk one file: along its syntax when a grammar is available, else by headings or windows. */
export async function chunkFile(file: SourceFile, parsers: CodeParsers | null, o: ChunkOptions = {}): Promise<Chunk[]> {
  const max = Math.max(16, o.maxTokens ?? 512);
  const ctx: Ctx = {
    file,
    lines: file.text.split(/\r?\n/),
    max,
    overlap: Math.min(o.overlapTokens ?? 50, Math.floor(max / 4)),
    count: o.countTokens ?? estimateTokens,
    out: [],
  };
  const lang = languageOf(file.path);
  if (lang && parsers) {
    const tree = await parsers.parse(lang.grammar, file.text);
    if (tree) {
      try {
        const top = tree.rootNode.namedChildren.filter(Boolean) as Node[];
        walk(ctx, lang, top, [], 1, ctx.lines.length);
        return mergeSmall(ctx);
      } finally {
        tree.delete();
      }
    }
  }
  if (isMarkdown(file.path)) chunkMarkdown(ctx);
  else emit(ctx, 1, ctx.lines.length, 'window', []);
  return ctx.out;
}
