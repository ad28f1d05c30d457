import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Verbs, VideoExt, XcreditExt } from '@xcredit/sdk/xapi';
import { adminCall, learnerViews, openPlayer, startTestServer, type Engine, type LaunchGiven, type TestServer } from '../testing.js';
import { creditEvents } from '../app.js';
import { systemClock } from '../clock.js';
import { recompute } from './recompute.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];
const CREDITS = 10;
const LENGTH = 300;
const WINDOW = 30;

type Check = { nonce: string; expiresAt: string; windowSeconds: number };
/** How the learner meets a check: answered at once, in the next heartbeat, 45 s late, never, or with a nonce of their own. */
type Answer = 'post' | 'heartbeat' | 'late' | 'never' | 'forged';

/**
 * Attention checks the server issues: random playing moments it picks and delivers in heartbeat
 * answers; only its nonce within the window counts, and a missed check stops crediting until
 * answered. Only a launch token is used, as an attacker would have.
 */
describe.each(engines)('server-issued attention checks on %s', (engine) => {
  let server: TestServer;
  const api = adminCall(() => server);
  const { launch, earned, explain } = learnerViews(api, 'checked');
  /** Media seconds credited as watched, to within a second of the expected. */
  const expectWatched = async (learnerId: string, seconds: number) => expect(Math.abs((await explain(learnerId)).seconds.watched - seconds)).toBeLessThanOrEqual(1);
  const wait = (seconds: number) => server.clock!.advance(seconds);

  async function player(l: LaunchGiven) {
    const p = await openPlayer(server, l);
    const send = (verb: string, extensions: Record<string, unknown>) => p.send(p.statement(verb, extensions));
    const beat = async (time: number, playing: boolean, attention?: { nonce: string }) => (await p.heartbeat({ time, playing, ...(attention ? { attention } : {}) }))!;
    const respond = p.respond;
    return {
      beat,
      respond,
      /**
       * Plays [from, to] at 1x with a heartbeat every 15 s, meeting each new check as `answer` says,
       * and claims full focus throughout. Returns the checks delivered, with the media time each came at.
       */
      async watch(from: number, to: number, answer: Answer = 'post') {
        const seen = new Map<string, { check: Check; time: number }>();
        let viaHeartbeat: string | undefined;
        let lateAt: { nonce: string; time: number } | undefined;
        await send(Verbs.played, { [VideoExt.time]: from });
        for (let t = from; ; ) {
          const reply = await beat(t, true, viaHeartbeat ? { nonce: viaHeartbeat } : undefined);
          viaHeartbeat = undefined;
          const check = reply.attentionCheck;
          if (check && !seen.has(check.nonce)) {
            seen.set(check.nonce, { check, time: t });
            const fresh = new Date(check.expiresAt).getTime() > server.clock!().getTime();
            if (answer === 'post' && fresh) expect((await respond(check.nonce)).body).toEqual({ accepted: true });
            if (answer === 'heartbeat' && fresh) viaHeartbeat = check.nonce;
            if (answer === 'late' && fresh) lateAt = { nonce: check.nonce, time: t + 45 };
            if (answer === 'forged') {
              expect((await respond(randomBytes(16).toString('base64url'))).body).toEqual({ accepted: false, reason: 'not_issued' });
              expect((await beat(t, true, { nonce: randomBytes(16).toString('base64url') })).attentionCheck?.nonce).toBe(check.nonce);
            }
          }
          if (lateAt && t === lateAt.time) {
            expect((await respond(lateAt.nonce)).body).toEqual({ accepted: false, reason: 'late' });
            lateAt = undefined;
          }
          if (t >= to) break;
          const step = Math.min(15, to - t);
          wait(step);
          t += step;
        }
        await send(to === LENGTH ? Verbs.completed : Verbs.paused, { [VideoExt.time]: to, [XcreditExt.focusedSeconds]: to - from });
        await beat(to, false);
        return [...seen.values()];
      },
    };
  }

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined, manualClock: true });
    const course = (title: string, policy: object) => ({ title, activityId: `https://example.com/courses/${title}`, credits: CREDITS, kind: 'required', lengthSeconds: LENGTH, policy });
    await api('PUT', '/courses/checked', course('checked', { attentionChecks: 1, promptTimeoutSeconds: WINDOW }));
    await api('PUT', '/courses/plain', course('plain', {}));
  });
  afterAll(() => server?.close());

  it('credits a viewing whose check was answered in time with its nonce, by POST or in the next heartbeat', async () => {
    const checks = await (await player(await launch('prompt'))).watch(0, LENGTH, 'post');
    expect(checks).toHaveLength(1);
    const [{ check, time }] = checks as [{ check: Check; time: number }];
    expect(check.windowSeconds).toBe(WINDOW);
    // Issued at a random playing moment within 10–90% of the video (plus one heartbeat period).
    expect(time).toBeGreaterThanOrEqual(LENGTH * 0.1);
    expect(time).toBeLessThanOrEqual(LENGTH * 0.9 + 15);
    expect(await earned('prompt')).toBe(CREDITS);

    expect(await (await player(await launch('beat'))).watch(0, LENGTH, 'heartbeat')).toHaveLength(1);
    expect(await earned('beat')).toBe(CREDITS);
  });

  it('credits nothing from the issue of a check answered late until the answer', async () => {
    const [late] = await (await player(await launch('late'))).watch(0, LENGTH, 'late');
    expect(late).toBeDefined();
    await expectWatched('late', LENGTH - 45);
    expect(await earned('late')).toBeLessThan(CREDITS);
  });

  it('credits nothing after a check answered with a forged nonce, until the real one comes', async () => {
    const l = await launch('forger');
    const p = await player(l);
    const [forged] = await p.watch(0, LENGTH, 'forged');
    await expectWatched('forger', forged!.time);
    const before = await earned('forger');
    expect(before).toBeLessThan(CREDITS);
    // Answering the real nonce (late) lets the next viewing count again.
    expect((await p.respond(forged!.check.nonce)).body).toEqual({ accepted: false, reason: 'late' });
    await p.watch(0, LENGTH);
    expect((await explain('forger')).factors.coverage).toBe(1);
    expect(await earned('forger')).toBeGreaterThan(before);
  });

  it('stops crediting at a missed check, in every later session and launch, until the learner answers it', async () => {
    const [missed] = await (await player(await launch('absent'))).watch(0, LENGTH, 'never');
    expect(missed).toBeDefined();
    await expectWatched('absent', missed!.time);
    const before = await earned('absent');
    // A new launch does not escape it: the open check comes with its first heartbeat, and nothing counts meanwhile.
    const next = await player(await launch('absent'));
    const delivered = (await next.beat(0, false)).attentionCheck;
    expect(delivered?.nonce).toBe(missed!.check.nonce);
    expect(new Date(delivered!.expiresAt).getTime()).toBeLessThan(server.clock!().getTime());
    await next.watch(0, LENGTH, 'never');
    await expectWatched('absent', missed!.time);
    expect(await earned('absent')).toBeLessThanOrEqual(before);
    expect((await next.respond(missed!.check.nonce)).body).toEqual({ accepted: false, reason: 'late' });
    await next.watch(0, LENGTH);
    expect((await explain('absent')).factors.coverage).toBe(1);
    expect(await earned('absent')).toBeGreaterThan(before);
  });

  it('does not reset its plan for a new session or launch: hopping sessions still meets the checks', async () => {
    let l = await launch('hopper');
    const met: { check: Check; time: number }[] = [];
    for (let from = 0; from < LENGTH; from += 30) {
      if (from % 90 === 0) l = await launch('hopper');
      met.push(...(await (await player(l)).watch(from, from + 30, 'never')));
    }
    // One check, handed to every later session until answered (never, here).
    expect(met.length).toBeGreaterThan(0);
    expect(new Set(met.map((m) => m.check.nonce)).size).toBe(1);
    await expectWatched('hopper', met[0]!.time);
    expect(await earned('hopper')).toBeLessThan(CREDITS);
  });

  it('counts for nothing a check the server did not issue', async () => {
    // No checks on this course: an answer to one is refused, and heartbeats carry none.
    const plain = await player(await launch('self-checked', 'plain'));
    expect((await plain.respond('my-own-check')).body).toEqual({ accepted: false, reason: 'not_issued' });
    expect((await plain.beat(0, true, { nonce: 'my-own-check' })).attentionCheck).toBeUndefined();
    // Another learner's nonce is not this learner's to answer.
    const owner = await player(await launch('owner'));
    const [theirs] = await owner.watch(0, LENGTH, 'never');
    const other = await player(await launch('bystander'));
    expect((await other.respond(theirs!.check.nonce)).body).toEqual({ accepted: false, reason: 'not_issued' });
    await expectWatched('owner', theirs!.time);
    // The player's own checks send no statement of their own; claiming full focus (as watch does) does not lift a missed one.
    expect(await earned('owner')).toBeLessThan(CREDITS);
  });

  it('refuses a malformed answer, naming the field', async () => {
    const l = await launch('sloppy');
    const call = (path: string, body: unknown) =>
      fetch(`${server.url}/api/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${l.launchToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: await r.json() }));
    const missing = await call('/launches/current/attention', { nonce: '' });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toMatch(/sessionId/);
    expect(missing.body.error.message).toMatch(/nonce/);
    const bad = await call('/launches/current/heartbeat', { sessionId: 's', time: 0, playing: true, attention: { nonce: 5 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/attention\.nonce/);
    // An admin client is not a learner: it cannot answer checks.
    const admin = await fetch(`${server.url}/api/v1/launches/current/attention`, { method: 'POST', headers: { authorization: server.admin.authorization, 'content-type': 'application/json' }, body: JSON.stringify({ sessionId: 's', nonce: 'n' }) });
    expect(admin.status).toBe(403);
  });

  it('gives the same credits in a full recompute as incrementally', async () => {
    const learners = ['prompt', 'beat', 'late', 'forger', 'absent', 'hopper', 'owner'];
    const snapshot = async () =>
      (await server.store.db.selectFrom('engagement').select(['learner_id', 'course_id', 'coverage', 'attention', 'earned_tenths', 'flags']).where('learner_id', 'in', learners).orderBy('learner_id').orderBy('course_id').execute()).map((e) => ({ ...e }));
    const incremental = await snapshot();
    expect(incremental).toHaveLength(learners.length);
    const result = await recompute(server.store.db, { events: creditEvents(server.clock ?? systemClock) });
    expect(await snapshot()).toEqual(incremental);
    expect(result.ledgerEntries).toBe(0);
  });
});
