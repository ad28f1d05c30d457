import { parsePlayedSegments, unionSegments, type Segment } from './segments.js';

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
  /** xcredit unattended-segments (played-segments format) of the interval this event ends. */
  unattendedSegments?: string | undefined;
  /** The client's own progress claim, kept only to flag it. */
  claimedProgress?: number | undefined;
  /** Receipt time after which this session's launch no longer earns (taken over), epoch ms. */
  cutoffAt?: number | undefined;
}

export interface VerifyOptions {
  maxRate: number;
  slackSeconds: number;
  /** Wall-clock windows (epoch ms) in which nothing is credited, e.g. after a missed attention check. */
  blockedWall?: readonly (readonly [number, number])[] | undefined;
}

/** A played interval as claimed, and the part of it the receipt times can vouch for. */
export interface VerifiedInterval {
  sessionId: string;
  claimed: Segment;
  /** What the clock allows, before removing unattended parts. */
  verified: Segment;
  /** Verified and attended: what counts as watched. */
  watched: Segment[];
  /** Server receipt times (epoch ms) of the statements that opened and closed the interval. */
  openedAt: number;
  closedAt: number;
  /** Wall-clock seconds between the receipts that opened and closed the interval. */
  wallSeconds: number;
  /** Of those, seconds another session of the same learner and course was already using. */
  sharedWallSeconds: number;
  /** Wall-clock seconds after a takeover, not counted. */
  afterCutoffSeconds: number;
  focusedSeconds: number;
  unattendedSeconds: number;
}

export interface VerifiedEngagement {
  intervals: VerifiedInterval[];
  /** Watched segments (verified and attended), not yet merged. */
  segments: Segment[];
  claimedSeconds: number;
  /** Verified playing seconds, counting rewatches, including unattended parts. */
  verifiedSeconds: number;
  /** Verified playing seconds that were attended. */
  watchedSeconds: number;
  focusedSeconds: number;
  unattendedSeconds: number;
  sessions: number;
  /** Highest progress any statement claimed (0–1), for flags only. */
  claimedProgress: number;
}

interface OpenInterval {
  sessionId: string;
  time: number;
  receivedAt: number;
  cutoffAt: number | undefined;
}

/**
 * Rebuilds played intervals from video events and keeps of each only what wall-clock time
 * allows: an interval opened by a receipt at r0 and closed by one at r1 counts at most
 * (r1 − r0) × maxRate seconds, plus what is left of its session's slack. Wall-clock time that
 * another session of the same learner already used is not counted twice, nor is time after a
 * session was taken over, nor media played while the page was hidden or the learner idle.
 * Claimed progress, played-segments and scores are never trusted.
 */
export function verifyEvents(events: readonly TrackedEvent[], options: VerifyOptions): VerifiedEngagement {
  // Stable: events received in the same millisecond keep their stored order.
  const ordered = events.map((e, i) => ({ e, i })).sort((a, b) => a.e.receivedAt - b.e.receivedAt || a.i - b.i);
  const open = new Map<string, OpenInterval | null>();
  const slackLeft = new Map<string, number>();
  const closed: { open: OpenInterval; end: number; at: TrackedEvent }[] = [];
  let claimedProgress = 0;

  for (const { e } of ordered) {
    if (e.claimedProgress !== undefined && Number.isFinite(e.claimedProgress)) claimedProgress = Math.max(claimedProgress, e.claimedProgress);
    const current = open.get(e.sessionId) ?? null;
    const close = (end: number | undefined) => {
      if (current && end !== undefined && Number.isFinite(end) && end > current.time) closed.push({ open: current, end, at: e });
      open.set(e.sessionId, null);
    };
    const openAt = (time: number | undefined) => {
      if (time !== undefined && Number.isFinite(time)) open.set(e.sessionId, { sessionId: e.sessionId, time, receivedAt: e.receivedAt, cutoffAt: e.cutoffAt });
    };
    switch (e.verb) {
      case 'played':
        close(e.time);
        openAt(e.time);
        break;
      case 'seeked':
        close(e.time);
        if (current) openAt(e.timeTo);
        break;
      case 'paused':
      case 'completed':
      case 'terminated':
        close(e.time);
        break;
      case 'initialized':
        open.set(e.sessionId, null);
        break;
    }
  }

  // Wall-clock time is shared across sessions: walk intervals by when they began and give each
  // only the part of its wall-clock span that no earlier interval has used.
  closed.sort((a, b) => a.open.receivedAt - b.open.receivedAt || a.at.receivedAt - b.at.receivedAt);
  const usedWall: [number, number][] = [];
  const intervals: VerifiedInterval[] = [];
  for (const { open: o, end, at } of closed) {
    const claimed = end - o.time;
    const wallEnd = o.cutoffAt === undefined ? at.receivedAt : Math.max(o.receivedAt, Math.min(at.receivedAt, o.cutoffAt));
    const wallSeconds = Math.max(0, (at.receivedAt - o.receivedAt) / 1000);
    const countable = Math.max(0, (wallEnd - o.receivedAt) / 1000);
    const free = freeSeconds(usedWall, o.receivedAt, wallEnd);
    addWall(usedWall, o.receivedAt, wallEnd);
    const byClock = free * options.maxRate;
    const slack = slackLeft.get(o.sessionId) ?? options.slackSeconds;
    const length = Math.min(claimed, byClock + slack);
    slackLeft.set(o.sessionId, slack - Math.max(0, length - byClock));
    const verified: Segment = [o.time, o.time + length];
    const blocked = blockedMedia(options.blockedWall ?? [], o.receivedAt, at.receivedAt, [o.time, end]);
    const unattended = unionSegments([...parsePlayedSegments(at.unattendedSegments ?? ''), ...blocked]);
    const watched = subtract(verified, unattended);
    const watchedLength = watched.reduce((s, [a, b]) => s + (b - a), 0);
    intervals.push({
      sessionId: o.sessionId,
      claimed: [o.time, end],
      verified,
      watched,
      openedAt: o.receivedAt,
      closedAt: at.receivedAt,
      wallSeconds,
      sharedWallSeconds: Math.max(0, countable - free),
      afterCutoffSeconds: Math.max(0, wallSeconds - countable),
      focusedSeconds: Math.min(Math.max(0, at.focusedSeconds ?? 0), watchedLength),
      unattendedSeconds: length - watchedLength,
    });
  }

  const sum = (f: (i: VerifiedInterval) => number) => intervals.reduce((s, i) => s + f(i), 0);
  return {
    intervals,
    segments: intervals.flatMap((i) => i.watched),
    claimedSeconds: sum((i) => i.claimed[1] - i.claimed[0]),
    verifiedSeconds: sum((i) => i.verified[1] - i.verified[0]),
    watchedSeconds: sum((i) => i.watched.reduce((s, [a, b]) => s + (b - a), 0)),
    focusedSeconds: sum((i) => i.focusedSeconds),
    unattendedSeconds: sum((i) => i.unattendedSeconds),
    sessions: new Set(events.map((e) => e.sessionId)).size,
    claimedProgress,
  };
}

/** Seconds of [from, to] (ms) not covered by the used spans. */
function freeSeconds(used: readonly [number, number][], from: number, to: number): number {
  let covered = 0;
  for (const [a, b] of used) covered += Math.max(0, Math.min(b, to) - Math.max(a, from));
  return Math.max(0, to - from - covered) / 1000;
}

/** Adds [from, to] to the used spans, keeping them disjoint and sorted. */
function addWall(used: [number, number][], from: number, to: number): void {
  if (to <= from) return;
  const merged = unionSegments([...used, [from, to]]);
  used.splice(0, used.length, ...merged.map(([a, b]) => [a, b] as [number, number]));
}

/**
 * The media of an interval played during blocked wall-clock windows, placing media time on the
 * interval's receipt span in proportion (the only timing the server has between the two).
 */
function blockedMedia(windows: readonly (readonly [number, number])[], from: number, to: number, [t0, t1]: Segment): Segment[] {
  const out: Segment[] = [];
  const at = (wall: number) => (to > from ? t0 + ((Math.min(to, Math.max(from, wall)) - from) / (to - from)) * (t1 - t0) : t0);
  for (const [a, b] of windows) {
    if (b <= from || a >= to) continue;
    // A window covering the whole span blocks the whole interval, even one received all at once.
    out.push(a <= from && b >= to ? [t0, t1] : [at(a), at(b)]);
  }
  return out;
}

/** A segment minus a set of disjoint sorted segments. */
function subtract([s, e]: Segment, holes: readonly Segment[]): Segment[] {
  const out: Segment[] = [];
  let cursor = s;
  for (const [a, b] of holes) {
    if (b <= cursor || a >= e) continue;
    if (a > cursor) out.push([cursor, a]);
    cursor = Math.max(cursor, b);
  }
  if (cursor < e) out.push([cursor, e]);
  return out;
}
