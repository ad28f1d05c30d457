import { computeCredits, type CreditResult } from './formula.js';
import { assessAnswers, type AnswerEvent, type QuestionResult } from './mastery.js';
import type { CreditPolicy } from './policy.js';
import type { Question } from './questions.js';
import { verifyEvents, type TrackedEvent, type VerifiedEngagement } from './verify.js';

/** Something a learner or admin should know about how an engagement was counted. */
export interface EngagementFlag {
  code:
    | 'rate_exceeded'
    | 'unevidenced'
    | 'offline'
    | 'sessions_overlapped'
    | 'unattended'
    | 'taken_over'
    | 'answer_incorrect'
    | 'false_success_claim'
    | 'progress_overclaimed';
  /** Plain words, e.g. "3 min claimed in 40 s". */
  message: string;
}

export interface EngagementAssessment extends CreditResult {
  verifiedSeconds: number;
  watchedSeconds: number;
  claimedSeconds: number;
  focusedSeconds: number;
  sessions: number;
  questions: QuestionResult[];
  flags: EngagementFlag[];
  verification: VerifiedEngagement;
}

export interface AssessInput {
  credits: number;
  lengthSeconds: number;
  policy: CreditPolicy;
  questions: readonly Question[];
  events: readonly TrackedEvent[];
  answers: readonly AnswerEvent[];
  /** Wall-clock windows (epoch ms) in which nothing is credited (missed attention checks). */
  blockedWall?: readonly (readonly [number, number])[];
}

/** The whole server-side judgement of one learner's engagement with one course. */
export function assessEngagement(input: AssessInput): EngagementAssessment {
  const verification = verifyEvents(input.events, { ...input.policy, blockedWall: input.blockedWall });
  const answers = assessAnswers(input.questions, input.answers, { maxAttempts: input.policy.maxAttempts, intervals: verification.intervals });
  const result = computeCredits(
    {
      credits: input.credits,
      lengthSeconds: input.lengthSeconds,
      segments: verification.segments,
      playingSeconds: verification.verifiedSeconds,
      focusedSeconds: verification.focusedSeconds,
      studySeconds: verification.watchedSeconds,
      mastery: answers.mastery,
      hasQuestions: input.questions.length > 0,
    },
    input.policy,
  );
  return {
    ...result,
    verifiedSeconds: round1(verification.verifiedSeconds),
    watchedSeconds: round1(verification.watchedSeconds),
    claimedSeconds: round1(verification.claimedSeconds),
    focusedSeconds: round1(verification.focusedSeconds),
    sessions: verification.sessions,
    questions: answers.questions,
    flags: flagsOf(verification, answers.questions, answers.falseClaims, result.coverage),
    verification,
  };
}

function flagsOf(v: VerifiedEngagement, questions: QuestionResult[], falseClaims: number[], coverage: number): EngagementFlag[] {
  const flags: EngagementFlag[] = [];
  for (const i of v.intervals) {
    const claimed = i.claimed[1] - i.claimed[0];
    const verified = i.verified[1] - i.verified[0];
    if (claimed - verified > Math.max(5, claimed * 0.1) && i.afterCutoffSeconds === 0 && i.sharedWallSeconds === 0 && i.unevidencedSeconds < 5) {
      flags.push({ code: 'rate_exceeded', message: `${formatDuration(claimed)} claimed in ${formatDuration(i.wallSeconds)}` });
    }
  }
  if (v.unevidencedSeconds >= 5) {
    flags.push({ code: 'unevidenced', message: `${formatDuration(v.unevidencedSeconds)} of playing had no evidence (heartbeats or statements) and did not count` });
  }
  if (v.offlineSeconds >= 1) flags.push({ code: 'offline', message: `${formatDuration(v.offlineSeconds)} played offline counted from evidence delivered later` });
  const shared = v.intervals.reduce((s, i) => s + i.sharedWallSeconds, 0);
  if (shared >= 5) flags.push({ code: 'sessions_overlapped', message: `two sessions overlapped for ${formatDuration(shared)}; that time counted once` });
  const afterCutoff = v.intervals.reduce((s, i) => s + i.afterCutoffSeconds, 0);
  if (afterCutoff >= 1) flags.push({ code: 'taken_over', message: `a newer launch took over; ${formatDuration(afterCutoff)} played after that did not count` });
  if (v.unattendedSeconds >= 5) flags.push({ code: 'unattended', message: `${formatDuration(v.unattendedSeconds)} played while the page was hidden or the learner away` });
  if (v.claimedProgress - coverage >= 0.2) {
    flags.push({ code: 'progress_overclaimed', message: `the player claimed ${pct(v.claimedProgress)} progress; ${pct(coverage)} verified` });
  }
  for (const q of questions) if (q.answered && !q.correct) flags.push({ code: 'answer_incorrect', message: `answer to question ${q.number} incorrect` });
  for (const n of falseClaims) flags.push({ code: 'false_success_claim', message: `question ${n}: the player claimed success for a wrong answer` });
  return flags;
}

/** "3 min", "40 s", "1 h 5 min". */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}`;
}

const pct = (n: number) => `${Math.round(n * 100)}%`;
const round1 = (n: number) => Math.round(n * 10) / 10;
