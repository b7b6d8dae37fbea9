/**
 * Schema linking where a prompt is built: `ask()` links the question to the open database
 * (src/lib/link/) through the same SQL engine that runs the answer, and passes the links to the
 * prompt builder (schema pruning, value hints). Bounded and harmless:
 *
 * - every probe runs through the host's `exec`, so under its SQL timeout (and its row limit);
 * - the whole linking has a time budget; past it, or on any error, the question gets no links
 *   (the prompt then sends the whole schema, cut blindly if it does not fit) and the reason;
 * - the foreign keys and the value index of a database are built once and kept for the next
 *   questions on it (a few databases at most).
 */
import type { TableInfo } from '../types.ts';
import type { SqlExec } from '../link/exec.ts';
import { foreignKeys, type ForeignKey } from '../link/foreign-keys.ts';
import { linkSchema, type SchemaLinks } from '../link/link.ts';
import { ValueIndex } from '../link/values.ts';
import { CancelledError, errorMessage, isCancelled } from '../errors.ts';

export interface LinkOutcome {
  links: SchemaLinks | null;
  /** Why there are no links (a failure or the time budget). */
  error?: string;
}

/** Links a question to the open database's tables. Never rejects, except with CancelledError. */
export type LinkFn = (question: string, tables: TableInfo[], signal?: AbortSignal) => Promise<LinkOutcome>;

export interface PromptLinkerOptions {
  /** Time budget of one linking, probes and index build included (default 5,000 ms). */
  budgetMs?: number;
  /** Budget of building a database's value index (default 3,000 ms; columns past it are not indexed). */
  indexBudgetMs?: number;
  /** Timeout asked of each probe (the host's own limit applies as well; default 1,000 ms). */
  probeTimeoutMs?: number;
  /** Names the open database (its id or file name), so two databases with one schema keep apart. */
  dbKey?: () => string;
  /** Databases whose keys and value index are kept (default 4). */
  keep?: number;
}

interface DbLinkState {
  fks: Promise<ForeignKey[]>;
  values: ValueIndex;
}

function schemaKey(tables: readonly TableInfo[]): string {
  return tables.map((t) => `${t.name}(${t.columns.join(',')})`).join(';');
}

/**
 * A `LinkFn` over `db`. `db.exec` should apply the host's SQL timeout (the app's worker and the
 * eval's engine do); each probe also asks for `probeTimeoutMs`.
 */
export function promptLinker(db: SqlExec, o: PromptLinkerOptions = {}): LinkFn {
  const budgetMs = o.budgetMs ?? 5000;
  const timeoutMs = o.probeTimeoutMs ?? 1000;
  const keep = Math.max(1, o.keep ?? 4);
  const states = new Map<string, DbLinkState>();
  const stateFor = (tables: TableInfo[]): DbLinkState => {
    const key = `${o.dbKey?.() ?? ''}\u0000${schemaKey(tables)}`;
    let s = states.get(key);
    if (s) {
      states.delete(key);
      states.set(key, s);
      return s;
    }
    s = {
      fks: foreignKeys(db, tables, timeoutMs).catch(() => []),
      values: new ValueIndex(db, tables, { timeoutMs, budgetMs: o.indexBudgetMs ?? 3000 }),
    };
    states.set(key, s);
    while (states.size > keep) states.delete(states.keys().next().value!);
    return s;
  };

  return async (question, tables, signal) => {
    if (signal?.aborted) throw new CancelledError('question');
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    try {
      const work = (async (): Promise<LinkOutcome> => {
        const s = stateFor(tables);
        const links = await linkSchema(question, tables, db, {
          foreignKeys: await s.fks,
          values: s.values,
          timeoutMs,
        });
        return { links };
      })();
      const limits = new Promise<LinkOutcome>((resolve, reject) => {
        timer = setTimeout(
          () => resolve({ links: null, error: `schema linking took longer than ${budgetMs / 1000} s` }),
          budgetMs,
        );
        onAbort = () => reject(new CancelledError('question'));
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      return await Promise.race([work, limits]);
    } catch (e) {
      if (isCancelled(e) || signal?.aborted) throw isCancelled(e) ? e : new CancelledError('question');
      return { links: null, error: errorMessage(e) };
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  };
}
