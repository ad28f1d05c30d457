import { describe, expect, it } from 'vitest';
import { assessEngagement } from './assess.js';
import { DEFAULT_POLICY } from './policy.js';
import type { TrackedEvent } from './verify.js';

/** A small deterministic PRNG, so a failing run can be replayed from its seed. */
function prng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, between: (lo: number, hi: number) => lo + next() * (hi - lo) };
}

/**
 * One honest 1x viewing as a real player and network produce it: a session's first heartbeat,
 * played, heartbeats every ~15 s (± jitter) with the media time, a pause somewhere with a break,
 * played again, completed at the end; each piece received after a random delay (statements in order), stamped with
 * the client's (skewed) clock, focused-seconds measured by timers a few ms off.
 */
function honestViewing(seed: number, length: number): TrackedEvent[] {
  const r = prng(seed);
  const skew = r.between(-120_000, 120_000);
  const start = 1_760_000_000_000 + r.between(0, 1e9);
  const events: TrackedEvent[] = [];
  // Statements leave through the player's ordered outbox; heartbeats race them.
  let lastStatement = 0;
  const at = (wallMs: number, e: Omit<TrackedEvent, 'receivedAt' | 'sentAt' | 'sessionId'>) => {
    let receivedAt = start + wallMs + r.between(5, 1500);
    if (e.verb !== 'heartbeat') receivedAt = lastStatement = Math.max(lastStatement, receivedAt);
    events.push({ sessionId: 'issued', receivedAt, sentAt: start + wallMs + skew, ...e });
  };
  const pauseAt = r.between(0.1, 0.9) * length;
  const breakMs = r.between(1, 900) * 1000;
  let wall = 0;
  let nextBeat = 0;
  at(0, { verb: 'heartbeat', time: 0, playing: false });
  at(r.between(50, 3000), { verb: 'initialized' });
  wall = r.between(3000, 6000);
  const play = (from: number, to: number) => {
    at(wall, { verb: 'played', time: from });
    const began = wall;
    nextBeat = wall + r.between(0, 15_000);
    while (nextBeat < began + (to - from) * 1000) {
      at(nextBeat, { verb: 'heartbeat', time: from + (nextBeat - began) / 1000, playing: true });
      nextBeat += 15_000 + r.between(-2000, 2000);
    }
    wall = began + (to - from) * 1000;
    return (to - from) - r.between(0, 0.02);
  };
  const first = play(0, pauseAt);
  at(wall, { verb: 'paused', time: pauseAt, focusedSeconds: first });
  for (const end = wall + breakMs; nextBeat < end; nextBeat += 15_000) at(nextBeat, { verb: 'heartbeat', time: pauseAt, playing: false });
  wall += breakMs;
  const second = play(pauseAt, length - r.between(0, 0.25));
  at(wall, { verb: 'completed', time: length - r.between(0, 0.25), focusedSeconds: second, claimedProgress: 1 });
  at(wall + 100, { verb: 'terminated', time: length });
  return events;
}

describe('an honest 1x viewing with a pause', () => {
  it.each(Array.from({ length: 24 }, (_, i) => i + 1))('earns exactly the full credits (jittered run %i)', (seed) => {
    const length = [60, 300, 600, 1800][seed % 4]!;
    const credits = [1, 2, 3, 10][seed % 4]!;
    const a = assessEngagement({ credits, lengthSeconds: length, policy: DEFAULT_POLICY, questions: [], events: honestViewing(seed, length), answers: [] });
    expect({ seed, flags: a.flags, coverage: a.coverage, attention: a.attention }).toEqual({ seed, flags: [], coverage: 1, attention: 1 });
    expect(a.earned).toBe(credits);
  });
});
