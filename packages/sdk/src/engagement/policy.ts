/**
 * The per-course rules that turn engagement into credits and that the player enforces. Every
 * number here is a default a course (or its tenant) may override (see docs/credits.md).
 */
export interface CreditPolicy {
  /** Weights of the engagement factors; they should add up to 1. */
  weights: { coverage: number; attention: number; mastery: number };
  /** A failed gate earns nothing. */
  gates: { coverage: number; mastery: number; minStudyMinutes: number };
  /** Fastest playback rate the player allows and the server credits. */
  maxRate: number;
  /** Wall-clock allowance, in seconds, for network and timer jitter: once per timeline (learner × course × period). */
  slackSeconds: number;
  /**
   * Playing is credited only over wall-clock stretches where consecutive pieces of evidence
   * (statements, heartbeats while playing) are at most this many seconds apart; a longer gap
   * credits at most this much wall-clock time.
   */
  evidenceSeconds: number;
  /** Wall-clock seconds per timeline that evidence queued offline and delivered late may cover. */
  offlineGraceSeconds: number;
  /** Forward seeking past the furthest point watched is blocked by the player. */
  seekLock: boolean;
  /** The player pauses when the page is hidden. */
  pauseWhenHidden: boolean;
  /** Seconds without input while playing before "are you still there?"; 0 turns it off. */
  idleSeconds: number;
  /** Seconds the learner has to answer the idle prompt or an attention check before the video pauses. */
  promptTimeoutSeconds: number;
  /** Attention checks the server issues at random playing moments, per player session. */
  attentionChecks: number;
  /**
   * Answers to one question that count, per learner and period; a retry after a wrong answer
   * counts only once the question's part of the video was watched again.
   */
  maxAttempts: number;
  /**
   * A second launch for the same learner and course while one is active: `take-over` ends the
   * older session, `refuse` refuses the new launch.
   */
  sessionMode: 'take-over' | 'refuse';
}

export const DEFAULT_POLICY: CreditPolicy = Object.freeze({
  weights: Object.freeze({ coverage: 0.6, attention: 0.2, mastery: 0.2 }),
  gates: Object.freeze({ coverage: 0.8, mastery: 0.6, minStudyMinutes: 0 }),
  maxRate: 2,
  slackSeconds: 3,
  evidenceSeconds: 30,
  offlineGraceSeconds: 180,
  seekLock: true,
  pauseWhenHidden: true,
  idleSeconds: 300,
  promptTimeoutSeconds: 60,
  attentionChecks: 0,
  maxAttempts: 3,
  sessionMode: 'take-over',
}) as CreditPolicy;
