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
 * When the learner's check number `index` (0-based) falls due, in seconds of playing: `count`
 * checks per round of `lengthSeconds` (a 1x viewing), each at a random moment in its own equal
 * slice of 10–90% of the round, so they are spread over the video and never bunched; a rewatch
 * meets the next round. Measured in playing time, not media time, so a client cannot dodge a
 * check by reporting a media time that never reaches it.
 *
 * @example
 * checkMoment(0, 2, 600, Math.random); // e.g. 131.2 (in 60–300)
 * checkMoment(3, 2, 600, Math.random); // e.g. 1002.9 (in 900–1140)
 */
export function checkMoment(index: number, count: number, lengthSeconds: number, random: () => number): number {
  const n = Math.max(1, Math.floor(count));
  const slice = (lengthSeconds * 0.8) / n;
  const round = Math.floor(index / n);
  return Math.round((round * lengthSeconds + lengthSeconds * 0.1 + slice * ((index % n) + 0.1 + 0.8 * random())) * 1000) / 1000;
}

/** A learner's playing time on one course, as the heartbeats of all their sessions show it. */
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
