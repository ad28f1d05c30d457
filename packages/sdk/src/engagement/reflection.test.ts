import { describe, expect, it } from 'vitest';
import { computeCredits } from './formula.js';
import { DEFAULT_POLICY } from './policy.js';
import { graphemeLength, reflectionGate, withReflection } from './reflection.js';

describe('graphemeLength', () => {
  it('counts what a reader sees as one character once, in any script', () => {
    expect(graphemeLength('学习很有用')).toBe(5);
    expect('学习很有用'.length).toBe(5);
    expect(graphemeLength('𠀋𠀋')).toBe(2); // outside the BMP: 4 UTF-16 units
    expect(graphemeLength('e\u0301')).toBe(1); // e + combining accent
    expect(graphemeLength('👍🏽 ok')).toBe(4);
    expect(graphemeLength('👨‍👩‍👧')).toBe(1);
    expect(graphemeLength('')).toBe(0);
  });
});

describe('reflection gate', () => {
  const full = computeCredits({ credits: 2, lengthSeconds: 100, segments: [[0, 100]], playingSeconds: 100, focusedSeconds: 100, mastery: 1, hasQuestions: false }, DEFAULT_POLICY);

  it('leaves a course without a requirement alone', () => {
    expect(withReflection(full, null, null)).toBe(full);
  });

  it('holds the credits until the reflection is approved, and says why', () => {
    const req = { minLength: 50 };
    expect(withReflection(full, req, null)).toMatchObject({ earned: 0 });
    expect(withReflection(full, req, null).gates.at(-1)).toMatchObject({ name: 'reflection', passed: false, reason: 'reflection not written yet' });
    expect(withReflection(full, req, { status: 'submitted' }).gates.at(-1)!.reason).toBe('waiting for reflection approval');
    expect(withReflection(full, req, { status: 'submitted' }).earned).toBe(0);
    expect(withReflection(full, req, { status: 'returned', note: 'say what you will change' }).gates.at(-1)!.reason).toBe('reflection returned: say what you will change');
    const approved = withReflection(full, req, { status: 'approved' });
    expect(approved.earned).toBe(2);
    expect(approved.gates.map((g) => [g.name, g.passed])).toEqual([['coverage', true], ['reflection', true]]);
  });

  it('does not lift another failed gate', () => {
    const half = computeCredits({ credits: 2, lengthSeconds: 100, segments: [[0, 50]], playingSeconds: 50, focusedSeconds: 50, mastery: 1, hasQuestions: false }, DEFAULT_POLICY);
    expect(withReflection(half, { minLength: 1 }, { status: 'approved' }).earned).toBe(0);
    expect(reflectionGate({ status: 'approved' })).toMatchObject({ passed: true, actual: 1, required: 1 });
  });
});
