import { inject } from 'vitest';
import type { Engine } from '@xcredit/lrs-server/testing';

/** The storage engines this run tests: PGlite always, PostgreSQL when the global setup found one. */
export function testEngines(): Engine[] {
  return inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];
}

export function postgresUrl(): string | undefined {
  return inject('postgresUrl') ?? undefined;
}
