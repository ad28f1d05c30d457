import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestServer, type Engine, type TestServer } from '../testing.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];

describe.each(engines)('health checks on %s', (engine) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined });
  });
  afterAll(() => server?.close());

  it('answers /healthz and /readyz without credentials when all is well', async () => {
    const health = await fetch(`${server.url}/healthz`);
    expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
    const ready = await fetch(`${server.url}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready' }]);
  });

  it('is not ready while a migration this build knows is not applied, and says which', async () => {
    // A fresh server: /readyz trusts migrations once it has seen them all applied.
    const fresh = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined });
    try {
      await sql`delete from xcredit_migrations where name = '0041_certificates_once'`.execute(fresh.store.db);
      const res = await fetch(`${fresh.url}/readyz`);
      expect([res.status, await res.json()]).toEqual([503, { status: 'unavailable', reason: 'migrations not applied: 0041_certificates_once; run `xcredit migrate`' }]);
      // The process itself is fine.
      expect((await fetch(`${fresh.url}/healthz`)).status).toBe(200);
    } finally {
      await fresh.close();
    }
  });
});
