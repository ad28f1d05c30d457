import type { IdToken } from './ltijs.js';
import type { LtiContext } from './context.js';
import { learnerIdOf } from './learner-id.js';
import type { Platform } from './platforms.js';
import { ltiDb } from './tables.js';

/**
 * Names and Role Provisioning: loads the context's members from the platform and records them,
 * so the class report lists who has not started yet. Members missing from the answer are marked
 * Deleted rather than forgotten.
 */
export async function syncRoster(ctx: LtiContext, platform: Platform & { tenantId: string }, token: IdToken): Promise<number> {
  const contextId = token.platformContext.context?.id;
  if (!contextId) return 0;
  const { members } = await ctx.provider.NamesAndRoles.getMembers(token, { pages: 20 });
  const l = ltiDb(ctx.db);
  const now = new Date();
  await l.transaction().execute(async (trx) => {
    for (const m of members) {
      const userId = String(m.user_id ?? '');
      if (!userId) continue;
      const learner = learnerIdOf(platform.learnerIdClaim, { sub: userId, email: m.email, sourcedId: m.lis_person_sourcedid });
      const values = {
        learner_id: learner.ok ? learner.id : null,
        name: typeof m.name === 'string' ? m.name : [m.given_name, m.family_name].filter(Boolean).join(' ') || null,
        email: typeof m.email === 'string' ? m.email : null,
        roles: JSON.stringify(Array.isArray(m.roles) ? m.roles : []),
        status: typeof m.status === 'string' ? m.status : 'Active',
        synced_at: now,
      };
      await trx
        .insertInto('lti_roster')
        .values({ tenant_id: platform.tenantId, platform_id: platform.id, context_id: contextId, lti_user_id: userId, ...values })
        .onConflict((oc) => oc.columns(['tenant_id', 'platform_id', 'context_id', 'lti_user_id']).doUpdateSet(values))
        .execute();
    }
    await trx.updateTable('lti_roster').set({ status: 'Deleted' }).where('tenant_id', '=', platform.tenantId).where('platform_id', '=', platform.id).where('context_id', '=', contextId).where('synced_at', '<', now).execute();
  });
  return members.length;
}
