import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/schema.js';
import { parsePeriod } from '../period.js';

/**
 * Per-course validity (e.g. a two-year certification). The rule, in TypeScript and in SQL:
 *
 * - A course with `validity.months` is *held* from the first ledger entry of the credit year it
 *   was earned in (among years where its balance is above zero, the latest not after the year
 *   asked about; an entry appended after that year, e.g. a recompute, counts as of its last
 *   instant) until that instant plus the months, in UTC, the day kept or clamped to the month's
 *   last day (PostgreSQL's month arithmetic).
 * - Its credits count once, in the year earned (the ledger is unchanged).
 * - In every later year the validity window overlaps, the course is *carried*: a required
 *   course's credits count toward that year's required target (not toward the total earned), so
 *   the learner need not retake it while it is valid. Earning it again in a year replaces the
 *   carried certificate for that year and later ones.
 *
 * `heldFromLedger` is the TypeScript form, `heldSql` the SQL one; validity.test.ts feeds both
 * the same generated ledgers.
 */

/** One ledger entry of one learner and one course, as the rule needs it. */
export interface HeldEntry {
  period: string;
  createdAt: Date;
  amountTenths: number;
}

/** A validity course a learner holds, as seen from one credit year. */
export interface Held {
  /** The credit year it was earned in (where its credits count). */
  earnedIn: string;
  earnedAt: Date;
  /** The first instant it is no longer valid. */
  validUntil: Date;
  /** Its credits in the year earned, in tenths. */
  tenths: number;
  /** Earned in an earlier year and still valid during this one. */
  carried: boolean;
}

/**
 * Adds whole months in UTC, the day clamped to the last of the target month.
 *
 * @example
 * addMonths(new Date('2025-01-31T10:00:00Z'), 1).toISOString(); // '2025-02-28T10:00:00.000Z'
 */
export function addMonths(instant: Date, months: number): Date {
  const d = new Date(instant.getTime());
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + months);
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, last));
  return d;
}

/**
 * What one learner holds of one validity course as seen from `period`, from that course's ledger
 * entries; undefined when nothing is held (never earned, expired before the year, or earned
 * only in later years).
 *
 * @example
 * heldFromLedger([{ period: '2025', createdAt: new Date('2025-03-10T00:00:00Z'), amountTenths: 40 }], 24, '2026');
 * // { earnedIn: '2025', validUntil: 2027-03-10, tenths: 40, carried: true, … }
 */
export function heldFromLedger(entries: readonly HeldEntry[], months: number, period: string): Held | undefined {
  const byPeriod = new Map<string, { tenths: number; first: Date }>();
  for (const e of entries) {
    if (e.period > period) continue;
    const p = byPeriod.get(e.period);
    if (!p) byPeriod.set(e.period, { tenths: e.amountTenths, first: e.createdAt });
    else {
      p.tenths += e.amountTenths;
      if (e.createdAt < p.first) p.first = e.createdAt;
    }
  }
  const latest = [...byPeriod].filter(([, p]) => p.tenths > 0).sort(([a], [b]) => (a < b ? 1 : -1))[0];
  if (!latest) return undefined;
  const [earnedIn, { tenths, first }] = latest;
  const year = parsePeriod(earnedIn);
  const earnedAt = new Date(Math.min(Math.max(first.getTime(), year.from.getTime()), year.to.getTime() - 1));
  const validUntil = addMonths(earnedAt, months);
  if (earnedIn !== period && validUntil <= parsePeriod(period).from) return undefined;
  return { earnedIn, earnedAt, validUntil, tenths, carried: earnedIn !== period };
}

/** The row `heldSql` gives per learner and validity course. */
export interface HeldRow {
  learner_id: string;
  course_id: string;
  kind: 'required' | 'elective';
  months: number;
  earned_in: string;
  earned_at: Date | string;
  valid_until: Date | string;
  tenths: number | string;
  carried: boolean;
}

/**
 * `heldFromLedger` in SQL, for every learner of a tenant (or one): one `HeldRow` per learner and
 * validity course held as seen from `period`.
 *
 * @example
 * const { rows } = await sql<HeldRow>`${heldSql('default', '2026')}`.execute(db);
 */
export function heldSql(tenantId: string, period: string, learnerId?: string): RawBuilder<HeldRow> {
  const from = parsePeriod(period).from;
  const oneLearner = learnerId === undefined ? sql`` : sql`and g.learner_id = ${learnerId}`;
  return sql<HeldRow>`select * from (
      select distinct on (h.learner_id, h.course_id) h.*,
        (h.earned_at at time zone 'UTC' + make_interval(months => h.months)) at time zone 'UTC' as valid_until,
        h.earned_in <> ${period} as carried
      from (
        select g.learner_id, g.course_id, c.kind, c.validity_months as months, g.period as earned_in,
          least(greatest(min(g.created_at), make_timestamptz(g.period::int, 1, 1, 0, 0, 0, 'UTC')),
            make_timestamptz(g.period::int + 1, 1, 1, 0, 0, 0, 'UTC') - interval '1 millisecond') as earned_at,
          sum(g.amount_tenths)::int as tenths
        from ledger g join courses c on c.tenant_id = g.tenant_id and c.id = g.course_id
        where g.tenant_id = ${tenantId} and c.validity_months is not null and g.period <= ${period} ${oneLearner}
        group by g.learner_id, g.course_id, c.kind, c.validity_months, g.period
        having sum(g.amount_tenths) > 0) h
      order by h.learner_id, h.course_id, h.earned_in desc) v
    where not v.carried or v.valid_until > ${from}::timestamptz`;
}

/** One learner's validity courses held as seen from `period`, by course id. */
export async function learnerHeld(db: Kysely<Database>, tenantId: string, learnerId: string, period: string): Promise<Map<string, Held & { kind: HeldRow['kind']; months: number }>> {
  const { rows } = await heldSql(tenantId, period, learnerId).execute(db);
  return new Map(
    rows.map((r) => [
      r.course_id,
      { kind: r.kind, months: r.months, earnedIn: r.earned_in, earnedAt: new Date(r.earned_at), validUntil: new Date(r.valid_until), tenths: Number(r.tenths), carried: r.carried },
    ]),
  );
}

/** Required tenths a learner carries into `period` from valid courses earned in earlier years. */
export function carriedRequiredTenths(held: Iterable<{ kind: string; tenths: number; carried: boolean }>): number {
  let n = 0;
  for (const h of held) if (h.carried && h.kind === 'required') n += h.tenths;
  return n;
}
