/**
 * Splitting work into tasks: what follows `await nextTask()` runs in a later task of the event
 * loop, after the current one (and the DOM updates it makes) has ended, so the two do not add up to
 * one long main-thread task, and a message that arrived meanwhile (a cancel) is handled first.
 */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
