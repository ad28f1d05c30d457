import type { CreditPolicy } from './policy.js';
import { parsePlayedSegments, unionSegments, type Segment } from './segments.js';

/**
 * One piece of a learner's timeline as the server saw it: a video statement (what it claims) or
 * a heartbeat, plus when the server got it.
 */
export interface TrackedEvent {
  /** The player session (server-issued Video Profile session-id, else the registration). */
  sessionId: string;
  verb: 'initialized' | 'played' | 'paused' | 'seeked' | 'completed' | 'terminated' | 'heartbeat';
  /** Server receipt time, epoch milliseconds. */
  receivedAt: number;
  /** When the client made it, on the client's clock, epoch ms (statement timestamp, heartbeat sentAt). */
  sentAt?: number | undefined;
  /** Media time of the event; for `seeked`, the time it left (time-from). */
  time?: number | undefined;
  /** `seeked` only: where playback went (time-to). */
  timeTo?: number | undefined;
  /** `heartbeat` only: whether the media was playing. */
  playing?: boolean | undefined;
  /** xcredit focused-seconds claimed for the interval this event ends. */
  focusedSeconds?: number | undefined;
  /** xcredit unattended-segments (played-segments format) of the interval this event ends. */
  unattendedSegments?: string | undefined;
  /** The client's own progress claim, kept only to flag it. */
  claimedProgress?: number | undefined;
  /** Receipt time after which this session's launch no longer earns (taken over), epoch ms. */
  cutoffAt?: number | undefined;
}

export type VerifyOptions = Pick<CreditPolicy, 'maxRate' | 'slackSeconds' | 'evidenceSeconds' | 'offlineGraceSeconds'> & {
  /** Wall-clock windows (epoch ms) in which nothing is credited, e.g. a missed attention check. */
  blockedWall?: readonly (readonly [number, number])[] | undefined;
};

/** A played interval as claimed, and the part of it the receipt times and evidence can vouch for. */
export interface VerifiedInterval {
  sessionId: string;
  claimed: Segment;
  /** What the clock and the evidence allow, before removing unattended parts. */
  verified: Segment;
  /** Verified and attended: what counts as watched. */
  watched: Segment[];
  /**
   * Server receipt times (epoch ms) of the statements that opened and closed the interval; an
   * interval still open closes, for now, at its session's last heartbeat that said playing.
   */
  openedAt: number;
  closedAt: number;
  /** Wall-clock seconds the interval was open (on the server's clock). */
  wallSeconds: number;
  /** Of those, seconds another interval of the same timeline was already using. */
  sharedWallSeconds: number;
  /** Wall-clock seconds after a takeover, not counted. */
  afterCutoffSeconds: number;
  /** Wall-clock seconds in blocked windows (missed attention checks), not counted. */
  blockedSeconds: number;
  /** Countable wall-clock seconds no evidence covered. */
  unevidencedSeconds: number;
  /** Wall-clock seconds credited from evidence queued offline and delivered late. */
  offlineSeconds: number;
  focusedSeconds: number;
  unattendedSeconds: number;
  /** Still under way: closed, for now, at its session's last heartbeat that said playing. */
  provisional?: true;
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
  /** Wall-clock seconds of open intervals no evidence covered. */
  unevidencedSeconds: number;
  /** Wall-clock seconds credited from evidence delivered late (within the offline grace). */
  offlineSeconds: number;
  sessions: number;
  /** Highest progress any statement claimed (0–1), for flags only. */
  claimedProgress: number;
}

/** Evidence that arrives within this many ms of when its client made it counts at its receipt. */
export const PROMPT_MS = 5000;

type Span = [number, number];

interface Placed {
  e: TrackedEvent;
  index: number;
  /** When the evidence shows it happened, on the server's clock (receipt, or aligned client time when late). */
  at: number;
  late: boolean;
}

/**
 * The lateness of each event, in ms: how much later it was received than its client time, aligned
 * with the clock offset measured on its session's first heartbeat (received before it), says.
 * Evidence never changes the lateness of what was received before it.
 */
export function latenessOf(events: readonly TrackedEvent[]): number[] {
  const order = events.map((_, i) => i).sort((a, b) => events[a]!.receivedAt - events[b]!.receivedAt || a - b);
  const first = new Map<string, TrackedEvent>();
  const out = new Array<number>(events.length).fill(0);
  for (const i of order) {
    const e = events[i]!;
    let ref = first.get(e.sessionId);
    if (e.verb === 'heartbeat' && e.sentAt !== undefined && !ref) first.set(e.sessionId, (ref = e));
    // A statement is aligned only by a heartbeat received strictly before it, as the incremental path saw it.
    if (ref && e.verb !== 'heartbeat' && ref.receivedAt >= e.receivedAt) ref = undefined;
    if (ref && e.sentAt !== undefined) out[i] = e.receivedAt - e.sentAt - (ref.receivedAt - ref.sentAt!);
  }
  return out;
}

/**
 * Rebuilds played intervals from video events and keeps of each only what the server can vouch
 * for. Everything one learner does on one course is one timeline on the server's clock: an
 * interval counts at most (countable wall-clock time) × maxRate seconds, plus what is left of the
 * timeline's slack, where countable wall-clock time is what evidence covers (consecutive pieces
 * at most `evidenceSeconds` apart; a longer gap counts `evidenceSeconds`), not already used by
 * another interval, not after a takeover and not blocked. Evidence queued offline counts at its
 * aligned client time, within `offlineGraceSeconds` per timeline. Claimed progress,
 * played-segments and scores are never trusted, nor media played while the page was hidden.
 */
export function verifyEvents(events: readonly TrackedEvent[], options: VerifyOptions): VerifiedEngagement {
  const gapMs = options.evidenceSeconds * 1000;
  const lateness = latenessOf(events);
  const placed: Placed[] = events.map((e, index) => {
    const late = lateness[index]! > PROMPT_MS;
    return { e, index, at: late ? e.receivedAt - lateness[index]! : e.receivedAt, late };
  });
  const isEvidence = (p: Placed) => p.e.verb !== 'heartbeat' || p.e.playing === true;

  // Late evidence counts only after the timeline was first seen online, and only where its media
  // time could have been reached from the evidence before it at the fastest rate.
  const promptTimes = placed.filter((p) => isEvidence(p) && !p.late).map((p) => p.at);
  const firstOnline = promptTimes.reduce((m, t) => Math.min(m, t), Number.POSITIVE_INFINITY);
  const byAt = (a: Placed, b: Placed) => a.at - b.at || Number(a.late) - Number(b.late) || a.index - b.index;
  let prev: Placed | undefined;
  for (const p of placed.filter(isEvidence).sort(byAt)) {
    if (p.late) {
      const media = mediaAfter(p.e);
      const before = prev && mediaAfter(prev.e);
      const tooFast = p.e.verb !== 'seeked' && media !== undefined && before !== undefined && media - before > ((p.at - prev!.at) / 1000) * options.maxRate + 1;
      if (p.at <= firstOnline || tooFast) {
        p.late = false;
        p.at = p.e.receivedAt;
        continue;
      }
    }
    prev = p;
  }

  const points = placed.filter(isEvidence).sort(byAt);
  const promptCover = evidenceCover(points.filter((p) => !p.late), gapMs);
  const allCover = unionSpans([...promptCover, ...evidenceCover(points, gapMs, true)]);

  // Intervals, per session, in receipt order.
  const ordered = [...placed].sort((a, b) => a.e.receivedAt - b.e.receivedAt || a.index - b.index);
  const open = new Map<string, { p: Placed; time: number } | null>();
  const closed: { open: Placed; time: number; end: number; at: Placed; provisional?: true }[] = [];
  // The last heartbeat that said playing since each session's interval opened: an interval still
  // open ends there for now, so what is verified grows while the video plays, not only at a pause.
  const lastBeat = new Map<string, Placed>();
  let claimedProgress = 0;
  for (const p of ordered) {
    const e = p.e;
    if (e.claimedProgress !== undefined && Number.isFinite(e.claimedProgress)) claimedProgress = Math.max(claimedProgress, e.claimedProgress);
    if (e.verb === 'heartbeat') {
      if (e.playing === true && open.get(e.sessionId)) lastBeat.set(e.sessionId, p);
      continue;
    }
    lastBeat.delete(e.sessionId);
    const current = open.get(e.sessionId) ?? null;
    const close = (end: number | undefined) => {
      if (current && end !== undefined && Number.isFinite(end) && end > current.time) closed.push({ open: current.p, time: current.time, end, at: p });
      open.set(e.sessionId, null);
    };
    const openAt = (time: number | undefined) => {
      if (time !== undefined && Number.isFinite(time)) open.set(e.sessionId, { p, time });
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

  for (const [sessionId, beat] of lastBeat) {
    const current = open.get(sessionId);
    const end = beat.e.time;
    if (current && end !== undefined && Number.isFinite(end) && end > current.time) closed.push({ open: current.p, time: current.time, end, at: beat, provisional: true });
  }

  // Wall-clock time is one for the whole timeline: walk intervals by when they began and give each
  // only the evidenced part of its span that no earlier interval used; slack and grace are spent once.
  closed.sort((a, b) => a.open.at - b.open.at || a.at.at - b.at.at || a.open.index - b.open.index);
  const blocked = unionSpans((options.blockedWall ?? []).map(([a, b]) => [a, b] as Span));
  let used: Span[] = [];
  let slackLeft = options.slackSeconds;
  let graceLeft = options.offlineGraceSeconds;
  const intervals: VerifiedInterval[] = [];
  for (const { open: o, time, end, at, provisional } of closed) {
    const claimed = end - time;
    const from = o.at;
    const to = Math.max(from, at.at);
    const cutoff = o.e.cutoffAt;
    const wallEnd = cutoff === undefined ? to : Math.max(from, Math.min(to, cutoff));
    const window: Span[] = wallEnd > from ? [[from, wallEnd]] : [];
    const unused = subtractSpans(window, used);
    const free = subtractSpans(unused, blocked);
    used = unionSpans([...used, ...window]);
    const promptSeconds = measure(intersectSpans(free, promptCover)) / 1000;
    const allSeconds = measure(intersectSpans(free, allCover)) / 1000;
    const offline = Math.min(Math.max(0, allSeconds - promptSeconds), graceLeft);
    graceLeft -= offline;
    const credited = promptSeconds + offline;
    const byClock = credited * options.maxRate;
    const length = Math.max(0, Math.min(claimed, byClock + slackLeft));
    slackLeft -= Math.max(0, length - byClock);
    const verified: Segment = [time, time + length];
    // Media played while a server check went unanswered is not watched, even where the clock allows it.
    const blockedPlay = blockedMedia(options.blockedWall ?? [], from, to, [time, end]);
    const unattended = unionSegments([...parsePlayedSegments(at.e.unattendedSegments ?? ''), ...blockedPlay]);
    const watched = subtract(verified, unattended);
    const watchedLength = watched.reduce((s, [a, b]) => s + (b - a), 0);
    const countable = (wallEnd - from) / 1000;
    const unusedSeconds = measure(unused) / 1000;
    intervals.push({
      sessionId: o.e.sessionId,
      claimed: [time, end],
      verified,
      watched,
      openedAt: o.e.receivedAt,
      closedAt: at.e.receivedAt,
      wallSeconds: (to - from) / 1000,
      sharedWallSeconds: Math.max(0, countable - unusedSeconds),
      afterCutoffSeconds: (to - wallEnd) / 1000,
      blockedSeconds: Math.max(0, unusedSeconds - measure(free) / 1000),
      unevidencedSeconds: Math.max(0, measure(free) / 1000 - credited),
      offlineSeconds: offline,
      // Focus is reported by the statement that closes an interval; until it comes, the interval counts as attended.
      focusedSeconds: provisional ? watchedLength : Math.min(Math.max(0, at.e.focusedSeconds ?? 0), watchedLength),
      unattendedSeconds: length - watchedLength,
      ...(provisional ? { provisional } : {}),
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
    unevidencedSeconds: sum((i) => i.unevidencedSeconds),
    offlineSeconds: sum((i) => i.offlineSeconds),
    sessions: new Set(events.map((e) => e.sessionId)).size,
    claimedProgress,
  };
}

/** The media time an event leaves playback at, if it says. */
function mediaAfter(e: TrackedEvent): number | undefined {
  const t = e.verb === 'seeked' ? e.timeTo : e.time;
  return t !== undefined && Number.isFinite(t) ? t : undefined;
}

/**
 * Wall-clock spans evidence covers: from each point to the next when they are at most `gapMs`
 * apart, else `gapMs` after the point (for late points with `chainOnly`, nothing: queued evidence
 * vouches only for what it links).
 */
function evidenceCover(points: readonly Placed[], gapMs: number, chainOnly = false): Span[] {
  const out: Span[] = [];
  points.forEach((p, i) => {
    const next = points[i + 1];
    if (next && next.at - p.at <= gapMs) out.push([p.at, next.at]);
    else if (!(chainOnly && p.late)) out.push([p.at, next ? Math.min(next.at, p.at + gapMs) : p.at + gapMs]);
  });
  return unionSpans(out);
}

/** Sorted, disjoint, non-empty spans covering the same time. */
function unionSpans(spans: readonly Span[]): Span[] {
  return unionSegments(spans).map(([a, b]) => [a, b] as Span);
}

function intersectSpans(a: readonly Span[], b: readonly Span[]): Span[] {
  const out: Span[] = [];
  for (const [s, e] of a) for (const [t, u] of b) if (Math.min(e, u) > Math.max(s, t)) out.push([Math.max(s, t), Math.min(e, u)]);
  return out;
}

function subtractSpans(a: readonly Span[], holes: readonly Span[]): Span[] {
  return a.flatMap((s) => subtract(s, holes).map(([x, y]) => [x, y] as Span));
}

const measure = (spans: readonly Span[]) => spans.reduce((s, [a, b]) => s + (b - a), 0);

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
