/**
 * A conversation with a database is a tree of turns: each question (or SQL typed by hand) is a
 * turn with its own SQL and result, and a follow-up is a child of the turn it continues from.
 * Branching = following up again from an earlier turn. Pure functions over plain data, so the
 * same code serves the UI, IndexedDB persistence and the tests.
 */
import type { PromptFormat } from '../config.ts';
import { isPromptFormat } from '../llm/formats/index.ts';
import type { QueryResult } from '../types.ts';

export type TurnKind = 'ask' | 'followup' | 'sql';

/** A result as kept with a turn: the first rows only, and how many there were. */
export interface StoredResult {
  columns: string[];
  rows: unknown[][];
  /** Rows the query returned (rows.length may be smaller). */
  rowCount: number;
  ms: number;
}

export interface Turn {
  id: string;
  /** The turn this one follows up on; null for a new question. */
  parentId: string | null;
  kind: TurnKind;
  /** What the user typed ('' for SQL typed by hand). */
  question: string;
  /** The question as a self-contained text: a follow-up joined to the questions before it. */
  standalone: string;
  sql: string;
  /** True when the user edited the SQL and ran it again. */
  edited?: boolean;
  result: StoredResult | null;
  error: { stage: string; message: string } | null;
  /** The prompt that produced the SQL, when a model wrote it. */
  prompt?: { format: PromptFormat; text: string; examplesUsed?: number } | null;
  createdAt: number;
}

export const MAX_STORED_ROWS = 200;
export const MAX_TURNS = 200;

let counter = 0;
export function newTurnId(now = Date.now()): string {
  counter = (counter + 1) % 1_000_000;
  return `t${now.toString(36)}-${counter.toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}

/** Keep the first `max` rows of a result (values that cannot be stored, like blobs, are kept as is). */
export function storeResult(r: QueryResult | null | undefined, max = MAX_STORED_ROWS): StoredResult | null {
  if (!r) return null;
  return {
    columns: r.columns.slice(),
    rows: r.rows.slice(0, max).map((row) => row.slice()),
    rowCount: r.rows.length,
    ms: r.ms,
  };
}

export function byId(turns: readonly Turn[], id: string | null | undefined): Turn | undefined {
  return id ? turns.find((t) => t.id === id) : undefined;
}

/** Root → … → the turn `id` (a turn whose parent is gone counts as a root). */
export function pathTo(turns: readonly Turn[], id: string | null | undefined): Turn[] {
  const map = new Map(turns.map((t) => [t.id, t]));
  const out: Turn[] = [];
  const seen = new Set<string>();
  let cur = id ? map.get(id) : undefined;
  while (cur && !seen.has(cur.id)) {
    seen.add(cur.id);
    out.unshift(cur);
    cur = cur.parentId ? map.get(cur.parentId) : undefined;
  }
  return out;
}

/** Children of a turn (null: the roots), oldest first. */
export function childrenOf(turns: readonly Turn[], id: string | null): Turn[] {
  const ids = new Set(turns.map((t) => t.id));
  return turns
    .filter((t) => (id === null ? t.parentId === null || !ids.has(t.parentId) : t.parentId === id))
    .sort((a, b) => a.createdAt - b.createdAt);
}

/** Follow the newest child down from `id` to a leaf. */
export function latestLeaf(turns: readonly Turn[], id: string): Turn | undefined {
  let cur = byId(turns, id);
  const seen = new Set<string>();
  while (cur && !seen.has(cur.id)) {
    seen.add(cur.id);
    const kids = childrenOf(turns, cur.id);
    if (!kids.length) return cur;
    cur = kids[kids.length - 1];
  }
  return cur;
}

/** The path shown for a selected turn: root → selected → its newest descendants. */
export function threadOf(turns: readonly Turn[], id: string | null): Turn[] {
  if (!id) return [];
  const leaf = latestLeaf(turns, id);
  return pathTo(turns, leaf?.id ?? id);
}

/** The self-contained question of a follow-up: the parent's, then the new words. */
export function standaloneQuestion(parent: Turn | undefined, question: string): string {
  const q = question.replace(/\s+/g, ' ').trim();
  if (!parent) return q;
  const p = (parent.standalone || parent.question).replace(/\s+/g, ' ').trim();
  if (!p) return q;
  return /[.?!]$/.test(p) ? `${p} ${q}` : `${p}; ${q}`;
}

/** Add a turn, dropping the oldest turns past `max` (their children become roots). */
export function addTurn(turns: readonly Turn[], turn: Turn, max = MAX_TURNS): Turn[] {
  const next = [...turns, turn];
  if (next.length <= max) return next;
  return next.slice(next.length - max);
}

export function replaceTurn(turns: readonly Turn[], turn: Turn): Turn[] {
  return turns.map((t) => (t.id === turn.id ? turn : t));
}

/** Turns whose question, SQL or column names contain every word of `query`, newest first. */
export function searchTurns(turns: readonly Turn[], query: string): Turn[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const hay = (t: Turn) =>
    `${t.question}\n${t.standalone}\n${t.sql}\n${t.result?.columns.join(' ') ?? ''}`.toLowerCase();
  return turns.filter((t) => words.every((w) => hay(t).includes(w))).sort((a, b) => b.createdAt - a.createdAt);
}

/** Check what came out of storage: keep well-formed turns only. */
export function validTurns(data: unknown): Turn[] {
  const arr = (data as { turns?: unknown })?.turns;
  if (!Array.isArray(arr)) return [];
  return arr
    .filter((t): t is Turn => {
      const x = t as Partial<Turn>;
      return (
        !!x &&
        typeof x.id === 'string' &&
        typeof x.sql === 'string' &&
        typeof x.question === 'string' &&
        (x.parentId === null || typeof x.parentId === 'string') &&
        typeof x.createdAt === 'number' &&
        (x.result === null ||
          (typeof x.result === 'object' && Array.isArray(x.result.columns) && Array.isArray(x.result.rows)))
      );
    })
    .map((t) => ({
      ...t,
      standalone: typeof t.standalone === 'string' ? t.standalone : t.question,
      kind: t.kind ?? 'ask',
      error: t.error ?? null,
      // a prompt of a format this version does not know (or a malformed one) is not shown
      ...(t.prompt !== undefined ? { prompt: validPrompt(t.prompt) } : {}),
    }));
}

function validPrompt(p: unknown): Turn['prompt'] {
  const x = p as Partial<NonNullable<Turn['prompt']>> | null;
  return x && isPromptFormat(x.format) && typeof x.text === 'string' ? (x as NonNullable<Turn['prompt']>) : null;
}
