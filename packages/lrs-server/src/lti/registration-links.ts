import { createHash, randomBytes } from 'node:crypto';
import { describeIssues } from '@xcredit/sdk/xapi';
import { Router } from 'express';
import { DEFAULT_LINK_HOURS, registrationLinkInput } from '@xcredit/sdk/contracts';
import { requireScope } from '../auth/principal.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/index.js';
import { HttpError, invalidInput } from '../http-error.js';
import { ltiDb } from './tables.js';

/** A link an admin hands to one LMS so it can register itself (LTI Dynamic Registration) with the admin's tenant. */
export interface RegistrationLink {
  id: string;
  createdAt: string;
  expiresAt: string;
  status: 'open' | 'used' | 'expired' | 'revoked';
  usedAt: string | null;
  revokedAt: string | null;
  /** The platform it registered, once used. */
  platformId: string | null;
}

/** A registration in progress holds its link this long; a crash mid-way frees it afterwards. */
const CLAIM_SECONDS = 120;

export { DEFAULT_LINK_HOURS };


const hash = (token: string) => createHash('sha256').update(token).digest('base64url');
const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

export function registrationUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/lti/register/${token}`;
}

/**
 * Makes a single-use registration link for a tenant; its token is shown once and only its hash kept.
 *
 * @example
 * const { url } = await createRegistrationLink(db, 'default', 'https://credits.example.com', clock());
 * // give `url` to the LMS as the tool's Dynamic Registration URL
 */
export async function createRegistrationLink(db: Db, tenantId: string, publicUrl: string, at: Date, expiresInHours = DEFAULT_LINK_HOURS): Promise<{ id: string; url: string; expiresAt: string }> {
  const token = randomBytes(32).toString('base64url');
  const id = `rl_${randomBytes(9).toString('base64url')}`;
  const expiresAt = new Date(at.getTime() + expiresInHours * 3600_000);
  await ltiDb(db).insertInto('lti_registration_links').values({ tenant_id: tenantId, id, token_hash: hash(token), expires_at: expiresAt }).execute();
  return { id, url: registrationUrl(publicUrl, token), expiresAt: expiresAt.toISOString() };
}

/** A tenant's links, with their status at `at` (the server's clock). */
export async function listRegistrationLinks(db: Db, tenantId: string, at: Date): Promise<RegistrationLink[]> {
  const rows = await ltiDb(db).selectFrom('lti_registration_links').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at').orderBy('id').execute();
  const now = at.getTime();
  return rows.map((r) => ({
    id: r.id,
    createdAt: iso(r.created_at)!,
    expiresAt: iso(r.expires_at)!,
    status: r.used_at ? 'used' : r.revoked_at ? 'revoked' : new Date(r.expires_at).getTime() <= now ? 'expired' : 'open',
    usedAt: iso(r.used_at),
    revokedAt: iso(r.revoked_at),
    platformId: r.platform_id,
  }));
}

/**
 * Takes an open link for one registration attempt, atomically: two attempts never share a link.
 * Unknown, expired, revoked, used or busy links give undefined.
 */
export async function claimRegistrationLink(db: Db, token: string, now: Date): Promise<{ tenantId: string; id: string } | undefined> {
  const row = await ltiDb(db)
    .updateTable('lti_registration_links')
    .set({ claimed_at: now })
    .where('token_hash', '=', hash(token))
    .where('used_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .where((eb) => eb.or([eb('claimed_at', 'is', null), eb('claimed_at', '<', new Date(now.getTime() - CLAIM_SECONDS * 1000))]))
    .returning(['tenant_id', 'id'])
    .executeTakeFirst();
  return row ? { tenantId: row.tenant_id, id: row.id } : undefined;
}

/** A failed attempt gives its link back, so the LMS can try again while it is valid. */
export async function releaseRegistrationLink(db: Db, link: { tenantId: string; id: string }): Promise<void> {
  await ltiDb(db).updateTable('lti_registration_links').set({ claimed_at: null }).where('tenant_id', '=', link.tenantId).where('id', '=', link.id).where('used_at', 'is', null).execute();
}

export async function completeRegistrationLink(db: Db, link: { tenantId: string; id: string }, platformId: string, at: Date): Promise<void> {
  await ltiDb(db).updateTable('lti_registration_links').set({ used_at: at, platform_id: platformId }).where('tenant_id', '=', link.tenantId).where('id', '=', link.id).execute();
}

/** `/api/v1/lti/registration-links`: make, list and revoke Dynamic Registration links (scope credits/admin). */
export function registrationLinksRouter(db: Db, config: { readonly publicUrl: string }, clock: Clock): Router {
  const router = Router();
  router.post('/lti/registration-links', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    const hasBody = (req.get('content-length') ?? '0') !== '0' || req.get('transfer-encoding') !== undefined;
    if (hasBody && !req.is('application/json')) throw new HttpError(400, 'invalid_input', `Content-Type must be application/json (got ${req.get('content-type') ?? 'none'})`);
    const parsed = registrationLinkInput.safeParse(req.body ?? {});
    if (!parsed.success) throw invalidInput(describeIssues(parsed.error), 'invalid request body');
    res.status(201).json(await createRegistrationLink(db, p.tenant.id, config.publicUrl, clock(), parsed.data.expiresInHours));
  });
  router.get('/lti/registration-links', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    res.json({ links: await listRegistrationLinks(db, p.tenant.id, clock()) });
  });
  router.delete('/lti/registration-links/:id', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    const revoked = await ltiDb(db)
      .updateTable('lti_registration_links')
      .set({ revoked_at: clock() })
      .where('tenant_id', '=', p.tenant.id)
      .where('id', '=', String(req.params.id))
      .where('revoked_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    if (!revoked) {
      const exists = await ltiDb(db).selectFrom('lti_registration_links').select('id').where('tenant_id', '=', p.tenant.id).where('id', '=', String(req.params.id)).executeTakeFirst();
      if (!exists) throw new HttpError(404, 'registration_link_not_found', `no registration link "${String(req.params.id)}" in this tenant`);
    }
    res.status(204).end();
  });
  return router;
}
