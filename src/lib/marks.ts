/**
 * Named points on the page's timeline (`performance.mark('coderag:<name>')`), read by the
 * cold-start bench and scripts/load-timeline.ts to say where the time to a first SQL result goes.
 * A no-op where the Performance API is missing; costs a few microseconds where it is not.
 */
export const MARK_PREFIX = 'coderag:';

export function mark(name: string): void {
  const p = globalThis.performance as Performance | undefined;
  if (typeof p?.mark !== 'function') return;
  try {
    // only the first of each name counts: the timeline is about the first time a step happens
    if (p.getEntriesByName(MARK_PREFIX + name, 'mark').length === 0) p.mark(MARK_PREFIX + name);
  } catch {
    /* a mark is never worth an error */
  }
}
