/**
 * The `AnswerGenerator` seam (src/lib/services.ts) in process: a loaded engine (WebLLM or
 * transformers.js) plus prompt building with that engine's tokenizer. The llm worker exposes
 * exactly this object, and the page wraps it back into the same interface (src/browser/services.ts).
 */
import type { Generator, GenerateOptions, GenerateResult } from './generator.ts';
import {
  buildExplainPrompt,
  buildFollowUpPrompt,
  buildPrompt,
  type BuiltPrompt,
  type ExplainInput,
  type FollowUpInput,
  type PromptInput,
} from './prompts.ts';
import type { AnswerGenerator } from '../services.ts';

export class LocalGenerator implements AnswerGenerator {
  constructor(readonly engineImpl: Generator) {}

  get id() {
    return this.engineImpl.id;
  }
  get engine() {
    return this.engineImpl.engine;
  }
  get format() {
    return this.engineImpl.format;
  }
  get contextTokens() {
    return this.engineImpl.contextTokens;
  }

  private budget(reserve: number) {
    const g = this.engineImpl;
    return {
      countTokens: (t: string) => g.countTokens(t),
      maxTokens: g.contextTokens - reserve,
      contextTokens: g.contextTokens,
    };
  }

  async buildPrompt(input: PromptInput, reserve = 128): Promise<BuiltPrompt> {
    return buildPrompt(this.format, input, this.budget(reserve));
  }

  async buildFollowUpPrompt(input: FollowUpInput, reserve = 128): Promise<BuiltPrompt> {
    return buildFollowUpPrompt(this.format, input, this.budget(reserve));
  }

  async buildExplainPrompt(input: ExplainInput, reserve = 256): Promise<BuiltPrompt | null> {
    return buildExplainPrompt(this.format, input, this.budget(reserve));
  }

  generate(prompt: string, opts?: GenerateOptions): Promise<GenerateResult> {
    return this.engineImpl.generate(prompt, opts);
  }

  interrupt(): void {
    this.engineImpl.interrupt();
  }

  dispose(): Promise<void> {
    return this.engineImpl.dispose?.() ?? Promise.resolve();
  }
}
