import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '@xcredit/lrs-server/testing';
import { startMailbox, type Mailbox } from './support/mailbox.js';
import { postgresUrl, testEngines } from './support/engines.js';

const AUTH = { user: 'credits', password: 'smtp-secret-1' };

describe.each(testEngines())('the mail server setting is guarded like webhook URLs on %s', (engine) => {
  let strict: TestServer;
  let allowing: TestServer;
  let box: Mailbox;
  const call = async (server: TestServer, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}/api/v1${path}`, { method, headers: { authorization: server.admin.authorization, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const settings = (host: string) => ({ enabled: true, host, port: box.port, secure: false, user: AUTH.user, password: AUTH.password, from: 'credits@school.example' });
  /** Reminds `learnerId` and runs the outbox (bounded) until the reminder is no longer queued, or has failed once. */
  const remind = async (server: TestServer, learnerId: string) => {
    const sent = await call(server, 'POST', `/learners/${learnerId}/remind`);
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    const id = sent.body.reminder.reminderId;
    const end = Date.now() + 40_000;
    for (;;) {
      await server.outbox.drain();
      const r = (await call(server, 'GET', '/reminders')).body.reminders.find((x: { reminderId: string }) => x.reminderId === id);
      if (r.status !== 'queued' || r.lastError) return r;
      if (Date.now() > end) throw new Error('the reminder was never tried');
      await new Promise((res) => setTimeout(res, 250));
    }
  };

  beforeAll(async () => {
    box = await startMailbox(AUTH);
    // The production default: public addresses only.
    strict = await startTestServer({ engine, postgresUrl: postgresUrl(), smtpAllowPrivateHosts: '' });
    // A deployment that allows its own mail relay by name.
    allowing = await startTestServer({ engine, postgresUrl: postgresUrl(), smtpAllowPrivateHosts: 'localhost' });
    for (const server of [strict, allowing]) {
      expect((await call(server, 'PUT', `/targets/${new Date().getUTCFullYear()}`, { total: 20 })).status).toBe(200);
      for (const id of ['ana', 'ben', 'cai', 'dan']) expect((await call(server, 'PUT', `/learners/${id}`, { email: `${id}@school.example` })).status).toBeLessThan(300);
    }
  }, 180_000);
  afterAll(async () => {
    await strict?.close();
    await allowing?.close();
    await box?.close();
  });

  it('refuses a loopback, private or link-local mail server at once, naming host and the switch that allows it', async () => {
    for (const host of ['127.0.0.1', 'localhost', 'mail.localhost', '10.1.2.3', '169.254.169.254', '[::1]', '::ffff:127.0.0.1', '0.0.0.0', '192.168.1.20']) {
      const res = await call(strict, 'PUT', '/reminders/settings', settings(host));
      expect(res.status, host).toBe(400);
      expect(res.body.error.message, host).toMatch(/^host: .* is a loopback, private or otherwise non-public address; an operator can allow it \(.*XCREDIT_SMTP_ALLOW_PRIVATE_HOSTS\)$/);
    }
    expect((await call(strict, 'GET', '/reminders/settings')).status).toBe(404);
    expect((await call(strict, 'PUT', '/reminders/settings', settings('smtp.example.com'))).status).toBe(200);
  });

  it('never connects to a non-public address, whatever the stored host says (a name that resolves inside, or an older row), and does not retry', async () => {
    // The mailbox listens on 127.0.0.1: without the guard, these would be delivered.
    for (const [host, learner] of [
      ['localhost', 'ana'],
      ['127.0.0.1', 'ben'],
    ]) {
      await strict.store.db.updateTable('mail_settings').set({ host, port: box.port }).where('tenant_id', '=', 'default').execute();
      const r = await remind(strict, learner!);
      expect(r, host).toMatchObject({ status: 'failed', attempts: 1 });
      expect(r.lastError, host).toMatch(/^mail server refused: .*127\.0\.0\.1.* non-public address/);
    }
    expect(box.received).toHaveLength(0);
  });

  it('records a mail server name that does not resolve as a failed try, and retries it', async () => {
    expect((await call(strict, 'PUT', '/reminders/settings', settings('mail.invalid'))).status).toBe(200);
    const r = await remind(strict, 'dan');
    expect(r).toMatchObject({ status: 'queued', attempts: 1 });
    expect(r.lastError).toMatch(/^mail\.invalid could not be resolved \(\w+\)$/);
  });

  it('delivers to a mail server the deployment allows by name, connecting to the address it checked', async () => {
    expect((await call(allowing, 'PUT', '/reminders/settings', settings('localhost'))).status).toBe(200);
    // Only the name is allowed, not the address it resolves to.
    expect((await call(allowing, 'PUT', '/reminders/settings', settings('127.0.0.1'))).status).toBe(400);
    const r = await remind(allowing, 'cai');
    expect(r).toMatchObject({ status: 'delivered', lastError: null });
    expect(box.to('cai@school.example')).toHaveLength(1);
  });
});
