/** What one session says about attendance: its times, the share needed and the minutes forgiven. */
export interface SessionTimes {
  starts_at: Date | string;
  ends_at: Date | string;
  min_share: number;
  grace_minutes: number;
}

/** One learner's scans. */
export interface Scans {
  checked_in_at: Date | string;
  checked_out_at: Date | string | null;
}

export interface Measured {
  sessionMinutes: number;
  /** Minutes after the start the learner arrived, when beyond the grace; else 0. */
  lateMinutes: number;
  /** Minutes before the end the learner left, when beyond the grace; else 0; null without a check-out. */
  earlyMinutes: number | null;
  /** min(check-out, end) − max(check-in, start), lateness and early leaving within the grace forgiven; null without a check-out. */
  attendedMinutes: number | null;
  passed: boolean;
  /** Why, for the ledger and the attendance table: "attended 85 of 90 minutes (94 %, 80 % needed); arrived 5 min late". */
  explanation: string;
}

const MINUTE = 60_000;
const pct = (n: number) => `${Math.floor(n * 100 + 1e-9)} %`;

/**
 * Measures one learner's attendance of a session. Arriving or leaving within the grace counts as
 * on time; without a check-out the time attended cannot be known, and no credits are earned.
 *
 * @example
 * measure({ starts_at: '2026-05-04T09:00Z', ends_at: '2026-05-04T10:30Z', min_share: 0.8, grace_minutes: 5 },
 *         { checked_in_at: '2026-05-04T09:10Z', checked_out_at: '2026-05-04T10:30Z' });
 * // { attendedMinutes: 80, lateMinutes: 10, earlyMinutes: 0, passed: true, … }
 */
export function measure(s: SessionTimes, a: Scans): Measured {
  const start = new Date(s.starts_at).getTime();
  const end = new Date(s.ends_at).getTime();
  const grace = s.grace_minutes * MINUTE;
  const sessionMinutes = Math.round((end - start) / MINUTE);
  const checkIn = new Date(a.checked_in_at).getTime();
  const lateMs = checkIn - start;
  const lateMinutes = lateMs > grace ? Math.round(lateMs / MINUTE) : 0;
  const late = lateMinutes > 0 ? `arrived ${lateMinutes} min late` : null;
  if (a.checked_out_at === null) {
    const parts = ['no check-out scan, so the time attended is unknown', late].filter(Boolean);
    return { sessionMinutes, lateMinutes, earlyMinutes: null, attendedMinutes: null, passed: false, explanation: `${parts.join('; ')}: no credits` };
  }
  const checkOut = new Date(a.checked_out_at).getTime();
  const earlyMs = end - checkOut;
  const earlyMinutes = earlyMs > grace ? Math.round(earlyMs / MINUTE) : 0;
  const from = lateMs <= grace ? start : Math.max(checkIn, start);
  const to = earlyMs <= grace ? end : Math.min(checkOut, end);
  const attendedMs = Math.max(0, to - from);
  const share = attendedMs / (end - start);
  const passed = share + 1e-9 >= s.min_share;
  const attendedMinutes = Math.round(attendedMs / MINUTE);
  const parts = [
    `attended ${attendedMinutes} of ${sessionMinutes} minutes (${pct(share)}, ${pct(s.min_share)} needed)`,
    late,
    earlyMinutes > 0 ? `left ${earlyMinutes} min early` : null,
  ].filter(Boolean);
  return { sessionMinutes, lateMinutes, earlyMinutes, attendedMinutes, passed, explanation: passed ? parts.join('; ') : `${parts.join('; ')}: below the share needed, no credits` };
}
