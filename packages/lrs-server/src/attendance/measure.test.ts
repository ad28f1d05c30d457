import { describe, expect, it } from 'vitest';
import { measure } from './measure.js';

const session = { starts_at: '2026-05-04T09:00:00Z', ends_at: '2026-05-04T10:30:00Z', min_share: 0.8, grace_minutes: 5 };
const at = (hhmm: string) => `2026-05-04T${hhmm}:00Z`;

describe('attendance measure', () => {
  it('counts a learner on time from start to end as the whole session', () => {
    expect(measure(session, { checked_in_at: at('08:50'), checked_out_at: at('10:40') })).toMatchObject({ sessionMinutes: 90, attendedMinutes: 90, lateMinutes: 0, earlyMinutes: 0, passed: true, explanation: 'attended 90 of 90 minutes (100 %, 80 % needed)' });
  });

  it('forgives lateness and early leaving within the grace', () => {
    expect(measure(session, { checked_in_at: at('09:04'), checked_out_at: at('10:26') })).toMatchObject({ attendedMinutes: 90, lateMinutes: 0, earlyMinutes: 0, passed: true });
  });

  it('shows lateness beyond the grace and still credits above the share', () => {
    expect(measure(session, { checked_in_at: at('09:12'), checked_out_at: at('10:30') })).toMatchObject({
      attendedMinutes: 78,
      lateMinutes: 12,
      passed: true,
      explanation: 'attended 78 of 90 minutes (86 %, 80 % needed); arrived 12 min late',
    });
  });

  it('refuses credits below the share and says why', () => {
    expect(measure(session, { checked_in_at: at('09:00'), checked_out_at: at('09:45') })).toMatchObject({
      attendedMinutes: 45,
      earlyMinutes: 45,
      passed: false,
      explanation: 'attended 45 of 90 minutes (50 %, 80 % needed); left 45 min early: below the share needed, no credits',
    });
  });

  it('credits exactly the share', () => {
    expect(measure(session, { checked_in_at: at('09:18'), checked_out_at: at('10:30') })).toMatchObject({ attendedMinutes: 72, passed: true });
    expect(measure(session, { checked_in_at: at('09:19'), checked_out_at: at('10:30') })).toMatchObject({ attendedMinutes: 71, passed: false });
  });

  it('without a check-out, credits nothing', () => {
    expect(measure(session, { checked_in_at: at('09:20'), checked_out_at: null })).toMatchObject({
      attendedMinutes: null,
      earlyMinutes: null,
      lateMinutes: 20,
      passed: false,
      explanation: 'no check-out scan, so the time attended is unknown; arrived 20 min late: no credits',
    });
  });

  it('counts nothing of a visit after the end', () => {
    expect(measure(session, { checked_in_at: at('10:45'), checked_out_at: at('11:00') })).toMatchObject({ attendedMinutes: 0, passed: false });
  });
});
