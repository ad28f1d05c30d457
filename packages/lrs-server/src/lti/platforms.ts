import { Router } from 'express';
import { sql } from 'kysely';
import { approveInput, platformInput } from '@xcredit/sdk/contracts';
import type { z } from 'zod';
import { requireScope } from '../auth/principal.js';
import { learnerIdOf } from './learner-id.js';
import type { Db } from '../db/index.js';
import { HttpError, invalidInput } from '../http-error.js';
import { refusedDestination, STRICT_POLICY, type OutboundPolicy } from '../net/outbound.js';
import { jsonBody } from '../http-input.js';
import type { LtijsProvider } from './ltijs.js';
import { ltiDb, type LastLaunch, type LearnerIdClaim } from './tables.js';

export interface Platform {
  id: string;
  name: string;
  issuer: string;
  clientId: string;
  deploymentIds: string[];
  learnerIdClaim: LearnerIdClaim;
  status: 'active' | 'pending';
  source: 'admin' | 'dynamic';
  /** Who launched last (also while pending: the launch is verified, then refused). */
  lastLaunch: LastLaunch | null;
  /** What each learner-id rule makes of that launcher: the learner id the next launch of theirs would get. */
  learnerIdPreview: Record<LearnerIdClaim, LearnerIdResult> | null;
}

export type LearnerIdResult = { ok: true; id: string } | { ok: false; why: string };
const CLAIMS: LearnerIdClaim[] = ['sub', 'email', 'lis.person_sourcedid'];

export interface ToolUrls {
  loginUrl: string;
  launchUrl: string;
  deepLinkingUrl: string;
  jwksUrl: string;
  dynamicRegistrationUrl: string;
}

export function toolUrls(publicUrl: string): ToolUrls {
  return {
    loginUrl: `${publicUrl}/lti/login`,
    launchUrl: `${publicUrl}/lti`,
    deepLinkingUrl: `${publicUrl}/lti`,
    jwksUrl: `${publicUrl}/lti/keys`,
    dynamicRegistrationUrl: `${publicUrl}/lti/register`,
  };
}

type Row = { id: string; name: string; issuer: string; client_id: string; deployment_ids: string[]; learner_id_claim: LearnerIdClaim; status: 'active' | 'pending'; source: 'admin' | 'dynamic'; last_launch: LastLaunch | null };
const toPlatform = (r: Row): Platform => ({
  id: r.id,
  name: r.name,
  issuer: r.issuer,
  clientId: r.client_id,
  deploymentIds: r.deployment_ids,
  learnerIdClaim: r.learner_id_claim,
  status: r.status,
  source: r.source,
  lastLaunch: r.last_launch,
  learnerIdPreview: r.last_launch ? (Object.fromEntries(CLAIMS.map((c) => [c, learnerIdOf(c, r.last_launch!)])) as Record<LearnerIdClaim, LearnerIdResult>) : null,
});

/** Remembers who launched from a platform, unless it is the same person as last time. */
export async function rememberLauncher(db: Db, platform: Platform & { tenantId: string }, who: LastLaunch): Promise<void> {
  const last = platform.lastLaunch;
  if (last && last.sub === who.sub && last.email === who.email && last.sourcedId === who.sourcedId && last.name === who.name) return;
  await ltiDb(db).updateTable('lti_platforms').set({ last_launch: JSON.stringify(who) }).where('tenant_id', '=', platform.tenantId).where('id', '=', platform.id).execute();
}

/**
 * Registers a platform for a tenant: ltijs records it (and makes the tool's key pair for it),
 * xcredit records its tenant, deployments and learner-id rule. Dynamic registrations start pending.
 */
export async function registerPlatform(
  db: Db,
  provider: LtijsProvider,
  tenantId: string,
  input: z.output<typeof platformInput>,
  source: 'admin' | 'dynamic' = 'admin',
): Promise<Platform> {
  const l = ltiDb(db);
  const clash = await l.selectFrom('lti_platforms').select(['tenant_id', 'id']).where('issuer', '=', input.issuer).where('client_id', '=', input.clientId).executeTakeFirst();
  if (clash) throw alreadyRegistered(input, clash.tenant_id === tenantId ? clash.id : undefined);
  const platform = await provider.registerPlatform({
    url: input.issuer,
    name: input.name,
    clientId: input.clientId,
    authenticationEndpoint: input.authenticationEndpoint,
    accesstokenEndpoint: input.accessTokenEndpoint,
    authorizationServer: input.authorizationServer,
    authConfig: { method: 'JWK_SET', key: input.jwksUrl },
  });
  const id = await platform.platformId();
  const status = source === 'dynamic' ? 'pending' : 'active';
  // ltijs lets launches of a pending platform through: xcredit verifies them, remembers who launched
  // (the admin's preview) and refuses them itself (launch.ts).
  await platform.platformActive(true);
  try {
    const row = await l
      .insertInto('lti_platforms')
      .values({ tenant_id: tenantId, id, issuer: input.issuer, client_id: input.clientId, name: input.name, deployment_ids: JSON.stringify(input.deploymentIds), learner_id_claim: input.learnerIdClaim, status, source })
      .returningAll()
      .executeTakeFirstOrThrow();
    // ltijs wrote the platform's record and key pair before its tenant was known.
    await l
      .updateTable('lti_documents')
      .set({ tenant_id: tenantId })
      .where(sql<boolean>`doc @> ${JSON.stringify({ platformUrl: input.issuer, clientId: input.clientId })}::jsonb`)
      .execute();
    return toPlatform(row);
  } catch (err) {
    // Two registrations of one issuer and client id raced: ltijs's record is the winner's, keep it.
    if ((err as { code?: string }).code === '23505') throw alreadyRegistered(input, undefined);
    await provider.deletePlatformById(id);
    throw err;
  }
}

/**
 * Launches find their platform by issuer and client id alone, so the pair is unique across
 * tenants; a clash in another tenant is reported without naming or describing that tenant.
 */
function alreadyRegistered(input: { issuer: string; clientId: string }, ownPlatformId: string | undefined): HttpError {
  return ownPlatformId
    ? new HttpError(409, 'conflict', `a platform with issuer ${input.issuer} and client id "${input.clientId}" is already registered in this tenant (platform ${ownPlatformId})`)
    : new HttpError(409, 'conflict', `issuer ${input.issuer} with client id "${input.clientId}" cannot be registered: that pair is already in use; ask the LMS for a client id of your own`);
}

export async function getPlatformRow(db: Db, tenantId: string, id: string): Promise<Platform> {
  const row = await ltiDb(db).selectFrom('lti_platforms').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  if (!row) throw new HttpError(404, 'platform_not_found', `no LTI platform "${id}" in this tenant`);
  return toPlatform(row);
}

/** The platform a launch came from, whatever its tenant (issuer and client id are unique). */
export async function platformByIssuer(db: Db, issuer: string, clientId: string): Promise<(Platform & { tenantId: string }) | undefined> {
  const row = await ltiDb(db).selectFrom('lti_platforms').selectAll().where('issuer', '=', issuer).where('client_id', '=', clientId).executeTakeFirst();
  return row ? { ...toPlatform(row), tenantId: row.tenant_id } : undefined;
}

/** Activates a pending platform, optionally fixing its deployments and learner-id rule. */
export async function approvePlatform(db: Db, provider: LtijsProvider, tenantId: string, id: string, input: z.output<typeof approveInput>): Promise<Platform> {
  const current = await getPlatformRow(db, tenantId, id);
  const deploymentIds = input.deploymentIds ?? current.deploymentIds;
  if (deploymentIds.length === 0) throw invalidInput([{ path: 'deploymentIds', message: 'this platform has no deployment id yet: list at least one' }], 'invalid request body');
  const platform = await provider.getPlatformById(id);
  if (!platform) throw new HttpError(404, 'platform_not_found', `LTI platform "${id}" has no keys; register it again`);
  const row = await ltiDb(db)
    .updateTable('lti_platforms')
    .set({ status: 'active', deployment_ids: JSON.stringify(deploymentIds), ...(input.learnerIdClaim ? { learner_id_claim: input.learnerIdClaim } : {}) })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await platform.platformActive(true);
  return toPlatform(row);
}

/** `/api/v1/lti/platforms`: register, list, read, approve and remove LMS platforms (scope credits/admin). */
export function platformsRouter(db: Db, lti: { provider(): LtijsProvider }, config: { readonly publicUrl: string }, outbound: OutboundPolicy = STRICT_POLICY): Router {
  const router = Router();
  router.post('/lti/platforms', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    const input = jsonBody(req, platformInput);
    // The server fetches these two; refuse at once what it would refuse when it connects.
    const refused = (['accessTokenEndpoint', 'jwksUrl'] as const).flatMap((field) => {
      const why = refusedDestination(outbound, input[field]);
      return why ? [{ path: field, message: why }] : [];
    });
    if (refused.length > 0) throw invalidInput(refused, 'invalid request body');
    const platform = await registerPlatform(db, lti.provider(), p.tenant.id, input);
    res.status(201).json({ ...platform, tool: toolUrls(config.publicUrl) });
  });
  router.get('/lti/platforms', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    const rows = await ltiDb(db).selectFrom('lti_platforms').selectAll().where('tenant_id', '=', p.tenant.id).orderBy('created_at').execute();
    res.json({ platforms: rows.map(toPlatform), tool: toolUrls(config.publicUrl) });
  });
  router.get('/lti/platforms/:id', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    res.json(await getPlatformRow(db, p.tenant.id, String(req.params.id)));
  });
  router.post('/lti/platforms/:id/approve', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    const input = req.get('content-length') === '0' || req.body === undefined ? {} : jsonBody(req, approveInput);
    res.json(await approvePlatform(db, lti.provider(), p.tenant.id, String(req.params.id), input));
  });
  router.delete('/lti/platforms/:id', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    const platform = await getPlatformRow(db, p.tenant.id, String(req.params.id));
    await lti.provider().deletePlatformById(platform.id);
    await ltiDb(db).deleteFrom('lti_platforms').where('tenant_id', '=', p.tenant.id).where('id', '=', platform.id).execute();
    res.status(204).end();
  });
  return router;
}
