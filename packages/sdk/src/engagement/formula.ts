import type { CreditPolicy } from './policy.js';
import { clipSegments, coveredSeconds, type Segment } from './segments.js';

export interface GateResult {
  name: 'coverage' | 'mastery' | 'studyTime' | 'reflection';
  passed: boolean;
  required: number;
  actual: number;
  /** Plain words, shown to learners and admins. */
  reason: string;
}

export interface CreditResult {
  coverage: number;
  attention: number;
  mastery: number;
  engagement: number;
  /** Credits earned: credits × engagement floored to 0.1 (noise below 0.0001 never costs a step), or 0 when a gate failed. */
  earned: number;
  gates: GateResult[];
}

export interface CreditInput {
  credits: number;
  lengthSeconds: number;
  /** Verified played segments (any order, may overlap). */
  segments: Iterable<Segment>;
  /** Verified playing seconds (counting rewatches). */
  playingSeconds: number;
  /** Of those, seconds played with the learner's attention. */
  focusedSeconds: number;
  /** Seconds that count as study time (verified and attended); defaults to playingSeconds. */
  studySeconds?: number;
  /** Best score over the course's questions, 1 when it has none. */
  mastery: number;
  /** Whether the course has questions; without any, the mastery gate does not apply and is not listed. Default true. */
  hasQuestions?: boolean;
}

/**
 * Seconds of media, at the end of a video, that a complete viewing may miss because players
 * report time on timer ticks and frames, not exactly at the last sample.
 */
export function coverageTolerance(lengthSeconds: number): number {
  return Math.max(0.5, lengthSeconds * 0.005);
}

/** The default credit formula of DESIGN.md, with every number taken from the policy. */
export function computeCredits(input: CreditInput, policy: CreditPolicy): CreditResult {
  const length = input.lengthSeconds;
  const covered = length > 0 ? coveredSeconds(clipSegments(input.segments, length)) : 0;
  const coverage = length <= 0 ? 0 : length - covered <= coverageTolerance(length) ? 1 : covered / length;
  // Focus is measured by client timers: milliseconds short of the playing time is full attention.
  const attention =
    input.playingSeconds <= 0 ? 0 : input.playingSeconds - input.focusedSeconds <= coverageTolerance(input.playingSeconds) ? 1 : clamp01(input.focusedSeconds / input.playingSeconds);
  const mastery = clamp01(input.mastery);
  const w = policy.weights;
  const engagement = clamp01(w.coverage * coverage + w.attention * attention + w.mastery * mastery);
  const studyMinutes = (input.studySeconds ?? input.playingSeconds) / 60;
  // Only the gates that apply are listed: no mastery gate without questions, no study time gate without a minimum.
  const gates: GateResult[] = [
    gate('coverage', coverage, policy.gates.coverage, (a, r) => `watched ${pct(a)} of the video; ${pct(r)} is required`),
    ...(input.hasQuestions === false ? [] : [gate('mastery', mastery, policy.gates.mastery, (a, r) => `best question score ${pct(a)}; ${pct(r)} is required`)]),
    ...(policy.gates.minStudyMinutes > 0 ? [gate('studyTime', studyMinutes, policy.gates.minStudyMinutes, (a, r) => `studied ${a.toFixed(1)} min; ${r} min is required`)] : []),
  ];
  const passed = gates.every((g) => g.passed);
  // Floored from the engagement as shown (4 decimals), so full verified engagement earns the full credits.
  const earned = passed ? Math.floor(input.credits * round4(engagement) * 10 + 1e-9) / 10 : 0;
  return { coverage: round4(coverage), attention: round4(attention), mastery: round4(mastery), engagement: round4(engagement), earned, gates };
}

function gate(name: GateResult['name'], actual: number, required: number, words: (a: number, r: number) => string): GateResult {
  return { name, passed: actual >= required, required, actual: round4(actual), reason: words(actual, required) };
}

const clamp01 = (n: number) => (Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : 0);
const round4 = (n: number) => Math.round(n * 10000) / 10000;
const pct = (n: number) => `${Math.round(n * 100)}%`;
