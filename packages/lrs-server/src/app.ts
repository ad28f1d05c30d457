import type { ErrorBody } from '@xcredit/sdk/contracts/wire';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { capabilitiesRouter } from './api.js';
import { authenticator } from './auth/principal.js';
import { SignInThrottle } from './auth/throttle.js';
import type { Config } from './config.js';
import type { Clock } from './clock.js';
import type { AppContext } from './context.js';
import { STRICT_POLICY, type OutboundPolicy } from './net/outbound.js';
import { engagementHook } from './launches/engine-hook.js';
import { CreditEvents } from './credits/ledger.js';
import { StatementHooks } from './launches/hooks.js';
import { cmi5Router } from './launches/cmi5.js';
import { cmi5PackageRouter } from './launches/cmi5-package.js';
import { openApiDocument } from './openapi.js';
import { reportsRouter } from './reports/routes.js';
import { certificatePages, certificatesApi } from './certificates/routes.js';
import { adminRouter } from './web/admin/routes.js';
import { creditWebhooks } from './webhooks/credit-events.js';
import { webhooksRouter } from './webhooks/routes.js';
import { historyRouter } from './history/routes.js';
import { unsubscribePages } from './reminders/routes.js';
import { checkinPages } from './attendance/pages.js';
import { healthRouter, type Lifecycle } from './ops/health.js';
import { requestLog } from './ops/request-log.js';
import { assignRequestId, bodyGuard, edgeGuard } from './edge.js';
import { HttpError } from './http-error.js';
import { ltiScoreHook } from './lti/grades.js';
import { platformsRouter } from './lti/platforms.js';
import { registrationLinksRouter } from './lti/registration-links.js';
import type { LtiService } from './lti/service.js';
import { apiRequestsOnly, cors, securityHeaders } from './web/headers.js';
import { webRouter } from './web/routes.js';
import { xapiRouter } from './xapi/router.js';
import type { ValidationPool } from './xapi/validation-pool.js';
import { SUPPORTED_VERSIONS } from './xapi/version.js';

export interface AppOptions {
  /** The database, clock, public URL and outbox the routes share. */
  context: AppContext;
  /** Who may frame the embeddable pages and call the APIs from a browser (docs/security.md); defaults as in `loadConfig`. */
  browser?: Partial<Pick<Config, 'frameAncestors' | 'allowedOrigins'>> | undefined;
  /** Learner and course the demo page launches, when the demo is seeded. */
  demo?: { tenantId: string; learnerId: string; courseId: string } | undefined;
  /** LTI 1.3 at /lti; the server deploys it after listening. */
  lti: LtiService;
  /** Threads that check large statement batches off the event loop; without it, the event loop does. */
  validation?: ValidationPool | undefined;
  /** Where the credits engine announces its changes; `creditEvents(context.clock)` unless a caller shares one. */
  events?: CreditEvents | undefined;
  /** Proxies whose X-Forwarded-For names the client, so sign-in limits count each client's address. */
  trustProxy?: number | string | undefined;
  /** Where webhooks may be delivered beyond public addresses; public addresses only by default. */
  webhookOutbound?: OutboundPolicy | undefined;
  /** Which non-public hosts an LMS's token and key URLs may name; public addresses only by default. */
  ltiOutbound?: OutboundPolicy | undefined;
  /** Where request logs go; none without it. */
  logger?: Logger | undefined;
  /** Whether the server is shutting down (`/readyz` then answers 503). */
  lifecycle?: Lifecycle | undefined;
}

/**
 * The credits engine's events and who hears them: webhooks (credits earned, awards, targets met).
 * Everything that changes credits (the app, LTI, the CLI, rule upgrades) gets one from here.
 */
export function creditEvents(clock: Clock): CreditEvents {
  return new CreditEvents().add(creditWebhooks(clock));
}

/** The whole HTTP surface: xAPI at /xapi, credits at /api/v1, pages and assets. */
export function createApp({ context, browser = {}, demo, lti, validation, events = creditEvents(context.clock), trustProxy, webhookOutbound = STRICT_POLICY, ltiOutbound = STRICT_POLICY, logger, lifecycle = { stopping: false } }: AppOptions): Express {
  const { db, config } = context;
  const app = express();
  if (trustProxy !== undefined) app.set('trust proxy', trustProxy);
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(assignRequestId);
  if (logger) app.use(requestLog(logger));
  app.use(edgeGuard);
  app.use(healthRouter(db, lifecycle, context.reads));
  const json = [express.json({ limit: '1mb', strict: true }), bodyGuard];
  // One lockout for every surface that takes a client key and secret.
  const throttle = new SignInThrottle(db);
  const auth = authenticator(db, throttle, context.clock);
  const hooks = new StatementHooks().add(engagementHook(events));
  hooks.add(ltiScoreHook);

  // Players run on vendors' sites and authenticate with headers, never cookies: unless origins are
  // configured, the APIs a player calls answer any origin; the rest of the credits API, none.
  const playerCors = cors(browser.allowedOrigins ?? ['*']);
  const apiCors = cors(browser.allowedOrigins ?? []);

  app.use(securityHeaders({ frameAncestors: browser.frameAncestors ?? ['*'] }));

  const xapi = express.Router();
  xapi.use(playerCors);
  xapi.get('/about', (_req, res) => {
    res.set('X-Experience-API-Version', '2.0.0');
    res.json({ version: [...SUPPORTED_VERSIONS], extensions: {} });
  });
  xapi.use(apiRequestsOnly, xapiRouter(context, auth, hooks, validation));
  app.use('/xapi', xapi);

  // The API's own description is public: it holds no data.
  app.get('/api/v1/openapi.json', (_req, res) => res.json(openApiDocument(config.publicUrl)));
  const api = express.Router();
  api.use((req, res, next) => (req.path.startsWith('/launches/current') ? playerCors : apiCors)(req, res, next));
  api.use(apiRequestsOnly, auth, json, capabilitiesRouter(context, events));
  api.use(reportsRouter(context));
  api.use(certificatesApi(context));
  api.use(webhooksRouter(context, webhookOutbound));
  // The history import, also on the dashboard's session (/admin → History import).
  const history = historyRouter(context, events);
  api.use(history);
  api.use(cmi5PackageRouter(context));
  // LMS platforms and registration links, also on the dashboard's session (/admin → LMS).
  const ltiAdmin = [platformsRouter(db, lti, config, ltiOutbound), registrationLinksRouter(db, config, context.clock)];
  api.use(...ltiAdmin);
  app.use('/api/v1', api);
  app.use('/cmi5', cmi5Router(context, events, auth, ltiOutbound));

  app.use('/lti', lti.handler);
  app.use(certificatePages(context));
  app.use(unsubscribePages(context));
  app.use(checkinPages());
  app.use(adminRouter(context, events, throttle, ...ltiAdmin, history));
  app.use(webRouter(context, events, demo));

  app.use((req: Request) => {
    throw new HttpError(404, 'not_found', `no route for ${req.method} ${req.path}`);
  });
  app.use(errorHandler);
  return app;
}

/**
 * Turns every failure into a JSON error. An unexpected one is logged with the request id and
 * answered with that id only: no database message or stack ever reaches a response body.
 */
function errorHandler(err: unknown, req: Request, res: Response, _next: NextFunction) {
  let error: HttpError;
  if (err instanceof HttpError) error = err;
  else if (isBodyParserError(err)) {
    error =
      err.type === 'entity.too.large'
        ? new HttpError(413, 'too_large', `request body is larger than the ${Math.round(err.limit / 1024)} KB limit`)
        : err.type === 'entity.parse.failed'
          ? new HttpError(400, 'malformed_json', `malformed JSON body: ${err.message}`)
          : new HttpError(err.status, 'bad_request', `request body: ${err.message}`);
  } else if (isClientHttpError(err)) {
    // Errors from Express's own middleware (static files, routing) that are about the request.
    error = new HttpError(err.status, err.status === 404 ? 'not_found' : 'bad_request', err.status === 404 ? `no such file: ${req.path}` : `path ${req.path}: ${err.message}`);
  } else error = internal(err, req);
  if (res.headersSent) {
    if (error.status >= 500 && !(err instanceof HttpError)) return void res.destroy();
    return void res.end();
  }
  if (error.headers) res.set(error.headers);
  if (!res.get('X-Experience-API-Version') && req.originalUrl.startsWith('/xapi')) res.set('X-Experience-API-Version', '2.0.0');
  res.status(error.status).json({ error: { status: error.status, code: error.code, message: error.message, ...(error.issues ? { issues: error.issues } : {}), requestId: req.requestId } } satisfies ErrorBody);
}

/** Logs an unexpected failure under the request's id and makes the generic 500 that names only that id. */
function internal(err: unknown, req: Request): HttpError {
  if (req.log) req.log.error({ err }, `${req.method} ${req.path} failed`);
  else console.error(`xcredit: request ${req.requestId ?? '-'} ${req.method} ${req.path} failed:`, err);
  return new HttpError(500, 'internal', `internal error (request ${req.requestId ?? 'unknown'}); nothing was stored. Retry, and report it with the request id if it persists`);
}

function isClientHttpError(err: unknown): err is { status: number; message: string } {
  const status = (err as { status?: unknown } | null)?.status;
  // serve-static marks a missing file 404 without `expose`; other 4xx from Express middleware expose theirs.
  return typeof status === 'number' && status >= 400 && status < 500 && ((err as { expose?: unknown }).expose === true || status === 404);
}

function isBodyParserError(err: unknown): err is { type: string; status: number; message: string; limit: number } {
  const status = (err as { status?: unknown } | null)?.status;
  // body-parser's 4xx are about the request; a 5xx of its own is ours, and answered as one.
  return typeof err === 'object' && err !== null && typeof (err as { type?: unknown }).type === 'string' && typeof status === 'number' && status >= 400 && status < 500;
}
