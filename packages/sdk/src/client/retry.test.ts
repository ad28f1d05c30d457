import { describe, expect, it } from 'vitest';
import { retryDelay } from './retry.js';

const base = { baseMs: 250, maxMs: 30_000, now: Date.parse('2026-12-01T00:00:00Z') };

describe('retryDelay', () => {
  it("waits what the server's Retry-After asks, in seconds or as a date", () => {
    expect(retryDelay({ ...base, attempt: 1, retryAfter: '2', random: 0.9 })).toBe(2000);
    expect(retryDelay({ ...base, attempt: 1, retryAfter: 'Tue, 01 Dec 2026 00:00:05 GMT', random: 0.9 })).toBe(5000);
    expect(retryDelay({ ...base, attempt: 1, retryAfter: 'Mon, 30 Nov 2026 00:00:00 GMT', random: 0.9 })).toBe(0);
  });

  it('backs off exponentially with jitter when the server names no time', () => {
    expect(retryDelay({ ...base, attempt: 1, retryAfter: null, random: 0 })).toBe(125);
    expect(retryDelay({ ...base, attempt: 3, retryAfter: null, random: 0 })).toBe(500);
    expect(retryDelay({ ...base, attempt: 3, retryAfter: 'soon', random: 0.999 })).toBe(1000);
    const spread = new Set([0, 0.25, 0.5, 0.75].map((random) => retryDelay({ ...base, attempt: 2, retryAfter: null, random })));
    expect(spread.size).toBe(4);
  });

  it('gives up rather than wait longer than the limit', () => {
    expect(retryDelay({ ...base, attempt: 1, retryAfter: '3600', random: 0 })).toBeUndefined();
    expect(retryDelay({ ...base, attempt: 20, retryAfter: null, random: 0 })).toBeUndefined();
  });
});
