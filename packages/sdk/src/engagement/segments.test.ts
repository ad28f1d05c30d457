import { describe, expect, it } from 'vitest';
import { clipSegments, coveredSeconds, formatPlayedSegments, parsePlayedSegments, unionSegments } from './segments.js';

describe('segments', () => {
  it('merges 0–10, 20–30 and a rewatch of 5–8 into two segments covering 20 s', () => {
    const watched = [[0, 10], [20, 30], [5, 8]] as const;
    expect(unionSegments(watched)).toEqual([[0, 10], [20, 30]]);
    expect(coveredSeconds(watched)).toBe(20);
  });

  it('joins touching and overlapping segments and drops empty or reversed ones', () => {
    expect(unionSegments([[10, 20], [0, 10], [15, 25], [30, 30], [40, 35], [Number.NaN, 3]])).toEqual([[0, 25]]);
  });

  it('formats and parses the Video Profile played-segments string', () => {
    const text = formatPlayedSegments([[0, 10.12345], [20, 30]]);
    expect(text).toBe('0[.]10.123[,]20[.]30');
    expect(parsePlayedSegments(text)).toEqual([[0, 10.123], [20, 30]]);
  });

  it('skips malformed parts instead of guessing', () => {
    expect(parsePlayedSegments('0[.]5[,]x[.]9[,]7[.]3[,]1[.]2[.]3[,][.]4[,]8[.]9')).toEqual([[0, 5], [8, 9]]);
    expect(parsePlayedSegments('')).toEqual([]);
  });

  it('clips segments to the video', () => {
    expect(clipSegments([[-5, 3], [50, 70], [80, 90]], 60)).toEqual([[0, 3], [50, 60]]);
  });
});
