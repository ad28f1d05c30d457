import { execFile } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Verbs, XcreditClient, type CourseInput } from '@xcredit/sdk';
import { startTestServer, type Engine, type TestServer } from '@xcredit/lrs-server/testing';
import { launchChromium } from '../support/browser.js';

const run = promisify(execFile);

const playerDist = join(dirname(createRequire(import.meta.url).resolve('@xcredit/player-widget/package.json')), 'dist');

/**
 * A folder of test media (generated videos, captions) and vendor pages, served over HTTP with
 * byte ranges and CORS; `/dist/…` serves the player's bundles, as a vendor site hosting them would.
 */
export interface MediaServer {
  url: string;
  dir: string;
  /** A `seconds`-long H.264 test video (made with ffmpeg once per process); its URL. */
  video(seconds: number): Promise<string>;
  /** Writes a file into the folder; its URL. */
  file(name: string, content: string): string;
  close(): Promise<void>;
}

export async function startMediaServer(): Promise<MediaServer> {
  const dir = mkdtempSync(join(tmpdir(), 'xcredit-media-'));
  const server = createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.slice(1));
    const file = name.startsWith('dist/') ? join(playerDist, name.slice(5)) : join(dir, name);
    const cors = { 'Access-Control-Allow-Origin': '*' };
    if (!name || name.includes('..') || !existsSync(file)) return void res.writeHead(404, cors).end();
    const size = statSync(file).size;
    const types: Record<string, string> = { mp4: 'video/mp4', vtt: 'text/vtt; charset=utf-8', html: 'text/html; charset=utf-8', js: 'text/javascript', map: 'application/json' };
    const type = types[name.slice(name.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
    // Chromium only seeks in media served with byte ranges.
    const m = /bytes=(\d*)-(\d*)/.exec(req.headers.range ?? '');
    if (!m) {
      res.writeHead(200, { ...cors, 'Content-Type': type, 'Content-Length': size, 'Accept-Ranges': 'bytes' });
      return void createReadStream(file).pipe(res);
    }
    const start = m[1] ? Number(m[1]) : 0;
    const end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
    res.writeHead(206, { ...cors, 'Content-Type': type, 'Content-Range': `bytes ${start}-${end}/${size}`, 'Content-Length': end - start + 1, 'Accept-Ranges': 'bytes' });
    createReadStream(file, { start, end }).pipe(res);
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
  // The same host name as the test server: Chromium treats a page on localhost fetching 127.0.0.1 as crossing address spaces.
  const url = `http://localhost:${port}`;
  const made = new Map<number, Promise<string>>();
  return {
    url,
    dir,
    video(seconds) {
      let p = made.get(seconds);
      if (!p) {
        const name = `test-${seconds}s.mp4`;
        p = run('ffmpeg', [
          '-loglevel', 'error', '-y',
          '-f', 'lavfi', '-i', `testsrc2=duration=${seconds}:size=320x180:rate=10`,
          '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-g', '10', '-movflags', '+faststart',
          join(dir, name),
        ]).then(() => `${url}/${name}`);
        made.set(seconds, p);
      }
      return p;
    },
    file(name, content) {
      writeFileSync(join(dir, name), content);
      return `${url}/${name}`;
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A real server, an admin client, test media and Chromium, for one engine. */
export interface PlayerWorld {
  server: TestServer;
  client: XcreditClient;
  media: MediaServer;
  browser: Browser;
  close(): Promise<void>;
}

export async function startWorld(engine: Engine, postgresUrl: string | undefined): Promise<PlayerWorld> {
  const server = await startTestServer({ engine, postgresUrl });
  const client = new XcreditClient({ baseUrl: server.url, key: server.admin.key, secret: server.admin.secret });
  const media = await startMediaServer();
  const browser = await launchChromium();
  return {
    server,
    client,
    media,
    browser,
    async close() {
      await browser.close();
      await media.close();
      await server.close();
    },
  };
}

let courseSeq = 0;

/** Creates a course on a generated video and a launch for `learnerId`; returns both. */
export async function courseWithLaunch(world: PlayerWorld, options: { seconds?: number; policy?: CourseInput['policy']; learnerId?: string; extra?: Record<string, unknown> } = {}) {
  const seconds = options.seconds ?? 20;
  const courseId = `player-${++courseSeq}-${Date.now().toString(36)}`;
  const course = {
    title: `Player test ${courseSeq}`,
    activityId: `https://xcredit.dev/test/courses/${courseId}`,
    credits: 1,
    kind: 'elective' as const,
    lengthSeconds: seconds,
    videoUrl: await world.media.video(seconds),
    ...(options.policy ? { policy: options.policy } : {}),
    ...(options.extra ?? {}),
  };
  await world.client.upsertCourse(courseId, course as CourseInput);
  const learnerId = options.learnerId ?? `learner-${courseSeq}`;
  const launch = await world.client.createLaunch({ learnerId, courseId });
  return { courseId, course, learnerId, launch };
}

/** A page that records every `xcredit:statement` and `xcredit:error` into window globals. */
const recording = new WeakSet<BrowserContext>();

export async function recordingPage(context: BrowserContext): Promise<Page> {
  if (!recording.has(context)) await context.addInitScript(() => {
    const w = window as unknown as { __statements: unknown[]; __errors: unknown[] };
    w.__statements = [];
    w.__errors = [];
    window.addEventListener('xcredit:statement', (e) => w.__statements.push((e as CustomEvent).detail));
    window.addEventListener('xcredit:error', (e) => w.__errors.push((e as CustomEvent).detail));
  });
  recording.add(context);
  const page = await context.newPage();
  if (process.env.PLAYER_DEBUG) {
    page.on('console', (m) => console.log(`[page ${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => console.log(`[pageerror] ${e.message}`));
    page.on('response', (r) => r.status() >= 400 && console.log(`[http ${r.status()}] ${r.request().method()} ${r.url()}`));
  }
  return page;
}

/** Removes the player (it ends its session), still recording what it sends once detached. */
export async function removePlayer(page: Page): Promise<void> {
  await page.evaluate(() => {
    const el = document.querySelector('xcredit-player')!;
    const w = window as unknown as { __statements: unknown[] };
    // A detached element's events no longer reach window.
    el.addEventListener('xcredit:statement', (e) => !el.isConnected && w.__statements.push((e as CustomEvent).detail));
    el.remove();
  });
}

/** Waits for the player on the page to fire `xcredit:ready`. */
export async function waitReady(page: Page): Promise<void> {
  await page.waitForFunction(() => (document.querySelector('xcredit-player') as unknown as { ready?: boolean } | null)?.ready === true, undefined, { timeout: 30_000 });
}

/** Runs `fn` with the player element, its shadow root and its <video>. */
export function player<T, A = undefined>(page: Page, fn: (p: { el: any; root: ShadowRoot; video: HTMLVideoElement; arg: A }) => T | Promise<T>, arg?: A): Promise<T> {
  return page.evaluate(
    async ({ src, arg }) => {
      const el = document.querySelector('xcredit-player') as any;
      const root = el.shadowRoot as ShadowRoot;
      const video = root.querySelector('video') as HTMLVideoElement;
      // eslint-disable-next-line no-new-func
      return (new Function('p', `return (${src})(p)`) as (p: unknown) => T)({ el, root, video, arg });
    },
    { src: fn.toString(), arg },
  );
}

/** Waits until media time reaches `seconds`. */
export async function waitMediaTime(page: Page, seconds: number, timeout = 60_000): Promise<void> {
  await page.waitForFunction((t) => ((document.querySelector('xcredit-player') as any)?.shadowRoot?.querySelector('video')?.currentTime ?? 0) >= t, seconds, { timeout, polling: 50 });
}

/** Statements the page dispatched, in order. */
export function sentStatements(page: Page): Promise<any[]> {
  return page.evaluate(() => (window as unknown as { __statements: unknown[] }).__statements);
}

/** Every statement the LRS stored for a registration (all pages of `more`), oldest first. */
export async function storedStatements(server: TestServer, registration: string): Promise<any[]> {
  const out: any[] = [];
  let next: string | null = `/xapi/statements?${new URLSearchParams({ registration, ascending: 'true', limit: '500' })}`;
  while (next) {
    const res: Response = await fetch(new URL(next, server.url), { headers: { Authorization: server.admin.authorization, 'X-Experience-API-Version': '1.0.3' } });
    if (!res.ok) throw new Error(`GET statements: HTTP ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { statements: any[]; more?: string };
    out.push(...body.statements);
    next = body.more ? body.more : null;
  }
  return out;
}

export const verbName = (s: any): string => String(s.verb.display?.['en-US'] ?? s.verb.id.split('/').pop());
export const ext = (s: any, iri: string): any => s?.result?.extensions?.[iri];
export const isVerb = (verb: keyof typeof Verbs) => (s: any) => s.verb.id === Verbs[verb];
