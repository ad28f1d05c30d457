import { describe, expect, it } from 'vitest';
import { verifyEvents, type TrackedEvent } from './verify.js';

const opts = { maxRate: 2, slackSeconds: 3 };
const at = (sec: number) => 1_700_000_000_000 + sec * 1000;
const ev = (verb: TrackedEvent['verb'], receivedSec: number, time?: number, more: Partial<TrackedEvent> = {}): TrackedEvent => ({
  sessionId: 's1',
  verb,
  receivedAt: at(receivedSec),
  time,
  ...more,
});

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

  it('keeps of a forged viewing only what the clock allows, with slack spent once per session', () => {
    const r = verifyEvents([ev('played', 0, 0), ev('paused', 1, 600), ev('played', 1, 600), ev('paused', 2, 1200)], opts);
    expect(r.claimedSeconds).toBe(1200);
    expect(r.verifiedSeconds).toBeCloseTo(2 * 1 + 3 + 2 * 1, 6);
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
      [ev('played', 0, 0, tabA), ev('played', 0, 300, tabB), ev('paused', 300, 300, tabA), ev('paused', 300, 600, tabB)],
      { maxRate: 1, slackSeconds: 3 },
    );
    // 300 s of wall clock at 1x can vouch for 300 s of media, not 600 (plus one session's slack each).
    expect(r.verifiedSeconds).toBeLessThanOrEqual(300 + 6);
    expect(r.intervals.find((i) => i.sessionId === 'b')?.sharedWallSeconds).toBe(300);
  });

  it('stops counting a session at its takeover', () => {
    const r = verifyEvents([ev('played', 0, 0, { cutoffAt: at(20) }), ev('paused', 60, 60, { cutoffAt: at(20) })], { maxRate: 1, slackSeconds: 0 });
    expect(r.verifiedSeconds).toBe(20);
    expect(r.intervals[0]?.afterCutoffSeconds).toBe(40);
  });

  it('does not count media played while the page was hidden or the learner idle as watched', () => {
    const r = verifyEvents([ev('played', 0, 0), ev('paused', 60, 60, { unattendedSegments: '10[.]30[,]50[.]70', focusedSeconds: 60 })], opts);
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
});
