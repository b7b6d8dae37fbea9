/**
 * Named points on the page's timeline (`performance.mark('coderag:<name>')`), read by the
 * cold-start bench and scripts/load-timeline.ts to say where the time to a first SQL result goes.
 * A no-op where the Performance API is missing; costs a few microseconds where it is not.
 */
export const MARK_PREFIX = 'coderag:';

/** Names marked in this realm: only the first of each counts (the timeline is about first times). */
const marked = new Set<string>();

export function mark(name: string): void {
  const p = globalThis.performance as Performance | undefined;
  if (typeof p?.mark !== 'function' || marked.has(name)) return;
  marked.add(name);
  try {
    p.mark(MARK_PREFIX + name);
  } catch {
    /* a mark is never worth an error */
  }
}
