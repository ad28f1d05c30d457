import { describe, expect, it } from 'vitest';
import { latenessOf, verifyEvents, type TrackedEvent } from './verify.js';

const opts = { maxRate: 2, slackSeconds: 3, evidenceSeconds: 30, offlineGraceSeconds: 180 };
const at = (sec: number) => 1_700_000_000_000 + sec * 1000;
const ev = (verb: TrackedEvent['verb'], receivedSec: number, time?: number, more: Partial<TrackedEvent> = {}): TrackedEvent => ({
  sessionId: 's1',
  verb,
  receivedAt: at(receivedSec),
  time,
  ...more,
});

/** Heartbeats while playing every 15 s of wall clock from `fromSec` to `toSec`, media time following at 1x from `media`. */
const beats = (fromSec: number, toSec: number, media: number, more: Partial<TrackedEvent> = {}) =>
  Array.from({ length: Math.floor((toSec - fromSec) / 15) }, (_, k) => ev('heartbeat', fromSec + 15 * (k + 1), media + 15 * (k + 1), { playing: true, ...more }));

describe('verifyEvents', () => {
  it('credits an honest 1x viewing with a pause and a break in full', () => {
    const r = verifyEvents(
      [ev('initialized', 0), ev('played', 0, 0), ev('paused', 30, 30, { focusedSeconds: 30 }), ev('played', 300, 30), ev('completed', 330, 60, { focusedSeconds: 30 })],
      opts,
    );
    expect(r.segments).toEqual([[0, 30], [30, 60]]);
    expect(r.verifiedSeconds).toBe(60);
    expect(r.focusedSeconds).toBe(60);
  });

  it('keeps of a forged viewing only what the clock allows, with slack spent once per timeline', () => {
    const r = verifyEvents([ev('played', 0, 0), ev('paused', 1, 600), ev('played', 1, 600), ev('paused', 2, 1200)], opts);
    expect(r.claimedSeconds).toBe(1200);
    expect(r.verifiedSeconds).toBeCloseTo(2 * 1 + 3 + 2 * 1, 6);
  });

  it('verifies playing still under way up to the last heartbeat that said playing, and no further than the clock allows', () => {
    // No pause yet: the open interval counts up to its session's last playing heartbeat, as attended.
    const playing = [ev('played', 0, 0), ev('heartbeat', 5, 5, { playing: true }), ev('heartbeat', 10, 10, { playing: true })];
    const r = verifyEvents(playing, opts);
    expect(r.segments).toEqual([[0, 10]]);
    expect(r.focusedSeconds).toBe(10);
    // A heartbeat claiming more than the clock allows gets what the clock allows, as a statement would.
    expect(verifyEvents([ev('played', 0, 0), ev('heartbeat', 5, 500, { playing: true })], opts).verifiedSeconds).toBe(2 * 5 + 3);
    // A paused player's heartbeat is no evidence of playing; nor is a heartbeat before anything played.
    expect(verifyEvents([ev('played', 0, 0), ev('heartbeat', 5, 5, { playing: false })], opts).segments).toEqual([]);
    expect(verifyEvents([ev('heartbeat', 5, 5, { playing: true }), ev('played', 6, 5)], opts).segments).toEqual([]);
    // The closing statement replaces the provisional end and brings its own focus.
    const closed = verifyEvents([...playing, ev('paused', 12, 12, { focusedSeconds: 6 })], opts);
    expect(closed.segments).toEqual([[0, 12]]);
    expect(closed.focusedSeconds).toBe(6);
    expect(closed.intervals).toHaveLength(1);
  });

  it('caps 4x playback at the maximum rate', () => {
    const r = verifyEvents([ev('played', 0, 0), ev('completed', 15, 60)], opts);
    expect(r.verifiedSeconds).toBe(33);
  });

  it('closes an interval at a seek and reopens it where playback went', () => {
    const r = verifyEvents([ev('played', 0, 0), ev('seeked', 10, 10, { timeTo: 50 }), ev('paused', 20, 60)], opts);
    expect(r.segments).toEqual([[0, 10], [50, 60]]);
  });

  it('ignores a seek while paused and events without an open interval', () => {
    const r = verifyEvents([ev('seeked', 0, 0, { timeTo: 50 }), ev('paused', 10, 60), ev('completed', 20, 60)], opts);
    expect(r.verifiedSeconds).toBe(0);
  });

  it('never credits focused time beyond the verified length', () => {
    const r = verifyEvents([ev('played', 0, 0), ev('paused', 1, 60, { focusedSeconds: 60 })], opts);
    expect(r.focusedSeconds).toBe(r.verifiedSeconds);
  });

  it('orders events by receipt within a session and keeps sessions apart', () => {
    const r = verifyEvents(
      [ev('paused', 10, 10), ev('played', 0, 0), ev('played', 0, 100, { sessionId: 's2' }), ev('paused', 5, 105, { sessionId: 's2' })],
      opts,
    );
    expect(r.sessions).toBe(2);
    expect([...r.segments].sort((a, b) => a[0] - b[0])).toEqual([[0, 10], [100, 105]]);
  });

  it('never counts the same wall-clock time twice across sessions (two tabs at once)', () => {
    const tabA = { sessionId: 'a' };
    const tabB = { sessionId: 'b' };
    const r = verifyEvents(
      [ev('played', 0, 0, tabA), ev('played', 0, 300, tabB), ...beats(0, 300, 0, tabA), ev('paused', 300, 300, tabA), ev('paused', 300, 600, tabB)],
      { ...opts, maxRate: 1 },
    );
    // 300 s of wall clock at 1x can vouch for 300 s of media, not 600 (plus the timeline's slack once).
    expect(r.verifiedSeconds).toBeLessThanOrEqual(300 + 3);
    expect(r.intervals.find((i) => i.sessionId === 'b')?.sharedWallSeconds).toBe(300);
  });

  it('stops counting a session at its takeover', () => {
    const r = verifyEvents([ev('played', 0, 0, { cutoffAt: at(20) }), ...beats(0, 60, 0), ev('paused', 60, 60, { cutoffAt: at(20) })], { ...opts, maxRate: 1, slackSeconds: 0 });
    expect(r.verifiedSeconds).toBe(20);
    expect(r.intervals[0]?.afterCutoffSeconds).toBe(40);
  });

  it('does not count media played while the page was hidden or the learner idle as watched', () => {
    const r = verifyEvents([ev('played', 0, 0), ...beats(0, 60, 0), ev('paused', 60, 60, { unattendedSegments: '10[.]30[,]50[.]70', focusedSeconds: 60 })], opts);
    expect(r.segments).toEqual([[0, 10], [30, 50]]);
    expect(r.watchedSeconds).toBe(30);
    expect(r.unattendedSeconds).toBe(30);
    expect(r.focusedSeconds).toBe(30);
    expect(r.verifiedSeconds).toBe(60);
  });

  it('remembers the highest progress the client claimed, without trusting it', () => {
    const r = verifyEvents([ev('played', 0, 0), ev('completed', 1, 60, { claimedProgress: 1 })], opts);
    expect(r.claimedProgress).toBe(1);
    expect(r.verifiedSeconds).toBe(5);
  });

  it('credits a played interval only as far as evidence covers it: a long gap counts evidenceSeconds', () => {
    // Played at 0, nothing for 600 s, paused at the end: 30 s of wall clock at 2x, plus the slack.
    const paced = verifyEvents([ev('played', 0, 0), ev('paused', 600, 600, { claimedProgress: 1 })], opts);
    expect(paced.verifiedSeconds).toBe(30 * 2 + 3);
    expect(paced.unevidencedSeconds).toBe(570);
    // Evidence exactly evidenceSeconds apart covers the whole stretch; a second more does not.
    const spaced = (step: number) =>
      verifyEvents([ev('played', 0, 0), ...Array.from({ length: 9 }, (_, k) => ev('heartbeat', step * (k + 1), step * (k + 1), { playing: true })), ev('paused', step * 10, step * 10)], {
        ...opts,
        maxRate: 1,
        slackSeconds: 0,
      });
    expect(spaced(30).verifiedSeconds).toBe(300);
    expect(spaced(31).verifiedSeconds).toBe(300);
    expect(spaced(31).unevidencedSeconds).toBe(10);
  });

  it('does not take heartbeats of a paused player as evidence of playing', () => {
    const r = verifyEvents([ev('played', 0, 0), ...beats(0, 120, 0, { playing: false }), ev('paused', 120, 120)], { ...opts, maxRate: 1, slackSeconds: 0 });
    expect(r.verifiedSeconds).toBe(30);
  });

  it('spends the slack once per timeline, however many sessions claim it', () => {
    const events = Array.from({ length: 20 }, (_, k) => [ev('played', k, 30 * k, { sessionId: `s${k}` }), ev('paused', k, 30 * k + 30, { sessionId: `s${k}` })]).flat();
    const r = verifyEvents(events, opts);
    expect(r.sessions).toBe(20);
    expect(r.verifiedSeconds).toBe(3);
  });

  it('records when each interval was opened and closed', () => {
    const r = verifyEvents([ev('played', 0, 0), ev('paused', 20, 20)], opts);
    expect(r.intervals[0]).toMatchObject({ openedAt: at(0), closedAt: at(20), wallSeconds: 20 });
  });

  it('credits nothing in blocked wall-clock windows', () => {
    const events = [ev('played', 0, 0), ...beats(0, 120, 0), ev('paused', 120, 120)];
    const r = verifyEvents(events, { ...opts, maxRate: 1, slackSeconds: 0, blockedWall: [[at(30), at(90)]] });
    expect(r.verifiedSeconds).toBe(60);
    expect(r.intervals[0]?.blockedSeconds).toBe(60);
  });

  describe('evidence queued offline', () => {
    // The client's clock runs 7 s behind the server's; a heartbeat sent at server second s says sentAt s − 7.
    const skew = -7000;
    const hb = (sentSec: number, receivedSec: number, media: number, playing = true) => ev('heartbeat', receivedSec, media, { sentAt: at(sentSec) + skew, playing });
    const st = (verb: TrackedEvent['verb'], sentSec: number, receivedSec: number, time: number) => ev(verb, receivedSec, time, { sentAt: at(sentSec) + skew });
    const strict = { ...opts, maxRate: 1, slackSeconds: 0 };

    it('credits a 2-minute outage whose heartbeats and statements arrive together afterwards', () => {
      const online = (from: number, to: number) => Array.from({ length: (to - from) / 15 }, (_, k) => hb(from + 15 * k, from + 15 * k + 0.2, from + 15 * k));
      const events = [
        hb(0, 0.1, 0, false),
        st('played', 1, 1.1, 0),
        ...online(15, 300).map((e) => ({ ...e, time: (e.time ?? 0) - 1 })),
        // Offline from 300 to 420: a pause and a replay in between, everything delivered at 421.
        ...[315, 330].map((s) => hb(s, 421, s - 1)),
        st('paused', 340, 421, 339),
        hb(345, 421, 339, false),
        st('played', 350, 421, 339),
        ...[360, 375, 390, 405, 420].map((s) => hb(s, 421, s - 11)),
        ...online(435, 600).map((e) => ({ ...e, time: (e.time ?? 0) - 11 })),
        st('paused', 601, 601.1, 590),
      ];
      const r = verifyEvents(events, strict);
      expect(r.verifiedSeconds).toBeCloseTo(590, 6);
      expect(r.offlineSeconds).toBeGreaterThan(90);
      expect(r.offlineSeconds).toBeLessThanOrEqual(180);
      // Without the grace, what was queued earns only the allowance of the gap.
      expect(verifyEvents(events, { ...strict, offlineGraceSeconds: 0 }).verifiedSeconds).toBeLessThan(500);
    });

    it('never credits more queued evidence than offlineGraceSeconds on one timeline', () => {
      // A forger plays at 0, waits, then posts a full "queued" trail of heartbeats and the end.
      const trail = Array.from({ length: 39 }, (_, k) => hb(15 * (k + 1), 600, 15 * (k + 1)));
      const r = verifyEvents([hb(0, 0.1, 0, false), st('played', 0, 0.2, 0), ...trail, st('paused', 600, 600, 600)], strict);
      expect(r.offlineSeconds).toBe(180);
      expect(r.verifiedSeconds).toBeCloseTo(30 + 180, 0);
      // Spread over several sessions and intervals, the grace is still spent once.
      const many = [0, 1, 2].flatMap((n) => {
        const o = { sessionId: `s${n}` };
        const base = n * 1000;
        return [
          { ...hb(base, base + 0.1, 0, false), ...o },
          { ...st('played', base, base + 0.2, 0), ...o },
          ...Array.from({ length: 19 }, (_, k) => ({ ...hb(base + 15 * (k + 1), base + 300, 15 * (k + 1)), ...o })),
          { ...st('paused', base + 300, base + 300, 300), ...o },
        ];
      });
      expect(verifyEvents(many, strict).offlineSeconds).toBe(180);
    });

    it('ignores queued evidence from before the timeline was first online, or faster than maxRate', () => {
      const before = verifyEvents([st('played', 0, 600, 0), ...Array.from({ length: 39 }, (_, k) => hb(15 * (k + 1), 600, 15 * (k + 1))), st('paused', 600, 600, 600)], strict);
      expect(before.offlineSeconds).toBe(0);
      const fast = verifyEvents(
        [hb(0, 0.1, 0, false), st('played', 0, 0.2, 0), ...Array.from({ length: 9 }, (_, k) => hb(15 * (k + 1), 300, 60 * (k + 1))), st('paused', 150, 300, 600)],
        strict,
      );
      expect(fast.offlineSeconds).toBe(0);
    });

    it('aligns a statement only by a heartbeat received before it, so later evidence never moves it', () => {
      const events = [st('played', 0, 0.1, 0), hb(100, 100.1, 100), st('paused', 150, 300, 150)];
      expect(latenessOf(events).map((x) => Math.round(x))).toEqual([0, 0, 149_900]);
    });
  });
});
