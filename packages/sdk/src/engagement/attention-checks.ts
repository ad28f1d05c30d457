/**
 * Attention checks the server issues: when they fall due and what a missed one costs. The server
 * decides both; the player only shows the prompt and returns the check's nonce.
 */

/** An issued attention check as the server stored it (epoch ms). */
export interface IssuedCheck {
  issuedAt: number;
  /** End of the answer window (issue time + promptTimeoutSeconds). */
  expiresAt: number;
  /** When the server received the answer carrying the check's nonce; null while unanswered. */
  answeredAt: number | null;
}

/**
 * Wall-clock windows (epoch ms) in which nothing is credited: a check not answered within its
 * window blocks from its issue until the answer arrives (for ever while unanswered). A check
 * still waiting for its answer blocks too, until it is answered in time; so what is credited
 * never depends on when it is computed.
 *
 * @example
 * blockedWall([{ issuedAt: 1000, expiresAt: 61_000, answeredAt: 90_000 }]); // [[1000, 90000]]
 */
export function blockedWall(checks: readonly IssuedCheck[]): [number, number][] {
  return checks
    .filter((c) => c.answeredAt === null || c.answeredAt > c.expiresAt)
    .map((c): [number, number] => [c.issuedAt, c.answeredAt ?? Number.POSITIVE_INFINITY])
    .sort((a, b) => a[0] - b[0]);
}

/**
 * When a session's checks fall due, in seconds of playing: `count` random moments, one in each
 * equal slice of 10–90% of the time a 1x viewing takes, so they are spread over the video and
 * never bunched. Measured in playing time, not media time, so a client cannot dodge them by
 * reporting a media time that never reaches them.
 *
 * @example
 * checkMoments(2, 600, Math.random); // e.g. [131.2, 402.9]
 */
export function checkMoments(count: number, lengthSeconds: number, random: () => number): number[] {
  if (!(count > 0) || !(lengthSeconds > 0)) return [];
  const slice = (lengthSeconds * 0.8) / Math.floor(count);
  return Array.from({ length: Math.floor(count) }, (_, i) => Math.round((lengthSeconds * 0.1 + slice * (i + 0.1 + 0.8 * random())) * 1000) / 1000);
}

/** A player session's playing time, as its heartbeats show it. */
export interface PlayClock {
  playedSeconds: number;
  /** Receipt time of the last heartbeat (epoch ms); null before the first. */
  lastBeatAt: number | null;
  lastPlaying: boolean;
}

/**
 * Longest gap between two heartbeats counted as playing: two heartbeat periods (15 s each), so a
 * late or lost heartbeat does not stop the clock, but a silent client cannot make it race.
 */
export const MAX_BEAT_GAP_SECONDS = 30;

/**
 * The play clock after one more heartbeat: the wall-clock time since the previous heartbeat
 * counts as playing when that one said it was playing, up to MAX_BEAT_GAP_SECONDS.
 *
 * @example
 * tickPlayClock({ playedSeconds: 0, lastBeatAt: 0, lastPlaying: true }, 15_000, true).playedSeconds; // 15
 */
export function tickPlayClock(clock: PlayClock, at: number, playing: boolean): PlayClock {
  const gap = clock.lastBeatAt === null ? 0 : Math.min(MAX_BEAT_GAP_SECONDS, Math.max(0, (at - clock.lastBeatAt) / 1000));
  return { playedSeconds: clock.playedSeconds + (clock.lastPlaying ? gap : 0), lastBeatAt: Math.max(at, clock.lastBeatAt ?? at), lastPlaying: playing };
}
