import type { Kysely, Migration } from 'kysely';
import { runAll } from './run-all.js';

/** Links an admin makes for one LMS to register itself with a tenant (LTI Dynamic Registration); only the token's hash is kept. */
export const ltiRegistrationLinks: Migration = {
  async up(db: Kysely<any>) {
    await runAll(db, [
      `create table lti_registration_links ( tenant_id text not null references tenants(id), id text not null, token_hash text not null unique, created_at timestamptz not null default now(), expires_at timestamptz not null, claimed_at timestamptz, used_at timestamptz, revoked_at timestamptz, platform_id text, primary key (tenant_id, id) )`,
    ]);
  },
};
