import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parsePlayedSegments, statement as statementSchema, unionSegments, VideoExt, XcreditExt } from '@xcredit/sdk';
import { courseWithLaunch, ext, player, recordingPage, removePlayer, sentStatements, startWorld, storedStatements, verbName, waitMediaTime, waitReady, type PlayerWorld } from './player-harness.js';
import { browserEngines } from '../support/engines.js';


interface Rule {
  location: string;
  presence?: 'included' | 'excluded' | 'recommended';
}
interface Template {
  prefLabel: { en: string };
  verb: string;
  objectActivityType?: string;
  rules?: Rule[];
}
// The xAPI Video Profile 1.0.3 as published (https://w3id.org/xapi/video, Apache-2.0).
const profile = JSON.parse(readFileSync(new URL('./player-video-profile-1.0.3.jsonld', import.meta.url), 'utf8')) as { templates: Template[] };

/**
 * The profile's rules name `cc-enabled` while its concept (and every other Video Profile tool)
 * is `cc-subtitle-enabled`; we send the concept's IRI.
 */
const CONCEPT_FOR_RULE: Record<string, string> = { 'https://w3id.org/xapi/video/extensions/cc-enabled': VideoExt.ccEnabled };

/** Reads a profile rule location (`$.result.extensions['iri']`, `$.id`) from a statement. */
function locate(statement: unknown, location: string): unknown {
  const parts = [...location.replace(/^\$\.?/, '').matchAll(/([A-Za-z]+)|\['([^']+)'\]/g)].map((m) => m[1] ?? CONCEPT_FOR_RULE[m[2]!] ?? m[2]!);
  return parts.reduce<any>((o, key) => (o == null ? undefined : o[key]), statement);
}

/** The templates a statement claims to follow: by verb, and for `interacted` by what changed. */
function templatesFor(s: any): Template[] {
  const byVerb = profile.templates.filter((t) => t.verb === s.verb.id);
  if (byVerb.length <= 1) return byVerb;
  return byVerb.filter((t) => (t.rules ?? []).filter((r) => r.presence === 'included' && r.location.startsWith('$.context')).every((r) => locate(s, r.location) !== undefined));
}

/** Problems a statement has against its Video Profile template(s); empty when it follows them. */
function profileProblems(s: any): string[] {
  const templates = templatesFor(s);
  if (templates.length === 0) return [`${verbName(s)}: no Video Profile template fits`];
  const problems: string[] = [];
  for (const t of templates) {
    if (t.objectActivityType && s.object?.definition?.type !== t.objectActivityType) problems.push(`${t.prefLabel.en}: object type ${s.object?.definition?.type}`);
    for (const r of t.rules ?? []) {
      const v = locate(s, r.location);
      if (r.presence === 'included' && v === undefined) problems.push(`${t.prefLabel.en}: missing ${r.location}`);
      if (r.presence === 'excluded' && v !== undefined) problems.push(`${t.prefLabel.en}: has excluded ${r.location}`);
    }
  }
  return problems;
}


/** Joins segments that follow on from each other (one ends where the next begins). */
function joinContiguous(segments: readonly (readonly [number, number])[]): [number, number][] {
  const out: [number, number][] = [];
  for (const [s, e] of segments) {
    const last = out.at(-1);
    if (last && Math.abs(last[1] - s) < 1e-6) last[1] = e;
    else out.push([s, e]);
  }
  return out;
}

describe.each(browserEngines())('the statements of a full scripted session on %s', (engine) => {
  let world: PlayerWorld;

  beforeAll(async () => {
    world = await startWorld(engine, inject('postgresUrl') ?? undefined);
  });
  afterAll(async () => {
    await world?.close();
  });

  it('validate against the xAPI schema and the Video Profile templates, with exact segments for 0–10, 20–30, back to 5–8', async () => {
    // Completion at 40% coverage: reached while playing 20–30, so `completed` (and the `played` that follows it) are checked too.
    const { launch } = await courseWithLaunch(world, { seconds: 40, policy: { seekLock: false, maxRate: 2, gates: { coverage: 0.4 } } });
    const captions = world.media.file('captions.vtt', 'WEBVTT\n\n00:00.000 --> 00:40.000\nA test pattern.\n');
    const context = await world.browser.newContext({ viewport: { width: 800, height: 600 } });
    const page = await recordingPage(context);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // A vendor's page on its own origin, embedding the ESM build with attributes.
    const url = world.media.file(
      'embed.html',
      `<!doctype html><meta charset="utf-8"><script type="module" src="/dist/xcredit-player.js"></script>
       <xcredit-player endpoint="${world.server.url}/xapi" launch-token="${launch.launchToken}" captions="${captions}" captions-lang="en" style="max-width:720px"></xcredit-player>`,
    );
    await page.goto(url);
    await waitReady(page);

    const played: [number, number][] = [];
    const watch = async (from: number, to: number) => {
      await player(page, ({ el, arg }) => el.seek(arg), from);
      await page.waitForFunction((t) => Math.abs((document.querySelector('xcredit-player') as any).shadowRoot.querySelector('video').currentTime - t) < 0.3, from);
      await player(page, ({ el }) => el.play());
      await waitMediaTime(page, to);
      await player(page, ({ el }) => el.pause());
      played.push([from, await player(page, ({ video }) => video.currentTime)]);
    };
    await player(page, ({ video }) => (video.playbackRate = 2));
    await watch(0, 10);
    await watch(20, 30);
    await watch(5, 8);
    await player(page, ({ video }) => (video.volume = 0.5));
    // Captions on from the control bar's captions menu.
    await player(page, ({ root }) => {
      const items = Array.from(root.querySelectorAll<HTMLElement>('.vjs-subs-caps-button .vjs-menu-item'));
      items.find((i) => /Captions/.test(i.textContent ?? '') && !/off|settings/i.test(i.textContent ?? ''))!.click();
    });
    // The browser's own record of what played: the oracle for our segments.
    const ranges = await player(page, ({ video }) => Array.from({ length: video.played.length }, (_, i) => [video.played.start(i), video.played.end(i)] as [number, number]));
    await removePlayer(page);
    const sent = await sentStatements(page);
    await expect.poll(async () => (await storedStatements(world.server, launch.registration)).length, { timeout: 20_000 }).toBe(sent.length);

    // Every statement: valid xAPI, and what its Video Profile template requires.
    for (const s of sent) {
      const parsed = statementSchema.safeParse(s);
      expect(parsed.success ? [] : parsed.error.issues, `${verbName(s)} is valid xAPI`).toEqual([]);
      expect(profileProblems(s), `${verbName(s)} follows the Video Profile`).toEqual([]);
    }
    const verbs = sent.map(verbName);
    expect(verbs[0]).toBe('initialized');
    expect(verbs.at(-1)).toBe('terminated');
    expect(new Set(verbs)).toEqual(new Set(['initialized', 'interacted', 'played', 'paused', 'seeked', 'completed', 'terminated']));
    // completed once, as the threshold was reached while playing, and a played at the same time reopens the interval.
    expect(verbs.filter((v) => v === 'completed')).toHaveLength(1);
    const completedAt = verbs.indexOf('completed');
    expect(verbs[completedAt + 1]).toBe('played');
    expect(ext(sent[completedAt + 1], VideoExt.time)).toBe(ext(sent[completedAt], VideoExt.time));
    expect(ext(sent[completedAt], VideoExt.progress)).toBeGreaterThanOrEqual(0.4);
    // session-id is the one session the server issued for this launch, on every statement.
    const sessionId = sent[0].context.extensions[VideoExt.sessionId];
    expect(sessionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    for (const s of sent) expect(s.context.extensions[VideoExt.sessionId]).toBe(sessionId);
    // The three interactions: speed, volume, captions on.
    const interacted = sent.filter((s) => verbName(s) === 'interacted');
    expect(interacted.map((s) => s.context.extensions[VideoExt.speed])).toContain('2x');
    expect(interacted.some((s) => s.context.extensions[VideoExt.volume] === 0.5)).toBe(true);
    expect(interacted.at(-1).context.extensions).toMatchObject({ [VideoExt.ccEnabled]: true, [VideoExt.ccSubtitleLang]: 'en' });

    // Played segments: in the order watched, each where the browser says media played.
    // A stretch split where `completed` closed and `played` reopened the interval is still one stretch.
    const final = joinContiguous(parsePlayedSegments(ext(sent.at(-1), VideoExt.playedSegments)));
    expect(final).toHaveLength(3);
    final.forEach(([s, e], i) => {
      expect(s).toBeCloseTo(played[i]![0], 0);
      expect(Math.abs(e - played[i]![1])).toBeLessThan(0.35);
    });
    const union = unionSegments(final);
    const browser = unionSegments(ranges);
    expect(union).toHaveLength(browser.length);
    union.forEach(([s, e], i) => {
      expect(Math.abs(s - browser[i]![0])).toBeLessThan(0.35);
      expect(Math.abs(e - browser[i]![1])).toBeLessThan(0.35);
    });
    expect(ext(sent.at(-1), VideoExt.progress)).toBeCloseTo((union[0]![1] - union[0]![0] + union[1]![1] - union[1]![0]) / 40, 2);
    // Focused page, learner present: every played second was focused, nothing unattended.
    for (const s of sent.filter((x) => ext(x, XcreditExt.focusedSeconds) !== undefined)) expect(ext(s, XcreditExt.unattendedSegments)).toBe('');

    // Stored exactly once each, as sent.
    const stored = await storedStatements(world.server, launch.registration);
    expect(stored.map((s) => s.id).sort()).toEqual(sent.map((s) => s.id).sort());
    expect(errors).toEqual([]);
    await context.close();
  });
});
