import { describe, expect, it } from 'vitest';
import { allowedRates, clampRate, seekTarget } from './guard.js';

describe('allowedRates', () => {
  it('offers no rate faster than the policy allows', () => {
    expect(allowedRates(2)).toEqual([0.5, 0.75, 1, 1.25, 1.5, 1.75, 2]);
    expect(allowedRates(1.5)).toEqual([0.5, 0.75, 1, 1.25, 1.5]);
    expect(allowedRates(1)).toEqual([0.5, 0.75, 1]);
  });

  it('still offers one rate under a maxRate below every menu entry', () => {
    expect(allowedRates(0.4)).toEqual([0.4]);
    expect(allowedRates(Number.NaN)).toEqual([1]);
  });
});

describe('clampRate', () => {
  it('clamps a faster rate to maxRate and leaves slower ones alone', () => {
    expect(clampRate(4, 2)).toBe(2);
    expect(clampRate(16, 1.25)).toBe(1.25);
    expect(clampRate(0.75, 2)).toBe(0.75);
  });

  it('turns a nonsense rate into 1x', () => {
    expect(clampRate(0, 2)).toBe(1);
    expect(clampRate(Number.POSITIVE_INFINITY, 2)).toBe(1);
  });
});

describe('seekTarget', () => {
  const locked = { seekLock: true };
  it('sends a forward seek past the furthest point watched back to that point', () => {
    expect(seekTarget(90, 30, locked)).toBe(30);
  });

  it('lets rewinding and seeking within what was watched through', () => {
    expect(seekTarget(5, 30, locked)).toBe(5);
    expect(seekTarget(30.8, 30, locked)).toBe(30.8);
  });

  it('lets every seek through when the course has no seek lock', () => {
    expect(seekTarget(90, 30, { seekLock: false })).toBe(90);
  });
});
