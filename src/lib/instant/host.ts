/**
 * The instant generator next to the database: what a SQL worker (the page's, or Node's worker
 * thread) runs, so that linking, filling and the candidate queries never cross a worker boundary
 * one by one and nothing of it runs on the page's main thread. One `InstantGenerator` per open
 * database: opening another drops the caches (value index, foreign keys) of the last one.
 */
import type { SqlExec } from '../link/exec.ts';
import { InstantGenerator, type InstantAnswer, type InstantRequest } from './generator.ts';

/** A request as it crosses a worker boundary (no signal: the caller bounds it with `budgetMs`). */
export type InstantWireRequest = Omit<InstantRequest, 'signal'>;

export class InstantHost {
  private gen: InstantGenerator | null = null;

  constructor(private readonly sql: () => SqlExec | Promise<SqlExec>) {}

  /** A new database was opened: forget the caches of the old one. */
  reset(): void {
    this.gen = null;
  }

  async answer(req: InstantWireRequest): Promise<InstantAnswer> {
    const sql = await this.sql();
    this.gen ??= new InstantGenerator({ sql });
    const { links: _links, ...answer } = await this.gen.answer(req);
    void _links; // the links stay here: they are large and the caller only needs the SQL
    return answer;
  }
}
