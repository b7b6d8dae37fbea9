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
  evaluation: EvalState;
  training: TrainState;
  /** The Code & docs space. */
  code: CodeSpaceState;
  /** The Evaluate page's code retrieval section (over the same CodeSpaceState). */
  codeEval: CodeEvalState;
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
