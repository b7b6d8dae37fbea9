/**
 * What a prompt format is: one record per model family (see ./index.ts for the registry). A
 * record renders the exact text the model receives and reads the SQL back out of the reply;
 * optional parts (explaining SQL, free-form instructions) exist only where the family's model
 * can do them, and the capability flags say so for callers that only need to know.
 */
import type { PromptFormat } from '../../config.ts';
import type { TableInfo } from '../../types.ts';

export interface FewShot {
  question: string;
  sql: string;
  /** Retrieval score (higher is better), when known; only formats that rank by it use it. */
  score?: number;
}

/**
 * A database value the question mentions (found by schema linking), shown to the model as a hint
 * where the family's format has a place for it: `singer.country = 'France'`.
 */
export interface ValueHint {
  table: string;
  column: string;
  /** The value as stored. */
  value: string;
}

/** An earlier turn of the conversation, as a follow-up prompt shows it. */
export interface PreviousTurn {
  question: string;
  /** The question as a self-contained text (for formats that cannot show a conversation). */
  standalone?: string;
  sql: string;
  result?: { columns: string[]; rowCount: number; rows: readonly (readonly unknown[])[] } | null;
  error?: string | null;
}

/** What `build` renders. The question is already on one line. */
export interface AskParts {
  tables: TableInfo[];
  /** Most similar first. */
  examples: FewShot[];
  question: string;
  /** Linked values of the shown tables, best first (absent or empty: none). */
  hints?: ValueHint[];
}

/** What `followUp` renders. Questions are already on one line. */
export interface FollowUpParts {
  tables: TableInfo[];
  examples: FewShot[];
  /** Earlier turns shown, oldest first (cut to `followUpWindow`); the last is the one followed up. */
  history: PreviousTurn[];
  /** The follow-up as typed. */
  question: string;
  /** The follow-up as a self-contained question (the typed one when there is none). */
  standalone: string;
  /** Linked values of the shown tables, best first (absent or empty: none). */
  hints?: ValueHint[];
}

/** What `explain` renders. The SQL is trimmed; the question is on one line ('' when none). */
export interface ExplainParts {
  tables: TableInfo[];
  sql: string;
  question: string;
}

export interface PromptFormatRecord<F extends PromptFormat = PromptFormat> {
  readonly id: F;
  /** One line for people: which models use it and what it looks like. */
  readonly description: string;
  /** The model can explain SQL in words: `explain` is present exactly when this is true. */
  readonly canExplain: boolean;
  /** The model follows free-form instructions: `instruct` is present exactly when this is true. */
  readonly canFollowInstructions: boolean;
  /**
   * The prompt is a structured request for a model-free generator (the instant generator), not
   * text a language model continues: its reply is the SQL alone. Absent for model formats.
   */
  readonly structured?: true;
  /**
   * A follow-up is shown as a conversation (earlier questions, SQL and results as turns). When
   * false, the followed-up turn becomes the first example and the question is the self-contained one.
   */
  readonly showsConversation: boolean;
  /**
   * The format shows linked values (`AskParts.hints`) in its own style; absent or false: hints
   * are left out (tiny-sql-lm's exact format has no place for them).
   */
  readonly showsValueHints?: boolean;
  /** Stopping rule: the answer is a single line, so generation may stop at its first newline. */
  readonly stopAtNewline: boolean;
  /**
   * How many earlier turns a follow-up prompt shows (the newest ones), and, when at least one is
   * shown, at most how many retrieved examples go beside them (absent: all of them).
   */
  readonly followUpWindow: { readonly turns: number; readonly examplesWithTurn?: number };
  /** The prompt for a question (the no-RAG baseline is the same with zero examples). */
  build(parts: AskParts): string;
  /** The prompt for a follow-up question. */
  followUp(parts: FollowUpParts): string;
  /** Pull the SQL out of a reply to `build` or `followUp`. */
  extract(output: string): string;
  /** The prompt that asks the model to explain a query clause by clause. */
  explain?(parts: ExplainParts): string;
  /** Wrap a free-form instruction (model-written training pairs). */
  instruct?(instruction: string): string;
}
