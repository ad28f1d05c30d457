import { describe, expect, it } from 'vitest';
import { blockedWall, checkMoment, MAX_BEAT_GAP_SECONDS, tickPlayClock, type PlayClock } from './attention-checks.js';
import { verifyEvents, type TrackedEvent } from './verify.js';

const at = (sec: number) => 1_700_000_000_000 + sec * 1000;

describe('blockedWall', () => {
  it('blocks a missed check from its issue until its late answer, and for ever while unanswered', () => {
    expect(
      blockedWall([
        { issuedAt: at(500), expiresAt: at(560), answeredAt: null },
        { issuedAt: at(100), expiresAt: at(160), answeredAt: at(200) },
        { issuedAt: at(300), expiresAt: at(360), answeredAt: at(330) },
      ]),
    ).toEqual([
      [at(100), at(200)],
      [at(500), Number.POSITIVE_INFINITY],
    ]);
  });

  it('blocks nothing for a check answered at the last moment of its window', () => {
    expect(blockedWall([{ issuedAt: at(0), expiresAt: at(60), answeredAt: at(60) }])).toEqual([]);
  });
});

describe('checkMoment', () => {
  it('puts one moment in each equal slice of 10–90% of a round, round after round', () => {
    for (const r of [0, 0.5, 0.999]) {
      for (let i = 0; i < 8; i++) {
        const m = checkMoment(i, 4, 1000, () => r);
        const round = Math.floor(i / 4);
        expect(m).toBeGreaterThanOrEqual(round * 1000 + 100 + 200 * (i % 4));
        expect(m).toBeLessThanOrEqual(round * 1000 + 100 + 200 * ((i % 4) + 1));
      }
    }
  });

  it('uses the randomness it is given', () => {
    expect(checkMoment(0, 1, 600, () => 0)).not.toBe(checkMoment(0, 1, 600, () => 0.9));
  });
});

describe('tickPlayClock', () => {
  const start: PlayClock = { playedSeconds: 0, lastBeatAt: null, lastPlaying: false };
  it('counts wall-clock time after heartbeats that said playing, capping each gap', () => {
    let c = tickPlayClock(start, at(0), true);
    c = tickPlayClock(c, at(15), true);
    c = tickPlayClock(c, at(30), false);
    c = tickPlayClock(c, at(600), true); // paused for ten minutes: not playing time
    c = tickPlayClock(c, at(1200), true); // ten silent minutes count only up to the cap
    expect(c.playedSeconds).toBe(30 + MAX_BEAT_GAP_SECONDS);
  });

  it('never runs backwards on a heartbeat received out of order', () => {
    const c = tickPlayClock(tickPlayClock(start, at(100), true), at(90), true);
    expect(c.playedSeconds).toBe(0);
    expect(c.lastBeatAt).toBe(at(100));
  });
});

describe('verifyEvents with blocked wall-clock windows', () => {
  const ev = (verb: TrackedEvent['verb'], sec: number, time: number): TrackedEvent => ({ sessionId: 's', verb, receivedAt: at(sec), time, focusedSeconds: verb === 'played' ? undefined : 600 });
  const beat = (sec: number): TrackedEvent => ({ sessionId: 's', verb: 'heartbeat', receivedAt: at(sec), time: sec, playing: true });
  // An honest 1x viewing with a heartbeat every 15 s, so every second of it is evidenced.
  const viewing = [ev('played', 0, 0), ...Array.from({ length: 39 }, (_, i) => beat((i + 1) * 15)), ev('completed', 600, 600)];
  const opts = { maxRate: 2, slackSeconds: 3, evidenceSeconds: 30, offlineGraceSeconds: 180 };

  it('credits nothing played inside a window', () => {
    const r = verifyEvents(viewing, { ...opts, blockedWall: [[at(200), at(300)]] });
    expect(r.segments).toEqual([[0, 200], [300, 600]]);
    expect(verifyEvents(viewing, { ...opts, blockedWall: [[at(200), Number.POSITIVE_INFINITY]] }).segments).toEqual([[0, 200]]);
  });

  it('blocks a whole interval received inside a window, even at once', () => {
    const r = verifyEvents([ev('played', 100, 0), ev('paused', 100, 2)], { ...opts, blockedWall: [[at(50), Number.POSITIVE_INFINITY]] });
    expect(r.segments).toEqual([]);
    expect(r.focusedSeconds).toBe(0);
  });

  it('reports the receipt times that opened and closed each interval', () => {
    const r = verifyEvents(viewing, opts);
    expect(r.intervals[0]).toMatchObject({ openedAt: at(0), closedAt: at(600) });
  });
});
