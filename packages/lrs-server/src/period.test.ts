import { describe, expect, it } from 'vitest';
import { manualClock } from './clock.js';
import { HttpError } from './http-error.js';
import { periodText } from '@xcredit/sdk/contracts';
import { currentPeriod, parsePeriod, periodAt, periodProgress } from './period.js';

const refusal = (text: unknown) => {
  try {
    parsePeriod(text);
  } catch (err) {
    return err;
  }
  throw new Error(`parsePeriod(${String(text)}) was accepted`);
};

describe('period', () => {
  it('is a calendar year in UTC, named by its year', () => {
    const p = parsePeriod('2026');
    expect(p.name).toBe('2026');
    expect(p.from.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(p.to.toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(parsePeriod('1000').from.toISOString()).toBe('1000-01-01T00:00:00.000Z');
    expect(parsePeriod('9998').to.toISOString()).toBe('9999-01-01T00:00:00.000Z');
  });

  it('refuses what is not a year from 1000 to 9998 with a 400 that names the value', () => {
    for (const bad of ['999', '0999', '9999', '10000', '26', '2026 ', ' 2026', '2026.0', '+2026', '2e3', '', 'this-year', '٢٠٢٦']) {
      const err = refusal(bad);
      expect(err).toBeInstanceOf(HttpError);
      expect((err as HttpError).status).toBe(400);
      expect((err as HttpError).message).toBe(`period "${bad}" must be a year from 1000 to 9998, e.g. 2026`);
      expect(periodText.safeParse(bad).success).toBe(false);
    }
    expect((refusal(2026) as HttpError).status).toBe(400);
    expect((refusal(undefined) as HttpError).message).toMatch(/^period "undefined" must be a year/);
    expect(periodText.safeParse('2026').success).toBe(true);
    expect(periodText.safeParse(2026).success).toBe(false);
  });

  it('places the instants either side of New Year (UTC) in their own years', () => {
    expect(periodAt(new Date('2026-12-31T23:59:59.999Z')).name).toBe('2026');
    expect(periodAt(new Date('2027-01-01T00:00:00.000Z')).name).toBe('2027');
    // Still 2026 in New York, already 2027 in UTC: the period follows UTC.
    expect(periodAt(new Date('2026-12-31T20:00:00-05:00')).name).toBe('2027');
    const p = periodAt(new Date('2026-07-01T12:00:00Z'));
    expect([p.from.toISOString(), p.to.toISOString()]).toEqual(['2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z']);
  });

  it('takes the current period from the clock it is given, not the machine', () => {
    const clock = manualClock(new Date('2031-12-31T23:59:59Z'));
    expect(currentPeriod(clock).name).toBe('2031');
    clock.advance(1);
    expect(currentPeriod(clock).name).toBe('2032');
  });

  it('measures how much of a period is gone and how many days are left', () => {
    const p = parsePeriod('2026');
    expect(periodProgress(p, new Date('2025-12-31T23:59:59Z'))).toEqual({ elapsed: 0, daysLeft: 366 });
    expect(periodProgress(p, p.from)).toEqual({ elapsed: 0, daysLeft: 365 });
    expect(periodProgress(p, new Date('2026-12-31T00:00:00Z')).daysLeft).toBe(1);
    expect(periodProgress(p, new Date('2026-12-31T23:59:59Z')).daysLeft).toBe(1);
    expect(periodProgress(p, p.to)).toEqual({ elapsed: 1, daysLeft: 0 });
    expect(periodProgress(p, new Date('2030-01-01T00:00:00Z'))).toEqual({ elapsed: 1, daysLeft: 0 });
    expect(periodProgress(parsePeriod('2028'), new Date('2028-07-02T00:00:00Z')).elapsed).toBe(183 / 366);
  });
});
