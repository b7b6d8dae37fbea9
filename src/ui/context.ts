/** The UI state, handed to components by Svelte context (set once in App.svelte). */
import { getContext, setContext } from 'svelte';
import type { AppState } from './app.svelte.ts';
import type { Conversation } from './conversation.svelte.ts';
import type { EvalState } from './evaluate.svelte.ts';
import type { TrainState } from './train.svelte.ts';
import type { CodeSpaceState } from './state/code.svelte.ts';
import type { CodeEvalState } from './state/code-eval.svelte.ts';

export interface Ui {
  app: AppState;
  conversation: Conversation;
  /** The pages whose state (and workers) start when first opened, each once per page load. */
  pages: LazyPages;
}

/**
 * Evaluate, Fine-tune and Code & docs: their code is loaded, their state built and their workers
 * started the first time the page is opened, not while the app loads (see docs/instant-start.md).
 */
export interface LazyPages {
  evaluation(): Promise<EvalState>;
  training(): Promise<TrainState>;
  /** The Code & docs space. */
  code(): Promise<CodeSpaceState>;
  /** The Evaluate page's code retrieval section (over the same CodeSpaceState). */
  codeEval(): Promise<CodeEvalState>;
}

const KEY = Symbol('coderag-ui');

export function provideUi(ui: Ui): Ui {
  return setContext(KEY, ui);
}

export function useUi(): Ui {
  const ui = getContext<Ui | undefined>(KEY);
  if (!ui) throw new Error('useUi() outside App: the UI state is set by App.svelte');
  return ui;
}
