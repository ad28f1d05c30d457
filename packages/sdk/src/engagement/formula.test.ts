import { describe, expect, it } from 'vitest';
import { computeCredits } from './formula.js';
import { DEFAULT_POLICY } from './policy.js';

const full = { credits: 2, lengthSeconds: 100, segments: [[0, 100]] as const, playingSeconds: 100, focusedSeconds: 100, mastery: 1 };

describe('computeCredits', () => {
  it('earns the full credits for full coverage, attention and mastery', () => {
    const r = computeCredits(full, DEFAULT_POLICY);
    expect(r).toMatchObject({ coverage: 1, attention: 1, mastery: 1, engagement: 1, earned: 2 });
    expect(r.gates.every((g) => g.passed)).toBe(true);
  });

  it('lists only the gates that apply: no mastery gate without questions, no study time gate without a minimum', () => {
    expect(computeCredits({ ...full, hasQuestions: false }, DEFAULT_POLICY).gates.map((g) => g.name)).toEqual(['coverage']);
    expect(computeCredits(full, DEFAULT_POLICY).gates.map((g) => g.name)).toEqual(['coverage', 'mastery']);
    const timed = { ...DEFAULT_POLICY, gates: { ...DEFAULT_POLICY.gates, minStudyMinutes: 1 } };
    expect(computeCredits({ ...full, hasQuestions: false }, timed).gates.map((g) => g.name)).toEqual(['coverage', 'studyTime']);
  });

  it('forgives the last frames a player never reports', () => {
    expect(computeCredits({ ...full, segments: [[0, 99.6]] }, DEFAULT_POLICY).coverage).toBe(1);
    expect(computeCredits({ ...full, segments: [[0, 98]] }, DEFAULT_POLICY).coverage).toBe(0.98);
  });

  it('weights the factors and floors to 0.1 credit', () => {
    const r = computeCredits({ ...full, segments: [[0, 90]], focusedSeconds: 50 }, DEFAULT_POLICY);
    expect(r.engagement).toBeCloseTo(0.6 * 0.9 + 0.2 * 0.5 + 0.2, 6);
    expect(r.earned).toBe(1.6);
  });

  it('earns nothing when a gate fails, and says why', () => {
    const r = computeCredits({ ...full, segments: [[0, 70]] }, DEFAULT_POLICY);
    expect(r.earned).toBe(0);
    expect(r.gates.find((g) => g.name === 'coverage')).toMatchObject({ passed: false, reason: 'watched 70% of the video; 80% is required' });
    const lowMastery = computeCredits({ ...full, mastery: 0.5 }, DEFAULT_POLICY);
    expect(lowMastery.earned).toBe(0);
    const study = computeCredits(full, { ...DEFAULT_POLICY, gates: { ...DEFAULT_POLICY.gates, minStudyMinutes: 5 } });
    expect(study.earned).toBe(0);
    expect(study.gates.find((g) => g.name === 'studyTime')?.reason).toBe('studied 1.7 min; 5 min is required');
  });

  it('counts overlapping rewatches once toward coverage', () => {
    expect(computeCredits({ ...full, segments: [[0, 50], [0, 50], [25, 50]] }, DEFAULT_POLICY).coverage).toBe(0.5);
  });

  it('never lets milliseconds of measurement noise cost a 0.1 step', () => {
    const noisy = { credits: 10, lengthSeconds: 600, segments: [[0, 599.998]] as const, playingSeconds: 600.004, focusedSeconds: 599.995, mastery: 1 };
    expect(computeCredits(noisy, DEFAULT_POLICY)).toMatchObject({ coverage: 1, attention: 1, engagement: 1, earned: 10 });
    // A real shortfall still costs what it is worth.
    expect(computeCredits({ ...noisy, focusedSeconds: 560 }, DEFAULT_POLICY).earned).toBe(9.8);
  });
});
