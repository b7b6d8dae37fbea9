/**
 * Words for schema linking: identifiers split into words (`_`, camelCase, spaces, digits), a
 * light English stemmer (plurals and common suffixes), and the question's word stream with the
 * character offsets of each word. Pure and total: nothing here throws.
 */

/** Words that carry no schema meaning on their own (they never link by themselves). */
export const STOPWORDS: ReadonlySet<string> = new Set(
  (
    'a an the of in on at to for from by with without and or not no is are was were be been being do does did ' +
    'what which who whom whose where when how why this that these those there their its it they them he she his ' +
    'her we our you your i me my all any each every some many much more most less least than then also as into ' +
    'about over under up down out off only just please show list give find return display tell get me us have has ' +
    'had can could would should will shall may might must whats different distinct unique per same other ' +
    'another both either neither such very ever'
  ).split(' '),
);

/** Words that mean a generic attribute and link only weakly (a column named `name` or `id`). */
export const WEAK_WORDS: ReadonlySet<string> = new Set(['name', 'id', 'number', 'count', 'code', 'type', 'date']);

/**
 * A light stemmer: lower case, then plural and common inflection suffixes removed
 * (`countries` -> `country`, `singers` -> `singer`, `classes` -> `class`, `located` -> `locat`).
 * Short words (4 letters or fewer) only lose a plural `s`.
 */
export function stem(word: string): string {
  let w = word.toLowerCase();
  if (w.length <= 2) return w;
  if (w.length > 4) {
    if (w.endsWith('ies')) return w.slice(0, -3) + 'y';
    if (/(ss|sh|ch|x|z)es$/.test(w)) return w.slice(0, -2);
    if (w.endsWith('ing') && w.length > 5) return w.slice(0, -3);
    if (w.endsWith('ed') && w.length > 4 && !w.endsWith('eed')) return w.slice(0, -2);
  }
  if (w.endsWith('s') && !w.endsWith('ss') && !w.endsWith('us') && !w.endsWith('is')) w = w.slice(0, -1);
  return w;
}

/** Splits an identifier into lower-case words: `Song_Name` -> [song, name], `orderDate2` -> [order, date, 2]. */
export function splitName(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/([A-Za-z])([0-9])/g, '$1 $2')
    .replace(/([0-9])([A-Za-z])/g, '$1 $2')
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

/** A word of the question with its position. */
export interface QWord {
  /** The word as written, lower case. */
  text: string;
  /** Its stem (see `stem`). */
  stem: string;
  /** Index in the word list. */
  index: number;
  /** Character offsets in the question. */
  start: number;
  end: number;
  /** Written with an initial capital and not the question's first word. */
  capitalized: boolean;
}

/** The words of a question (letters and digits; `'s` dropped), with offsets. */
export function questionWords(question: string): QWord[] {
  const out: QWord[] = [];
  const re = /[\p{L}\p{N}]+(?:[.'’-][\p{L}\p{N}]+)*/gu;
  for (const m of question.matchAll(re)) {
    let text = m[0];
    text = text.replace(/['’]s$/i, '');
    const lower = text.toLowerCase();
    out.push({
      text: lower,
      stem: stem(lower),
      index: out.length,
      start: m.index,
      end: m.index + text.length,
      capitalized: out.length > 0 && /^\p{Lu}/u.test(text),
    });
  }
  return out;
}

/** True when two stems name the same thing: equal, or one a prefix (at least 4 letters) of the other. */
export function stemsMatch(a: string, b: string): 'exact' | 'partial' | null {
  if (a === b) return 'exact';
  const [s, l] = a.length <= b.length ? [a, b] : [b, a];
  if (s.length >= 4 && l.startsWith(s) && l.length - s.length <= 4) return 'partial';
  return null;
}
