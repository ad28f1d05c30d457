import type { TestProject } from 'vitest/node';
import { probePostgres } from '@xcredit/lrs-server/testing';

declare module 'vitest' {
  export interface ProvidedContext {
    /** PostgreSQL to test against, or null when the run is PGlite only. */
    postgresUrl: string | null;
  }
}

/**
 * Decides once per run whether the PostgreSQL half of the suite runs. CI sets
 * XCREDIT_REQUIRE_POSTGRES=1, which turns an unreachable server into a failure.
 */
export default async function setup(project: TestProject) {
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
