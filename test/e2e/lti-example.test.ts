import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '@xcredit/lrs-server/testing';
import { testEngines } from '../support/engines.js';

const walkthrough = fileURLToPath(new URL('../../examples/lti/walkthrough.mjs', import.meta.url));

describe.each(testEngines())('examples/lti on %s', (engine) => {
  it('registers the simulated LMS, launches a student into the player and shows the instructor the class report', async () => {
    const database = engine === 'postgres' ? await createTestDatabase(inject('postgresUrl')!) : undefined;
    try {
      const run = spawnSync(process.execPath, [walkthrough, '--check'], { env: { ...process.env, DATABASE_URL: database?.url ?? '', XCREDIT_SECRET_KEY: database ? 'example-test-secret-key-0123456789abcdef' : '' }, encoding: 'utf8', timeout: 180_000 });
      expect(run.stdout + run.stderr).toMatch(/^ok: platform \w+ registered, student launched into the player, instructor saw the class report$/m);
      expect(run.status).toBe(0);
    } finally {
      await database?.drop();
    }
  }, 240_000);
});
