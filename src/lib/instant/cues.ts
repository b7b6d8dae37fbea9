/**
 * Does a template's shape agree with what the question asks for? General English cues ("how
 * many" asks for COUNT, "average" for AVG, a superlative for MAX/MIN or ORDER BY ... LIMIT, "each"
 * for GROUP BY, "different" for DISTINCT, a negation for NOT IN / EXCEPT) against the keywords of
 * the template. Returns a score added to every filling of the template, with its parts.
 */
import { significantTokens } from '../sql/tokenize.ts';
import type { QWord } from '../link/words.ts';

export interface ShapeFeatures {
  count: number;
  avg: number;
  sum: number;
  extreme: number;
  distinct: number;
  group: number;
  negation: number;
  order: number;
  setOp: number;
}

const has = (ws: readonly QWord[], ...xs: string[]) => ws.some((w) => xs.includes(w.text));
const phrase = (q: string, re: RegExp) => re.test(q.toLowerCase());

export function shapeScore(
  sql: string,
  words: readonly QWord[],
  question: string,
): { score: number; f: ShapeFeatures } {
  const toks = significantTokens(sql);
  const kw = (v: string) => toks.some((t) => t.kind === 'keyword' && t.value === v);
  // COUNT in the SELECT list (not only in ORDER BY / HAVING): a count answer.
  let selCount = false;
  let clause = '';
  let depth = 0;
  for (const t of toks) {
    if (t.kind === 'punct' && t.text === '(') depth++;
    else if (t.kind === 'punct' && t.text === ')') depth--;
    else if (
      t.kind === 'keyword' &&
      depth === 0 &&
      ['SELECT', 'FROM', 'WHERE', 'GROUP', 'ORDER', 'HAVING', 'LIMIT'].includes(t.value)
    )
      clause = t.value;
    if (clause === 'SELECT' && t.kind === 'keyword' && t.value === 'COUNT') selCount = true;
  }
  const q = question.toLowerCase();
  const cueCount = phrase(q, /\bhow many\b|\bnumber of\b|\bcount\b/);
  const cueAvg = has(words, 'average', 'mean', 'avg');
  const cueSum = has(words, 'total', 'sum', 'combined');
  const superlative = words.some(
    (w) =>
      /^(most|least|fewest|maximum|minimum|max|min|highest|lowest|largest|smallest|biggest|oldest|youngest|latest|earliest|longest|shortest|best|worst|top|first|last)$/.test(
        w.text,
      ) ||
      (/est$/.test(w.text) &&
        w.text.length > 5 &&
        !/(interest|request|forest|contest|honest|west|guest|chest|suggest)$/.test(w.text)),
  );
  const cueDistinct = has(words, 'different', 'distinct', 'unique');
  const cueGroup = has(words, 'each', 'per', 'every') || phrase(q, /\bfor each\b|\bby each\b/);
  const cueNeg = has(words, 'not', 'never', 'without', 'no', 'nothing', 'except') || phrase(q, /n't\b/);
  const cueOrder = has(
    words,
    'order',
    'ordered',
    'sorted',
    'sort',
    'ascending',
    'descending',
    'alphabetical',
    'alphabetically',
  );
  const cueSet = has(words, 'both') || phrase(q, /\band also\b|\bas well as\b/);

  const tAvg = kw('AVG');
  const tSum = kw('SUM');
  const tExtreme = kw('MAX') || kw('MIN') || kw('LIMIT');
  const tDistinct = kw('DISTINCT');
  const tGroup = kw('GROUP');
  const tNeg = kw('NOT') || kw('EXCEPT') || toks.some((t) => t.kind === 'op' && (t.text === '!=' || t.text === '<>'));
  const tOrder = kw('ORDER');
  const tSet = kw('INTERSECT') || kw('UNION') || kw('EXCEPT');

  const agree = (cue: boolean, tpl: boolean, w: number, wExtra = w) => (cue ? (tpl ? w : -w) : tpl ? -wExtra : 0);
  const f: ShapeFeatures = {
    count: agree(cueCount, selCount, 0.35),
    avg: agree(cueAvg, tAvg, 0.3),
    sum: agree(cueSum, tSum, 0.2, 0.3),
    extreme: agree(superlative, tExtreme, 0.25),
    distinct: agree(cueDistinct, tDistinct, 0.1, 0.05),
    group: agree(cueGroup, tGroup, 0.15, 0.1),
    negation: agree(cueNeg, tNeg, 0.25),
    order: agree(cueOrder, tOrder && !kw('LIMIT'), 0.2, 0),
    setOp: agree(cueSet, tSet, 0.1, 0.1),
  };
  const score = Object.values(f).reduce((a, b) => a + b, 0);
  return { score, f };
}
