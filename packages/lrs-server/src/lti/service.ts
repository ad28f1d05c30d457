import type { ErrorBody } from '@xcredit/sdk/contracts/wire';
import type { NextFunction, Request, Response } from 'express';
import { DEFAULT_TENANT } from '../auth/clients.js';
import type { Db } from '../db/index.js';
import { withOutboundPolicy, type OutboundPolicy } from '../net/outbound.js';
import { findBadText } from '../edge.js';
import { describeTokenError, LaunchError, sendLaunchError } from './errors.js';
import { handleDeepLinkingRequest, handleDeepLinkingResponse } from './deep-linking.js';
import type { LtiContext } from './context.js';
import type { CreditEvents } from '../credits/ledger.js';
import { handleResourceLaunch } from './launch.js';
import { newProvider, type LtijsProvider } from './ltijs.js';
import { newWindowPage } from './pages.js';
import { handleDynamicRegistration } from './registration.js';
import { adoptSecretKey } from './secret.js';
import { LtiStore } from './store.js';
import { ltiDb } from './tables.js';

export interface LtiService {
  /** Mount at /lti. Answers 503 with the reason until deployed, or when deploying failed. */
  handler(req: Request, res: Response, next: NextFunction): void;
  /** Connects ltijs to storage. Rejects with a clear message instead of exiting the process. */
  deploy(): Promise<void>;
  /** The ltijs provider; throws while LTI is not deployed. */
  provider(): LtijsProvider;
  readonly state: { status: 'idle' | 'ready' | 'failed'; reason?: string };
  close(): Promise<void>;
  /** Set by the server: wakes the outbox worker when a grade may be owed. */
  onKick?: () => void;
}

export interface LtiOptions {
  /** Encrypts the key pairs ltijs stores and signs its tokens (see `resolveSecretKey`). */
  secretKey: string;
  /** Which non-public hosts requests to platforms may reach. */
  outbound: OutboundPolicy;
  /** Where launches' credit changes are announced (see `creditEvents` in app.ts). */
  events: CreditEvents;
}
const TRY_AGAIN_HINT = 'Start the activity again from your learning platform. If it keeps happening, send the request id to your administrator.';

/**
 * LTI 1.3 Advantage through ltijs, running serverless inside xcredit's Express app at /lti, its
 * records in xcredit's database (see store.ts).
 *
 * @example
 * const lti = createLti(db, config, { secretKey: resolveSecretKey(config), outbound: config.ltiOutbound, events: creditEvents() });
 * app.use('/lti', lti.handler);
 * await lti.deploy(); // after the server listens
 */
export function createLti(db: Db, config: { readonly publicUrl: string }, options: LtiOptions): LtiService {
  const state: LtiService['state'] = { status: 'idle' };
  let provider: LtijsProvider | undefined;

  const service: LtiService = {
    state,
    handler(req, res, next) {
      if (state.status !== 'ready' || !provider) {
        res.status(503).json({ error: { status: 503, code: 'lti_unavailable', message: state.status === 'failed' ? `LTI is unavailable: ${state.reason}` : 'LTI is starting; try again in a moment' } } satisfies ErrorBody);
        return;
      }
      // ltijs is an Express 4 app: it re-parents req and res, so give them back to ours afterwards.
      // Express 5 computes req.query in a getter of its own request prototype; keep the value.
      Object.defineProperty(req, 'query', { value: req.query, writable: true, configurable: true, enumerable: true });
      const reqProto = Object.getPrototypeOf(req);
      const resProto = Object.getPrototypeOf(res);
      const app = provider.app;
      withOutboundPolicy(options.outbound, () =>
        app(req, res, (err?: unknown) => {
          Object.setPrototypeOf(req, reqProto);
          Object.setPrototypeOf(res, resProto);
          next(err);
        }),
      );
    },
    provider() {
      if (!provider || state.status !== 'ready') throw new Error(`LTI is not available${state.reason ? `: ${state.reason}` : ''}`);
      return provider;
    },
    async deploy() {
      try {
        const store = new LtiStore(db);
        await adoptSecretKey(db, options.secretKey);
        const p = newProvider();
        setup(p, store, options.secretKey, db, config, options.outbound, options.events, () => service.onKick?.());
        // Grade and roster calls run from the outbox worker, outside any request: give them the policy too.
        for (const serviceObject of [p.Grade, p.NamesAndRoles] as unknown as Array<Record<string, unknown>>) runUnder(options.outbound, serviceObject);
        await deployWithoutExit(p);
        provider = p;
        state.status = 'ready';
        delete state.reason;
      } catch (err) {
        state.status = 'failed';
        state.reason = err instanceof Error ? err.message : String(err);
        throw new Error(`LTI could not start: ${state.reason}`, { cause: err });
      }
    },
    async close() {
      state.status = 'idle';
      provider = undefined;
    },
  };
  return service;
}

/** Makes each method of an ltijs service run under the outbound policy. */
function runUnder(policy: OutboundPolicy, target: Record<string, unknown>) {
  for (let proto = Object.getPrototypeOf(target); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const method = target[name];
      if (name === 'constructor' || typeof method !== 'function' || Object.hasOwn(target, name)) continue;
      target[name] = (...args: unknown[]) => withOutboundPolicy(policy, () => (method as (...a: unknown[]) => unknown).apply(target, args));
    }
  }
}

/** ltijs calls process.exit when deploy fails; here that becomes a rejected promise. */
async function deployWithoutExit(p: LtijsProvider): Promise<void> {
  const exit = process.exit;
  const sigint = process.listeners('SIGINT');
  const log = console.log;
  let failure: unknown;
  process.exit = ((code?: number) => {
    throw new Error(`ltijs tried to exit the process (code ${code ?? 0})`, { cause: failure });
  }) as typeof process.exit;
  console.log = (...args: unknown[]) => {
    if (args[0] === 'Error during deployment: ') failure = args[1];
    else log(...args);
  };
  try {
    await p.deploy({ serverless: true, silent: true });
  } catch (err) {
    throw failure instanceof Error ? failure : err;
  } finally {
    process.exit = exit;
    console.log = log;
    // ltijs adds a SIGINT handler that exits at once; the server shuts down on its own terms.
    for (const l of process.listeners('SIGINT')) if (!sigint.includes(l)) process.removeListener('SIGINT', l);
  }
}

function setup(p: LtijsProvider, store: LtiStore, key: string, db: Db, config: { readonly publicUrl: string }, outbound: OutboundPolicy, events: CreditEvents, kick: () => void) {
  const ctx: LtiContext = { db, config, provider: p, events, kick };
  const guard = (fn: (req: Request, res: Response, next: NextFunction) => Promise<void>) => (req: Request, res: Response, next: NextFunction) => fn(req, res, next).catch(next);
  const secure = true;
  p.setup(key, { plugin: store, url: 'xcredit://store' }, {
    appRoute: '/',
    loginRoute: '/login',
    keysetRoute: '/keys',
    dynRegRoute: '/register',
    // No session cookie after launch: each page carries its ltik, so launches survive blocked third-party cookies.
    ltiaas: true,
    tokenMaxAge: 60,
    cors: false,
    // Inside an LMS iframe the OIDC state cookie is a third-party cookie: it must be SameSite=None; Secure.
    cookies: { secure, sameSite: 'None' },
    serverAddon: (app: { use(fn: (req: Request, res: Response, next: NextFunction) => void): void }) => {
      app.use(launchInputGuard);
      app.use(rememberLogin(db));
      // ltijs serves its own registration only with a fixed URL set at setup; ours uses the public URL of the moment
      // and starts only from a registration link (/register/<token>).
      app.use((req, res, next) => {
        const match = /^\/register(?:\/([^/]*))?\/?$/.exec(req.path);
        return match ? guard(() => handleDynamicRegistration({ ...ctx, outbound }, match[1] ?? '', req, res))(req, res, next) : next();
      });
    },
  });
  p.onConnect((token, req, res, next) => guard(() => handleResourceLaunch(ctx, token, req, res))(req, res, next));
  p.onDeepLinking((token, req, res, next) => guard(() => handleDeepLinkingRequest(ctx, token, req, res))(req, res, next));
  p.app.post('/deep-link', (req: Request, res: Response, next: NextFunction) => guard(() => handleDeepLinkingResponse(ctx, req, res))(req, res, next));
  p.onInvalidToken((req, res) =>
    invalidToken(db, config, req, res).catch((err) => {
      // The page names the request; the log keeps the cause, which may be a database's message.
      console.error(`xcredit: request ${req.requestId ?? '-'} ${req.method} /lti${req.path} failed:`, err);
      sendLaunchError(res, new LaunchError(500, 'internal', 'Something went wrong', `An internal error stopped this launch (request ${req.requestId ?? 'unknown'}).`, TRY_AGAIN_HINT));
    }),
  );
  p.onSessionTimeout((_req, res) =>
    sendLaunchError(res, new LaunchError(401, 'session_expired', 'This page has expired', 'The link this page came from is no longer valid.', 'Start the activity again from your learning platform.')),
  );
  p.onUnregisteredPlatform((req, res) => {
    const params = { ...req.query, ...(req.body ?? {}) } as Record<string, unknown>;
    sendLaunchError(res, new LaunchError(400, 'unknown_platform', 'This platform is not registered', `No platform is registered with issuer ${String(params.iss ?? '(none)')}${params.client_id ? ` and client id "${String(params.client_id)}"` : ''}.`, 'An xcredit administrator registers platforms (see docs/lti.md).'));
  });
  p.onInactivePlatform((req, res) => {
    const params = { ...req.query, ...(req.body ?? {}) } as Record<string, unknown>;
    sendLaunchError(res, describeTokenError('PLATFORM_NOT_ACTIVATED', { iss: String(params.iss ?? '') }));
  });
}

/**
 * Refuses, before ltijs reads them, parameters the database cannot store and an OIDC state that
 * is not the token a login issued (ltijs makes a cookie name of it).
 */
function launchInputGuard(req: Request, res: Response, next: NextFunction) {
  const malformed = (text: string) => sendLaunchError(res, new LaunchError(400, 'malformed_request', 'This launch is malformed', text, 'Start the activity again from your learning platform.'));
  const bad = (Buffer.isBuffer(req.body) ? undefined : findBadText(req.body, 'body')) ?? findBadText(req.query, 'query');
  if (bad) return malformed(`The request's ${bad.path} ${bad.message}.`);
  const state = (req.body as Record<string, unknown> | undefined)?.state ?? req.query.state;
  if (state !== undefined && (typeof state !== 'string' || !/^[\w.~-]{1,512}$/.test(state))) return malformed('The state parameter is not one a login issued.');
  next();
}

/**
 * Remembers each login's parameters by its OIDC state, so a launch that arrives without the
 * state cookie (a browser refusing third-party cookies) can be restarted in a window of its own.
 */
function rememberLogin(db: Db) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.path !== '/login') return next();
    const params = Object.fromEntries(Object.entries({ ...req.query, ...(req.body ?? {}) }).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
    const missing = ['iss', 'login_hint', 'target_link_uri'].filter((name) => !params[name]);
    if (missing.length) {
      return sendLaunchError(res, new LaunchError(400, 'incomplete_login', 'This launch is incomplete', `The login request lacks ${missing.join(', ')}: a third-party initiated login needs iss, login_hint and target_link_uri.`, 'Start the activity from your learning platform.'));
    }
    const redirect = res.redirect.bind(res) as (url: string) => void;
    (res as { redirect: unknown }).redirect = (url: string) => {
      const stateParam = URL.canParse(url) ? new URL(url).searchParams.get('state') : null;
      if (!stateParam) return redirect(url);
      ltiDb(db)
        .insertInto('lti_logins')
        .values({ tenant_id: DEFAULT_TENANT.id, state: stateParam, params: JSON.stringify(params) })
        .onConflict((oc) => oc.columns(['tenant_id', 'state']).doNothing())
        .execute()
        .then(
          () => redirect(url),
          (err) => next(err),
        );
    };
    next();
  };
}

async function invalidToken(db: Db, config: { readonly publicUrl: string }, req: Request, res: Response): Promise<void> {
  const err = res.locals.err as { details?: { message?: string } } | undefined;
  const code = err?.details?.message ?? 'unknown';
  const idToken = typeof req.body?.id_token === 'string' ? req.body.id_token : undefined;
  const claims = idToken ? decodeJwt(idToken) : undefined;
  if (code === 'MISSING_VALIDATION_COOKIE' && typeof req.body?.state === 'string') {
    const login = await ltiDb(db).selectFrom('lti_logins').select('params').where('tenant_id', '=', DEFAULT_TENANT.id).where('state', '=', req.body.state).executeTakeFirst();
    if (login) {
      const url = `${config.publicUrl}/lti/login?${new URLSearchParams(login.params as Record<string, string>).toString()}`;
      res.status(200).set('Cache-Control', 'no-store').type('html').send(newWindowPage(url));
      return;
    }
  }
  if (!idToken && code !== 'NO_LTIK_OR_IDTOKEN_FOUND') {
    return sendLaunchError(res, new LaunchError(401, 'invalid_session', 'This page has expired', `The page's launch session could not be verified (${code}).`, 'Start the activity again from your learning platform.'));
  }
  if (code === 'NO_LTIK_OR_IDTOKEN_FOUND') {
    return sendLaunchError(res, new LaunchError(401, 'no_launch', 'Nothing to launch', 'This address is opened by your learning platform with an LTI launch; it was opened without one.', 'Open the activity from your learning platform.'));
  }
  const aud = claims?.payload.aud;
  sendLaunchError(
    res,
    describeTokenError(code, { iss: typeof claims?.payload.iss === 'string' ? claims.payload.iss : undefined, aud: Array.isArray(aud) ? aud.join(', ') : typeof aud === 'string' ? aud : undefined, kid: typeof claims?.header.kid === 'string' ? claims.header.kid : undefined }),
  );
}

function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } | undefined {
  const [h, p] = token.split('.');
  try {
    return { header: JSON.parse(Buffer.from(h ?? '', 'base64url').toString('utf8')), payload: JSON.parse(Buffer.from(p ?? '', 'base64url').toString('utf8')) };
  } catch {
    return undefined;
  }
}
