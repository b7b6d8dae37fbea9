/**
 * Errors across comlink (issue 11 item 7): class, `code` and `cause` survive the boundary, both
 * through the serialiser itself and through a real comlink endpoint (a MessageChannel pair).
 */
import { describe, expect, test } from 'vitest';
import * as Comlink from 'comlink';
import {
  CancelledError,
  CodeRagError,
  IndexMismatchError,
  ModelLoadError,
  RuntimeBuildError,
  SqlTimeoutError,
  isCancelled,
} from '../../src/lib/errors.ts';
import { deserializeThrown, registerErrorTransfer, serializeThrown } from '../../src/lib/errors-transfer.ts';
import { AdapterFormatError } from '../../src/lib/train/adapter.ts';

/** Serialise, pass through structuredClone (what postMessage does), deserialise. */
const roundTrip = (e: unknown) => deserializeThrown(structuredClone(serializeThrown(e)));

describe('error serialisation round trip', () => {
  test('CodeRagError subclasses keep class, name, message, code and stack', () => {
    for (const e of [
      new CancelledError('generation'),
      new SqlTimeoutError(5000),
      new IndexMismatchError('spider'),
      new AdapterFormatError('bad W'),
    ]) {
      const back = roundTrip(e) as CodeRagError;
      expect(back).toBeInstanceOf(e.constructor);
      expect(back).toBeInstanceOf(CodeRagError);
      expect(back).toBeInstanceOf(Error);
      expect(back.name).toBe(e.name);
      expect(back.message).toBe(e.message);
      expect(back.code).toBe(e.code);
      expect(back.stack).toBe(e.stack);
    }
  });

  test('the class survives a minified worker, where class names are short variable names', () => {
    // A minified bundle writes `var w = class extends C {…}`: `new.target.name` is then "w".
    for (const e of [new RuntimeBuildError('cpu', 'webgpu'), new CancelledError('embedding')]) {
      Object.defineProperty(e, 'name', { value: 'w' });
      const back = roundTrip(e) as CodeRagError;
      expect(back).toBeInstanceOf(e.constructor);
      expect(back.name).toBe(e.constructor.name);
      expect(back.code).toBe(e.code);
    }
    // An error of the platform keeps its own name (a library's Error named AbortError is a cancel).
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    expect((roundTrip(abort) as Error).name).toBe('AbortError');
  });

  test('ModelLoadError keeps its cause, recursively and with the cause class', () => {
    const root = new TypeError('fetch failed');
    const mid = new Error('network', { cause: root });
    const e = new ModelLoadError('tiny-sql-lm', mid, 'try WASM');
    expect(e.cause).toBe(mid);
    const back = roundTrip(e) as ModelLoadError;
    expect(back).toBeInstanceOf(ModelLoadError);
    expect(back.code).toBe('model-load');
    const c1 = back.cause as Error;
    expect(c1).toBeInstanceOf(Error);
    expect(c1.message).toBe('network');
    const c2 = c1.cause as Error;
    expect(c2).toBeInstanceOf(TypeError);
    expect(c2.message).toBe('fetch failed');
  });

  test('non-errors pass through; unknown error names become Error with their name', () => {
    expect(roundTrip('just a string')).toBe('just a string');
    expect(roundTrip({ n: 1 })).toEqual({ n: 1 });
    class OddError extends Error {
      override name = 'OddError';
    }
    const back = roundTrip(new OddError('odd')) as Error;
    expect(back).toBeInstanceOf(Error);
    expect(back.name).toBe('OddError');
    expect(back.message).toBe('odd');
    // An AbortError (DOMException) is still recognised as a cancel.
    expect(isCancelled(roundTrip(new DOMException('stop', 'AbortError')))).toBe(true);
  });
});

describe('through a comlink endpoint', () => {
  test('a worker-side CancelledError arrives as a CancelledError, cause included', async () => {
    registerErrorTransfer();
    const { port1, port2 } = new MessageChannel();
    const api = {
      cancel(): void {
        throw new CancelledError('indexing');
      },
      async load(): Promise<void> {
        throw new ModelLoadError('m', new SqlTimeoutError(1000));
      },
    };
    Comlink.expose(api, port1 as unknown as Comlink.Endpoint);
    const remote = Comlink.wrap<typeof api>(port2 as unknown as Comlink.Endpoint);
    try {
      const e1 = await remote.cancel().then(
        () => null,
        (e: unknown) => e,
      );
      expect(e1).toBeInstanceOf(CancelledError);
      expect((e1 as CancelledError).code).toBe('cancelled');
      const e2 = await remote.load().then(
        () => null,
        (e: unknown) => e,
      );
      expect(e2).toBeInstanceOf(ModelLoadError);
      expect((e2 as ModelLoadError).cause).toBeInstanceOf(SqlTimeoutError);
    } finally {
      remote[Comlink.releaseProxy]();
      port1.close();
      port2.close();
    }
  });
});
