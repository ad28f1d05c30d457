import { describe, expect, it, vi } from 'vitest';
import { Connection } from './connection.js';

function connect(token = 'tok') {
  const fetch = vi.fn(async () => new Response(null, { status: 204 }));
  const connection = new Connection({ endpoint: 'http://lrs.test/xapi/', apiBase: 'http://lrs.test/api/v1/', token, fetch: fetch as unknown as typeof globalThis.fetch });
  const call = (i = 0) => fetch.mock.calls[i] as unknown as [string, RequestInit];
  return { connection, call };
}

describe('Connection', () => {
  it('sends credits API calls to the API base with the launch token, and xAPI requests to the endpoint with the xAPI version', async () => {
    const { connection, call } = connect();
    await connection.api('launches/current/credits');
    await connection.xapi('activities/state?stateId=x', { method: 'PUT', headers: { 'Content-Type': 'application/json' } });
    expect(call(0)[0]).toBe('http://lrs.test/api/v1/launches/current/credits');
    expect(call(0)[1].headers).toEqual({ Authorization: 'Bearer tok', Accept: 'application/json' });
    // The endpoint's trailing slash is dropped; a request's own headers add to the connection's.
    expect(call(1)[0]).toBe('http://lrs.test/xapi/activities/state?stateId=x');
    expect(call(1)[1]).toMatchObject({ method: 'PUT', headers: { Authorization: 'Bearer tok', 'X-Experience-API-Version': '1.0.3', 'Content-Type': 'application/json' } });
  });

  it('sends a credential that names its scheme (cmi5) as it is, never as a bearer token', async () => {
    const { connection, call } = connect('Basic bGF1bmNoOmFiYw==');
    await connection.xapi('activities/state');
    expect((call()[1].headers as Record<string, string>).Authorization).toBe('Basic bGF1bmNoOmFiYw==');
  });
});
