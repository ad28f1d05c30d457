import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestServer, type Engine, type TestServer } from '../testing.js';
import { enqueue, outboxJobs, PermanentJobError, startOutboxWorker, type OutboxJob } from './outbox.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];

describe.each(engines)('the outbox on %s', (engine) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined });
  });
  afterAll(() => server?.close());

  it('owes a call only when the transaction that enqueued it commits', async () => {
    const db = server.store.db;
    await db
      .transaction()
      .execute(async (trx) => {
        await enqueue(trx, { tenantId: 'default', kind: 'test.rollback', payload: { n: 1 } });
        throw new Error('the change failed');
      })
      .catch(() => {});
    expect(await outboxJobs(db, 'default', 'test.rollback')).toEqual([]);
    await db.transaction().execute((trx) => enqueue(trx, { tenantId: 'default', kind: 'test.rollback', payload: { n: 2 } }));
    expect((await outboxJobs(db, 'default', 'test.rollback')).map((j) => j.payload)).toEqual([{ n: 2 }]);
  });

  it('gives back, when it stops, the jobs it claimed but did not start, so another worker runs them at once', async () => {
    const db = server.store.db;
    for (const n of [1, 2, 3]) await enqueue(db, { tenantId: 'default', kind: 'test.stop', payload: { n } });
    let release!: () => void;
    const started: number[] = [];
    const first = new Promise<void>((r) => (release = r));
    const worker = startOutboxWorker(db, {
      'test.stop': async (job) => {
        started.push(job.payload.n as number);
        await first;
      },
    });
    await expect.poll(() => started.length, { timeout: 20_000, interval: 20 }).toBe(1);
    const stopped = worker.stop();
    release();
    await stopped;
    const jobs = await outboxJobs(db, 'default', 'test.stop');
    // The one running finished; the two waiting are free again, as if never tried.
    expect(started).toHaveLength(1);
    expect(jobs.map((j) => [j.payload.n, Boolean(j.done_at), j.locked_until, j.attempts])).toEqual(
      [1, 2, 3].map((n) => (n === started[0] ? [n, true, null, 1] : [n, false, null, 0])),
    );
  });

  it('coalesces pending jobs with the same key, the newest payload winning', async () => {
    const db = server.store.db;
    for (const n of [1, 2, 3]) await enqueue(db, { tenantId: 'default', kind: 'test.coalesce', payload: { n }, dedupeKey: 'learner-1|course-1', delayMs: 60_000 });
    await enqueue(db, { tenantId: 'default', kind: 'test.coalesce', payload: { n: 9 }, dedupeKey: 'learner-2|course-1', delayMs: 60_000 });
    const jobs = await outboxJobs(db, 'default', 'test.coalesce');
    expect(jobs.map((j) => [j.dedupe_key, j.payload])).toEqual([
      ['learner-1|course-1', { n: 3 }],
      ['learner-2|course-1', { n: 9 }],
    ]);
  });

  it('retries a failing call with backoff until it succeeds, keeping the last error meanwhile, and runs it once it succeeds', async () => {
    const db = server.store.db;
    const calls: OutboxJob[] = [];
    const worker = startOutboxWorker(
      db,
      {
        'test.flaky': async (job) => {
          calls.push(job);
          if (calls.length <= 2) throw new Error(`gradebook down (${calls.length})`);
        },
      },
      { pollMs: 20, backoffMs: 20 },
    );
    try {
      await enqueue(db, { tenantId: 'default', kind: 'test.flaky', payload: { learnerId: 'l1' } });
      await expect.poll(async () => (await outboxJobs(db, 'default', 'test.flaky'))[0]?.done_at, { timeout: 20_000, interval: 50 }).toBeTruthy();
      const [job] = await outboxJobs(db, 'default', 'test.flaky');
      expect(job).toMatchObject({ attempts: 3, last_error: null });
      expect(calls.map((c) => c.attempt)).toEqual([1, 2, 3]);
      await worker.drain();
      expect(calls).toHaveLength(3);
    } finally {
      await worker.stop();
    }
  });

  it('closes a job that can never succeed with its reason, without retrying', async () => {
    const db = server.store.db;
    let calls = 0;
    const doomed = async () => {
      calls++;
      throw new PermanentJobError('the platform was removed');
    };
    const worker = startOutboxWorker(db, { 'test.doomed': doomed }, { pollMs: 20, backoffMs: 20 });
    try {
      await enqueue(db, { tenantId: 'default', kind: 'test.doomed', payload: {} });
      await expect.poll(async () => (await outboxJobs(db, 'default', 'test.doomed'))[0]?.done_at, { timeout: 20_000, interval: 50 }).toBeTruthy();
      expect((await outboxJobs(db, 'default', 'test.doomed'))[0]).toMatchObject({ attempts: 1, last_error: 'the platform was removed' });
      await worker.drain();
      expect(calls).toBe(1);
    } finally {
      await worker.stop();
    }
  });

  it('runs a job again when it is re-enqueued while its call is in flight, so that change is not lost', async () => {
    const db = server.store.db;
    const seen: unknown[] = [];
    let release!: () => void;
    const inFlight = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const firstStarted = new Promise<void>((r) => (started = r));
    const worker = startOutboxWorker(
      db,
      {
        'test.moving': async (job) => {
          seen.push(job.payload);
          if (seen.length === 1) {
            started();
            await inFlight;
          }
        },
      },
      { pollMs: 20, backoffMs: 20 },
    );
    try {
      await enqueue(db, { tenantId: 'default', kind: 'test.moving', payload: { v: 1 }, dedupeKey: 'k' });
      await firstStarted;
      await enqueue(db, { tenantId: 'default', kind: 'test.moving', payload: { v: 2 }, dedupeKey: 'k' });
      release();
      await expect.poll(async () => (await outboxJobs(db, 'default', 'test.moving')).every((j) => j.done_at) && seen.length === 2, { timeout: 20_000, interval: 50 }).toBe(true);
      expect(seen).toEqual([{ v: 1 }, { v: 2 }]);
    } finally {
      await worker.stop();
    }
  });
});
