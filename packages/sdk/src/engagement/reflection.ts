import type { CreditResult, GateResult } from './formula.js';

/** A course's demand for a written reflection after viewing (see docs/credits.md). */
export interface ReflectionRequirement {
  /** Fewest characters (graphemes: one Chinese character, one emoji and one letter each count 1). */
  minLength: number;
  /** What the learner is asked to reflect on. */
  prompt?: string | null;
}

export type ReflectionStatus = 'submitted' | 'approved' | 'returned';

/** Where one learner's reflection on one course stands; `null` when none was written. */
export interface ReflectionState {
  status: ReflectionStatus;
  /** The reviewer's note when it was returned. */
  note?: string | null;
}

let segmenter: Intl.Segmenter | undefined;

/**
 * The length of a text as people count it: user-perceived characters (grapheme clusters), so
 * "学习" is 2, "é" written as e + combining accent is 1, and an emoji with skin tone is 1.
 *
 * @example
 * graphemeLength('学习很有用'); // 5
 * graphemeLength('👍🏽 ok'); // 4
 */
export function graphemeLength(text: string): number {
  segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  let n = 0;
  for (const _ of segmenter.segment(text)) n++;
  return n;
}

/**
 * The reflection gate: viewing credits only once the reflection is approved; the reason says what
 * the learner or reviewer still has to do.
 *
 * @example
 * reflectionGate({ status: 'submitted' }).reason; // 'waiting for reflection approval'
 */
export function reflectionGate(state: ReflectionState | null | undefined): GateResult {
  const passed = state?.status === 'approved';
  const reason = !state
    ? 'reflection not written yet'
    : state.status === 'approved'
      ? 'reflection approved'
      : state.status === 'returned'
        ? `reflection returned: ${state.note ?? ''}`.trim()
        : 'waiting for reflection approval';
  return { name: 'reflection', passed, required: 1, actual: passed ? 1 : 0, reason };
}

/**
 * A credit result with the reflection gate added when the course requires one: until it passes the
 * course earns nothing, like any failed gate.
 */
export function withReflection<T extends CreditResult>(result: T, requirement: ReflectionRequirement | null | undefined, state: ReflectionState | null | undefined): T {
  if (!requirement) return result;
  const gate = reflectionGate(state);
  return { ...result, gates: [...result.gates, gate], earned: gate.passed ? result.earned : 0 };
}
