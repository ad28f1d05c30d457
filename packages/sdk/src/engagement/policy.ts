/**
 * The per-course rules that turn engagement into credits. Every number here is a default a
 * course policy may override (see DESIGN.md, "Engagement → credits").
 */
export interface CreditPolicy {
  /** Weights of the engagement factors; they should add up to 1. */
  weights: { coverage: number; attention: number; mastery: number };
  /** A failed gate earns nothing. */
  gates: { coverage: number; mastery: number; minStudyMinutes: number };
  /** Fastest playback rate the player allows and the server credits. */
  maxRate: number;
  /** Wall-clock allowance per session, in seconds, for network and timer jitter. */
  slackSeconds: number;
  /** Forward seeking past the furthest point watched is blocked by the player. */
  seekLock: boolean;
  /** The player pauses when the page is hidden. */
  pauseWhenHidden: boolean;
}

export const DEFAULT_POLICY: CreditPolicy = Object.freeze({
  weights: Object.freeze({ coverage: 0.6, attention: 0.2, mastery: 0.2 }),
  gates: Object.freeze({ coverage: 0.8, mastery: 0.6, minStudyMinutes: 0 }),
  maxRate: 2,
  slackSeconds: 3,
  seekLock: true,
  pauseWhenHidden: true,
}) as CreditPolicy;
