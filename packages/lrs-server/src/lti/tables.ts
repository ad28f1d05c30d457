import type { ColumnType, Generated, Kysely } from 'kysely';
import type { Db } from '../db/index.js';
import type { OutboxTable } from '../jobs/outbox.js';

type Json<T> = ColumnType<T, string, string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, Date | string>;

/** The tables of migrations 0020, 0021 and 0024, kept beside the code that owns them. */
export type LtiTables = {
  outbox: OutboxTable;
  lti_documents: { id: Generated<string>; tenant_id: string; collection: string; doc: Json<Record<string, unknown>>; created_at: CreatedAt };
  lti_platforms: {
    tenant_id: string;
    id: string;
    issuer: string;
    client_id: string;
    name: string;
    deployment_ids: Json<string[]>;
    learner_id_claim: LearnerIdClaim;
    status: 'active' | 'pending';
    source: 'admin' | 'dynamic';
    last_launch: ColumnType<LastLaunch | null, string | null | undefined, string | null>;
    created_at: CreatedAt;
  };
  lti_links: { tenant_id: string; platform_id: string; resource_link_id: string; course_id: string; context_id: string | null; line_item_url: string | null; created_at: CreatedAt };
  lti_registration_links: {
    tenant_id: string;
    id: string;
    token_hash: string;
    created_at: CreatedAt;
    expires_at: ColumnType<Date, Date | string, Date | string>;
    claimed_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
    used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
    revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
    platform_id: string | null;
  };
  lti_logins: { tenant_id: string; state: string; params: Json<Record<string, string>>; created_at: CreatedAt };
  lti_grade_targets: {
    tenant_id: string;
    platform_id: string;
    resource_link_id: string;
    lti_user_id: string;
    learner_id: string;
    course_id: string;
    context_id: string | null;
    line_item_url: string | null;
    line_items_url: string | null;
    last_score: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
    synced_seq: ColumnType<string, string | undefined, string>;
    updated_at: CreatedAt;
  };
  lti_roster: {
    tenant_id: string;
    platform_id: string;
    context_id: string;
    lti_user_id: string;
    learner_id: string | null;
    name: string | null;
    email: string | null;
    roles: Json<string[]>;
    status: string;
    synced_at: CreatedAt;
  };
};

export type LearnerIdClaim = 'sub' | 'email' | 'lis.person_sourcedid';
/** The identity claims of the last verified launch from a platform (approved or not). */
export type LastLaunch = { at: string; name?: string | undefined; sub: string; email?: string | undefined; sourcedId?: string | undefined };
export type LtiDb = Kysely<Db extends Kysely<infer D> ? D & LtiTables : never>;

/** The shared database handle, seeing the LTI and outbox tables too. */
export function ltiDb(db: Db): LtiDb {
  return db.withTables<LtiTables>();
}
