/** The registry of long-running jobs shown as progress bars, each with an optional cancel. */
import type { JobProgress } from './phased-progress.ts';

export interface Job {
  label: string;
  progress: JobProgress | null;
  cancel?: () => void;
}

export class Jobs {
  #jobs = $state<Record<string, Job>>({});
  #list = $derived(Object.entries(this.#jobs));

  /** [key, job] pairs in start order. */
  get list(): [string, Job][] {
    return this.#list;
  }
  get(key: string): Job | undefined {
    return this.#jobs[key];
  }
  get count(): number {
    return this.#list.length;
  }

  /** Register a job (replacing one with the same key); returns its progress callback. */
  start(key: string, label: string, cancel?: () => void): (p: JobProgress) => void {
    const job: Job = { label, progress: null, cancel };
    this.#jobs = { ...this.#jobs, [key]: job };
    return (p) => {
      // a late progress event of an ended (or replaced) job is dropped
      const cur = this.#jobs[key];
      if (cur && cur.label === job.label) this.#jobs = { ...this.#jobs, [key]: { ...cur, progress: p } };
    };
  }

  end(key: string): void {
    if (!(key in this.#jobs)) return;
    const { [key]: _, ...rest } = this.#jobs;
    this.#jobs = rest;
  }

  cancel(key: string): void {
    this.#jobs[key]?.cancel?.();
  }
}
