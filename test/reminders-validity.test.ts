import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XcreditClient } from '@xcredit/sdk';
import { startTestServer, watchCourse, type TestServer } from '@xcredit/lrs-server/testing';
import { startMailbox, type Mailbox } from './support/mailbox.js';
import { postgresUrl, testEngines } from './support/engines.js';

const AUTH = { user: 'credits', password: 'smtp-secret-2' };

describe.each(testEngines())('reminders to renew a certification before it expires, through a real SMTP server, on %s', (engine) => {
  let server: TestServer;
  let box: Mailbox;
  let sdk: XcreditClient;
  const CERT = { title: 'First aid', activityId: 'https://example.com/courses/first-aid', credits: 4, kind: 'required' as const, lengthSeconds: 60, validity: { months: 24 } };

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: postgresUrl(), manualClock: true });
    box = await startMailbox(AUTH);
    sdk = new XcreditClient({ baseUrl: server.url, key: server.admin.key, secret: server.admin.secret });
    await sdk.upsertCourse('first-aid', CERT);
    await sdk.upsertCourse('ethics', { ...CERT, title: 'Ethics', activityId: 'https://example.com/courses/ethics', kind: 'elective' });
    for (const [id, body] of [
      ['ann', { displayName: 'Ann Smith', email: 'ann@school.example', language: 'en' }],
      ['wang', { displayName: '王芳', email: 'wang@school.example', language: 'zh' }],
      ['cai', { displayName: 'Cai Lin', email: 'cai@school.example' }],
      ['bob', { displayName: 'Bob Jones', email: 'bob@school.example' }],
    ] as const) {
      await sdk.upsertLearner(id, body);
    }
    await sdk.setMailSettings({ enabled: true, host: '127.0.0.1', port: box.port, secure: false, user: AUTH.user, password: AUTH.password, from: 'credits@school.example', language: 'en', deadlineDays: 30 });
    // Everyone certifies in March 2025 (valid until 10 March 2027); Bob also takes an elective with
    // the same validity, and Cai takes first aid again in January 2027.
    server.clock!.set(new Date('2025-03-10T09:00:00Z'));
    for (const id of ['ann', 'wang', 'cai', 'bob']) await watchCourse(server, id, 'first-aid', 60);
    await watchCourse(server, 'bob', 'ethics', 60);
    server.clock!.set(new Date('2027-01-15T09:00:00Z'));
    await watchCourse(server, 'cai', 'first-aid', 60);
  }, 180_000);
  afterAll(async () => {
    await server?.close();
    await box?.close();
  });

  it('stays quiet while the expiry is further away than the reminder days', async () => {
    server.clock!.set(new Date('2027-02-01T09:00:00Z'));
    expect(await sdk.sweepReminders()).toEqual({ queued: 0 });
  });

  it('reminds each holder once, in their language, when it expires within the reminder days; not one who took it again', async () => {
    server.clock!.set(new Date('2027-02-20T12:00:00Z'));
    // Ann, Wang and Bob's first aid; Bob's elective carries nothing, and Cai renewed in January.
    expect(await sdk.sweepReminders()).toEqual({ queued: 3 });
    expect(await sdk.sweepReminders()).toEqual({ queued: 0 });
    const end = Date.now() + 40_000;
    while (box.to('ann@school.example').length + box.to('wang@school.example').length + box.to('bob@school.example').length < 3) {
      if (Date.now() > end) throw new Error('timed out waiting for three mails');
      await server.outbox.drain();
      await new Promise((r) => setTimeout(r, 250));
    }
    const en = box.to('ann@school.example')[0]!;
    expect(en.mail.subject).toBe('Your "First aid" certification expires in 18 days');
    expect(en.mail.text).toContain('Your "First aid" certification is valid until 2027-03-10 (18 days from now).');
    const zh = box.to('wang@school.example')[0]!;
    expect(zh.mail.subject).toBe('您的「First aid」证书将在 18 天后到期');
    expect(box.to('cai@school.example')).toEqual([]);
    const listed = await sdk.reminders({ kind: 'expiring' });
    expect(listed.map((r) => r.learnerId).sort()).toEqual(['ann', 'bob', 'wang']);
    expect(listed.every((r) => r.window === 'first-aid@2027-03-10')).toBe(true);
  });

  it('sends nothing once it has expired', async () => {
    server.clock!.set(new Date('2027-03-11T09:00:00Z'));
    expect(await sdk.sweepReminders()).toEqual({ queued: 0 });
  });
});
