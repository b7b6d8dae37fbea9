/**
 * One job made of several phases over the same items (the question index, then the
 * masked-question index of the same corpus): a single progress bar that runs from 0 to the end
 * of the last phase, says which step it is on, and estimates the time left from the rate so far.
 */
import type { Progress, ProgressFn } from '../../lib/types.ts';

export interface JobProgress extends Progress {
  /** 1-based step and the number of steps, when the job has phases. */
  step?: number;
  steps?: number;
  /** Estimated time left for the whole job (ms), once a rate is known. */
  etaMs?: number | null;
}

/** "about 45 s left", "about 3 min 5 s left". */
export function formatEta(ms: number): string {
  const s = Math.max(1, Math.round(ms / 1000));
  if (s < 60) return `about ${s} s left`;
  const m = Math.floor(s / 60);
  if (m >= 60) return `about ${Math.floor(m / 60)} h ${m % 60} min left`;
  return `about ${m} min ${s % 60} s left`;
}

export class PhasedProgress {
  readonly #phases: string[];
  readonly #t0: number;

  /**
   * @param phases the name of each phase, in order ("question index", "masked-question index")
   * @param items how many items each phase goes through (the corpus size)
   * @param out the job's progress callback
   * @param now a clock in ms (tests pass a fake one)
   */
  constructor(
    phases: string[],
    private readonly items: number,
    private readonly out: (p: JobProgress) => void,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!phases.length) throw new Error('a phased job needs at least one phase');
    this.#phases = [...phases];
    this.#t0 = now();
  }

  get steps(): number {
    return this.#phases.length;
  }

  /** The progress callback of phase `i` (0-based): maps its progress onto the whole job. */
  phase(i: number): ProgressFn {
    const name = this.#phases[i];
    if (name == null) throw new Error(`no phase ${i} (the job has ${this.#phases.length})`);
    return (p) => {
      const per = Math.max(this.items, 1);
      const total = per * this.#phases.length;
      const frac = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
      const done = Math.round(i * per + frac * per);
      const elapsed = this.now() - this.#t0;
      const etaMs =
        done > 0 && elapsed > 0 && done < total ? ((total - done) * elapsed) / done : done >= total ? 0 : null;
      const steps = this.#phases.length;
      const where = steps > 1 ? `step ${i + 1} of ${steps}, ${name}` : name;
      const counts = p.total > 0 ? ` ${p.done.toLocaleString('en-US')} / ${p.total.toLocaleString('en-US')}` : '';
      const detail = [p.detail, etaMs != null && etaMs > 0 ? formatEta(etaMs) : null].filter(Boolean).join(' · ');
      this.out({
        phase: `${where}: ${p.phase.toLowerCase()}${counts}`,
        done,
        total,
        ...(detail ? { detail } : {}),
        step: i + 1,
        steps,
        etaMs,
      });
    };
  }
}
