import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { verifyWebhook, WebhookVerificationError, type WebhookEvent } from '@xcredit/sdk';
import { startTestServer, type Engine, type TestServer } from '../testing.js';
import { sweepAtRisk } from './alerts.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];

/** A receiver that is down (503) for its first `downFor` requests, then records what it gets. */
function receiver(downFor: number) {
  const got: { body: string; signature: string; delivery: string }[] = [];
  let calls = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      calls++;
      if (calls <= downFor) return void res.writeHead(503).end('down for maintenance');
      got.push({ body, signature: String(req.headers['x-xcredit-signature']), delivery: String(req.headers['x-xcredit-delivery']) });
      res.writeHead(204).end();
    });
  });
  return {
    got,
    calls: () => calls,
    start: () => new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`))),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.each(engines)('webhooks on %s', (engine) => {
  let server: TestServer;
  const hr = receiver(3);
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}/api/v1${path}`, { method, headers: { authorization: server.admin.authorization, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: res.status === 204 ? null : await res.json() };
  };
  /** Lets the outbox run, with "time passing" between rounds so backoffs expire. */
  async function deliverAll(rounds = 8) {
    for (let i = 0; i < rounds; i++) {
      await server.store.db.updateTable('outbox' as never).set({ next_attempt_at: new Date(Date.now() - 1000) } as never).where('done_at' as never, 'is', null).execute();
      await server.outbox.drain();
    }
  }

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined });
    await call('PUT', '/learners/w1', { department: 'ops' });
    await call('PUT', `/targets/${new Date().getUTCFullYear()}`, { total: 3, required: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await hr.stop();
  });

  it('delivers each event once, signed, after the receiver was down for a while', async () => {
    const url = await hr.start();
    const hook = await call('POST', '/webhooks', { url, events: ['credit.earned', 'award.pending', 'award.decided', 'learner.target_met'] });
    expect(hook.status).toBe(201);
    expect(hook.body.secret).toMatch(/^whsec_/);
    await call('POST', '/awards', { learnerId: 'w1', source: 'offline', title: 'Safety day', credits: 3, period: String(new Date().getUTCFullYear()) });
    await deliverAll();
    expect(hr.calls()).toBeGreaterThan(3);
    const events: WebhookEvent[] = [];
    for (const g of hr.got) events.push(await verifyWebhook({ body: g.body, signature: g.signature, secret: hook.body.secret }));
    expect(events.map((e) => e.type).sort()).toEqual(['award.decided', 'credit.earned', 'learner.target_met']);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    expect(events.find((e) => e.type === 'credit.earned')?.data).toMatchObject({ learnerId: 'w1', credits: 3, source: 'offline' });
    const log = await call('GET', `/webhooks/${hook.body.webhookId}/deliveries`);
    expect(log.body.deliveries).toHaveLength(3);
    expect(log.body.deliveries.every((d: { status: string }) => d.status === 'delivered')).toBe(true);
    expect(Math.max(...log.body.deliveries.map((d: { attempts: number }) => d.attempts))).toBeGreaterThan(1);
    // Nothing is sent twice, however often the outbox runs again.
    const before = hr.got.length;
    await deliverAll(3);
    expect(hr.got.length).toBe(before);
  });

  it('lets the SDK refuse a forged or stale signature', async () => {
    const body = JSON.stringify({ id: 'x', type: 'credit.earned', data: {} });
    await expect(verifyWebhook({ body, signature: 't=1,v1=00', secret: 'whsec_abc' })).rejects.toBeInstanceOf(WebhookVerificationError);
    await expect(verifyWebhook({ body, signature: undefined, secret: 'whsec_abc' })).rejects.toThrow(/missing or malformed/);
    const { signWebhook } = await import('@xcredit/sdk');
    const old = await signWebhook(body, 'whsec_abc', Math.floor(Date.now() / 1000) - 3600);
    await expect(verifyWebhook({ body, signature: old, secret: 'whsec_abc' })).rejects.toThrow(/away from now/);
    const fresh = await signWebhook(body, 'whsec_abc');
    await expect(verifyWebhook({ body: body.replace('x', 'y'), signature: fresh, secret: 'whsec_abc' })).rejects.toThrow(/does not match/);
    expect((await verifyWebhook({ body, signature: fresh, secret: 'whsec_abc' })).type).toBe('credit.earned');
  });

  it('announces pending awards and learners at risk, once', async () => {
    const r = receiver(0);
    const url = await r.start();
    const hook = await call('POST', '/webhooks', { url, events: ['award.pending', 'learner.at_risk'] });
    await call('PUT', '/learners/w2', {});
    await call('POST', '/awards', { learnerId: 'w2', source: 'growth', title: 'Mentoring', credits: 1, period: String(new Date().getUTCFullYear()) });
    const late = new Date(Date.UTC(new Date().getUTCFullYear(), 11, 1));
    expect(await sweepAtRisk(server.store.db, late)).toBeGreaterThanOrEqual(1);
    expect(await sweepAtRisk(server.store.db, late)).toBe(0);
    await deliverAll(2);
    const types = r.got.map((g) => JSON.parse(g.body) as WebhookEvent);
    expect(types.map((e) => e.type).sort()).toEqual(['award.pending', 'learner.at_risk']);
    expect(types.find((e) => e.type === 'learner.at_risk')?.data).toMatchObject({ learnerId: 'w2', remaining: 3 });
    expect((await call('DELETE', `/webhooks/${hook.body.webhookId}`)).status).toBe(204);
    expect((await call('DELETE', `/webhooks/${hook.body.webhookId}`)).status).toBe(404);
    await r.stop();
  });

  it('rejects bad subscriptions, naming the field', async () => {
    for (const [input, field] of [
      [{ url: 'ftp://x', events: ['credit.earned'] }, 'url'],
      [{ url: 'https://hr.example.com/x', events: [] }, 'events'],
      [{ url: 'https://hr.example.com/x', events: ['credit.lost'] }, 'events[0]'],
      [{ url: 'https://hr.example.com/x', events: ['*'], secret: 'short' }, 'secret'],
    ] as const) {
      const res = await call('POST', '/webhooks', input);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain(field);
    }
    expect((await call('GET', '/webhooks/not-a-uuid/deliveries')).status).toBe(400);
  });
});

describe.each(engines)('webhook destinations on %s, with public addresses only (the default)', (engine) => {
  let server: TestServer;
  const inside = receiver(0);
  let insideUrl: string;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}/api/v1${path}`, { method, headers: { authorization: server.admin.authorization, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: res.status === 204 ? null : await res.json() };
  };

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined, webhookAllowPrivateHosts: '' });
    insideUrl = await inside.start();
  });
  afterAll(async () => {
    await server?.close();
    await inside.stop();
  });

  it('refuses a subscription to a loopback, private or link-local address, naming the url', async () => {
    for (const url of [
      insideUrl,
      'http://localhost:8080/hook',
      'http://app.localhost/hook',
      'http://10.1.2.3/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::1]:9/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://0.0.0.0/hook',
      'http://2130706433/hook', // 127.0.0.1 spelled as one number
    ]) {
      const res = await call('POST', '/webhooks', { url, events: ['*'] });
      expect(res.status, url).toBe(400);
      expect(res.body.error.message, url).toMatch(/url: .*non-public address/);
    }
    expect((await call('GET', '/webhooks')).body.webhooks).toEqual([]);
    expect((await call('POST', '/webhooks', { url: 'https://hr.example.com/hooks', events: ['*'] })).status).toBe(201);
  });

  it('never delivers to a non-public address, whatever the stored URL says (a name that resolves inside, or an older row)', async () => {
    const hook = await call('POST', '/webhooks', { url: 'https://hr.example.com/x', events: ['*'] });
    // As if the name now resolved to the receiver inside the network: the check where the socket connects refuses it.
    const sneaky = insideUrl.replace('127.0.0.1', 'localhost');
    await server.store.db.updateTable('webhooks').set({ url: sneaky }).where('id', '=', hook.body.webhookId).execute();
    expect((await call('POST', `/webhooks/${hook.body.webhookId}/test`)).status).toBe(202);
    for (let i = 0; i < 3; i++) {
      await server.store.db.updateTable('outbox' as never).set({ next_attempt_at: new Date(Date.now() - 1000) } as never).where('done_at' as never, 'is', null).execute();
      await server.outbox.drain();
    }
    expect(inside.calls()).toBe(0);
    const deliveries = (await call('GET', `/webhooks/${hook.body.webhookId}/deliveries`)).body.deliveries;
    expect(deliveries).toHaveLength(1);
    // Refused once and for all: not retried 25 times.
    expect(deliveries[0]).toMatchObject({ status: 'failed', attempts: 1 });
    expect(deliveries[0].lastError).toMatch(/non-public address/);
  });
});
