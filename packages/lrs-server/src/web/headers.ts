import { createHash } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';
import { HttpError } from '../http-error.js';
import { CHECKIN_SCRIPT } from '../attendance/pages.js';
import { AU_LANG_SCRIPT } from '../launches/cmi5.js';
import { DEEP_LINK_SUBMIT_SCRIPT, REGISTRATION_CLOSE_SCRIPT } from '../lti/pages.js';
import { DEMO_SCRIPT, PLAY_SCRIPT } from './pages.js';

/**
 * Security headers for every route, chosen by path (docs/security.md explains each choice):
 *
 * - /xapi, /api/v1 and everything not named below: a CSP `sandbox` with no source allowed, so a
 *   response a browser renders anyway (a stored document, an error) runs no script and has an
 *   origin of its own, never ours; never framed.
 * - /admin: the dashboard: our scripts only, never framed.
 * - /play, /demo, /cmi5, /lti: the pages made to be embedded: our scripts (and the few inline
 *   ones, by hash), framed only by `frameAncestors` (`XCREDIT_FRAME_ANCESTORS`).
 * - /certificates: the public verification page (no script at all) and its PDF.
 * - /static, /media: the player bundles and demo media, which other sites load.
 *
 * @example
 * app.use(securityHeaders({ frameAncestors: ['https://lms.example.edu'] }));
 */
export function securityHeaders({ frameAncestors }: { frameAncestors: readonly string[] }): RequestHandler {
  const common = { 'base-uri': ["'none'"], 'object-src': ["'none'"] };
  const inert = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { 'default-src': ["'none'"], sandbox: [], 'frame-ancestors': ["'none'"], 'form-action': ["'none'"], ...common } },
    xFrameOptions: { action: 'deny' },
    crossOriginOpenerPolicy: { policy: 'same-origin-allow-popups' },
  });
  const admin = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        // Lit templates carry style attributes; styles cannot run script.
        'style-src': ["'self'", "'unsafe-inline'"],
        'img-src': ["'self'", 'data:'],
        'connect-src': ["'self'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
        ...common,
      },
    },
    xFrameOptions: { action: 'deny' },
    // Only the dashboard's own pages share a browsing context group with it: a window any other page
    // of ours opens on /admin is out of that page's reach.
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    // With no-referrer a browser sends `Origin: null` with the sign-in form, and the same-origin check refuses it.
    referrerPolicy: { policy: 'same-origin' },
  });
  const embeddable = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'", ...INLINE_SCRIPTS.map(scriptHash)],
        'style-src': ["'self'", "'unsafe-inline'"],
        // A course's video, poster, captions and HLS segments may live on any host the vendor names
        // (plain http on a LAN too); video.js transmuxes in a blob: worker. Scripts stay our own.
        'img-src': ['*', 'data:', 'blob:'],
        'media-src': ['*', 'data:', 'blob:'],
        'connect-src': ['*'],
        'worker-src': ["'self'", 'blob:'],
        'font-src': ["'self'", 'data:'],
        'frame-ancestors': [...frameAncestors],
        ...common,
      },
    },
    // frame-ancestors decides who frames these pages; X-Frame-Options cannot name other sites.
    xFrameOptions: false,
    // An LMS that opens the player in a window keeps its handle on it (cmi5 waits for it to close).
    crossOriginOpenerPolicy: false,
    crossOriginResourcePolicy: { policy: 'cross-origin' },
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
  });
  const certificate = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { 'default-src': ["'none'"], 'style-src': ["'unsafe-inline'"], 'img-src': ["'self'"], 'form-action': ["'none'"], 'frame-ancestors': ["'none'"], ...common },
    },
    xFrameOptions: { action: 'deny' },
    crossOriginOpenerPolicy: { policy: 'same-origin-allow-popups' },
  });
  // The unsubscribe page of a reminder mail: no script, one form posting back to itself.
  const unsubscribe = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { 'default-src': ["'none'"], 'style-src': ["'unsafe-inline'"], 'form-action': ["'self'"], 'frame-ancestors': ["'none'"], ...common },
    },
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
  // Our own PDF, its text escaped: Chrome's PDF viewer does not open under `sandbox` or `object-src 'none'`.
  const pdf = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { 'default-src': helmet.contentSecurityPolicy.dangerouslyDisableDefaultSrc, 'frame-ancestors': ["'none'"] } },
    xFrameOptions: { action: 'deny' },
    crossOriginOpenerPolicy: { policy: 'same-origin-allow-popups' },
  });
  // Vendors' pages load the player bundle and media by <script>, <video> and <track>; a policy for
  // documents has no say over a script or a video file.
  const files = helmet({ contentSecurityPolicy: false, crossOriginResourcePolicy: { policy: 'cross-origin' }, crossOriginOpenerPolicy: { policy: 'same-origin-allow-popups' } });
  const assets: RequestHandler = (req, res, next) => {
    res.set('Access-Control-Allow-Origin', '*');
    files(req, res, next);
  };

  // Anything else, in whatever case Express routes it, is inert: a mismatch only ever makes a page stricter.
  const byPath: [prefixes: string[], policy: RequestHandler][] = [
    [['/admin'], admin],
    [['/play', '/demo', '/cmi5', '/lti', '/checkin'], embeddable],
    [['/certificates'], certificate],
    [['/reminders'], unsubscribe],
    [['/static', '/media'], assets],
  ];
  return (req, res, next) => {
    const path = req.path;
    const policy = byPath.find(([prefixes]) => prefixes.some((p) => path === p || path.startsWith(`${p}/`)))?.[1] ?? inert;
    (policy === certificate && path.endsWith('.pdf') ? pdf : policy)(req, res, next);
  };
}

/** The CSP source allowing an inline script with exactly this text. */
export function scriptHash(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** Inline scripts of the embeddable pages; any other inline script is refused by their CSP. */
const INLINE_SCRIPTS = [
  PLAY_SCRIPT,
  DEMO_SCRIPT,
  AU_LANG_SCRIPT,
  REGISTRATION_CLOSE_SCRIPT,
  DEEP_LINK_SUBMIT_SCRIPT,
  CHECKIN_SCRIPT,
];

/**
 * Refuses a browser request to an API that a page did not make with fetch/XMLHttpRequest in CORS
 * mode: a form submission, a navigation, a frame or a no-cors request may carry credentials the
 * browser remembers (HTTP Basic), or (the 1.0.3 alternate request syntax) in its own form, and
 * its answer could be shown as a page. No xAPI or credits client sends one.
 */
export function apiRequestsOnly(req: Request, _res: Response, next: NextFunction) {
  const mode = req.get('sec-fetch-mode');
  if (mode === 'navigate' || mode === 'nested-navigate' || mode === 'no-cors') {
    throw new HttpError(403, 'forbidden', `a browser ${mode === 'no-cors' ? 'no-cors request' : 'navigation or form submission'} cannot call this API; call it with fetch or XMLHttpRequest (CORS)`);
  }
  next();
}

/**
 * Cross-origin access to an API. `origins` are the allowed origins, or `*` for any; credentials
 * are never allowed, so a browser sends no cookie or remembered password with these requests.
 */
export function cors(origins: readonly string[]): RequestHandler {
  const any = origins.includes('*');
  return (req, res, next) => {
    const origin = req.get('origin');
    if (!any) res.vary('Origin');
    if (any || (origin !== undefined && origins.includes(origin.toLowerCase()))) {
      res.set('Access-Control-Allow-Origin', any ? '*' : origin);
      res.set('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Experience-API-Version, If-Match, If-None-Match');
      res.set('Access-Control-Allow-Methods', 'GET, HEAD, POST, PUT, DELETE, OPTIONS');
      res.set('Access-Control-Expose-Headers', 'X-Experience-API-Version, X-Experience-API-Consistent-Through, ETag, Last-Modified');
      res.set('Access-Control-Max-Age', '600');
    }
    if (req.method === 'OPTIONS') return void res.status(204).end();
    next();
  };
}
