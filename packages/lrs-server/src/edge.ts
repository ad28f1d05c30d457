import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { HttpError } from './http-error.js';

/**
 * Checks every request makes at the edge, before any route reads it: text the database cannot
 * hold (a NUL character, half of a UTF-16 surrogate pair) is refused with a 400 naming where it
 * was, whatever the route. Routes then validate the meaning of their own parameters.
 */

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Names this request in the log and in error bodies (`X-Request-Id`). */
      requestId?: string;
    }
  }
}

/** What is wrong with text PostgreSQL cannot store (text, jsonb), or undefined when it is fine. */
export function badText(s: string): string | undefined {
  if (s.includes('\u0000')) return 'must not contain a NUL character (U+0000)';
  // A lone surrogate is not Unicode: jsonb refuses it and text turns it into U+FFFD.
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s)) return 'must be valid Unicode (it has an unpaired surrogate)';
  return undefined;
}

/** The first string (key or value) in a parsed value that `badText` refuses, with its path. */
export function findBadText(value: unknown, path: string, depth = 0): { path: string; message: string } | undefined {
  if (typeof value === 'string') {
    const message = badText(value);
    return message ? { path, message } : undefined;
  }
  if (!value || typeof value !== 'object' || depth > 64) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = findBadText(value[i], `${path}[${i}]`, depth + 1);
      if (bad) return bad;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(value)) {
    const keyProblem = badText(k);
    if (keyProblem) return { path: `${path} key ${JSON.stringify(k)}`, message: keyProblem };
    const bad = findBadText(v, path ? `${path}.${k}` : k, depth + 1);
    if (bad) return bad;
  }
  return undefined;
}

/** Throws a 400 naming `what` (e.g. `query parameter agent`) when it holds text the database cannot store. */
export function rejectBadText(value: unknown, what: string): void {
  const bad = findBadText(value, what);
  if (bad) throw new HttpError(400, 'invalid_input', `${bad.path} ${bad.message}`, [{ path: bad.path, message: bad.message }]);
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** Gives the request its id, a proxy's `X-Request-Id` when it is sane, and echoes it in the answer. */
export function assignRequestId(req: Request, res: Response, next: NextFunction) {
  const given = req.get('x-request-id');
  req.requestId = given && REQUEST_ID.test(given) ? given : randomUUID();
  res.set('X-Request-Id', req.requestId);
  next();
}

/** Refuses a path, query parameter or cookie that is malformed or holds text the database cannot store. */
export function edgeGuard(req: Request, _res: Response, next: NextFunction) {
  let path: string;
  try {
    path = decodeURIComponent(req.path);
  } catch {
    throw new HttpError(400, 'invalid_input', `path ${JSON.stringify(req.path)} has a malformed percent-encoding`);
  }
  rejectBadText(path, 'path');
  const qs = req.originalUrl.indexOf('?');
  const seen = new Set<string>();
  if (qs >= 0) {
    for (const part of req.originalUrl.slice(qs + 1).split('&')) {
      if (!part) continue;
      const eq = part.indexOf('=');
      const [name, value] = eq < 0 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)];
      const decode = (s: string, what: string) => {
        try {
          return decodeURIComponent(s.replace(/\+/g, ' '));
        } catch {
          throw new HttpError(400, 'invalid_input', `${what} has a malformed percent-encoding`);
        }
      };
      const key = decode(name, `query parameter name ${JSON.stringify(name.slice(0, 100))}`);
      rejectBadText(key, 'query parameter name');
      // No parameter of ours is a list; LTI platforms send what they send.
      if (seen.has(key) && !req.path.startsWith('/lti')) throw new HttpError(400, 'invalid_input', `query parameter ${key.slice(0, 100)} is given more than once`);
      seen.add(key);
      rejectBadText(decode(value, `query parameter ${key.slice(0, 100)}`), `query parameter ${key.slice(0, 100)}`);
    }
  }
  // A cookie whose value does not decode is left to its reader (another app's cookie may be anything).
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    let value: string;
    try {
      value = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      continue;
    }
    rejectBadText(value, `cookie ${part.slice(0, eq).trim().slice(0, 100)}`);
  }
  next();
}

/** After a body parser: refuses a parsed body (JSON, form or text) holding text the database cannot store. */
export function bodyGuard(req: Request, _res: Response, next: NextFunction) {
  if (req.body !== undefined && !Buffer.isBuffer(req.body)) rejectBadText(req.body, 'body');
  next();
}

/** Whether a date is one PostgreSQL stores as JavaScript reads it: years 0001 to 9999 (UTC). */
export function storableDate(d: Date): boolean {
  const year = d.getUTCFullYear();
  return !Number.isNaN(d.getTime()) && year >= 1 && year <= 9999;
}
