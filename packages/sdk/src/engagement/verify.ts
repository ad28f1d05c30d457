import type { Segment } from './segments.js';

/** One video event as the server saw it: what the statement claims plus when the server got it. */
export interface TrackedEvent {
  /** The player session (Video Profile session-id, else the registration). */
  sessionId: string;
  verb: 'initialized' | 'played' | 'paused' | 'seeked' | 'completed' | 'terminated';
  /** Server receipt time, epoch milliseconds. */
  receivedAt: number;
  /** Media time of the event; for `seeked`, the time it left (time-from). */
  time?: number | undefined;
  /** `seeked` only: where playback went (time-to). */
  timeTo?: number | undefined;
  /** xcredit focused-seconds claimed for the interval this event ends. */
  focusedSeconds?: number | undefined;
}

export interface VerifyOptions {
  maxRate: number;
  slackSeconds: number;
}

/** A played interval as claimed, and the part of it the receipt times can vouch for. */
export interface VerifiedInterval {
  sessionId: string;
  claimed: Segment;
  verified: Segment;
  /** Wall-clock seconds between the receipts that opened and closed the interval. */
  wallSeconds: number;
  focusedSeconds: number;
}

export interface VerifiedEngagement {
  intervals: VerifiedInterval[];
  /** Verified segments, not yet merged. */
  segments: Segment[];
  claimedSeconds: number;
  verifiedSeconds: number;
  focusedSeconds: number;
  sessions: number;
}

/**
 * Rebuilds played intervals from video events and keeps of each only what wall-clock time
 * allows: an interval opened by a receipt at r0 and closed by one at r1 counts at most
 * (r1 − r0) × maxRate seconds, plus what is left of the session's slack. Claimed progress,
 * played-segments and scores are never read: they are the client's numbers.
 */
export function verifyEvents(events: readonly TrackedEvent[], options: VerifyOptions): VerifiedEngagement {
  const bySession = new Map<string, TrackedEvent[]>();
  for (const e of events) {
    const list = bySession.get(e.sessionId);
    if (list) list.push(e);
    else bySession.set(e.sessionId, [e]);
  }
  const intervals: VerifiedInterval[] = [];
  for (const [sessionId, list] of bySession) {
    // Stable: events received in the same millisecond keep their stored order.
    const ordered = list.map((e, i) => ({ e, i })).sort((a, b) => a.e.receivedAt - b.e.receivedAt || a.i - b.i);
    let open: { time: number; receivedAt: number } | null = null;
    let slackLeft = options.slackSeconds;
    const close = (end: number | undefined, at: TrackedEvent) => {
      if (!open || end === undefined || !Number.isFinite(end)) return;
      const claimed = end - open.time;
      if (claimed > 0) {
        const wallSeconds = Math.max(0, (at.receivedAt - open.receivedAt) / 1000);
        const byClock = wallSeconds * options.maxRate;
        const length = Math.min(claimed, byClock + slackLeft);
        slackLeft -= Math.max(0, length - byClock);
        intervals.push({
          sessionId,
          claimed: [open.time, end],
          verified: [open.time, open.time + length],
          wallSeconds,
          focusedSeconds: Math.min(Math.max(0, at.focusedSeconds ?? 0), length),
        });
      }
      open = null;
    };
    for (const { e } of ordered) {
      switch (e.verb) {
        case 'played':
          close(e.time, e);
          if (e.time !== undefined && Number.isFinite(e.time)) open = { time: e.time, receivedAt: e.receivedAt };
          break;
        case 'seeked': {
          const wasPlaying = open !== null;
          close(e.time, e);
          if (wasPlaying && e.timeTo !== undefined && Number.isFinite(e.timeTo)) open = { time: e.timeTo, receivedAt: e.receivedAt };
          break;
        }
        case 'paused':
        case 'completed':
        case 'terminated':
          close(e.time, e);
          break;
        case 'initialized':
          open = null;
          break;
      }
    }
  }
  const sum = (f: (i: VerifiedInterval) => number) => intervals.reduce((s, i) => s + f(i), 0);
  return {
    intervals,
    segments: intervals.map((i) => i.verified),
    claimedSeconds: sum((i) => i.claimed[1] - i.claimed[0]),
    verifiedSeconds: sum((i) => i.verified[1] - i.verified[0]),
    focusedSeconds: sum((i) => i.focusedSeconds),
    sessions: bySession.size,
  };
}
