/**
 * The explanation of the SQL on screen: written by the model when it can explain SQL, else
 * rule-based (src/lib/sql/explain.ts); and the clause it highlights in the SQL editor.
 */
import type { AppState } from './app.svelte.ts';
import type { UiServices } from './state/ports.ts';
import { explainSql, linkExplanation, type ExplainItem } from '../lib/sql/explain.ts';
import { cleanExplanation, type BuiltPrompt } from '../lib/llm/prompts.ts';
import { promptFormat } from '../lib/llm/formats/index.ts';
import type { TableInfo } from '../lib/types.ts';
import { errorMessage } from '../lib/errors.ts';

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

export class Explainer {
  #current = $state.raw<ExplanationState | null>(null);
  /** The clause range to highlight in the SQL editor (an explanation item has focus). */
  #highlight = $state.raw<{ from: number; to: number } | null>(null);
  private explainRun = 0;
  private explaining: Promise<unknown> | null = null;

  constructor(
    private readonly deps: {
      app: AppState;
      llm: Pick<UiServices['generator'], 'interrupt' | 'buildExplainPrompt' | 'generate'>;
    },
  ) {}

  get current(): ExplanationState | null {
    return this.#current;
  }
  get highlight(): { from: number; to: number } | null {
    return this.#highlight;
  }

  /** Highlight a clause of the SQL on screen (an explanation item has focus), or nothing. */
  setHighlight(range: { from: number; to: number } | null): void {
    this.#highlight = range;
  }

  clear(): void {
    this.#current = null;
  }

  /** Stop a model explanation that is being written (what it wrote so far stays). */
  async stop(): Promise<void> {
    this.explainRun++;
    const p = this.explaining;
    if (!p) return;
    void this.deps.llm.interrupt();
    await p.catch(() => {});
    const cur = this.#current;
    if (cur?.streaming)
      this.#current = {
        ...cur,
        streaming: false,
        items: linkExplanation(cur.sql, cleanExplanation(cur.text)),
        text: cleanExplanation(cur.text) + ' (stopped)',
      };
  }

  /** Explain `sqlText`: with the model, or rule-based when the model cannot explain (tiny-sql). */
  async explain(sqlText: string, question: string): Promise<void> {
    await this.stop();
    const run = this.explainRun;
    if (!sqlText.trim()) {
      this.#current = null;
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
    const gen = this.deps.app.generator.info;
    if (!gen || this.deps.app.generator.status !== 'ready') {
      this.#current = rules('no model is loaded');
      return;
    }
    if (!promptFormat(gen.format).canExplain) {
      this.#current = rules(`${gen.id} only writes SQL and cannot explain it`);
      return;
    }
    if (this.deps.app.answer.running) {
      this.#current = rules('the model is busy');
      return;
    }
    const tables = $state.snapshot(this.deps.app.database.tables) as TableInfo[];
    let prompt: BuiltPrompt | null;
    try {
      prompt = await this.deps.llm.buildExplainPrompt({ tables, sql: sqlText, question }, EXPLAIN_TOKENS);
    } catch (e) {
      if (run === this.explainRun) this.#current = rules(`the model could not be asked (${errorMessage(e)})`);
      return;
    }
    if (run !== this.explainRun) return;
    if (!prompt) {
      this.#current = rules(`${gen.id} cannot explain SQL`);
      return;
    }
    const model = gen.id;
    this.#current = { sql: sqlText, source: 'model', model, items: [], streaming: true, text: '' };
    const onToken = (piece: string) => {
      const cur = this.#current;
      if (run === this.explainRun && cur?.streaming) this.#current = { ...cur, text: cur.text + piece };
    };
    const p = this.deps.llm.generate(prompt.text, { maxNewTokens: EXPLAIN_TOKENS, onToken });
    this.explaining = p;
    try {
      const res = await p;
      if (run !== this.explainRun) return;
      const text = cleanExplanation(res.text);
      this.#current = text
        ? { sql: sqlText, source: 'model', model, items: linkExplanation(sqlText, text), streaming: false, text }
        : rules(`${model} gave no explanation`);
    } catch (e) {
      if (run === this.explainRun) this.#current = rules(`${model} failed to explain (${errorMessage(e)})`);
    } finally {
      if (this.explaining === p) this.explaining = null;
    }
  }
}
