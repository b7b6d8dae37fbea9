/**
 * The instant generator as a `Generator` engine (src/lib/llm/generator.ts), so that it sits
 * behind the one `AnswerGenerator` seam like any model: `new LocalGenerator(new InstantEngine(run))`.
 * Its prompt format is `instant` (src/lib/llm/formats/instant.ts): the "prompt" is the structured
 * request, which `generate` parses and hands to `run` — an `InstantGenerator` over the database
 * in process (Node), or the same class inside the SQL worker next to the database (the page).
 * The SQL is streamed as one piece; an abstention rejects with InstantAbstainedError, whose
 * message says why ("no example could be adapted to this database: …").
 */
import type { GenerateOptions, GenerateResult, Generator } from '../llm/generator.ts';
import { parseInstantPrompt } from '../llm/formats/instant.ts';
import { INSTANT_GENERATOR } from '../config.ts';
import { CancelledError, InstantAbstainedError } from '../errors.ts';
import type { InstantAnswer, InstantRequest } from './generator.ts';
import { LocalGenerator } from '../llm/local-generator.ts';

/** What answers a request: `InstantGenerator.answer`, or a worker call to it. */
export type InstantRun = (req: Omit<InstantRequest, 'signal'>, signal?: AbortSignal) => Promise<InstantAnswer>;

export interface InstantEngineOptions {
  /** Time budget per answer (default 1,000 ms). */
  budgetMs?: number;
  /** How many retrieved examples are used at most (default 10). */
  maxExamples?: number;
}

export class InstantEngine implements Generator {
  readonly id = INSTANT_GENERATOR.id;
  readonly engine = 'instant' as const;
  readonly format = INSTANT_GENERATOR.format;
  /** No model context: nothing is ever cut from the request. */
  readonly contextTokens = Number.MAX_SAFE_INTEGER;
  private inFlight: AbortController | null = null;

  constructor(
    private readonly run: InstantRun,
    private readonly opts: InstantEngineOptions = {},
  ) {}

  /** A rough size (4 characters a token), for displays only. */
  countTokens(text: string): number {
    return Math.ceil(text.length / 4);
  }

  async generate(prompt: string, opts: GenerateOptions = {}): Promise<GenerateResult> {
    const t0 = performance.now();
    if (opts.signal?.aborted) throw new CancelledError('generation');
    const req = parseInstantPrompt(prompt);
    if (!req)
      throw new InstantAbstainedError('the instant generator got no request it can read (not an instant prompt)');
    const ac = new AbortController();
    this.inFlight = ac;
    const stop = () => ac.abort();
    opts.signal?.addEventListener('abort', stop, { once: true });
    const interrupted = (): GenerateResult => ({
      text: '',
      tokens: 0,
      ms: performance.now() - t0,
      tokensPerSecond: 0,
      interrupted: true,
    });
    try {
      // The run is told about the abort, and is also not waited for once it happens.
      const aborted = new Promise<null>((res) => ac.signal.addEventListener('abort', () => res(null), { once: true }));
      const answer = await Promise.race([
        this.run(
          {
            question: req.question,
            tables: req.tables,
            examples: req.examples.slice(0, this.opts.maxExamples ?? 10),
            budgetMs: this.opts.budgetMs ?? 1000,
          },
          ac.signal,
        ).catch((e) => {
          if (ac.signal.aborted) return null;
          throw e;
        }),
        aborted,
      ]);
      if (!answer || ac.signal.aborted) return interrupted();
      if (answer.abstained || !answer.sql)
        throw new InstantAbstainedError(answer.reason ?? 'no example could be adapted to this database');
      opts.onToken?.(answer.sql);
      const ms = performance.now() - t0;
      return {
        text: answer.sql,
        tokens: 1,
        ms,
        tokensPerSecond: 0,
        interrupted: false,
        score: answer.score,
        alternates: answer.alternates,
      };
    } finally {
      opts.signal?.removeEventListener('abort', stop);
      if (this.inFlight === ac) this.inFlight = null;
    }
  }

  interrupt(): void {
    this.inFlight?.abort();
  }
}

/**
 * The instant generator behind the `AnswerGenerator` seam, answering in the SQL worker next to
 * the database that `sql` has open (`SqlClient.instant`). Node (createNodeServices with
 * generatorId 'instant') and the page (createBrowserServices().instant) build it the same way.
 */
export function createInstantGenerator(
  sql: { instant(req: Omit<InstantRequest, 'signal'>, signal?: AbortSignal): Promise<InstantAnswer> },
  opts: InstantEngineOptions = {},
): LocalGenerator {
  return new LocalGenerator(new InstantEngine((req, signal) => sql.instant(req, signal), opts));
}
