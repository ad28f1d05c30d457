import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { XcreditClient, XcreditError } from '@xcredit/sdk';

describe('XcreditClient retries against a real HTTP server', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  /** A server that answers each request with the next of `answers`, then 200 with a learner. */
  async function serve(answers: { status: number; retryAfter?: string }[]): Promise<{ url: string; hits: string[] }> {
    const hits: string[] = [];
    server = createServer((req, res) => {
      hits.push(`${req.method} ${req.url}`);
      const next = answers.shift();
      if (next) {
        res.writeHead(next.status, { 'content-type': 'application/json', ...(next.retryAfter ? { 'retry-after': next.retryAfter } : {}) });
        res.end(JSON.stringify({ error: { status: next.status, code: next.status === 429 ? 'rate_limited' : 'unavailable', message: 'busy' } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ learnerId: 'E-1', department: 'Nursing' }));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, hits };
  }

  it('retries a 429 and a 503 after their Retry-After', async () => {
    const { url, hits } = await serve([{ status: 429, retryAfter: '0' }, { status: 503, retryAfter: new Date(Date.now() - 1000).toUTCString() }]);
    const client = new XcreditClient({ baseUrl: url, key: 'k', secret: 's', retryDelayMs: 1 });
    expect(await client.getLearner('E-1')).toMatchObject({ learnerId: 'E-1' });
    expect(hits).toEqual(['GET /api/v1/learners/E-1', 'GET /api/v1/learners/E-1', 'GET /api/v1/learners/E-1']);
  });

  it('fails at once, with the server\'s error, when Retry-After asks for longer than it may wait', async () => {
    const { url, hits } = await serve([{ status: 503, retryAfter: '3600' }]);
    const client = new XcreditClient({ baseUrl: url, key: 'k', secret: 's', retryDelayMs: 1, maxRetryDelayMs: 5000 });
    const error = await client.getLearner('E-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(XcreditError);
    expect(error).toMatchObject({ status: 503, code: 'unavailable', message: 'busy' });
    expect(hits).toHaveLength(1);
  });

  it('stops after its attempts and never repeats a plain POST', async () => {
    const { url, hits } = await serve([{ status: 503, retryAfter: '0' }, { status: 503, retryAfter: '0' }, { status: 503, retryAfter: '0' }]);
    const client = new XcreditClient({ baseUrl: url, key: 'k', secret: 's', retryDelayMs: 1, retries: 2 });
    await expect(client.getLearner('E-1')).rejects.toMatchObject({ status: 503 });
    expect(hits).toHaveLength(2);
    hits.length = 0;
    await expect(client.createLaunch({ learnerId: 'E-1', courseId: 'c' })).rejects.toMatchObject({ status: 503 });
    expect(hits).toEqual(['POST /api/v1/launches']);
  });
});
