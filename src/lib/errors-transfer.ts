/**
 * Errors across comlink: comlink's own 'throw' handler keeps only `message`, `name` and `stack`,
 * so a CancelledError from a worker arrives as a plain Error. This handler keeps the class (any
 * CodeRagError subclass below), `code` and `cause` (recursively). Register it on both sides: in
 * every worker and in the page (src/browser/services.ts does it for the page).
 */
import * as Comlink from 'comlink';
import {
  CancelledError,
  CodeRagError,
  ImportError,
  IndexMismatchError,
  ModelLoadError,
  QuotaError,
  RuntimeBuildError,
  ShaderF16MissingError,
  SqlError,
  SqlRowLimitError,
  SqlTimeoutError,
  WebGpuUnavailableError,
} from './errors.ts';
import { CorpusFormatError } from './corpus/records.ts';
import { AdapterFormatError } from './train/adapter.ts';
import { PackError } from './pack/format.ts';

type ErrorClass = abstract new (...args: never[]) => Error;

/** The classes rebuilt by name on the receiving side (plus the platform's own). */
const CLASSES: Record<string, ErrorClass> = {
  CodeRagError,
  CancelledError,
  ModelLoadError,
  SqlTimeoutError,
  SqlRowLimitError,
  SqlError,
  WebGpuUnavailableError,
  ShaderF16MissingError,
  QuotaError,
  RuntimeBuildError,
  IndexMismatchError,
  ImportError,
  CorpusFormatError,
  AdapterFormatError,
  PackError,
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
};

const PLATFORM = new Set<object>([Error, TypeError, RangeError, SyntaxError, ReferenceError].map((c) => c.prototype));

/**
 * The name an error crosses under: the table's name of the nearest class of ours it is an
 * instance of, else its own `name`. Not `name` alone: a minified worker's classes are anonymous
 * (`var w = class extends C`), so `new.target.name` is the short variable name there.
 */
function transferName(e: Error): string {
  for (let p: object | null = Object.getPrototypeOf(e); p && !PLATFORM.has(p); p = Object.getPrototypeOf(p)) {
    for (const [name, cls] of Object.entries(CLASSES)) if (cls.prototype === p) return name;
  }
  return e.name;
}

/** A structured-clone-safe picture of a thrown value. */
export type SerializedThrown =
  | {
      isError: true;
      name: string;
      message: string;
      stack?: string;
      code?: string;
      /** PackError's kind of problem (truncated, checksum, embedder…). */
      problem?: string;
      cause?: SerializedThrown;
      hasCause: boolean;
    }
  | { isError: false; value: unknown };

const MAX_CAUSE_DEPTH = 8;

export function serializeThrown(value: unknown, depth = 0): SerializedThrown {
  if (value instanceof Error || (typeof DOMException !== 'undefined' && value instanceof DOMException)) {
    const e = value as Error & { code?: unknown; cause?: unknown; problem?: unknown };
    const hasCause = 'cause' in e && depth < MAX_CAUSE_DEPTH;
    return {
      isError: true,
      name: value instanceof Error ? transferName(e) : e.name,
      message: e.message,
      stack: e.stack,
      ...(typeof e.code === 'string' ? { code: e.code } : {}),
      ...(typeof e.problem === 'string' ? { problem: e.problem } : {}),
      hasCause,
      ...(hasCause ? { cause: serializeThrown(e.cause, depth + 1) } : {}),
    };
  }
  try {
    structuredClone(value);
    return { isError: false, value };
  } catch {
    return { isError: false, value: String(value) };
  }
}

/** The thrown value again: same class (when known), message, stack, `code` and `cause`. */
export function deserializeThrown(s: SerializedThrown): unknown {
  if (!s.isError) return s.value;
  let e: Error;
  const cls = Object.hasOwn(CLASSES, s.name) ? CLASSES[s.name] : undefined;
  if (s.name === 'AbortError' && typeof DOMException !== 'undefined') {
    e = new DOMException(s.message, 'AbortError') as unknown as Error;
  } else {
    // The classes' constructors take different arguments: build the instance without running one.
    e = Object.create((cls ?? Error).prototype) as Error;
    Object.defineProperty(e, 'message', { value: s.message, writable: true, configurable: true });
    Object.defineProperty(e, 'name', { value: s.name, writable: true, configurable: true });
  }
  if (s.stack !== undefined) Object.defineProperty(e, 'stack', { value: s.stack, writable: true, configurable: true });
  if (s.code !== undefined) Object.defineProperty(e, 'code', { value: s.code, enumerable: true, configurable: true });
  if (s.problem !== undefined)
    Object.defineProperty(e, 'problem', { value: s.problem, enumerable: true, configurable: true });
  if (s.hasCause && s.cause) {
    Object.defineProperty(e, 'cause', { value: deserializeThrown(s.cause), writable: true, configurable: true });
  }
  return e;
}

let registered = false;

/** Replace comlink's 'throw' handler with one that keeps error classes, `code` and `cause`. */
export function registerErrorTransfer(): void {
  if (registered) return;
  const base = Comlink.transferHandlers.get('throw');
  if (!base) return;
  registered = true;
  Comlink.transferHandlers.set('throw', {
    canHandle: base.canHandle,
    serialize: (thrown: unknown) => [serializeThrown((thrown as { value: unknown }).value), []],
    deserialize: (s: unknown) => {
      throw deserializeThrown(s as SerializedThrown);
    },
  } as Comlink.TransferHandler<unknown, unknown>);
}
