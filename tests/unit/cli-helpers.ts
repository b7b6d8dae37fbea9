/** Shared by the CLI tests: run a CLI entry in-process with captured output. */
import { runCli, type CliIO } from '../../src/node/cli/args.ts';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** Run `body` as a CLI called `name` would (exit status, usage on a bad command line), capturing its output. */
export async function runCaptured(
  name: string,
  usage: string,
  body: (io: CliIO) => Promise<unknown>,
  onErr?: (line: string) => void,
): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = {
    log: (l) => out.push(l),
    err: (l) => {
      err.push(l);
      onErr?.(l);
    },
  };
  const code = await runCli(name, usage, () => body(io), io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A stack trace line, as Node prints one. */
export const STACK_LINE = /^\s+at .+\(?.*:\d+:\d+\)?$/m;
