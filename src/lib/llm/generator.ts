import type { GeneratorEngine, PromptFormat } from '../config.ts';
import type { ProgressFn } from '../types.ts';

export interface GenerateOptions {
  maxNewTokens?: number;
  /** Called with each new piece of text as it is produced. */
  onToken?: (piece: string) => void;
  signal?: AbortSignal;
  /**
   * Sampling temperature; absent or 0 = greedy decoding (the default). Both engines honour it
   * (transformers.js `do_sample` + `temperature`, WebLLM `temperature`).
   */
  temperature?: number;
  /** Nucleus sampling mass (0 < topP <= 1), used only when sampling. */
  topP?: number;
  /**
   * Sampling seed. WebLLM honours it (its request `seed`); transformers.js has no seed for its
   * sampler, so there a seed only makes the request distinct (draws differ run to run).
   */
  seed?: number;
}

/** The sampling part of `GenerateOptions`, as callers that sample pass it along. */
export type Sampling = Pick<GenerateOptions, 'temperature' | 'topP' | 'seed'>;

export interface GenerateResult {
  text: string;
  tokens: number;
  ms: number;
  /** Decode speed, tokens per second (excluding prompt processing when the engine reports it). */
  tokensPerSecond: number;
  /** True when stopped by the caller. */
  interrupted: boolean;
  /** Engines that rank candidates (the instant generator): the answer's score… */
  score?: number;
  /** …and the next best SQL, best first. */
  alternates?: { sql: string; score: number }[];
}

/** A text generator that streams and can be interrupted. */
export interface Generator {
  readonly id: string;
  readonly engine: GeneratorEngine;
  readonly format: PromptFormat;
  /** Prompt token budget (context minus reserved answer tokens). */
  readonly contextTokens: number;
  countTokens(text: string): number;
  generate(prompt: string, opts?: GenerateOptions): Promise<GenerateResult>;
  /** Stop the generation in flight, if any. */
  interrupt(): void;
  dispose?(): Promise<void>;
}

export interface LoadGeneratorOptions {
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}
