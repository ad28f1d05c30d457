import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XcreditClient } from '@xcredit/sdk';
import { adminCall, startTestServer, type TestServer } from '@xcredit/lrs-server/testing';
import { startMailbox, type Mailbox, type Received } from './support/mailbox.js';
import { postgresUrl, testEngines } from './support/engines.js';

const AUTH = { user: 'credits', password: 'smtp-pässword-1' };

/** The address of a mail's List-Unsubscribe header. */
const unsubscribeLink = (m: Received) => /<([^>]+)>/.exec(m.mail.headerLines.find((h) => h.key === 'list-unsubscribe')?.line ?? '')?.[1] ?? '';

/** Waits (bounded) until `check` holds, running the outbox between looks. */
async function until<T>(server: TestServer, check: () => Promise<T | undefined | false>, what: string, seconds = 40): Promise<T> {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    await server.outbox.drain();
    const got = await check();
    if (got) return got;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe.each(testEngines())('reminders by email through a real SMTP server on %s', (engine) => {
  let server: TestServer;
  let box: Mailbox;
  let sdk: XcreditClient;
  const year = () => String(server.clock!().getUTCFullYear());
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}/api/v1${path}`, { method, headers: { authorization: server.admin.authorization, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const ok = adminCall(() => server);
  const settings = (over: Record<string, unknown> = {}) => ({ enabled: true, host: '127.0.0.1', port: box.port, secure: false, user: AUTH.user, password: AUTH.password, from: 'credits@school.example', language: 'en' as 'en' | 'zh', deadlineDays: 10, ...over });
  const reminder = async (id: string) => (await ok('GET', '/reminders')).reminders.find((r: { reminderId: string }) => r.reminderId === id);

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: postgresUrl(), manualClock: true });
    // The middle of the year: far from the deadline, and anyone without credits is behind.
    server.clock!.set(new Date(`${new Date().getUTCFullYear()}-06-15T09:00:00Z`));
    box = await startMailbox(AUTH);
    sdk = new XcreditClient({ baseUrl: server.url, key: server.admin.key, secret: server.admin.secret });
    await ok('PUT', `/targets/${year()}`, { total: 150, required: 60 });
    const csv = [
      'learnerId,displayName,department,managerId,email,language,managerEmail,remindersOptOut',
      'mgr-li,Li Wei,Nursing,,li.wei@school.example,zh,,no',
      'ann,Ann Smith,Nursing,mgr-li,ann@school.example,en,,no',
      'wang,王芳,Nursing,mgr-li,wang@school.example,zh,,no',
      'noemail,No Mail,Nursing,mgr-li,,,,no',
      'quiet,Quiet One,Nursing,mgr-li,quiet@school.example,en,,yes',
      'bob,Bob Jones,Admin,ext-boss,bob@school.example,,boss@partner.example,false',
    ].join('\n');
    const res = await fetch(`${server.url}/api/v1/learners/import`, { method: 'POST', headers: { authorization: server.admin.authorization, 'content-type': 'text/csv' }, body: csv });
    expect(res.status, await res.clone().text()).toBe(200);
  }, 180_000);
  afterAll(async () => {
    await server?.close();
    await box?.close();
  });

  it('keeps the mail settings with the password encrypted, and refuses bad ones naming the field', async () => {
    expect((await call('GET', '/reminders/settings')).status).toBe(404);
    for (const [bad, field] of [
      [{ port: 0 }, 'port'],
      [{ host: '' }, 'host'],
      [{ from: 'not-an-address' }, 'from'],
      [{ language: 'fr' }, 'language'],
      [{ deadlineDays: 0 }, 'deadlineDays'],
      [{ enabled: 'yes' }, 'enabled'],
    ] as const) {
      const r = await call('PUT', '/reminders/settings', settings(bad));
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(JSON.stringify(r.body.error)).toContain(field);
    }
    expect((await call('GET', '/reminders/settings')).status).toBe(404);
    const saved = await sdk.setMailSettings(settings());
    expect(saved).toMatchObject({ enabled: true, host: '127.0.0.1', user: AUTH.user, hasPassword: true, deadlineDays: 10 });
    expect(JSON.stringify(saved)).not.toContain(AUTH.password);
    const stored = await server.store.db.selectFrom('mail_settings').select('password').executeTakeFirstOrThrow();
    expect(JSON.stringify(stored)).not.toContain(AUTH.password);
    expect(stored.password).toMatchObject({ iv: expect.any(String), data: expect.any(String) });
    // Left out, the password is kept.
    const { password: _omit, ...noPassword } = settings();
    expect(await sdk.setMailSettings(noPassword)).toMatchObject({ hasPassword: true });
  });

  it('reminds one learner in English and another in Chinese, once a day, with an unsubscribe link', async () => {
    const first = await call('POST', '/learners/ann/remind');
    expect(first.status).toBe(202);
    expect(first.body.reminder).toMatchObject({ kind: 'manual', learnerId: 'ann', recipient: 'ann@school.example', language: 'en', status: 'queued' });
    const zh = await sdk.remindLearner('wang');
    expect(zh).toMatchObject({ created: true, reminder: { language: 'zh' } });
    await until(server, async () => box.to('wang@school.example').length === 1 && box.to('ann@school.example').length === 1, 'two mails');
    const en = box.to('ann@school.example')[0]!;
    expect(en.from).toBe('credits@school.example');
    expect(en.mail.subject).toBe(`A reminder about your ${year()} credits`);
    expect(en.mail.text).toContain('Hello Ann Smith,');
    expect(en.mail.text).toContain(`You have 0 of the 150 credits due for ${year()}: 150 to go, 60 of them from required courses.`);
    expect(unsubscribeLink(en)).toContain(`${server.url}/reminders/unsubscribe?`);
    const cn = box.to('wang@school.example')[0]!;
    expect(cn.mail.subject).toBe(`关于您 ${year()} 年度学分的提醒`);
    expect(cn.mail.text).toContain('王芳，您好：');
    expect(cn.mail.text).toContain('年度目标为 150 学分，还差 150 学分（其中必修还差 60 学分）');
    expect(await reminder(first.body.reminder.reminderId)).toMatchObject({ status: 'delivered', attempts: 1, lastError: null, sentAt: expect.any(String) });
    // Clicking again the same day sends nothing new.
    const again = await call('POST', '/learners/ann/remind');
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ created: false, reminder: { reminderId: first.body.reminder.reminderId } });
    await server.outbox.drain();
    expect(box.to('ann@school.example')).toHaveLength(1);
  });

  it('answers bad remind requests with a 4xx naming what is wrong, and sends nothing', async () => {
    const before = box.received.length;
    const cases: [string, unknown, number, string][] = [
      ['/learners/ghost/remind', undefined, 404, 'learnerId'],
      ['/learners/noemail/remind', undefined, 422, 'email'],
      ['/learners/quiet/remind', undefined, 409, 'no reminders'],
      ['/learners/ann/remind?period=26', undefined, 400, 'period'],
      ['/learners/bad%20id/remind', undefined, 400, 'learnerId'],
      ['/reminders/at-risk', { department: '' }, 400, 'department'],
      ['/reminders/at-risk', { period: 'next' }, 400, 'period'],
      ['/reminders/at-risk', { team: 'x' }, 400, 'team'],
    ];
    for (const [path, body, status, text] of cases) {
      const r = await call('POST', path, body);
      expect(r.status, path).toBe(status);
      expect(JSON.stringify(r.body.error), path).toContain(text);
    }
    expect((await call('GET', '/reminders?status=lost')).status).toBe(400);
    const kind = await call('GET', '/reminders?kind=weekly');
    expect(kind.status).toBe(400);
    expect(kind.body.error.message).toBe('kind "weekly" must be deadline, at_risk, manual, digest, plan or expiring');
    expect((await call('GET', '/reminders?kind=plan')).status).toBe(200);
    await sdk.setMailSettings({ ...settings(), enabled: false });
    const off = await call('POST', '/learners/bob/remind');
    expect(off.status).toBe(409);
    expect(off.body.error.code).toBe('mail_disabled');
    expect((await call('POST', '/reminders/sweep')).body).toEqual({ queued: 0 });
    await sdk.setMailSettings(settings());
    await server.outbox.drain();
    expect(box.received.length).toBe(before);
    expect((await ok('GET', '/reminders?learnerId=noemail')).reminders).toEqual([]);
  });

  it('retries through the outbox while the mail server is down, and delivers once when it is back', async () => {
    await box.stop();
    const { reminder: r } = await sdk.remindLearner('bob');
    const failed = await until(server, async () => {
      const now = await reminder(r.reminderId);
      return now.lastError ? now : undefined;
    }, 'a failed try');
    expect(failed).toMatchObject({ status: 'queued', attempts: 1, lastError: expect.stringMatching(/ECONNREFUSED|connect/i) });
    expect(box.to('bob@school.example')).toHaveLength(0);
    await box.start();
    const delivered = await until(server, async () => {
      const now = await reminder(r.reminderId);
      return now.status === 'delivered' ? now : undefined;
    }, 'the retry');
    expect(delivered.attempts).toBeGreaterThanOrEqual(2);
    expect(delivered.lastError).toBeNull();
    await new Promise((res) => setTimeout(res, 1500));
    await server.outbox.drain();
    expect(box.to('bob@school.example')).toHaveLength(1);
  });

  it('records a failure with the mail server\'s answer when it refuses the login', async () => {
    await sdk.setMailSettings(settings({ password: 'wrong' }));
    const { reminder: r } = await sdk.remindLearner('mgr-li');
    const failed = await until(server, async () => {
      const now = await reminder(r.reminderId);
      return now.lastError ? now : undefined;
    }, 'a refused login');
    expect(failed.lastError).toMatch(/535|auth/i);
    await sdk.setMailSettings(settings());
    await until(server, async () => (await reminder(r.reminderId)).status === 'delivered', 'delivery after the fix');
    expect(box.to('li.wei@school.example')).toHaveLength(1);
  });

  it('respects an opt-out made with the unsubscribe link', async () => {
    const link = unsubscribeLink(box.to('ann@school.example')[0]!);
    expect(box.to('ann@school.example')[0]!.mail.text).toContain(`No more reminders: ${link}`);
    const tampered = link.replace('learner=ann', 'learner=wang');
    expect((await fetch(tampered)).status).toBe(404);
    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Unsubscribe');
    expect((await ok('GET', '/learners/ann')).remindersOptOut).toBe(false);
    const done = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Unsubscribed');
    expect((await ok('GET', '/learners/ann')).remindersOptOut).toBe(true);
    expect((await call('POST', '/learners/ann/remind')).status).toBe(409);
  });

  it('sweeps at-risk reminders and one weekly digest per manager, once, with three sweeps running at the same time', async () => {
    const counts = await Promise.all([sdk.sweepReminders(), sdk.sweepReminders(), sdk.sweepReminders()]);
    const queued = counts.reduce((n, c) => n + c.queued, 0);
    // wang, bob and mgr-li at risk (ann and quiet opted out, noemail has no address), and two managers' digests.
    expect(queued).toBe(5);
    await until(server, async () => (await sdk.reminders({ status: 'queued' })).length === 0, 'the sweep to be sent');
    const atRisk = await sdk.reminders({ kind: 'at_risk' });
    expect(atRisk.map((r) => r.learnerId).sort()).toEqual(['bob', 'mgr-li', 'wang']);
    expect(atRisk.every((r) => r.window === `${year()}-06`)).toBe(true);
    const wang = box.to('wang@school.example').find((m) => m.mail.subject?.includes('进度落后'))!;
    expect(wang.mail.subject).toBe(`您的 ${year()} 年度学分进度落后`);
    const digest = box.to('li.wei@school.example').find((m) => m.mail.subject?.startsWith('每周摘要'))!;
    expect(digest.mail.subject).toBe(`每周摘要：您的团队中有 4 人 ${year()} 年度学分进度落后`);
    for (const who of ['Ann Smith（ann）', '王芳（wang）', 'No Mail（noemail）', 'Quiet One（quiet）']) expect(digest.mail.text).toContain(who);
    const external = box.to('boss@partner.example');
    expect(external).toHaveLength(1);
    expect(external[0]!.mail.subject).toBe(`Weekly digest: 1 of your people at risk for ${year()}`);
    expect(external[0]!.mail.text).toContain('- Bob Jones (bob): 0 of 150 credits, projected 0, 60 required still missing');
    // The same week and month: nothing new.
    expect(await sdk.sweepReminders()).toEqual({ queued: 0 });
  });

  it('sends deadline reminders once the period is within the configured days of its end', async () => {
    server.clock!.set(new Date(`${year()}-12-25T09:00:00Z`));
    const { queued } = await sdk.sweepReminders();
    // wang, bob, mgr-li deadline reminders, and the two digests of a new week.
    expect(queued).toBe(5);
    await until(server, async () => (await sdk.reminders({ status: 'queued' })).length === 0, 'the deadline reminders');
    const deadline = box.to('bob@school.example').find((m) => m.mail.subject?.startsWith('Reminder:'))!;
    expect(deadline.mail.subject).toBe(`Reminder: 7 days left for your ${year()} credits`);
    expect(deadline.mail.text).toContain(`It ends on ${year()}-12-31, 7 days from now.`);
    expect(box.to('ann@school.example')).toHaveLength(1);
    expect(await sdk.sweepReminders()).toEqual({ queued: 0 });
  });

  it('reminds everyone at risk in a department, skipping opt-outs and learners without an address', async () => {
    server.clock!.advance(86_400);
    const batch = await sdk.remindAtRisk({ department: 'Nursing' });
    expect(batch).toMatchObject({ department: 'Nursing', queued: ['mgr-li', 'wang'], already: [] });
    expect(batch.skipped).toEqual([
      { learnerId: 'ann', reason: 'opted_out' },
      { learnerId: 'noemail', reason: 'no_email' },
      { learnerId: 'quiet', reason: 'opted_out' },
    ]);
    expect((await sdk.remindAtRisk({ department: 'Nursing' })).already).toEqual(['mgr-li', 'wang']);
    expect((await sdk.remindAtRisk({ department: 'Nowhere' })).queued).toEqual([]);
    await until(server, async () => (await sdk.reminders({ status: 'queued' })).length === 0, 'the department reminders');
    const log = await sdk.reminders({ learnerId: 'wang' });
    expect(log.every((r) => r.status === 'delivered' && r.sentAt)).toBe(true);
    expect(new Set(log.map((r) => `${r.kind}|${r.window}`)).size).toBe(log.length);
  });
});
