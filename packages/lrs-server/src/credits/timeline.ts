import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { parsePeriod } from '../period.js';
import { attentionChecksQuery, COUNTED_VERBS, launchesOf, ofLaunch, statementFacts, type HeartbeatFacts, type IssuedCheck, type StatementFacts } from './evidence.js';

type Q = Kysely<Database>;

/**
 * Incremental reading of a timeline (one learner, one course, one period). The checkpoint keeps
 * the evidence already read, reduced to the facts the engine uses, and how far it was read
 * (the last statement `seq`, the last heartbeat id), so each batch reads only what arrived since
 * and the engine runs on exactly the facts a full read would return, in the same order.
 *
 * The engine's judgement is not folded into a running total because it is not a fold: evidence
 * delivered late (offline) is placed back in time, slack and offline grace are spent in the
 * order intervals began, a takeover cuts a launch's past time and a missed attention check blocks
 * past wall-clock time. Keeping the facts keeps every one of those rules identical to a recompute.
 *
 * Why "after the checkpoint" misses nothing:
 * - heartbeats are written holding the learner's lock (`heartbeat` in launches/sessions.ts), as
 *   the engine reads them, so none commits with an id below one already read;
 * - a launch's statements get their `seq` before their transaction takes the learner's lock, so
 *   another batch may commit higher ones first: each batch therefore also reads its own
 *   statements (`own`), whatever their `seq`;
 * - what can change after it was read is checked on every read: takeovers (`superseded_at` is
 *   read from the launches each time) and voiding (the count of the timeline's voided statements;
 *   when it changed, the whole timeline is read again). Attention checks are read whole: a missed
 *   check blocks time already read, and a learner has few of them.
 */

/** A statement as the checkpoint keeps it: its facts without the takeover time (read fresh), its `seq` and its launch. */
type KeptStatement = Omit<StatementFacts, 'superseded_at'> & { seq: number; launch: string };
type KeptHeartbeat = HeartbeatFacts & { id: number };

/** A timeline's evidence, as `assessTimeline` takes it. */
export interface TimelineFacts {
  statements: StatementFacts[];
  heartbeats: HeartbeatFacts[];
  checks: IssuedCheck[];
}

/** The batch being stored, when the read runs in its transaction. */
export interface OwnBatch {
  registration: string;
  stored: Date;
}

export interface TimelineKey {
  tenantId: string;
  learnerId: string;
  courseId: string;
  period: string;
}

interface Checkpoint {
  statement_seq: number | string;
  heartbeat_id: number | string;
  voided: number;
  statements: KeptStatement[];
  heartbeats: KeptHeartbeat[];
}

interface ReadRow {
  checkpoint: Checkpoint | null;
  launches: { registration: string; superseded_at: string | null }[];
  voided: number | string;
  statements: KeptStatement[];
  heartbeats: KeptHeartbeat[];
  checks: IssuedCheck[];
}

/** What one read brought: the timeline's facts and the checkpoint to store for it. */
export interface TimelineRead {
  facts: TimelineFacts;
  /** The checkpoint row after this read (store it with `saveCheckpoint`). */
  checkpoint: { statement_seq: number; heartbeat_id: number; voided: number; statements: string; heartbeats: string };
  /** Rows read past the checkpoint (statements, heartbeats), and whether the whole timeline was read. */
  read: { statements: number; heartbeats: number; full: boolean };
}

/**
 * Reads a timeline from its checkpoint on: what is new since, merged with what was kept. Run it
 * holding the learner's lock (`lockLearner`) when its checkpoint is to be stored.
 */
export async function readTimeline(db: Q, key: TimelineKey, own?: OwnBatch): Promise<TimelineRead> {
  let row = await query(db, key, own, true);
  let full = !row.checkpoint;
  if (row.checkpoint && Number(row.checkpoint.voided) !== Number(row.voided)) {
    // A statement already read was voided since: read the whole timeline again.
    row = await query(db, key, own, false);
    row.checkpoint = null;
    full = true;
  }
  const cp = row.checkpoint;
  const statements = new Map<number, KeptStatement>();
  for (const s of [...(cp?.statements ?? []), ...row.statements]) statements.set(Number(s.seq), s);
  const keptStatements = [...statements.values()].sort((a, b) => Number(a.seq) - Number(b.seq));
  const beats = new Map<number, KeptHeartbeat>();
  for (const h of [...(cp?.heartbeats ?? []), ...row.heartbeats]) beats.set(Number(h.id), h);
  const keptBeats = [...beats.values()].sort((a, b) => ms(a.received_at) - ms(b.received_at) || Number(a.id) - Number(b.id));
  const superseded = new Map(row.launches.map((l) => [l.registration, l.superseded_at]));
  return {
    facts: {
      statements: keptStatements.map((s) => ({ ...s, superseded_at: superseded.get(s.launch) ?? null })),
      heartbeats: keptBeats,
      checks: row.checks,
    },
    checkpoint: {
      statement_seq: Math.max(Number(cp?.statement_seq ?? 0), ...row.statements.map((s) => Number(s.seq))),
      heartbeat_id: Math.max(Number(cp?.heartbeat_id ?? 0), ...row.heartbeats.map((h) => Number(h.id))),
      voided: Number(row.voided),
      statements: JSON.stringify(keptStatements, dropNulls),
      heartbeats: JSON.stringify(keptBeats, dropNulls),
    },
    read: { statements: row.statements.length, heartbeats: row.heartbeats.length, full },
  };
}

/** The statement that stores a timeline's checkpoint (run it in the transaction that read it). */
export function saveCheckpoint(db: Q, key: TimelineKey, checkpoint: TimelineRead['checkpoint']) {
  return db
    .insertInto('timeline_checkpoints')
    .values({ tenant_id: key.tenantId, learner_id: key.learnerId, course_id: key.courseId, period: key.period, ...checkpoint })
    .onConflict((oc) => oc.columns(['tenant_id', 'learner_id', 'course_id', 'period']).doUpdateSet({ ...checkpoint, updated_at: sql`now()` }));
}

/**
 * Forgets checkpoints, so the next batch of each timeline reads it whole: recompute and the
 * credit rules' upgrade run this for what they rebuild. Without `learners`, every checkpoint of
 * the tenant (or of all tenants).
 */
export async function resetCheckpoints(db: Q, scope: { tenantId?: string; learners?: readonly { tenantId: string; learnerId: string; courseId: string; period: string }[] }): Promise<void> {
  if (scope.learners) {
    if (!scope.learners.length) return;
    const l = scope.learners;
    await sql`delete from timeline_checkpoints where (tenant_id, learner_id, course_id, period) in (select * from unnest(${l.map((x) => x.tenantId)}::text[], ${l.map((x) => x.learnerId)}::text[], ${l.map((x) => x.courseId)}::text[], ${l.map((x) => x.period)}::text[]))`.execute(db);
    return;
  }
  await db.deleteFrom('timeline_checkpoints').$if(scope.tenantId !== undefined, (q) => q.where('tenant_id', '=', scope.tenantId!)).execute();
}

async function query(db: Q, key: TimelineKey, own: OwnBatch | undefined, fromCheckpoint: boolean): Promise<ReadRow> {
  const { rows } = await timelineReadQuery(db, key, own, fromCheckpoint).execute(db);
  return rows[0]!;
}

/** The one query of a read: the checkpoint, the timeline's launches, its voided count, and what is new (all of it with `fromCheckpoint` false). */
export function timelineReadQuery(db: Q, { tenantId, learnerId, courseId, period }: TimelineKey, own: OwnBatch | undefined, fromCheckpoint: boolean) {
  const { from, to } = parsePeriod(period);
  const cp = db
    .selectFrom('timeline_checkpoints')
    .select(['statement_seq', 'heartbeat_id', 'voided', 'statements', 'heartbeats'])
    .where('tenant_id', '=', tenantId)
    .where('learner_id', '=', learnerId)
    .where('course_id', '=', courseId)
    .where('period', '=', period);
  const sinceSeq = fromCheckpoint ? sql`coalesce((select c.statement_seq from (${cp}) as c), 0)` : sql`0`;
  const sinceId = fromCheckpoint ? sql`coalesce((select c.heartbeat_id from (${cp}) as c), 0)` : sql`0`;
  const launches = launchesOf(db, tenantId, learnerId, courseId);
  const counted = db
    .selectFrom('statements as s')
    .select(['s.seq', 's.launch_registration as launch', 's.stored', 's.verb_id', ...statementFacts()])
    .where('s.voided', '=', false)
    .where('s.verb_id', 'in', COUNTED_VERBS);
  // Each launch's statements after the checkpoint (statements_launch: the row comparison keeps
  // statements_tenant_seq out), and the batch's own by its
  // launch and receipt time: two index ranges, not one condition with "or".
  const after = launches
    .innerJoinLateral(() => ofLaunch(counted.where(sql<boolean>`(s.launch_registration, s.seq) > (l.registration, ${sinceSeq})`), 's.launch_registration').as('n'), (j) => j.onTrue())
    .selectAll('n')
    .where('n.stored', '>=', from)
    .where('n.stored', '<', to);
  const statements = own ? after.unionAll(counted.where('s.tenant_id', '=', tenantId).where('s.launch_registration', '=', own.registration).where('s.stored', '=', own.stored).where('s.stored', '>=', from).where('s.stored', '<', to)) : after;
  const heartbeats = launches
    .innerJoinLateral(
      () =>
        ofLaunch(
          db
            .selectFrom('heartbeats as h')
            .select(['h.id', 'h.session_id', 'h.received_at', 'h.sent_at', 'h.media_time', 'h.playing'])
            // As a row comparison on (registration, id): heartbeats_launch_id's range, not the primary key's (tenant_id, id).
            .where(sql<boolean>`(h.registration, h.id) > (l.registration, ${sinceId})`),
          'h.registration',
        ).as('n'),
      (j) => j.onTrue(),
    )
    .selectAll('n')
    .where('n.received_at', '>=', from)
    .where('n.received_at', '<', to);
  const voided = launches
    .innerJoinLateral(
      () => ofLaunch(db.selectFrom('statements as s').select('s.stored').where('s.voided', '=', true).where('s.verb_id', 'in', COUNTED_VERBS), 's.launch_registration').as('n'),
      (j) => j.onTrue(),
    )
    .where('n.stored', '>=', from)
    .where('n.stored', '<', to)
    .select((eb) => eb.fn.countAll<number>().as('n'));
  return sql<ReadRow>`select
    ${fromCheckpoint ? sql`(select row_to_json(c) from (${cp}) as c)` : sql`null`} as checkpoint,
    (select coalesce(json_agg(l), '[]') from (${launches.select(['l.registration', 'l.superseded_at'])}) as l) as launches,
    (${voided}) as voided,
    (select coalesce(json_agg(r order by r.seq), '[]') from (${statements}) as r) as statements,
    (select coalesce(json_agg(r order by r.received_at, r.id), '[]') from (${heartbeats}) as r) as heartbeats,
    (select coalesce(json_agg(r), '[]') from (${attentionChecksQuery(db, tenantId, learnerId, courseId, from, to)}) as r) as checks`;
}

const ms = (v: Date | string) => new Date(v).getTime();

/** Facts absent and facts null read the same (`toTimeline` checks types), so the checkpoint keeps neither. */
const dropNulls = (_key: string, value: unknown) => (value === null ? undefined : value);
