import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { Verbs, VideoExt, XcreditExt } from '@xcredit/sdk/xapi';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { createClient } from './auth/clients.js';
import { pgliteImage } from './db/index.js';
import { loadConfig } from './config.js';
import { manualClock } from './clock.js';
import { startServer, type RunningServer } from './server.js';

/**
 * Helpers to run a real xcredit server in integration tests: on a throwaway PGlite database,
 * or on a fresh database created in a PostgreSQL server and dropped afterwards.
 *
 * @example
 * const server = await startTestServer({ engine: 'pglite' });
 * const res = await fetch(`${server.url}/xapi/about`);
 * await server.close();
 */
export type Engine = 'pglite' | 'postgres';

export interface TestServer extends RunningServer {
  /** The server's clock when `manualClock` was asked for. */
  clock?: ReturnType<typeof manualClock>;
  engine: Engine;
  /** An all-scopes client of the default tenant. */
  admin: { key: string; secret: string; authorization: string };
}

export interface TestServerOptions {
  engine: Engine;
  /** For `postgres`: a URL of a server and database allowed to CREATE DATABASE. */
  postgresUrl?: string;
  demo?: boolean;
  /** Install a clock the test moves by hand (`server.clock.advance(seconds)`) for receipt times. */
  manualClock?: boolean;
  /**
   * XCREDIT_LTI_ALLOW_PRIVATE_HOSTS: by default the loopback addresses and `localhost`, where test
   * LMS simulators listen; '' for the production default (public addresses only).
   */
  ltiAllowPrivateHosts?: string;
  /** XCREDIT_WEBHOOK_ALLOW_PRIVATE_HOSTS: by default loopback, where test receivers listen; '' for public addresses only. */
  webhookAllowPrivateHosts?: string;
  /** XCREDIT_SMTP_ALLOW_PRIVATE_HOSTS: by default loopback, where test mail servers listen; '' for public addresses only. */
  smtpAllowPrivateHosts?: string;
  /** More configuration, as environment variables (e.g. `XCREDIT_FRAME_ANCESTORS`). */
  env?: Record<string, string>;
  /** For `postgres`: a streaming replica of `postgresUrl`'s server (`startReplica`), used as DATABASE_READ_URL. */
  readReplica?: { urlOf(database: string): string };
}

/**
 * The file holding a migrated PGlite database (`pgliteImage()`), written once per test run by its
 * global set-up: each PGlite test server starts from a copy of it instead of migrating from scratch.
 */
export const PGLITE_IMAGE_ENV = 'XCREDIT_TEST_PGLITE_IMAGE';

/** Writes a migrated PGlite database to `path` for `PGLITE_IMAGE_ENV`; says how long it took. */
export async function writeTestImage(path: string): Promise<{ bytes: number; ms: number }> {
  const started = performance.now();
  const bytes = Buffer.from(await (await pgliteImage()).arrayBuffer());
  await writeFile(path, bytes);
  return { bytes: bytes.length, ms: Math.round(performance.now() - started) };
}

let image: Promise<Blob | undefined> | undefined;
/** The run's migrated PGlite database, for `startServer(config, { pgliteImage })` on `memory://`; undefined outside a test run. */
export function testImage(): Promise<Blob | undefined> {
  const path = process.env[PGLITE_IMAGE_ENV];
  image ??= path ? readFile(path).then((bytes) => new Blob([bytes])) : Promise.resolve(undefined);
  return image;
}

/**
 * Makes `dir` a PGlite data folder holding the run's migrated database, so a server or command
 * started on it finds nothing to migrate. Outside a test run (no image) the folder is left as it is.
 */
export async function seedDataDir(dir: string): Promise<string> {
  const loadDataDir = await testImage();
  if (loadDataDir) {
    await mkdir(dir, { recursive: true });
    const lite = new PGlite(dir, { loadDataDir });
    await lite.waitReady;
    await lite.close();
  }
  return dir;
}

/** Where the tests' LMS simulators run. */
export const TEST_LTI_HOSTS = '127.0.0.1, ::1, localhost';

export async function startTestServer(options: TestServerOptions): Promise<TestServer> {
  const admin = { key: `test-admin-${randomBytes(4).toString('hex')}`, secret: randomBytes(18).toString('base64url') };
  let database: { url: string; drop(): Promise<void> } | undefined;
  if (options.engine === 'postgres') {
    if (!options.postgresUrl) throw new Error('startTestServer: engine "postgres" needs postgresUrl');
    database = await createTestDatabase(options.postgresUrl);
  }
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: database?.url,
    DATABASE_READ_URL: database && options.readReplica ? options.readReplica.urlOf(new URL(database.url).pathname.slice(1)) : undefined,
    XCREDIT_DATA_DIR: 'memory://',
    XCREDIT_ADMIN_KEY: admin.key,
    XCREDIT_ADMIN_SECRET: admin.secret,
    XCREDIT_SECRET_KEY: randomBytes(32).toString('base64url'),
    XCREDIT_LTI_ALLOW_PRIVATE_HOSTS: options.ltiAllowPrivateHosts ?? TEST_LTI_HOSTS,
    XCREDIT_WEBHOOK_ALLOW_PRIVATE_HOSTS: options.webhookAllowPrivateHosts ?? TEST_LTI_HOSTS,
    XCREDIT_SMTP_ALLOW_PRIVATE_HOSTS: options.smtpAllowPrivateHosts ?? TEST_LTI_HOSTS,
    XCREDIT_LOG_LEVEL: 'silent',
    ...options.env,
  });
  const clock = options.manualClock ? manualClock() : undefined;
  let server: RunningServer;
  try {
    const pgliteImage = options.engine === 'pglite' ? await testImage() : undefined;
    server = await startServer(config, { demo: options.demo ?? false, clock, pgliteImage });
  } catch (err) {
    await database?.drop();
    throw err;
  }
  return {
    ...server,
    engine: options.engine,
    clock,
    admin: { ...admin, authorization: `Basic ${Buffer.from(`${admin.key}:${admin.secret}`).toString('base64')}` },
    async close() {
      await server.close();
      await database?.drop();
    },
  };
}

/** Creates a uniquely named database next to `adminUrl`'s and returns its URL. */
export async function createTestDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `xcredit_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await withClient(adminUrl, (c) => c.query(`create database ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => withClient(adminUrl, (c) => c.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}

/** Whether a PostgreSQL server answers at `url`; the reason when it does not. */
export async function probePostgres(url: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    await withClient(url, (c) => c.query('select 1'));
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message || err.constructor.name : String(err) };
  }
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The course the API tests start from, `PUT` as `/courses/fire`. */
export const FIRE_COURSE = { title: 'Fire safety', activityId: 'https://example.com/courses/fire', credits: 3, kind: 'required', lengthSeconds: 120 } as const;

/** A credits API request as the test server's admin client; `json` is sent as the body. */
export type AdminFetch = (path: string, init?: RequestInit & { json?: unknown }) => Promise<Response>;

/**
 * Credits API requests (`/api/v1…`) as the admin client of the server `server()` returns, for
 * tests that start it in `beforeAll`.
 *
 * @example
 * let server: TestServer;
 * const api = adminFetch(() => server);
 * const res = await api('/courses/fire', { method: 'PUT', json: FIRE_COURSE });
 */
export function adminFetch(server: () => TestServer): AdminFetch {
  return (path, init = {}) =>
    fetch(`${server().url}/api/v1${path}`, {
      ...init,
      headers: { authorization: server().admin.authorization, 'content-type': 'application/json', ...(init.headers as Record<string, string>) },
      body: init.json === undefined ? init.body : JSON.stringify(init.json),
    });
}

/**
 * A credits API call as the admin client that must succeed: its JSON answer, or an error naming
 * the request, the status and the answer.
 *
 * @example
 * const call = adminCall(() => server);
 * const launch = await call('POST', '/launches', { learnerId: 'E-1', courseId: 'fire' });
 */
export function adminCall(server: () => TestServer): (method: string, path: string, body?: unknown) => Promise<any> {
  const api = adminFetch(server);
  return async (method, path, body) => {
    const res = await api(path, { method, json: body });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
}

/**
 * Starts a test server and puts the courses it is to have (by id), as the API tests' `beforeAll` does.
 *
 * @example
 * server = await startServerWithCourses({ engine, courses: { fire: FIRE_COURSE } });
 */
export async function startServerWithCourses(options: TestServerOptions & { courses: Record<string, object> }): Promise<TestServer> {
  const server = await startTestServer(options);
  try {
    const api = adminFetch(() => server);
    for (const [id, course] of Object.entries(options.courses)) {
      const res = await api(`/courses/${encodeURIComponent(id)}`, { method: 'PUT', json: course });
      if (res.status !== 201) throw new Error(`PUT /courses/${id}: ${res.status} ${await res.text()}`);
    }
  } catch (err) {
    await server.close();
    throw err;
  }
  return server;
}

/**
 * A learner's launches, credits and engagement in one course unless told another, through `call`
 * (the admin client's).
 *
 * @example
 * const { launch, earned, explain } = learnerViews(adminCall(() => server), 'quiz');
 * const p = await openPlayer(server, await launch('ann'));
 */
export function learnerViews(call: ReturnType<typeof adminCall>, courseId: string) {
  return {
    launch: (learnerId: string, course = courseId): Promise<LaunchGiven> => call('POST', '/launches', { learnerId, courseId: course }),
    /** Credits earned in the course this period. */
    earned: async (learnerId: string, course = courseId): Promise<number> => {
      const c = await call('GET', `/learners/${learnerId}/credits`);
      return c.courses.find((x: { courseId: string }) => x.courseId === course)?.earned ?? 0;
    },
    /** The engagement explanation of the course. */
    explain: (learnerId: string, course = courseId) => call('GET', `/learners/${learnerId}/courses/${course}/engagement`),
  };
}

/** What a launch gives the player (the answer of `POST /api/v1/launches`). */
export interface LaunchGiven {
  launchToken: string;
  registration: string;
  actor: object;
  activityId: string;
}

/**
 * A player session driven by a test on the server's manual clock, watching as a real player does:
 * a server-issued session, statements stamped with the client's time, and a heartbeat every 15 s
 * of wall clock (playing or not) with the media time. `watch` plays at 1x; `wait` sits paused.
 *
 * @example
 * const p = await openPlayer(server, await launch('ann'));
 * await p.play(0);
 * await p.watch(600);
 * await p.complete(600, { [XcreditExt.focusedSeconds]: 600 });
 */
export async function openPlayer(server: TestServer, launch: LaunchGiven, options: { version?: string } = {}) {
  const clock = server.clock;
  if (!clock) throw new Error('openPlayer needs a server started with manualClock: true');
  const auth = { authorization: `Bearer ${launch.launchToken}`, 'content-type': 'application/json' };
  const res = await fetch(`${server.url}/api/v1/launches/current/sessions`, { method: 'POST', headers: auth });
  if (res.status !== 201) throw new Error(`sessions: ${res.status} ${await res.text()}`);
  const { sessionId } = (await res.json()) as { sessionId: string };
  let media = 0;
  let playing = false;
  let sinceBeat = 0;
  const statement = (verb: string, result: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
    id: randomUUID(),
    actor: launch.actor,
    verb: { id: verb },
    object: { id: launch.activityId },
    timestamp: clock().toISOString(),
    context: { registration: launch.registration, extensions: { [VideoExt.sessionId]: sessionId } },
    result: { extensions: result },
    ...extra,
  });
  // While offline, what the player makes waits in its outbox, in order, with the time it was made.
  let outbox: (() => Promise<unknown>)[] | undefined;
  const send = async (...statements: object[]) => {
    if (outbox) {
      outbox.push(() => send(...statements));
      return;
    }
    const r = await fetch(`${server.url}/xapi/statements`, {
      method: 'POST',
      headers: { ...auth, 'x-experience-api-version': options.version ?? '1.0.3' },
      body: JSON.stringify(statements),
    });
    if (!r.ok) throw new Error(`statements: ${r.status} ${await r.text()}`);
    return r;
  };
  type Beat = {
    active: boolean;
    verified: { coverage: number; watchedSeconds: number; earned: number; credits: number };
    attentionCheck?: { nonce: string; expiresAt: string; windowSeconds: number };
  };
  /** A heartbeat (media time and playing as the player has them unless told; `attention` answers a check in it); its answer. */
  const heartbeat = async (body: { time?: number; playing?: boolean; sentAt?: string; attention?: { nonce: string } } = {}): Promise<Beat | undefined> => {
    const beat = { sessionId, time: body.time ?? media, playing: body.playing ?? playing, sentAt: body.sentAt ?? clock().toISOString(), ...(body.attention ? { attention: body.attention } : {}) };
    if (outbox) {
      outbox.push(() => heartbeat(beat));
      return undefined;
    }
    const r = await fetch(`${server.url}/api/v1/launches/current/heartbeat`, { method: 'POST', headers: auth, body: JSON.stringify(beat) });
    if (!r.ok) throw new Error(`heartbeat: ${r.status} ${await r.text()}`);
    return r.json() as Promise<Beat>;
  };
  /** Moves the clock `seconds`, with a heartbeat each time 15 s have passed since the last; media follows at `rate`. */
  const pass = async (seconds: number, rate: number) => {
    let left = seconds;
    while (left > 0) {
      const step = Math.min(left, 15 - sinceBeat);
      clock.advance(step);
      media += step * rate;
      left -= step;
      sinceBeat += step;
      if (sinceBeat >= 15) {
        sinceBeat = 0;
        await heartbeat();
      }
    }
  };
  return {
    sessionId,
    statement,
    send,
    heartbeat,
    /** Answers a server-issued attention check with its nonce; the status and answer. */
    respond: async (nonce: string) => {
      const r = await fetch(`${server.url}/api/v1/launches/current/attention`, { method: 'POST', headers: auth, body: JSON.stringify({ sessionId, nonce }) });
      return { status: r.status, body: (await r.json()) as unknown };
    },
    init: () => send(statement(Verbs.initialized)),
    play: (time: number) => {
      media = time;
      playing = true;
      return send(statement(Verbs.played, { [VideoExt.time]: time }));
    },
    pause: (time: number, more: Record<string, unknown> = {}) => {
      media = time;
      playing = false;
      return send(statement(Verbs.paused, { [VideoExt.time]: time, ...more }));
    },
    complete: (time: number, more: Record<string, unknown> = {}) => {
      media = time;
      playing = false;
      return send(statement(Verbs.completed, { [VideoExt.time]: time, ...more }));
    },
    /** Plays `seconds` of wall clock at `rate` (1x unless told), heartbeats included. */
    watch: (seconds: number, rate = 1) => pass(seconds, rate),
    /** Lets `seconds` pass paused, heartbeats included. */
    wait: (seconds: number) => pass(seconds, 0),
    /** From now on statements and heartbeats wait in the outbox. */
    goOffline: () => {
      outbox ??= [];
    },
    /** Back online: the outbox delivers everything, in the order it was made. */
    goOnline: async () => {
      const queued = outbox ?? [];
      outbox = undefined;
      for (const deliver of queued) await deliver();
    },
  };
}
export type TestPlayer = Awaited<ReturnType<typeof openPlayer>>;

/**
 * A learner watches a course in a launch of their own: plays it from the start for `seconds` of
 * wall clock at 1x (heartbeats included), then completes it, claiming the whole video with full
 * focus. Fewer seconds than the video's length is a learner claiming more than they watched.
 *
 * @example
 * await watchCourse(server, 'ann', 'ethics', 60);
 */
export async function watchCourse(server: TestServer, learnerId: string, courseId: string, seconds: number): Promise<void> {
  const api = adminCall(() => server);
  const { lengthSeconds } = (await api('GET', `/courses/${courseId}`)) as { lengthSeconds: number };
  const p = await openPlayer(server, (await api('POST', '/launches', { learnerId, courseId })) as LaunchGiven);
  await p.play(0);
  await p.watch(seconds);
  await p.complete(lengthSeconds, { [XcreditExt.focusedSeconds]: lengthSeconds });
}

export { createClient };
export { freePort, listening, startNginx } from './ops/nginx-testing.js';
