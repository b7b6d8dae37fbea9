/**
 * The current question and its answer, stage by stage (retrieved examples, prompt, streamed SQL,
 * result or error), and the SQL typed by hand. ask() is the one place the pipeline is wired to
 * the services (the seams).
 */
import type { PromptFormat } from '../../lib/config.ts';
import type { QueryResult, TableInfo } from '../../lib/types.ts';
import type { BuiltPrompt, PreviousTurn } from '../../lib/llm/prompts.ts';
import type { GenerateResult } from '../../lib/llm/generator.ts';
import { promptLinker } from '../../lib/rag/linking.ts';
import type { RetrievedExample } from '../../lib/rag/pipeline.ts';
import { DEFAULT_CANDIDATES, askVoted, type VotedAnswer } from '../../lib/vote/pool.ts';
import { lexicalFallback } from '../../lib/retrieve/strategies.ts';
import type { ExecutedCandidate, VoteGroup } from '../../lib/vote/vote.ts';
import { repairPrompt, repairUnavailableReason } from '../../lib/llm/repair.ts';
import { CancelledError, errorMessage, isCancelled } from '../../lib/errors.ts';
import { mark } from '../../lib/marks.ts';
import type { AdapterState } from './adapter.svelte.ts';
import type { CorpusState } from './corpus.svelte.ts';
import type { DatabaseState } from './database.svelte.ts';
import type { GeneratorState } from './generator.svelte.ts';
import type { IndexesState } from './indexes.svelte.ts';
import type { SettingsState } from './settings.svelte.ts';
import type { MyExamplesState } from './my-examples.svelte.ts';
import type { UiServices } from './ports.ts';
import type { AnswerGenerator } from '../../lib/services.ts';

/** A follow-up question: the earlier turns it continues, and the question made self-contained (for retrieval). */
export interface FollowUpContext {
  parentId: string;
  previous: PreviousTurn[];
  standalone: string;
}

export interface StageError {
  stage: string;
  message: string;
}

/** What one question or SQL run produced (for the conversation and the history). */
export interface AnswerEvent {
  kind: 'ask' | 'followup' | 'sql' | 'edit';
  question: string;
  followUp: FollowUpContext | null;
  sql: string;
  result: QueryResult | null;
  error: StageError | null;
  prompt: { format: PromptFormat; text: string; examplesUsed: number } | null;
}

/** Hooks the conversation (src/ui/conversation.svelte.ts) sets; ask() and runSql() call them. */
export interface AnswerHooks {
  /** Before a question is asked: stop anything else that is using the model. */
  beforeAsk(): Promise<void>;
  /** The follow-up context for the question about to be asked, or null for a new question. */
  followUp(): FollowUpContext | null;
  /** After a question or an SQL run finished (not after a question that was stopped: nothing is kept). */
  answered(e: AnswerEvent): void;
}

/** A stored answer put back on screen (an earlier turn of the conversation). */
export interface ShownAnswer {
  sql: string;
  result: QueryResult | null;
  error: StageError | null;
  prompt: BuiltPrompt | null;
}

/** Who wrote the current answer's SQL. */
export type AnsweredBy = 'model' | 'instant' | 'instant-while-loading';

/** How an answer by the instant generator is marked while the chosen model is not ready. */
export function instantNote(modelStatus: string): string {
  return modelStatus === 'loading'
    ? 'answered instantly by adapting retrieved examples; the model is still loading'
    : 'answered instantly by adapting retrieved examples; the model is not loaded';
}

export class AnswerState {
  #question = $state('');
  #running = $state(false);
  #retrieved = $state.raw<RetrievedExample[]>([]);
  #retrieveMs = $state<{ embed: number; search: number } | null>(null);
  #prompt = $state<BuiltPrompt | null>(null);
  #stream = $state('');
  #sqlText = $state('');
  #generation = $state<GenerateResult | null>(null);
  #result = $state.raw<QueryResult | null>(null);
  #error = $state<StageError | null>(null);
  /** Candidates executed so far for the current question, and the vote once it is done. */
  #candidates = $state.raw<ExecutedCandidate[]>([]);
  #vote = $state.raw<VotedAnswer | null>(null);
  /** The alternative the user picked from a "not sure" answer (index into vote.alternatives). */
  #picked = $state<number | null>(null);
  #answeredBy = $state<AnsweredBy | null>(null);
  #instantNote = $state<string | null>(null);
  #retrievalNote = $state<string | null>(null);
  #askedQuestion = $state('');
  #askAbort: AbortController | null = null;
  #hooks: AnswerHooks | null = null;

  /** Why the Ask button is disabled, in words ('' while an answer runs, null when it can ask). */
  #whyNot = $derived.by((): string | null => {
    const { database, generator, indexes, settings } = this.deps;
    if (this.#running) return '';
    if (!database.info) return 'Open a database first.';
    // the instant generator answers while the chosen model is not ready
    if (!this.deps.instant && generator.status === 'needs-confirm') return 'Load a model first (see above).';
    if (!this.deps.instant && generator.status !== 'ready') return 'Waiting for the model…';
    // without the question index (the embedder or the index still loading) the lexical strategies answer
    if (settings.value.k > 0 && indexes.status !== 'ready' && !indexes.retrieval) return 'Waiting for the index…';
    if (!this.#question.trim()) return 'Type a question.';
    return null;
  });
  #canAsk = $derived(this.#whyNot === null);

  constructor(
    private readonly deps: {
      settings: SettingsState;
      database: DatabaseState;
      corpus: CorpusState;
      generator: GeneratorState;
      indexes: IndexesState;
      adapter: AdapterState;
      /** The loaded model (the AnswerGenerator seam). */
      llm: Pick<UiServices['generator'], 'buildPrompt' | 'buildFollowUpPrompt' | 'generate'>;
      /**
       * The instant generator (same seam, no download): answers when it is the chosen engine,
       * and while the chosen model is not ready (then the answer says so). Absent: questions wait.
       */
      instant?: Pick<AnswerGenerator, 'buildPrompt' | 'buildFollowUpPrompt' | 'generate'>;
      sql: Pick<UiServices['sql'], 'exec'> & Partial<Pick<UiServices['sql'], 'instant'>>;
      /** The learning loop: the user's confirmed examples, searched with the loaded corpus. */
      mine?: Pick<MyExamplesState, 'decorate'>;
    },
  ) {}

  /**
   * Schema linking for the prompt (pruning, value hints): probes run through the SQL worker under
   * the SQL timeout; a database's keys and value index are kept for its next questions.
   */
  #link = promptLinker(
    {
      exec: (q, o) => {
        const limit = this.deps.settings.value.timeoutMs;
        return this.deps.sql.exec(q, { timeoutMs: Math.min(o?.timeoutMs ?? limit, limit), maxRows: o?.maxRows });
      },
    },
    { dbKey: () => this.deps.database.info?.name ?? '' },
  );

  get question(): string {
    return this.#question;
  }
  /** The question box (bound in the Ask page). */
  set question(q: string) {
    this.#question = q;
  }
  get running(): boolean {
    return this.#running;
  }
  get retrieved(): RetrievedExample[] {
    return this.#retrieved;
  }
  get retrieveMs(): { embed: number; search: number } | null {
    return this.#retrieveMs;
  }
  get prompt(): BuiltPrompt | null {
    return this.#prompt;
  }
  /** The model's output as it streams. */
  get stream(): string {
    return this.#stream;
  }
  get sqlText(): string {
    return this.#sqlText;
  }
  get generation(): GenerateResult | null {
    return this.#generation;
  }
  get result(): QueryResult | null {
    return this.#result;
  }
  get error(): StageError | null {
    return this.#error;
  }
  /** Who wrote the current answer (null before the first question, or for SQL typed by hand). */
  get answeredBy(): AnsweredBy | null {
    return this.#answeredBy;
  }
  /** The mark on an answer written by the instant generator while the model was not ready. */
  get instantNote(): string | null {
    return this.#instantNote;
  }
  /** How the current answer's examples were found when the question index was not ready (null otherwise). */
  get retrievalNote(): string | null {
    return this.#retrievalNote;
  }
  /** The model is ready now, and the current answer came from the instant generator meanwhile. */
  get canReask(): boolean {
    const g = this.deps.generator;
    return (
      !this.#running &&
      this.#answeredBy === 'instant-while-loading' &&
      g.ready &&
      g.info?.engine !== 'instant' &&
      !!this.#askedQuestion.trim()
    );
  }

  /** Ask the last question again, now with the model. */
  async reask(): Promise<void> {
    if (!this.canReask) return;
    this.#question = this.#askedQuestion;
    await this.ask();
  }

  get canAsk(): boolean {
    return this.#canAsk;
  }
  /** Candidates executed so far (live while the pool runs). */
  get candidates(): ExecutedCandidate[] {
    return this.#candidates;
  }
  /** The finished vote of the current question (null before, or for an SQL run). */
  get vote(): VotedAnswer | null {
    return this.#vote;
  }
  get picked(): number | null {
    return this.#picked;
  }
  /** Model candidates per question under the current settings and engine. */
  get candidateCount(): number {
    const n = this.deps.settings.value.candidates;
    const engine = this.deps.generator.info?.engine === 'webllm' ? 'webllm' : 'transformers';
    return n > 0 ? n : DEFAULT_CANDIDATES[engine];
  }
  /** Why repair is off for the loaded model (null when it can repair). */
  get repairNote(): string | null {
    const f = this.deps.generator.info?.format;
    return f ? repairUnavailableReason(f) : null;
  }

  /** Show one of a "not sure" answer's alternatives as the answer (its SQL and result). */
  pick(i: number): void {
    const g: VoteGroup | undefined = this.#vote?.alternatives[i];
    if (!g || this.#running) return;
    this.#picked = i;
    this.#sqlText = g.sql;
    this.#result = g.result;
    this.#error = null;
  }
  get whyNot(): string | null {
    return this.#whyNot;
  }

  setHooks(hooks: AnswerHooks | null): void {
    this.#hooks = hooks;
  }

  /** Put a stored answer on screen (the live stages of the last question are cleared). */
  show(a: ShownAnswer): void {
    this.#stream = '';
    this.#candidates = [];
    this.#vote = null;
    this.#picked = null;
    this.#answeredBy = null;
    this.#instantNote = null;
    this.#retrievalNote = null;
    this.#generation = null;
    this.clearRetrieval();
    this.#sqlText = a.sql;
    this.#result = a.result;
    this.#error = a.error;
    this.#prompt = a.prompt;
  }

  /** Drop the retrieved examples and the prompt (an SQL run has none). */
  clearRetrieval(): void {
    this.#retrieved = [];
    this.#retrieveMs = null;
  }
  clearPrompt(): void {
    this.#prompt = null;
  }

  async ask(): Promise<void> {
    const { settings, database, corpus, generator, indexes, sql, instant } = this.deps;
    if (!this.#canAsk) return;
    const modelReady = generator.ready && !!generator.info && generator.info.engine !== 'instant';
    const viaInstant = !modelReady;
    if (viaInstant && !instant) return;
    const llm = viaInstant ? instant! : this.deps.llm;
    const ac = new AbortController();
    this.#askAbort = ac;
    this.#running = true;
    this.#retrieved = [];
    this.#retrieveMs = null;
    this.#prompt = null;
    this.#stream = '';
    this.#sqlText = '';
    this.#generation = null;
    this.#result = null;
    this.#error = null;
    this.#candidates = [];
    this.#vote = null;
    this.#picked = null;
    const chosenInstant = generator.info?.engine === 'instant' && generator.ready;
    this.#answeredBy = modelReady ? 'model' : chosenInstant ? 'instant' : 'instant-while-loading';
    this.#instantNote = this.#answeredBy === 'instant-while-loading' ? instantNote(generator.status) : null;
    const format = viaInstant ? 'instant' : generator.info!.format;
    const question = this.#question;
    this.#askedQuestion = question;
    const s = settings.value;
    let followUp: FollowUpContext | null = null;
    let stopped = false;
    try {
      await this.#hooks?.beforeAsk();
      followUp = this.#hooks?.followUp() ?? null;
      const fu = followUp;
      const retrieval = indexes.retrieval;
      // While the question index loads, the strategy's lexical side finds the examples (and the answer says so).
      const lexicalOnly = !!retrieval && !retrieval.hasDense && s.k > 0;
      const strategy = lexicalOnly ? lexicalFallback(s.retriever) : s.retriever;
      this.#retrievalNote = lexicalOnly
        ? `examples found by ${strategy === s.retriever ? `${strategy} on BM25 alone` : strategy} while the search index loads`
        : null;
      const base = retrieval ? retrieval.retriever(strategy) : null;
      const withMine = this.deps.mine?.decorate(base, corpus.current) ?? { retriever: base, corpus: corpus.current };
      await askVoted(
        {
          retriever: withMine.retriever,
          buildPrompt: (input) =>
            fu
              ? llm.buildFollowUpPrompt(
                  {
                    tables: input.tables,
                    examples: input.examples,
                    previous: fu.previous,
                    question,
                    standalone: fu.standalone,
                    links: input.links,
                    linkError: input.linkError,
                  },
                  s.maxNewTokens,
                )
              : llm.buildPrompt(input, s.maxNewTokens),
          link: this.#link,
          // the generator maps the signal to its interrupt (in the worker for the page)
          generate: (p, onToken, signal, sampling) =>
            llm.generate(p, { maxNewTokens: s.maxNewTokens, onToken, signal, ...sampling }),
          exec: (q, signal) => sql.exec(q, { timeoutMs: s.timeoutMs, signal }),
          repairPrompt: (i) => repairPrompt(format, i),
          // the instant generator's adaptation joins the model's candidates; it runs in the SQL
          // worker next to the database (when it answers alone, it is already the greedy source)
          instant: viaInstant || !sql.instant ? null : { answer: ({ signal: sig, ...req }) => sql.instant!(req, sig) },
        },
        {
          question: fu ? fu.standalone : question,
          k: s.k,
          corpus: withMine.corpus,
          tables: $state.snapshot(database.tables) as TableInfo[],
          format,
          signal: ac.signal,
        },
        {
          // A follow-up's prompt carries earlier turns; samples of it still vote, examples do not apply.
          // the instant generator is deterministic: samples of it would only repeat its answer
          candidates: viaInstant ? 1 : this.candidateCount,
          repair: s.repair,
          budgetMs: s.voteBudgetMs,
          notSureBelow: s.notSureBelow,
          examples: !fu,
          seed: Math.floor(Math.random() * 1e9),
        },
        (ev) => {
          switch (ev.type) {
            case 'retrieved':
              this.#retrieved = ev.examples;
              this.#retrieveMs = { embed: ev.embedMs, search: ev.searchMs };
              break;
            case 'prompt':
              this.#prompt = ev.prompt;
              break;
            case 'token':
              this.#stream += ev.piece;
              break;
            case 'sql':
              this.#sqlText = ev.sql;
              this.#generation = ev.generation;
              break;
            case 'result':
              this.#result = ev.result;
              break;
            case 'error':
              this.#error = { stage: ev.stage, message: ev.message };
              break;
            case 'candidate':
              this.#candidates = [...this.#candidates, ev.candidate];
              break;
            case 'vote':
              this.#vote = ev.vote;
              if (ev.vote.sql !== null) {
                // The chosen SQL replaces the streamed one.
                this.#sqlText = ev.vote.sql;
                this.#result = ev.vote.result;
                this.#error = null;
              } else if (ev.vote.candidates.length > 1 || ev.vote.repair === 'failed') {
                this.#result = null;
                this.#error = { stage: 'vote', message: ev.vote.error ?? 'no candidate ran' };
              }
              break;
          }
        },
      );
    } catch (e) {
      stopped = e instanceof CancelledError || isCancelled(e) || ac.signal.aborted;
      this.#error = { stage: 'question', message: stopped ? 'stopped' : errorMessage(e) };
      // A stopped turn shows no result (the SQL was not run to the end) and is not saved.
      if (stopped) {
        this.#result = null;
        this.#vote = null;
      }
    } finally {
      this.#running = false;
      this.#askAbort = null;
      if (!stopped) this.notify(followUp ? 'followup' : 'ask', question, followUp);
    }
  }

  private notify(kind: AnswerEvent['kind'], question: string, followUp: FollowUpContext | null): void {
    const p = this.#prompt;
    try {
      this.#hooks?.answered({
        kind,
        question,
        followUp,
        sql: this.#sqlText,
        result: this.#result,
        error: this.#error ? { stage: this.#error.stage, message: this.#error.message } : null,
        prompt: p ? { format: p.format, text: p.text, examplesUsed: p.examplesUsed } : null,
      });
    } catch (e) {
      console.error('answer hook failed', e);
    }
  }

  stop(): void {
    this.#askAbort?.abort();
  }

  /** Run SQL typed by the user against the current database ('edit': the current answer's SQL, edited). */
  async runSql(text: string, kind: 'sql' | 'edit' = 'sql'): Promise<void> {
    this.#running = true;
    this.#error = null;
    this.#result = null;
    this.#candidates = [];
    this.#vote = null;
    this.#picked = null;
    this.#sqlText = text;
    this.#answeredBy = null;
    this.#instantNote = null;
    this.#retrievalNote = null;
    mark('sql-run');
    try {
      this.#result = await this.deps.sql.exec(text, { timeoutMs: this.deps.settings.value.timeoutMs });
      mark('sql-result');
    } catch (e) {
      this.#error = { stage: 'execute', message: errorMessage(e) };
    } finally {
      this.#running = false;
      this.notify(kind, '', null);
    }
  }
}
