/**
 * Scan threads for the int8 index: helpers that run the same i8dot kernel over shards of the rows,
 * all on one shared WebAssembly memory, so a scan reads memory on several cores at once.
 *
 * The index's thread (the index worker in the page, the main thread in Node) stays the
 * coordinator and the search stays synchronous: it writes the query codes, publishes a job in a
 * small shared control block (Atomics.store + notify), scans shard 0 itself and waits
 * (Atomics.wait) until every participating helper has counted itself done. Helpers join when they
 * have started (a slot each); a job only uses the helpers registered when it starts, so the first
 * searches simply run on fewer threads. Needs SharedArrayBuffer (a cross-origin isolated page,
 * which this app is; Node always) and a host that can start a helper (`SpawnScanHelper`: a module
 * worker in the page, worker_threads in Node; see src/node/scan-threads.ts).
 */

/** What a helper gets: the compiled kernel, the shared memory and where things are in it. */
export interface ScanHelperInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /** The control block: Int32Array over a SharedArrayBuffer of CTRL_SLOTS slots. */
  ctrl: SharedArrayBuffer;
  q: number;
  rows: number;
  stride: number;
  out: number;
  n: number;
}

/** Starts a helper thread that calls `scanHelperMain(init)`; returns how to stop it. */
export type SpawnScanHelper = (init: ScanHelperInit) => { terminate(): void };

/** ctrl slots: job word ((generation << 4) | participants; -1 = stop), done count, registered helpers. */
export const CTRL = { JOB: 0, DONE: 1, READY: 2, SLOTS: 4 } as const;
/** A scan whose helpers have not all answered after this long finishes on the coordinator alone. */
export const STALL_MS = 2000;
/** Participants per job fit in 4 bits. */
export const MAX_SCAN_THREADS = 15;

/**
 * The helper's loop. Self-contained (no outer references): hosts may run it from its source text.
 * Registers for a slot, then for each job that includes its slot scores its shard and counts
 * itself done; returns when the job word is -1.
 */
export function scanHelperMain(init: ScanHelperInit): void {
  const { module, memory, q, rows, stride, out, n } = init;
  const ctrl = new Int32Array(init.ctrl);
  const k = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as {
    i8dot(q: number, rows: number, n: number, stride: number, out: number): void;
  };
  let seen = Atomics.load(ctrl, 0);
  const slot = Atomics.add(ctrl, 2, 1) + 1;
  for (;;) {
    Atomics.wait(ctrl, 0, seen);
    const job = Atomics.load(ctrl, 0);
    if (job === -1) return;
    if (job === seen) continue;
    seen = job;
    const parts = job & 15;
    if (slot >= parts) continue;
    const a = Math.floor((slot * n) / parts);
    const b = Math.floor(((slot + 1) * n) / parts);
    if (b > a) k.i8dot(q, rows + a * stride, b - a, stride, out + 4 * a);
    Atomics.add(ctrl, 1, 1);
    Atomics.notify(ctrl, 1);
  }
}

/** Whether this realm can share a WebAssembly memory with other threads. */
export function sharedMemoryAvailable(): boolean {
  const g = globalThis as { crossOriginIsolated?: boolean };
  if (typeof SharedArrayBuffer !== 'function' || g.crossOriginIsolated === false) return false;
  try {
    return new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

/** The coordinator's side: the helpers, and a scan that splits the rows among them. */
export class ScanThreads {
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(4 * CTRL.SLOTS));
  private readonly helpers: { terminate(): void }[] = [];
  private gen = 0;
  private stopped = false;
  private readonly canWait: boolean;

  constructor(
    private readonly init: Omit<ScanHelperInit, 'ctrl'>,
    private readonly kernel: (q: number, rows: number, n: number, stride: number, out: number) => void,
    threads: number,
    spawn: SpawnScanHelper,
  ) {
    const helpers = Math.max(0, Math.min(MAX_SCAN_THREADS, threads) - 1);
    for (let h = 0; h < helpers; h++)
      this.helpers.push(spawn({ ...init, ctrl: this.ctrl.buffer as SharedArrayBuffer }));
    // a page's main thread may not block; the index worker and Node may
    let ok = true;
    try {
      Atomics.wait(this.ctrl, CTRL.SLOTS - 1, 1, 0);
    } catch {
      ok = false;
    }
    this.canWait = ok;
  }

  /** Helpers registered so far (the next scan's participants, less this thread); 0 once stopped. */
  get ready(): number {
    return this.stopped ? 0 : Atomics.load(this.ctrl, CTRL.READY);
  }

  /** Scores every row into `out` (as one i8dot call would), on this thread and the ready helpers. */
  score(): void {
    const { q, rows, stride, out, n } = this.init;
    const parts = this.stopped ? 1 : Math.min(MAX_SCAN_THREADS, 1 + this.ready);
    if (parts === 1) {
      this.kernel(q, rows, n, stride, out);
      return;
    }
    const c = this.ctrl;
    Atomics.store(c, CTRL.DONE, 0);
    this.gen = (this.gen + 1) & 0x3ffffff;
    Atomics.store(c, CTRL.JOB, (this.gen << 4) | parts);
    Atomics.notify(c, CTRL.JOB);
    const b = Math.floor(n / parts);
    if (b > 0) this.kernel(q, rows, b, stride, out);
    const deadline = performance.now() + STALL_MS;
    for (;;) {
      const done = Atomics.load(c, CTRL.DONE);
      if (done >= parts - 1) break;
      if (performance.now() > deadline) {
        // a helper stopped answering: score everything here (a late helper writes the same
        // numbers) and go on without threads
        this.kernel(q, rows, n, stride, out);
        this.dispose();
        return;
      }
      if (this.canWait) Atomics.wait(c, CTRL.DONE, done, 50);
    }
  }

  dispose(): void {
    this.stopped = true;
    Atomics.store(this.ctrl, CTRL.JOB, -1);
    Atomics.notify(this.ctrl, CTRL.JOB);
    for (const h of this.helpers) h.terminate();
    this.helpers.length = 0;
  }
}
