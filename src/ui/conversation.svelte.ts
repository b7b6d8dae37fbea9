/**
 * The answer experience around app.ask(): the conversation (a tree of turns, follow-ups,
 * branching), the question history per database in IndexedDB, the explanation of the current
 * SQL (from the model, or rule-based for tiny-sql) and the inline position of an SQL error.
 *
 * It plugs into the answer state through its hooks, so every question and SQL run is recorded,
 * however it was started (the Ask button, a share link, the SQL editors).
 */
import { untrack } from 'svelte';
import type { AppState } from './app.svelte.ts';
import type { AnswerEvent, FollowUpContext } from './state/answer.svelte.ts';
import type { OpenKv, UiServices } from './state/ports.ts';
import { Explainer } from './explainer.svelte.ts';
import { HistoryStore } from '../lib/history/store.ts';
import {
  addTurn,
  byId,
  childrenOf,
  newTurnId,
  pathTo,
  replaceTurn,
  searchTurns,
  standaloneQuestion,
  storeResult,
  threadOf,
  type Turn,
} from '../lib/history/turns.ts';
import type { SqlErrorSpot } from '../lib/sql/locate-error.ts';
import type { BuiltPrompt } from '../lib/llm/prompts.ts';
import type { PromptFormat } from '../lib/config.ts';
import { TOO_MANY_STATEMENTS, errorMessage } from '../lib/errors.ts';
import { nextTask } from '../lib/tasks.ts';

export class Conversation {
  /** The database whose history is loaded. */
  #dbName = $state<string | null>(null);
  #turns = $state.raw<Turn[]>([]);
  /** The turn on screen. */
  #currentId = $state<string | null>(null);
  /** When set, the next question is a follow-up of this turn. */
  #followFromId = $state<string | null>(null);
  #historyError = $state<string | null>(null);
  #search = $state('');
  /** Where the current SQL error points, for an inline mark (with the SQL it belongs to). */
  #errorSpot = $state.raw<(SqlErrorSpot & { sql: string }) | null>(null);
  /** The result on screen is a stored one (first rows only). */
  #storedResult = $state(false);
  /** Counts the answers whose explanation is due (only the latest is explained). */
  private afterSeq = 0;

  #current = $derived(byId(this.#turns, this.#currentId));
  #thread = $derived(threadOf(this.#turns, this.#currentId));
  #followFrom = $derived(byId(this.#turns, this.#followFromId));
  #matches = $derived(searchTurns(this.#turns, this.#search));

  private readonly app: AppState;
  private readonly sql: Pick<UiServices['sql'], 'locateError'>;
  private readonly store: HistoryStore;
  /** The explanation of the SQL on screen. */
  readonly explainer: Explainer;
  private loadStarted = 0;
  private readonly dispose: () => void;

  constructor(deps: { app: AppState; services: UiServices; kv: OpenKv }) {
    const { app, services, kv } = deps;
    this.app = app;
    this.explainer = new Explainer({ app, llm: services.generator });
    this.sql = services.sql;
    this.store = new HistoryStore({
      getKv: async (k) => (await kv()).getKv(k),
      setKv: async (k, v) => (await kv()).setKv(k, v),
      deleteKv: async (k) => (await kv()).deleteKv(k),
    });
    app.answer.setHooks({
      beforeAsk: () => this.explainer.stop(),
      followUp: () => this.followUpContext(),
      answered: (e) => this.answered(e),
    });
    // the history follows the open database
    this.dispose = $effect.root(() => {
      $effect(() => {
        const name = app.database.info?.name ?? null;
        untrack(() => void this.load(name));
      });
    });
  }

  /** Stop following the database (tests). */
  destroy(): void {
    this.dispose();
    this.app.answer.setHooks(null);
  }

  get dbName(): string | null {
    return this.#dbName;
  }
  get turns(): Turn[] {
    return this.#turns;
  }
  get currentId(): string | null {
    return this.#currentId;
  }
  get followFromId(): string | null {
    return this.#followFromId;
  }
  get historyError(): string | null {
    return this.#historyError;
  }
  /** The history search box (bound in the history panel). */
  get search(): string {
    return this.#search;
  }
  set search(q: string) {
    this.#search = q;
  }
  get errorSpot(): (SqlErrorSpot & { sql: string }) | null {
    return this.#errorSpot;
  }
  get storedResult(): boolean {
    return this.#storedResult;
  }
  get current(): Turn | undefined {
    return this.#current;
  }
  get thread(): Turn[] {
    return this.#thread;
  }
  get followFrom(): Turn | undefined {
    return this.#followFrom;
  }
  get matches(): Turn[] {
    return this.#matches;
  }

  // ------------------------------------------------------------------ history

  async load(name: string | null): Promise<void> {
    if (name === this.#dbName) return;
    this.#dbName = name;
    this.#turns = [];
    this.#currentId = null;
    this.#followFromId = null;
    this.explainer.clear();
    this.#historyError = null;
    if (!name) return;
    const started = (this.loadStarted = Date.now());
    try {
      const stored = await this.store.load(name);
      if (this.#dbName !== name) return;
      const ids = new Set(stored.map((t) => t.id));
      // keep turns answered while the history was loading
      this.#turns = [...stored, ...this.#turns.filter((t) => !ids.has(t.id) && t.createdAt >= started)];
    } catch (e) {
      this.#historyError = `the history could not be read: ${errorMessage(e)}`;
    }
  }

  private async persist(): Promise<void> {
    const name = this.#dbName;
    if (!name) return;
    try {
      await this.store.save(name, this.#turns);
      this.#historyError = null;
    } catch (e) {
      this.#historyError = `the history could not be saved: ${errorMessage(e)}`;
    }
  }

  /** Delete this database's history (the list empties once the deletion is stored). */
  async clearHistory(): Promise<void> {
    const name = this.#dbName;
    try {
      if (name) await this.store.clear(name);
    } catch (e) {
      this.#historyError = `the history could not be cleared: ${errorMessage(e)}`;
      return;
    }
    if (this.#dbName !== name) return;
    this.#turns = [];
    this.#currentId = null;
    this.#followFromId = null;
  }

  // ------------------------------------------------------------------ turns

  /** Called by app after every question and SQL run. */
  answered(e: AnswerEvent): void {
    if (!this.#dbName && this.app.database.info) this.#dbName = this.app.database.info.name;
    if (!e.sql && (!e.error || e.error.message === 'stopped')) return; // nothing to keep
    const error = e.error ? { stage: e.error.stage, message: e.error.message } : null;
    const cur = byId(this.#turns, this.#currentId);
    if (e.kind === 'edit' && cur) {
      const t: Turn = { ...cur, sql: e.sql, edited: true, result: storeResult(e.result), error };
      this.#turns = replaceTurn(this.#turns, t);
    } else {
      const parent = e.followUp ? byId(this.#turns, e.followUp.parentId) : undefined;
      const turn: Turn = {
        id: newTurnId(),
        parentId: parent?.id ?? null,
        kind: e.kind === 'edit' ? 'sql' : e.kind,
        question: e.question.trim(),
        standalone: e.followUp ? e.followUp.standalone : e.question.replace(/\s+/g, ' ').trim(),
        sql: e.sql,
        result: storeResult(e.result),
        error,
        prompt: e.prompt,
        createdAt: Date.now(),
      };
      this.#turns = addTurn(this.#turns, turn);
      this.#currentId = turn.id;
      // a follow-up is answered: the box is free for a new question (Follow up on any turn starts another)
      if (e.kind === 'followup') {
        this.#followFromId = null;
        if (this.app.answer.question === e.question) this.app.answer.question = '';
      }
      if (e.kind === 'sql') {
        this.app.answer.clearPrompt();
        this.app.answer.clearRetrieval();
      }
    }
    this.#storedResult = false;
    void this.persist();
    void this.afterAnswer(e.sql, e.question, error);
  }

  private async afterAnswer(
    sqlText: string,
    question: string,
    error: { stage: string; message: string } | null,
  ): Promise<void> {
    const seq = ++this.afterSeq;
    this.explainer.setHighlight(null);
    this.#errorSpot = null;
    // SQL refused for its number of statements is not explained or parsed again (one item per statement).
    if (error?.message.includes(TOO_MANY_STATEMENTS)) {
      await this.explainer.stop();
      this.explainer.clear();
      return;
    }
    if (error && error.stage === 'execute' && sqlText.trim()) {
      try {
        const spot = await this.sql.locateError(sqlText, error.message);
        if (spot && this.app.answer.sqlText === sqlText) this.#errorSpot = { ...spot, sql: sqlText };
      } catch {
        /* no mark: the message is still shown */
      }
    }
    // The explanation in a task of its own: the result's render (a 100k-row table among it) and the
    // rule-based explanation of the SQL were one long main-thread task together.
    await nextTask();
    // a later answer (or turn shown) explains its own SQL
    if (seq !== this.afterSeq) return;
    await this.explainer.explain(sqlText, question);
  }

  /** Show an earlier turn: its SQL, its stored result (first rows) or error, its prompt. */
  open(id: string): void {
    const t = byId(this.#turns, id);
    if (!t || this.app.answer.running) return;
    this.#currentId = id;
    this.app.answer.show({
      sql: t.sql,
      result: t.result ? { columns: t.result.columns, rows: t.result.rows, ms: t.result.ms } : null,
      error: t.error ? { ...t.error } : null,
      prompt: t.prompt
        ? ({
            format: t.prompt.format as PromptFormat,
            text: t.prompt.text,
            examplesUsed: t.prompt.examplesUsed ?? 0,
          } satisfies BuiltPrompt)
        : null,
    });
    this.#storedResult = !!t.result && t.result.rowCount > t.result.rows.length;
    void this.afterAnswer(t.sql, t.question, t.error);
  }

  /** Make the next question a follow-up of this turn (branching when it already has one). */
  followUpFrom(id: string): void {
    if (!byId(this.#turns, id)) return;
    this.#followFromId = id;
    if (this.#currentId !== id) this.open(id);
    // the box held the earlier question: a follow-up starts empty
    if (this.app.answer.question.trim() === byId(this.#turns, id)?.question) this.app.answer.question = '';
  }

  newQuestion(): void {
    this.#followFromId = null;
  }

  /** Run the (edited) SQL of the current answer again. */
  async rerun(text: string): Promise<void> {
    await this.explainer.stop();
    await this.app.answer.runSql(text, this.#current ? 'edit' : 'sql');
  }

  /** The other follow-ups of the same turn (branches), oldest first. */
  siblings(t: Turn): Turn[] {
    return t.parentId && byId(this.#turns, t.parentId) ? childrenOf(this.#turns, t.parentId) : [t];
  }

  private followUpContext(): FollowUpContext | null {
    const from = this.#followFrom;
    if (!from) return null;
    const path = pathTo(this.#turns, from.id).slice(-3);
    return {
      parentId: from.id,
      standalone: standaloneQuestion(from, this.app.answer.question),
      previous: path.map((t) => ({
        question: t.question,
        standalone: t.standalone,
        sql: t.sql,
        result: t.result
          ? { columns: t.result.columns.slice(), rowCount: t.result.rowCount, rows: t.result.rows.slice(0, 3) }
          : null,
        error: t.error?.message ?? null,
      })),
    };
  }
}
