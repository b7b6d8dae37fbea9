/**
 * Lexical retrieval with BM25, from MiniSearch (a maintained JS full-text library). Documents are
 * corpus rows; ids are row numbers.
 */
import MiniSearch from 'minisearch';

export interface LexicalHit {
  row: number;
  score: number;
}

const STOP = new Set([
  'the',
  'a',
  'an',
  'of',
  'for',
  'in',
  'on',
  'to',
  'and',
  'or',
  'is',
  'are',
  'was',
  'were',
  'be',
  'by',
  'with',
  'what',
  'which',
  'who',
  'whose',
  'that',
  'this',
  'these',
  'those',
  'do',
  'does',
  'did',
  'there',
  'their',
  'its',
  'it',
  'as',
  'at',
  'from',
  'me',
  'all',
  'each',
  'every',
  'give',
  'show',
  'list',
  'find',
  'return',
  'tell',
]);

/** Lower-case word tokens, keeping placeholder tokens like `[col]` whole. */
export function lexicalTokens(text: string): string[] {
  return (text.toLowerCase().match(/\[[a-z]+\]|[a-z0-9_]+/g) ?? []).filter((t) => !STOP.has(t));
}

export class LexicalIndex {
  private ms: MiniSearch<{ id: number; text: string }>;
  readonly size: number;

  constructor(texts: string[]) {
    this.ms = new MiniSearch<{ id: number; text: string }>({
      fields: ['text'],
      idField: 'id',
      tokenize: (t) => lexicalTokens(t),
      processTerm: (t) => t,
      searchOptions: { combineWith: 'OR', prefix: false, fuzzy: false },
    });
    this.ms.addAll(texts.map((text, id) => ({ id, text })));
    this.size = texts.length;
  }

  search(query: string, k: number, exclude?: Set<number>): LexicalHit[] {
    if (k <= 0) return [];
    const out: LexicalHit[] = [];
    for (const r of this.ms.search(query)) {
      if (exclude?.has(r.id as number)) continue;
      out.push({ row: r.id as number, score: r.score });
      if (out.length >= k) break;
    }
    return out;
  }
}
