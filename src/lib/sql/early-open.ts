/**
 * Opening the demo database before the app asks (issue 15, item 1). The page's small entry
 * (src/browser/early.ts) starts the SQL worker and fetches the demo's SQL; when the text arrives it
 * posts it to the worker as one `EARLY_OPEN` message, and the worker builds the database while the
 * app's own chunk is still loading. When the app then opens that same source, the worker answers
 * with the database it already has instead of building it again.
 *
 * The early open never wins over the app: once the app has opened anything, a late early message
 * is ignored; an early open of another source (the app restored a saved database instead) is just
 * replaced by the app's open; an early open that failed leaves the app's open to run as usual.
 */
import type { DbInfo, DbSource } from './engine.ts';

/** The message key the page's entry posts the demo's source under (not a comlink message). */
export const EARLY_OPEN = 'coderagEarlyOpen';

export type EarlySource = Extract<DbSource, { kind: 'sql' }>;

export function earlyOpenMessage(src: EarlySource): Record<string, EarlySource> {
  return { [EARLY_OPEN]: src };
}

/** The worker's side: wraps its real open. */
export class EarlyOpener {
  private early: { src: EarlySource; info: Promise<DbInfo> } | null = null;
  private appOpened = false;
  /** Early opens that were used by the app's open (for tests). */
  reused = 0;

  constructor(private readonly openNow: (src: DbSource) => Promise<DbInfo>) {}

  /** Handle a message if it is an early open; true when it was (the caller keeps it from comlink). */
  onMessage(data: unknown): boolean {
    if (!data || typeof data !== 'object' || !(EARLY_OPEN in data)) return false;
    const src = (data as Record<string, unknown>)[EARLY_OPEN] as EarlySource | undefined;
    if (this.appOpened || this.early || !src || src.kind !== 'sql' || typeof src.sql !== 'string') return true;
    const info = this.openNow(src);
    info.catch(() => {}); // the app's open reports errors, not this
    this.early = { src, info };
    return true;
  }

  /** The app's open: the early result when it is the same source and nothing else came between. */
  async open(src: DbSource): Promise<DbInfo> {
    const early = this.early;
    this.early = null;
    const first = !this.appOpened;
    this.appOpened = true;
    if (first && early && src.kind === 'sql' && src.sql === early.src.sql && src.name === early.src.name) {
      try {
        const info = await early.info;
        this.reused++;
        return info;
      } catch {
        /* build it again below, so the app sees the error of its own open */
      }
    } else if (early) await early.info.catch(() => {}); // let it finish before this open replaces it
    return this.openNow(src);
  }
}
