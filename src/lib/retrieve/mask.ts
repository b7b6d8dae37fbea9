/**
 * Question masking (as in DAIL-SQL): replace the words that are specific to one database —
 * mentions of its tables and columns, and values (numbers, quoted strings, proper nouns) — with
 * placeholders, so that similarity reflects what the question asks for, not its topic.
 */
import type { TableInfo } from '../types.ts';

/** Words of an identifier: `singer_in_concert` → singer, in, concert; `songName` → song, name. */
export function identWords(name: string): string[] {
  return name
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

function stem(w: string): string {
  if (w.length > 4 && w.endsWith('ies')) return w.slice(0, -3) + 'y';
  if (w.length > 3 && w.endsWith('es') && /(s|x|ch|sh)es$/.test(w)) return w.slice(0, -2);
  if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss')) return w.slice(0, -1);
  return w;
}

/** Short, common words that appear in column names but say nothing about the schema. */
const GENERIC = new Set([
  'id',
  'name',
  'of',
  'in',
  'the',
  'a',
  'and',
  'to',
  'by',
  'is',
  'type',
  'code',
  'number',
  'date',
  'year',
]);

export interface SchemaLexicon {
  /** Stemmed single words that name a table or column. */
  words: Set<string>;
  /** Multi-word names (stemmed, space-joined), longest first. */
  phrases: string[];
}

export function schemaLexicon(tables: TableInfo[]): SchemaLexicon {
  const words = new Set<string>();
  const phrases = new Set<string>();
  for (const t of tables) {
    for (const name of [t.name, ...t.columns]) {
      const ws = identWords(name).map(stem);
      if (ws.length > 1) phrases.add(ws.join(' '));
      for (const w of ws) if (w.length > 2 && !GENERIC.has(w)) words.add(w);
    }
  }
  return { words, phrases: [...phrases].sort((a, b) => b.length - a.length) };
}

/**
 * Mask a question. Values become `[val]`, numbers `[num]`, quoted strings `[str]`, and schema
 * mentions `[col]` (a table or column of `tables`, matched on stemmed words, plural-insensitive).
 */
export function maskQuestion(question: string, tables?: TableInfo[] | SchemaLexicon): string {
  let q = question.replace(/"[^"]*"|'[^']*'|“[^”]*”/g, '[str]');
  q = q.replace(/\b\d+(?:[.,]\d+)*\b/g, '[num]');
  const lex = !tables ? null : Array.isArray(tables) ? schemaLexicon(tables) : tables;
  const tokens = q.split(/\s+/).filter(Boolean);
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const raw = tokens[i];
    const m = raw.match(/^([^A-Za-z0-9[\]]*)([A-Za-z0-9[\]'_-]+?)([^A-Za-z0-9[\]]*)$/);
    if (!m) {
      out.push(raw);
      continue;
    }
    const [, pre, word, post] = m;
    if (word.startsWith('[')) {
      out.push(raw);
      continue;
    }
    // Multi-word schema names ("song names" for Song_Name), matched on stemmed words.
    if (lex) {
      const phrase = lex.phrases.find((p) => {
        const ws = p.split(' ');
        if (i + ws.length > tokens.length) return false;
        return ws.every((w, j) => stem(tokens[i + j].replace(/[^A-Za-z0-9]/g, '').toLowerCase()) === w);
      });
      if (phrase) {
        const n = phrase.split(' ').length;
        const last = tokens[i + n - 1].match(/[^A-Za-z0-9]*$/)?.[0] ?? '';
        out.push(`${pre}[col]${last}`);
        i += n - 1;
        continue;
      }
    }
    // Proper nouns: capitalised words not at the start of the question.
    if (
      i > 0 &&
      /^[A-Z][a-z]+/.test(word) &&
      !/^(I|What|Which|Who|How|When|Where|Show|List|Find|Return|Give)$/.test(word)
    ) {
      out.push(`${pre}[val]${post}`);
      continue;
    }
    if (lex && lex.words.has(stem(word.toLowerCase()))) {
      out.push(`${pre}[col]${post}`);
      continue;
    }
    out.push(raw);
  }
  // Collapse runs of the same placeholder ("[col] [col]" → "[col]").
  return out
    .join(' ')
    .replace(/(\[(?:col|val)\])(\s+\1)+/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}
