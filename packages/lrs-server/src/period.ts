import { isPeriod } from '@xcredit/sdk/contracts';
import type { Clock } from './clock.js';
import { HttpError } from './http-error.js';

/**
 * A credit period: what a learner's credits, targets, awards and alerts are counted in. Today
 * every period is a calendar year in UTC, named by its year; rows store the name, URLs carry it.
 */
export interface Period {
  /** The period's name in rows and URLs, e.g. `2026`. */
  readonly name: string;
  /** Its first instant. */
  readonly from: Date;
  /** The first instant after it. */
  readonly to: Date;
}

const startOf = (year: number) => new Date(new Date(0).setUTCFullYear(year, 0, 1));

function calendarYear(year: number): Period {
  return { name: String(year), from: startOf(year), to: startOf(year + 1) };
}

/**
 * The period a request names (query, path or body); a 400 naming the bad value otherwise.
 *
 * @example
 * parsePeriod('2026').from.toISOString(); // '2026-01-01T00:00:00.000Z'
 */
export function parsePeriod(text: unknown): Period {
  if (typeof text !== 'string' || !isPeriod(text)) throw new HttpError(400, 'invalid_input', `period "${String(text)}" must be a year from 1000 to 9998, e.g. 2026`);
  return calendarYear(Number(text));
}

/**
 * The period an instant falls in.
 *
 * @example
 * periodAt(new Date('2026-12-31T23:59:59.999Z')).name; // '2026'
 */
export function periodAt(instant: Date): Period {
  return calendarYear(instant.getUTCFullYear());
}

/** The period the server's clock is in now. */
export function currentPeriod(clock: Clock): Period {
  return periodAt(clock());
}

/** Share of the period gone at `now` (0–1) and whole days left in it (0 once it is over). */
export function periodProgress(period: Period, now: Date): { elapsed: number; daysLeft: number } {
  const from = period.from.getTime();
  const to = period.to.getTime();
  const elapsed = Math.min(1, Math.max(0, (now.getTime() - from) / (to - from)));
  return { elapsed, daysLeft: Math.max(0, Math.ceil((to - now.getTime()) / 86_400_000)) };
}
