import express, { type Router } from 'express';
import { sql } from 'kysely';
import type { Db } from '../db/index.js';
import { migrationProvider } from '../db/migrations/index.js';
import type { Reads } from '../db/replica.js';

/** Whether this process still takes new work; a load balancer stops sending to one that does not. */
export interface Lifecycle {
  stopping: boolean;
}

/**
 * `/healthz`: the process answers (a supervisor restarts one that does not). `/readyz`: it should
 * get traffic: the database answers, every migration this build knows is applied, and it is not
 * shutting down. Both are public and say nothing but their verdict and its reason. With a read
 * replica, `/readyz` also says whether it serves reads (`replica: { state: 'streaming' }`) or not
 * (`down`, with the reason): a replica that is down leaves the server ready, reading the primary.
 */
export function healthRouter(db: Db, lifecycle: Lifecycle, reads?: Reads): Router {
  const router = express.Router();
  let migrated = false;
  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    res.set('Cache-Control', 'no-store');
    const notReady = (reason: string) => res.status(503).json({ status: 'unavailable', reason });
    if (lifecycle.stopping) return notReady('shutting down');
    try {
      // Applied migrations stay applied: once all are there, only the database is asked.
      if (!migrated) {
        const known = Object.keys(await migrationProvider.getMigrations());
        const { rows } = await sql<{ name: string }>`select name from xcredit_migrations`.execute(db);
        const applied = new Set(rows.map((r) => r.name));
        const missing = known.filter((name) => !applied.has(name));
        if (missing.length) return notReady(`migrations not applied: ${missing.join(', ')}; run \`xcredit migrate\``);
        migrated = true;
      } else await sql`select 1`.execute(db);
    } catch {
      return notReady('the database does not answer');
    }
    const replica = reads ? await reads.probe() : { state: 'none' };
    res.json(replica.state === 'none' ? { status: 'ready' } : { status: 'ready', replica });
  });
  return router;
}
