import { sql } from 'kysely';
import type { Db } from '../db/index.js';

/** A job that runs every `everyMs`, once across every server process on the database. */
export interface PeriodicJob {
  name: string;
  everyMs: number;
  run(): Promise<unknown>;
}

export interface Schedules {
  /** Runs every job that is due and not held by another process now; resolves when they are done. */
  tick(): Promise<void>;
  /** Lets a job running here finish and starts no more. */
  stop(): Promise<void>;
}

export interface ScheduleOptions {
  /** Names the process holding a job in `schedules.locked_by`. */
  owner: string;
  /** How long a claim holds: a process that dies while running a job gives it up after this (default 5 min). */
  leaseMs?: number;
  onError?: (job: string, err: unknown) => void;
}

/**
 * Runs periodic jobs (the at-risk sweep, the LTI score sweep) so that however many processes run,
 * each due run happens once: a process claims a job's row in `schedules` with a lease (an update
 * that only one of several concurrent processes can win), runs it, and moves it to its next due
 * time. A process that crashes mid-run leaves the lease to expire; another then runs the job.
 * Each process looks every `min(everyMs, 15 s)`.
 *
 * @example
 * const schedules = startSchedules(db, [{ name: 'at-risk', everyMs: 3600_000, run: () => sweepAtRisk(db, clock()) }], { owner: processId });
 * await schedules.stop();
 */
export function startSchedules(db: Db, jobs: PeriodicJob[], options: ScheduleOptions): Schedules {
  const leaseMs = options.leaseMs ?? 5 * 60_000;
  const onError = options.onError ?? ((job, err) => console.error(`xcredit: ${job} failed: ${err instanceof Error ? err.message : String(err)}`));
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const timers: NodeJS.Timeout[] = [];

  async function runIfDue(job: PeriodicJob) {
    // First sight of a job: due one period after the first process that knew it started.
    await sql`insert into schedules (name, next_run_at) values (${job.name}, clock_timestamp() + ${job.everyMs} * interval '1 millisecond')
      on conflict (name) do nothing`.execute(db);
    const claimed = await sql`update schedules set locked_until = clock_timestamp() + ${leaseMs} * interval '1 millisecond', locked_by = ${options.owner}
      where name = ${job.name} and next_run_at <= clock_timestamp() and (locked_until is null or locked_until < clock_timestamp())
      returning name`.execute(db);
    if (claimed.rows.length === 0) return;
    try {
      await job.run();
      await sql`update schedules set next_run_at = clock_timestamp() + ${job.everyMs} * interval '1 millisecond', locked_until = null, locked_by = null,
        last_run_at = clock_timestamp(), runs = runs + 1
        where name = ${job.name} and locked_by = ${options.owner}`.execute(db);
    } catch (err) {
      // Tried again within a minute (or its period, if shorter), by whichever process looks first.
      await sql`update schedules set next_run_at = clock_timestamp() + ${Math.min(job.everyMs, 60_000)} * interval '1 millisecond', locked_until = null, locked_by = null
        where name = ${job.name} and locked_by = ${options.owner}`.execute(db);
      throw err;
    }
  }

  function tick(job: PeriodicJob) {
    if (stopped) return running;
    running = running.then(() => (stopped ? undefined : runIfDue(job))).catch((err: unknown) => onError(job.name, err));
    return running;
  }

  for (const job of jobs) {
    const timer = setInterval(() => void tick(job), Math.min(job.everyMs, 15_000));
    timer.unref();
    timers.push(timer);
  }
  return {
    async tick() {
      for (const job of jobs) await tick(job);
    },
    async stop() {
      stopped = true;
      for (const t of timers) clearInterval(t);
      await running;
    },
  };
}
