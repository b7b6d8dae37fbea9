/**
 * Typed errors that say what happened and what to do. Every error the core throws to a user
 * is one of these, so hosts can show `message` as is.
 */
/** What kind of failure an error is, for hosts that react by kind (the message is for people). */
export type ErrorCode =
  | 'cancelled'
  | 'model-load'
  | 'sql-timeout'
  | 'sql-row-limit'
  | 'sql-size'
  | 'sql-statement-limit'
  | 'sql'
  | 'webgpu-unavailable'
  | 'shader-f16'
  | 'quota'
  | 'index-mismatch'
  | 'corpus-format'
  | 'adapter-format'
  | 'light-format'
  | 'pack'
  | 'workspace-format'
  | 'webllm-model'
  | 'import-format'
  | 'instant-abstained'
  | 'code-questions'
  | 'runtime-build'
  | 'internal';

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && (ERROR_CODES as readonly string[]).includes(code);
}

const ERROR_CODES = [
  'cancelled',
  'model-load',
  'sql-timeout',
  'sql-row-limit',
  'sql-size',
  'sql-statement-limit',
  'sql',
  'webgpu-unavailable',
  'shader-f16',
  'quota',
  'index-mismatch',
  'corpus-format',
  'adapter-format',
  'light-format',
  'pack',
  'workspace-format',
  'webllm-model',
  'import-format',
  'instant-abstained',
  'code-questions',
  'runtime-build',
  'internal',
] as const satisfies readonly ErrorCode[];

export class CodeRagError extends Error {
  constructor(
    message: string,
    readonly code: ErrorCode,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * A worker's ONNX runtime was started as one build (the plain WASM build, or the WebGPU-capable
 * one) and a model load asked for a device that needs the other: a runtime starts once per
 * worker, so the worker must be replaced (the worker clients do that, then load again).
 */
export class RuntimeBuildError extends CodeRagError {
  constructor(
    readonly have: string,
    readonly want: string,
  ) {
    super(`this worker's ONNX runtime is the ${have} build; the ${want} build needs a new worker`, 'runtime-build');
  }
}

/** A long operation was cancelled through its AbortSignal. */
export class CancelledError extends CodeRagError {
  constructor(what = 'operation') {
    super(`${what} cancelled`, 'cancelled');
  }
}

export class ModelLoadError extends CodeRagError {
  constructor(model: string, cause: unknown, hint?: string) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`could not load model "${model}": ${why}${hint ? ` (${hint})` : ''}`, 'model-load', { cause });
  }
}

/** The instant generator found no filling of any example that fits the database (the reason says why). */
export class InstantAbstainedError extends CodeRagError {
  constructor(reason: string) {
    super(reason, 'instant-abstained');
  }
}

export class SqlTimeoutError extends CodeRagError {
  constructor(ms: number) {
    super(
      `query timed out after ${(ms / 1000).toFixed(ms % 1000 ? 1 : 0)} s: stopped. The database is unchanged; try adding a LIMIT or a WHERE clause.`,
      'sql-timeout',
    );
  }
}

export class SqlRowLimitError extends CodeRagError {
  constructor(limit: number) {
    super(
      `query returned more than ${limit.toLocaleString('en-US')} rows: stopped. Add a LIMIT to see part of the result.`,
      'sql-row-limit',
    );
  }
}

/** A result too large to hand back: one value, or all rows together, over the byte cap. */
export class SqlResultSizeError extends CodeRagError {
  constructor(what: 'value' | 'result', limitBytes: number) {
    const mb = (limitBytes / (1024 * 1024)).toLocaleString('en-US', { maximumFractionDigits: 1 });
    super(
      what === 'value'
        ? `query returned a value larger than ${mb} MB (a huge text or blob): stopped. Select a part of it (substr, length) instead.`
        : `query result is larger than ${mb} MB in total: stopped. Add a LIMIT or select fewer columns.`,
      'sql-size',
    );
  }
}

/** How a SqlStatementLimitError's message starts (hosts that only see the message can test for it). */
export const TOO_MANY_STATEMENTS = 'too many statements in one run';

/** Too many statements in one run (e.g. thousands of `SELECT 1;`). */
export class SqlStatementLimitError extends CodeRagError {
  constructor(limit: number, count: number) {
    super(
      `${TOO_MANY_STATEMENTS}: ${count.toLocaleString('en-US')} (at most ${limit.toLocaleString('en-US')} run at once): nothing ran. Run fewer statements at a time.`,
      'sql-statement-limit',
    );
  }
}

export class SqlError extends CodeRagError {
  constructor(message: string) {
    super(message, 'sql');
  }
}

export class WebGpuUnavailableError extends CodeRagError {
  constructor(why: string) {
    super(`WebGPU is not available (${why}): use the CPU engine`, 'webgpu-unavailable');
  }
}

export class ShaderF16MissingError extends CodeRagError {
  constructor() {
    super('WebGPU adapter lacks shader-f16: choose a q4f32 model', 'shader-f16');
  }
}

export class QuotaError extends CodeRagError {
  constructor(needMB: number, freeMB: number) {
    super(
      `not enough storage: about ${needMB.toFixed(0)} MB needed but only ${freeMB.toFixed(0)} MB free. Delete cached models or indexes in Storage, or free disk space.`,
      'quota',
    );
  }
}

/** A search reached an index built from another corpus than the caller's (its rows would point at the wrong examples). */
export class IndexMismatchError extends CodeRagError {
  constructor(slot: string) {
    super(
      `the index was built for another corpus (slot "${slot}"): rebuild it; retrieval is off until then`,
      'index-mismatch',
    );
  }
}

export function throwIfAborted(signal: AbortSignal | undefined, what?: string): void {
  if (signal?.aborted) throw new CancelledError(what);
}

export function isCancelled(e: unknown): boolean {
  return (
    e instanceof CancelledError || (e instanceof Error && (e.name === 'CancelledError' || e.name === 'AbortError'))
  );
}

/** Turn anything thrown into a readable message. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'string') return e;
  try {
    return JSON.stringify(e);
  } catch {
    return String(e);
  }
}

/** A file that cannot be imported as a table: unreadable, empty, or mostly malformed rows. */
export class ImportError extends CodeRagError {
  constructor(message: string) {
    super(message, 'import-format');
  }
}

/** A code questions file that cannot be used: not JSON, not `{questions: [...]}`, or a malformed question. */
export class CodeQuestionsError extends CodeRagError {
  constructor(message: string) {
    super(message, 'code-questions');
  }
}
