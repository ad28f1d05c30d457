import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { PGLITE_IMAGE_ENV, probePostgres, writeTestImage } from '@xcredit/lrs-server/testing';

declare module 'vitest' {
  export interface ProvidedContext {
    /** PostgreSQL to test against, or null when the run is PGlite only. */
    postgresUrl: string | null;
  }
}

/**
 * Migrates one PGlite database for the whole run, which every PGlite test server starts from (a
 * test server would otherwise spend seconds migrating), and decides once per run whether the
 * PostgreSQL half of the suite runs. CI sets XCREDIT_REQUIRE_POSTGRES=1, which turns an unreachable
 * server into a failure.
 */
export default async function setup(project: TestProject) {
  const folder = mkdtempSync(join(tmpdir(), 'xcredit-image-'));
  const file = join(folder, 'migrated.tar');
  const { bytes, ms } = await writeTestImage(file);
  process.env[PGLITE_IMAGE_ENV] = file;
  console.log(`[xcredit] PGlite test servers start from a migrated database (${Math.round(bytes / 1024)} KB, made in ${ms} ms)`);
  const teardown = () => rmSync(folder, { recursive: true, force: true });
  try {
    await postgres(project);
  } catch (err) {
    teardown();
    throw err;
  }
  return teardown;
}

async function postgres(project: TestProject) {
  const url = process.env.XCREDIT_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const probe = await probePostgres(url);
  if (probe.ok) {
    project.provide('postgresUrl', url);
    console.log(`[xcredit] tests run on PGlite and on PostgreSQL (${url})`);
    return;
  }
  if (process.env.XCREDIT_REQUIRE_POSTGRES === '1') {
    throw new Error(`PostgreSQL is required (XCREDIT_REQUIRE_POSTGRES=1) but unreachable at ${url}: ${probe.reason}`);
  }
  project.provide('postgresUrl', null);
  console.warn(
    `\n[xcredit] SKIPPING the PostgreSQL runs: no server at ${url} (${probe.reason}).\n` +
      `          Every test still runs on embedded PGlite. Set XCREDIT_TEST_POSTGRES_URL to test PostgreSQL too.\n`,
  );
}
