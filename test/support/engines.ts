import { inject } from 'vitest';
import type { Engine } from '@xcredit/lrs-server/testing';

/** The storage engines this run tests: PGlite always, PostgreSQL when the global setup found one. */
export function testEngines(): Engine[] {
  return inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];
}

/**
 * The one engine a browser test runs on: PostgreSQL when this run has it (what deployments run,
 * and what CI requires), PGlite otherwise. A browser test is about the page, the player and the
 * protocols; the server behaviour under them is tested on both engines by the API tests, and the
 * demo's browser test runs on PGlite, the engine `npm start` uses.
 */
export function browserEngines(): Engine[] {
  return inject('postgresUrl') ? ['postgres'] : ['pglite'];
}

export function postgresUrl(): string | undefined {
  return inject('postgresUrl') ?? undefined;
}
