/**
 * "My examples": the questions a user confirmed on one database, with the SQL they confirmed
 * (the learning loop). Stored per database identity in the key-value store (`mine:<identity>`),
 * only ever appended to, so that their index grows by appended rows (IndexService.append) and
 * its corpus hash follows by continuing the FNV state (corpusHashAppend) instead of re-reading
 * or re-embedding what was confirmed before.
 */
import { corpusHash } from '../corpus/hash.ts';
import type { Corpus, Example } from '../types.ts';

export const MY_EXAMPLES_VERSION = 1;
export const MAX_MY_EXAMPLES = 5000;
const MAX_FIELD = 20_000;

export interface MyExamplesDoc {
  version: number;
  examples: Example[];
}

export function emptyMyExamples(): MyExamplesDoc {
  return { version: MY_EXAMPLES_VERSION, examples: [] };
}

/** Read stored or imported My examples; throws when it is not that shape, drops malformed rows. */
export function parseMyExamples(data: unknown): MyExamplesDoc {
  if (!data || typeof data !== 'object') throw new Error('My examples: not an object');
  const o = data as Record<string, unknown>;
  if (o.version !== MY_EXAMPLES_VERSION) throw new Error(`My examples: unsupported version ${String(o.version)}`);
  if (!Array.isArray(o.examples)) throw new Error('My examples: "examples" is not a list');
  const examples: Example[] = [];
  for (const e of o.examples.slice(0, MAX_MY_EXAMPLES)) {
    if (!e || typeof e !== 'object') continue;
    const { id, question, sql } = e as Record<string, unknown>;
    if (typeof id !== 'string' || typeof question !== 'string' || typeof sql !== 'string') continue;
    if (!question.trim() || !sql.trim() || question.length > MAX_FIELD || sql.length > MAX_FIELD) continue;
    examples.push({ id, question, sql });
  }
  return { version: MY_EXAMPLES_VERSION, examples };
}

/**
 * The doc with one confirmed {question, SQL} appended; `added` is null when the same pair is
 * already there (confirming twice stores it once). Earlier rows are never changed.
 */
export function addConfirmed(
  doc: MyExamplesDoc,
  question: string,
  sql: string,
): { doc: MyExamplesDoc; added: Example | null } {
  const q = question.replace(/\s+/g, ' ').trim();
  const s = sql.trim();
  if (!q) throw new Error('a confirmed example needs its question');
  if (!s) throw new Error('a confirmed example needs its SQL');
  if (doc.examples.some((e) => e.question === q && e.sql === s)) return { doc, added: null };
  if (doc.examples.length >= MAX_MY_EXAMPLES) throw new Error(`My examples holds at most ${MAX_MY_EXAMPLES} examples`);
  const added: Example = { id: `mine-${doc.examples.length + 1}`, question: q, sql: s };
  return { doc: { version: MY_EXAMPLES_VERSION, examples: [...doc.examples, added] }, added };
}

/** My examples as a corpus (its name says which database); the hash is the plain corpus hash. */
export function myCorpus(doc: MyExamplesDoc, dbName: string): Corpus {
  return { name: `My examples · ${dbName}`, hash: corpusHash(doc.examples), examples: doc.examples };
}
