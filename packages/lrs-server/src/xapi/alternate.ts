import express, { type NextFunction, type Request, type Response } from 'express';
import { badText } from '../edge.js';
import { HttpError } from '../http-error.js';
import { JSON_LIMIT, mediaType } from './body.js';

const METHODS = new Set(['GET', 'HEAD', 'PUT', 'POST', 'DELETE']);
// Form fields that stand for headers (xAPI 1.0.3, Communication 1.3).
const HEADER_FIELDS = new Set(['authorization', 'x-experience-api-version', 'content-type', 'content-length', 'if-match', 'if-none-match']);
const form = express.raw({ type: () => true, limit: JSON_LIMIT });

/**
 * The 1.0.3 alternate request syntax: `POST …?method=PUT` with an urlencoded form whose fields
 * are headers, query parameters and `content` (the body). The request is rewritten into the one
 * it stands for before versioning, authentication and routing see it. xAPI 2.0.0 removed the
 * syntax, so a form that declares (or a request that asks for) 2.0.0 is refused.
 */
export function alternateSyntax(req: Request, res: Response, next: NextFunction) {
  const url = new URL(req.url, 'http://x');
  const method = url.searchParams.get('method');
  if (method === null) return next();
  if (req.method !== 'POST') throw new HttpError(400, 'invalid_input', `the "method" query parameter (alternate request syntax) is only allowed on POST, not ${req.method}`);
  const extra = [...url.searchParams.keys()].filter((k) => k !== 'method');
  if (extra.length) throw new HttpError(400, 'invalid_input', `the alternate request syntax allows no query parameter but "method" (got ${extra.join(', ')}); send them as form fields`);
  if (!METHODS.has(method.toUpperCase())) throw new HttpError(400, 'invalid_input', `method "${method}" is not GET, HEAD, PUT, POST or DELETE`);
  if (mediaType(req.get('content-type')) !== 'application/x-www-form-urlencoded') {
    throw new HttpError(400, 'invalid_input', 'the alternate request syntax needs Content-Type application/x-www-form-urlencoded');
  }
  form(req, res, (err?: unknown) => {
    if (err) return next(err);
    const fields = new URLSearchParams(Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '');
    const query = new URLSearchParams();
    let content: string | undefined;
    delete req.headers['content-type'];
    for (const [name, value] of fields) {
      const bad = badText(name) ?? badText(value);
      if (bad) return next(new HttpError(400, 'invalid_input', `form field ${name.slice(0, 100)} ${bad}`));
      const lower = name.toLowerCase();
      if (lower === 'content') content = value;
      else if (HEADER_FIELDS.has(lower)) {
        if (lower !== 'content-length') req.headers[lower] = value;
      } else query.append(name, value);
    }
    const version = req.get('x-experience-api-version');
    if (version !== undefined && /^2\./.test(version)) {
      return next(new HttpError(400, 'invalid_input', 'xAPI 2.0.0 has no alternate request syntax; send the request itself'));
    }
    const verb = method.toUpperCase();
    if ((verb === 'PUT' || verb === 'POST') && content === undefined) {
      return next(new HttpError(400, 'invalid_input', `an alternate-syntax ${verb} needs the body in the "content" form field`));
    }
    req.method = verb;
    if (verb === 'HEAD') answerWithoutBody(res);
    const qs = query.toString();
    req.url = `${url.pathname}${qs ? `?${qs}` : ''}`;
    if (content !== undefined && !req.headers['content-type']) req.headers['content-type'] = 'application/json';
    if (content === undefined) delete req.headers['content-type'];
    req.rawBody = Buffer.from(content ?? '', 'utf8');
    next();
  });
}

/**
 * A HEAD sent as a POST: Express, seeing HEAD, sends the GET's headers and no body, but the
 * client asked with POST and reads as many bytes as Content-Length says. The answer's body is
 * empty, and so it says.
 */
function answerWithoutBody(res: Response) {
  const writeHead = res.writeHead;
  res.writeHead = function (this: Response, ...args: Parameters<typeof writeHead>) {
    this.setHeader('Content-Length', '0');
    this.removeHeader('Transfer-Encoding');
    return writeHead.apply(this, args);
  } as typeof writeHead;
}
