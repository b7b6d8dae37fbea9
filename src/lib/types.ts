/**
 * Core data types shared by every host (workers, Node CLIs, tests).
 * Nothing in src/lib may touch the DOM.
 */

/** One solved example: a question and the SQL that answers it, with the schema it runs on. */
export interface Example {
  /** Stable id inside its corpus (for example `train-123` or `gretel-42`). */
  id: string;
  question: string;
  sql: string;
  /** Schema context: CREATE TABLE (and possibly INSERT) statements, as in gretel's `sql_context`. */
  schema?: string;
  /** Database id (Spider `db_id`), when the example belongs to a named database. */
  dbId?: string;
}

/** A table as the prompt sees it: original names, database order. */
export interface TableInfo {
  name: string;
  columns: string[];
  /** Declared column types, parallel to `columns` (may be empty strings). */
  types?: string[];
  /** The user's schema note on the table (Database & corpus → schema notes, or an import). */
  note?: SchemaNote;
  /** Notes per column, parallel to `columns` (undefined = none). */
  columnNotes?: (SchemaNote | undefined)[];
}

/** A description in the user's words, and other names for the same thing (schema notes). */
export interface SchemaNote {
  text?: string;
  synonyms?: string[];
}

/** A row that a loader could not use, reported to the user and skipped. */
export interface RowIssue {
  /** 1-based row number in the source file (header = row 1 for CSV; line number for JSONL; index+1 for JSON arrays). */
  row: number;
  reason: string;
}

export interface Corpus {
  /** Content hash of the examples (see corpus/hash.ts); used to detect a stale index. */
  hash: string;
  /** Human-readable name, e.g. "Spider train (6,726)". */
  name: string;
  examples: Example[];
  /** Schemas by dbId, when the source provides them (Spider tables.json). */
  schemas?: Record<string, TableInfo[]>;
}

export interface LoadResult {
  examples: Example[];
  issues: RowIssue[];
  schemas?: Record<string, TableInfo[]>;
  /** File-level notes for the user (e.g. "decoded from UTF-16", "read as Latin-1"). */
  notes?: string[];
}

/** Progress of a long job: `done` of `total` units (total may be 0 when unknown). */
export interface Progress {
  phase: string;
  done: number;
  total: number;
  /** Optional extra text, e.g. a file name being downloaded. */
  detail?: string;
}

export type ProgressFn = (p: Progress) => void;

/** Result of executing SQL. */
export interface QueryResult {
  columns: string[];
  rows: unknown[][];
  /** Wall time of the execution in milliseconds. */
  ms: number;
  /** True when the row list was cut at the row limit. */
  truncated?: boolean;
}
