import { describeIssues } from '@xcredit/sdk/xapi';
import { Router, type Request } from 'express';
import { sql } from 'kysely';
import { z } from 'zod';
import { requireScope } from '../auth/principal.js';
import type { Db } from '../db/index.js';
import { HttpError, invalidInput } from '../http-error.js';
import { refusedDestination, STRICT_POLICY, type OutboundPolicy } from '../net/outbound.js';
import type { LtijsProvider } from './ltijs.js';
import { ltiDb, type LearnerIdClaim } from './tables.js';

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

export const platformInput = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(200),
  /** The platform's issuer (`iss` of its id_tokens). */
  issuer: httpUrl,
  /** The client id the platform gave xcredit (`aud` of its id_tokens). */
  clientId: z.string().min(1, 'must not be empty').max(200),
  authenticationEndpoint: httpUrl,
  accessTokenEndpoint: httpUrl,
  authorizationServer: z.string().min(1).max(500).optional(),
  jwksUrl: httpUrl,
  deploymentIds: z.array(z.string().min(1, 'must not be empty').max(200)).min(1, 'must list at least one deployment id'),
  learnerIdClaim: z.enum(['sub', 'email', 'lis.person_sourcedid']).default('sub'),
});
export type PlatformInput = z.input<typeof platformInput>;

export const approveInput = z.strictObject({
  deploymentIds: z.array(z.string().min(1).max(200)).min(1, 'must list at least one deployment id').optional(),
  learnerIdClaim: z.enum(['sub', 'email', 'lis.person_sourcedid']).optional(),
});

export interface Platform {
  id: string;
  name: string;
  issuer: string;
  clientId: string;
  deploymentIds: string[];
  learnerIdClaim: LearnerIdClaim;
  status: 'active' | 'pending';
  source: 'admin' | 'dynamic';
}

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

type Row = { id: string; name: string; issuer: string; client_id: string; deployment_ids: string[]; learner_id_claim: LearnerIdClaim; status: 'active' | 'pending'; source: 'admin' | 'dynamic' };
const toPlatform = (r: Row): Platform => ({
  id: r.id,
  name: r.name,
  issuer: r.issuer,
  clientId: r.client_id,
  deploymentIds: r.deployment_ids,
  learnerIdClaim: r.learner_id_claim,
  status: r.status,
  source: r.source,
});

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
  await platform.platformActive(status === 'active');
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

function body<T extends z.ZodType>(req: Request, schema: T): z.output<T> {
  if (!req.is('application/json')) throw new HttpError(400, 'invalid_input', `Content-Type must be application/json (got ${req.get('content-type') ?? 'none'})`);
  const parsed = schema.safeParse(req.body);
  if (!parsed.success) throw invalidInput(describeIssues(parsed.error), 'invalid request body');
  return parsed.data;
}

/** `/api/v1/lti/platforms`: register, list, read, approve and remove LMS platforms (scope credits/admin). */
export function platformsRouter(db: Db, lti: { provider(): LtijsProvider }, config: { readonly publicUrl: string }, outbound: OutboundPolicy = STRICT_POLICY): Router {
  const router = Router();
  router.post('/lti/platforms', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    const input = body(req, platformInput);
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
    const input = req.get('content-length') === '0' || req.body === undefined ? {} : body(req, approveInput);
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
