/**
 * What the three CLIs (`npm run eval`, `npm run train-adapter`, `npm run bench`) share about their
 * command lines: one error class for a bad invocation, strict `node:util` parsing, value checks,
 * up-front checks of input and output paths, and the entry wrapper that turns a bad command line
 * into the usage text and exit status 2 (no stack trace), before any model is loaded.
 */
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Dtype } from '../../lib/config.ts';
import { errorMessage } from '../../lib/errors.ts';

/** The dtypes a model flag may name. */
export const DTYPES: readonly Dtype[] = ['fp32', 'fp16', 'q8', 'q4', 'q4f16'];

/** A bad command line: the CLI prints the message, then its usage text, and exits with status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** True for a bad command line, whether ours or one that `node:util` parseArgs rejected. */
export function isUsageError(e: unknown): boolean {
  if (e instanceof UsageError) return true;
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * `parseArgs` in strict mode with no positionals: an unknown flag, a missing value (including one
 * that looks like another flag: `--out --quick`), an empty value or a stray word is a UsageError.
 */
export function parseStrict<O extends Options>(argv: string[], options: O) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: false, tokens: true });
  } catch (e) {
    throw new UsageError(errorMessage(e).replace(/\n?To specify a positional argument.*$/s, ''), { cause: e });
  }
  for (const t of parsed.tokens) {
    if (t.kind === 'option' && t.value === '' && options[t.name]?.type === 'string')
      throw new UsageError(`option ${t.rawName} needs a value (got an empty one)`);
  }
  return parsed.values;
}

/** An integer flag: undefined when absent, else an integer >= min (and <= max). */
export function intArg(name: string, v: string | undefined, min: number, max = Infinity): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max)
    throw new UsageError(
      `--${name} must be an integer ${max === Infinity ? `>= ${min}` : `from ${min} to ${max}`} (got "${v}")`,
    );
  return n;
}

/**
 * A number flag inside an interval. `lo`/`hi` are the bounds; `open` says which are excluded
 * ('lo', 'hi', 'both' or 'none').
 */
export function numArg(
  name: string,
  v: string | undefined,
  lo = -Infinity,
  hi = Infinity,
  open: 'lo' | 'hi' | 'both' | 'none' = 'none',
): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  const loOk = open === 'lo' || open === 'both' ? x > lo : x >= lo;
  const hiOk = open === 'hi' || open === 'both' ? x < hi : x <= hi;
  if (v.trim() === '' || !Number.isFinite(x) || !loOk || !hiOk) {
    const l = lo === -Infinity ? '' : `${open === 'lo' || open === 'both' ? '>' : '>='} ${lo}`;
    const h = hi === Infinity ? '' : `${open === 'hi' || open === 'both' ? '<' : '<='} ${hi}`;
    const range = [l, h].filter(Boolean).join(' and ');
    throw new UsageError(`--${name} must be a number${range ? ` ${range}` : ''} (got "${v}")`);
  }
  return x;
}

/** One of a fixed list of words. */
export function oneOf<T extends string>(name: string, v: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(v))
    throw new UsageError(`--${name} must be one of ${allowed.join(', ')} (got "${v}")`);
  return v as T;
}

/** An input file that exists, is a file and is not empty. */
export function inputFile(flag: string, file: string): string {
  if (!existsSync(file)) throw new UsageError(`${flag} ${file}: file not found`);
  const st = statSync(file);
  if (st.isDirectory()) throw new UsageError(`${flag} ${file}: is a folder, not a file`);
  if (st.size === 0) throw new UsageError(`${flag} ${file}: the file is empty`);
  try {
    accessSync(file, constants.R_OK);
  } catch {
    throw new UsageError(`${flag} ${file}: not readable`);
  }
  return file;
}

/** An input folder that exists. */
export function inputDir(flag: string, dir: string): string {
  if (!existsSync(dir)) throw new UsageError(`${flag} ${dir}: folder not found`);
  if (!statSync(dir).isDirectory()) throw new UsageError(`${flag} ${dir}: is a file, not a folder`);
  try {
    readdirSync(dir);
  } catch {
    throw new UsageError(`${flag} ${dir}: not readable`);
  }
  return dir;
}

/**
 * An output file that can be written: not a folder, and either writable already or creatable.
 * Checked by trying (opening the existing file for writing without changing it, or creating and
 * removing a probe file in the nearest existing folder), since permission bits say nothing for root
 * or on a read-only file system. Missing folders on the way are made at write time.
 */
export function outputFile(flag: string, file: string): string {
  const abs = path.resolve(file);
  if (existsSync(abs)) {
    if (statSync(abs).isDirectory()) throw new UsageError(`${flag} ${file}: is a folder; give a file name`);
    try {
      closeSync(openSync(abs, 'r+'));
    } catch (e) {
      throw new UsageError(`${flag} ${file}: the file is not writable (${errorMessage(e)})`, { cause: e });
    }
    return file;
  }
  let dir = path.dirname(abs);
  while (!existsSync(dir)) dir = path.dirname(dir);
  if (!statSync(dir).isDirectory()) throw new UsageError(`${flag} ${file}: ${dir} is a file, not a folder`);
  const probe = path.join(dir, `.coderag-write-probe-${process.pid}`);
  try {
    writeFileSync(probe, '');
  } catch (e) {
    throw new UsageError(`${flag} ${file}: cannot create files in ${dir} (${errorMessage(e)})`, { cause: e });
  } finally {
    rmSync(probe, { force: true });
  }
  return file;
}

export interface CliIO {
  /** Results (tables). */
  log(line: string): void;
  /** Progress, notes and errors. */
  err(line: string): void;
}

export const processIO: CliIO = {
  log: (l) => process.stdout.write(l + '\n'),
  err: (l) => process.stderr.write(l + '\n'),
};

/**
 * Run a CLI body and map its end to an exit status: 0 done, 2 a bad command line (message, then
 * the usage text; no stack trace), 130 cancelled, 1 any other failure (message only; the stack
 * with CODERAG_DEBUG=1).
 */
export async function runCli(
  name: string,
  usage: string,
  body: () => Promise<unknown>,
  io: CliIO = processIO,
  isCancel: (e: unknown) => boolean = () => false,
): Promise<number> {
  try {
    await body();
    return 0;
  } catch (e) {
    if (isCancel(e)) return 130;
    io.err(`${name}: ${errorMessage(e)}`);
    if (isUsageError(e)) {
      io.err('\n' + usage.trimEnd());
      return 2;
    }
    if (process.env.CODERAG_DEBUG && e instanceof Error && e.stack) io.err(e.stack);
    return 1;
  }
}
