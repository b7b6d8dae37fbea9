/**
 * The answer experience around app.ask(): the conversation (a tree of turns, follow-ups,
 * branching), the question history per database in IndexedDB, the explanation of the current
 * SQL (from the model, or rule-based for tiny-sql) and the inline position of an SQL error.
 *
 * It plugs into AppState through `app.hooks`, so every question and SQL run is recorded, however
 * it was started (the Ask button, a share link, the SQL editors).
 */
import { untrack } from 'svelte';
import { app, type AnswerEvent, type FollowUpContext } from './app.svelte.ts';
import { llmWorker, sql, tokenProxy } from './services.ts';
import { IndexStore } from '../lib/index/store.ts';
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
import { explainSql, linkExplanation, type ExplainItem } from '../lib/sql/explain.ts';
import type { SqlErrorSpot } from '../lib/sql/locate-error.ts';
import { cleanExplanation, type BuiltPrompt } from '../lib/llm/prompts.ts';
import { promptFormat } from '../lib/llm/formats/index.ts';
import type { TableInfo } from '../lib/types.ts';
import { TOO_MANY_STATEMENTS, errorMessage } from '../lib/errors.ts';

export interface ExplanationState {
  /** The SQL explained. */
  sql: string;
  source: 'rules' | 'model';
  /** The model that explained (source 'model'). */
  model?: string;
  /** Why the rules explained it (source 'rules'). */
  why?: string;
  items: ExplainItem[];
  streaming: boolean;
  /** The model's text as it streams. */
  text: string;
}

/** Tokens a model may spend on an explanation. */
const EXPLAIN_TOKENS = 256;

class Conversation {
  /** The database whose history is loaded. */
  dbName = $state<string | null>(null);
  turns = $state.raw<Turn[]>([]);
  /** The turn on screen. */
  currentId = $state<string | null>(null);
  /** When set, the next question is a follow-up of this turn. */
  followFromId = $state<string | null>(null);
  historyError = $state<string | null>(null);
  search = $state('');
  explanation = $state.raw<ExplanationState | null>(null);
  /** The clause range to highlight in the SQL editor (an explanation item has focus). */
  highlight = $state.raw<{ from: number; to: number } | null>(null);
  /** Where the current SQL error points, for an inline mark (with the SQL it belongs to). */
  errorSpot = $state.raw<(SqlErrorSpot & { sql: string }) | null>(null);
  /** The result on screen is a stored one (first rows only). */
  storedResult = $state(false);

  current = $derived(byId(this.turns, this.currentId));
  thread = $derived(threadOf(this.turns, this.currentId));
  followFrom = $derived(byId(this.turns, this.followFromId));
  matches = $derived(searchTurns(this.turns, this.search));

  private store = new HistoryStore({
    getKv: async (k) => (await this.idb).getKv(k),
    setKv: async (k, v) => (await this.idb).setKv(k, v),
    deleteKv: async (k) => (await this.idb).deleteKv(k),
  });
  private idbPromise: Promise<IndexStore> | null = null;
  private get idb(): Promise<IndexStore> {
    this.idbPromise ??= IndexStore.open();
    return this.idbPromise;
  }
  private explainRun = 0;
  private explaining: Promise<unknown> | null = null;
  private loadStarted = 0;

  constructor() {
    app.hooks = {
      beforeAsk: () => this.stopExplaining(),
      followUp: () => this.followUpContext(),
      answered: (e) => this.answered(e),
    };
    $effect.root(() => {
      $effect(() => {
        const name = app.db?.name ?? null;
        untrack(() => void this.load(name));
      });
    });
  }

  // ------------------------------------------------------------------ history

  async load(name: string | null): Promise<void> {
    if (name === this.dbName) return;
    this.dbName = name;
    this.turns = [];
    this.currentId = null;
    this.followFromId = null;
    this.explanation = null;
    this.historyError = null;
    if (!name) return;
    const started = (this.loadStarted = Date.now());
    try {
      const stored = await this.store.load(name);
      if (this.dbName !== name) return;
      const ids = new Set(stored.map((t) => t.id));
      // keep turns answered while the history was loading
      this.turns = [...stored, ...this.turns.filter((t) => !ids.has(t.id) && t.createdAt >= started)];
    } catch (e) {
      this.historyError = `the history could not be read: ${errorMessage(e)}`;
    }
  }

  private async persist(): Promise<void> {
    const name = this.dbName;
    if (!name) return;
    try {
      await this.store.save(name, this.turns);
      this.historyError = null;
    } catch (e) {
      this.historyError = `the history could not be saved: ${errorMessage(e)}`;
    }
  }

  /** Delete this database's history (the list empties once the deletion is stored). */
  async clearHistory(): Promise<void> {
    const name = this.dbName;
    try {
      if (name) await this.store.clear(name);
    } catch (e) {
      this.historyError = `the history could not be cleared: ${errorMessage(e)}`;
      return;
    }
    if (this.dbName !== name) return;
    this.turns = [];
    this.currentId = null;
    this.followFromId = null;
  }

  // ------------------------------------------------------------------ turns

  /** Called by app after every question and SQL run. */
  answered(e: AnswerEvent): void {
    if (!this.dbName && app.db) this.dbName = app.db.name;
    if (!e.sql && (!e.error || e.error.message === 'stopped')) return; // nothing to keep
    const error = e.error ? { stage: e.error.stage, message: e.error.message } : null;
    const cur = byId(this.turns, this.currentId);
    if (e.kind === 'edit' && cur) {
      const t: Turn = { ...cur, sql: e.sql, edited: true, result: storeResult(e.result), error };
      this.turns = replaceTurn(this.turns, t);
    } else {
      const parent = e.followUp ? byId(this.turns, e.followUp.parentId) : undefined;
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
      this.turns = addTurn(this.turns, turn);
      this.currentId = turn.id;
      // a follow-up chain goes on from the newest turn
      if (e.kind === 'followup' && this.followFromId) this.followFromId = turn.id;
      if (e.kind === 'sql') {
        app.prompt = null;
        app.retrieved = [];
        app.retrieveMs = null;
      }
    }
    this.storedResult = false;
    void this.persist();
    void this.afterAnswer(e.sql, e.question, error);
  }

  private async afterAnswer(
    sqlText: string,
    question: string,
    error: { stage: string; message: string } | null,
  ): Promise<void> {
    this.highlight = null;
    this.errorSpot = null;
    // SQL refused for its number of statements is not explained or parsed again (one item per statement).
    if (error?.message.includes(TOO_MANY_STATEMENTS)) {
      await this.stopExplaining();
      this.explanation = null;
      return;
    }
    if (error && error.stage === 'execute' && sqlText.trim()) {
      try {
        const spot = await sql.locateError(sqlText, error.message);
        if (spot && app.sqlText === sqlText) this.errorSpot = { ...spot, sql: sqlText };
      } catch {
        /* no mark: the message is still shown */
      }
    }
    await this.explain(sqlText, question);
  }

  /** Show an earlier turn: its SQL, its stored result (first rows) or error, its prompt. */
  open(id: string): void {
    const t = byId(this.turns, id);
    if (!t || app.running) return;
    this.currentId = id;
    app.stream = '';
    app.generation = null;
    app.retrieved = [];
    app.retrieveMs = null;
    app.sqlText = t.sql;
    app.result = t.result ? { columns: t.result.columns, rows: t.result.rows, ms: t.result.ms } : null;
    app.error = t.error ? { ...t.error } : null;
    app.prompt = t.prompt
      ? ({
          format: t.prompt.format,
          text: t.prompt.text,
          examplesUsed: t.prompt.examplesUsed ?? 0,
        } satisfies BuiltPrompt)
      : null;
    this.storedResult = !!t.result && t.result.rowCount > t.result.rows.length;
    void this.afterAnswer(t.sql, t.question, t.error);
  }

  /** Make the next question a follow-up of this turn (branching when it already has one). */
  followUpFrom(id: string): void {
    if (!byId(this.turns, id)) return;
    this.followFromId = id;
    if (this.currentId !== id) this.open(id);
  }

  newQuestion(): void {
    this.followFromId = null;
  }

  /** Run the (edited) SQL of the current answer again. */
  async rerun(text: string): Promise<void> {
    await this.stopExplaining();
    await app.runSql(text, this.current ? 'edit' : 'sql');
  }

  /** The other follow-ups of the same turn (branches), oldest first. */
  siblings(t: Turn): Turn[] {
    return t.parentId && byId(this.turns, t.parentId) ? childrenOf(this.turns, t.parentId) : [t];
  }

  private followUpContext(): FollowUpContext | null {
    const from = this.followFrom;
    if (!from) return null;
    const path = pathTo(this.turns, from.id).slice(-3);
    return {
      parentId: from.id,
      standalone: standaloneQuestion(from, app.question),
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

  // ------------------------------------------------------------------ explanation

  /** Stop a model explanation that is being written (what it wrote so far stays). */
  stopExplanation(): void {
    void this.stopExplaining();
  }

  private async stopExplaining(): Promise<void> {
    this.explainRun++;
    const p = this.explaining;
    if (!p) return;
    void llmWorker.api.interrupt();
    await p.catch(() => {});
    const cur = this.explanation;
    if (cur?.streaming)
      this.explanation = {
        ...cur,
        streaming: false,
        items: linkExplanation(cur.sql, cleanExplanation(cur.text)),
        text: cleanExplanation(cur.text) + ' (stopped)',
      };
  }

  /** Explain `sqlText`: with the model, or rule-based when the model cannot explain (tiny-sql). */
  async explain(sqlText: string, question: string): Promise<void> {
    await this.stopExplaining();
    const run = this.explainRun;
    if (!sqlText.trim()) {
      this.explanation = null;
      return;
    }
    const rules = (why: string): ExplanationState => ({
      sql: sqlText,
      source: 'rules',
      why,
      items: explainSql(sqlText),
      streaming: false,
      text: '',
    });
    const gen = app.generator;
    if (!gen || app.genStatus !== 'ready') {
      this.explanation = rules('no model is loaded');
      return;
    }
    if (!promptFormat(gen.format).canExplain) {
      this.explanation = rules(`${gen.id} only writes SQL and cannot explain it`);
      return;
    }
    if (app.running) {
      this.explanation = rules('the model is busy');
      return;
    }
    const tables = $state.snapshot(app.db?.tables ?? []) as TableInfo[];
    let prompt: BuiltPrompt | null;
    try {
      prompt = await llmWorker.api.buildExplainPrompt({ tables, sql: sqlText, question }, EXPLAIN_TOKENS);
    } catch (e) {
      if (run === this.explainRun) this.explanation = rules(`the model could not be asked (${errorMessage(e)})`);
      return;
    }
    if (run !== this.explainRun) return;
    if (!prompt) {
      this.explanation = rules(`${gen.id} cannot explain SQL`);
      return;
    }
    const model = gen.id;
    this.explanation = { sql: sqlText, source: 'model', model, items: [], streaming: true, text: '' };
    const onToken = (piece: string) => {
      const cur = this.explanation;
      if (run === this.explainRun && cur?.streaming) this.explanation = { ...cur, text: cur.text + piece };
    };
    const p = llmWorker.api.generate(prompt.text, EXPLAIN_TOKENS, tokenProxy(onToken));
    this.explaining = p;
    try {
      const res = await p;
      if (run !== this.explainRun) return;
      const text = cleanExplanation(res.text);
      this.explanation = text
        ? { sql: sqlText, source: 'model', model, items: linkExplanation(sqlText, text), streaming: false, text }
        : rules(`${model} gave no explanation`);
    } catch (e) {
      if (run === this.explainRun) this.explanation = rules(`${model} failed to explain (${errorMessage(e)})`);
    } finally {
      if (this.explaining === p) this.explaining = null;
    }
  }
}

export const conversation = new Conversation();
