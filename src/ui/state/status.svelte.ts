/**
 * The status / error / note triple that every loading stage shows (embedder, index, generator):
 * one small reactive type instead of three loose fields per stage.
 */
export type Status = 'idle' | 'loading' | 'ready' | 'error' | 'needs-confirm';

export class StageStatus {
  #status = $state<Status>('idle');
  #error = $state<string | null>(null);
  #note = $state<string | null>(null);

  get status(): Status {
    return this.#status;
  }
  /** A failure message; with status 'ready' it is a warning (the stage works, with a caveat). */
  get error(): string | null {
    return this.#error;
  }
  /** Something the user should know that is not an error (e.g. "stale index; rebuilding"). */
  get note(): string | null {
    return this.#note;
  }
  get ready(): boolean {
    return this.#status === 'ready';
  }

  set(status: Status): void {
    this.#status = status;
  }
  /** Start loading: clears the error (the note is kept). */
  loading(): void {
    this.#status = 'loading';
    this.#error = null;
  }
  /** Status 'error' with its message. */
  fail(message: string): void {
    this.#status = 'error';
    this.#error = message;
  }
  setError(message: string | null): void {
    this.#error = message;
  }
  setNote(note: string | null): void {
    this.#note = note;
  }
}
