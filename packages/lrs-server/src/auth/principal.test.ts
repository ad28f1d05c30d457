import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from '../testing.js';
import { createClient } from './clients.js';
import * as secrets from './secrets.js';

// Counts the scrypt checks the authenticator makes, without changing them.
vi.mock('./secrets.js', async (original) => {
  const real = await original<typeof import('./secrets.js')>();
  return { ...real, verifySecret: vi.fn(real.verifySecret) };
});

describe('Basic credentials', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ engine: 'pglite' });
  });
  afterAll(() => server?.close());

  const get = (key: string, secret: string) =>
    fetch(`${server.url}/xapi/statements?limit=1`, {
      headers: { authorization: `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`, 'x-experience-api-version': '2.0.0' },
    }).then((r) => r.status);

  it('are checked once for a burst of requests that bring them together, and remembered after', async () => {
    const { key, secret } = await createClient(server.store.db, { tenantId: 'default', name: 'burst', scopes: ['statements/read'] });
    const calls = vi.mocked(secrets.verifySecret).mock.calls.length;
    expect(await Promise.all(Array.from({ length: 12 }, () => get(key, secret)))).toEqual(Array(12).fill(200));
    expect(await get(key, secret)).toBe(200);
    expect(vi.mocked(secrets.verifySecret).mock.calls.length - calls).toBe(1);
  });

  it('fail together when wrong, and a wrong secret is checked again next time', async () => {
    const { key } = await createClient(server.store.db, { tenantId: 'default', name: 'wrong', scopes: ['statements/read'] });
    const calls = vi.mocked(secrets.verifySecret).mock.calls.length;
    expect(await Promise.all(Array.from({ length: 6 }, () => get(key, 'not-the-secret-at-all')))).toEqual(Array(6).fill(401));
    expect(await get(key, 'not-the-secret-at-all')).toBe(401);
    expect(vi.mocked(secrets.verifySecret).mock.calls.length - calls).toBe(2);
  });
});
