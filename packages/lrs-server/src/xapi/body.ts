import express, { type NextFunction, type Request, type Response } from 'express';
import { HttpError } from '../http-error.js';

/** Largest JSON statement body or document; a multipart body with attachments may be larger. */
export const JSON_LIMIT = 1024 * 1024;
export const MULTIPART_LIMIT = 16 * 1024 * 1024;

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The request body as bytes, read once by `rawBody` (or by the alternate request syntax). */
      rawBody?: Buffer;
    }
  }
}

const raw = express.raw({ type: () => true, limit: MULTIPART_LIMIT });

/** Reads every xAPI request body as bytes; each resource decides how to parse them. */
export function rawBody(req: Request, res: Response, next: NextFunction) {
  if (req.rawBody) return next();
  raw(req, res, (err?: unknown) => {
    if (err) return next(err);
    req.rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    next();
  });
}

/** The media type of a Content-Type value, lower case, without parameters. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** A Content-Type parameter, e.g. `boundary`. */
export function mediaParam(contentType: string | undefined, name: string): string | undefined {
  for (const part of (contentType ?? '').split(';').slice(1)) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim().toLowerCase() !== name) continue;
    return part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return undefined;
}

/** Parses a JSON body, refusing one over the JSON limit or malformed, naming what is wrong. */
export function parseJson(bytes: Buffer, what = 'body'): unknown {
  if (bytes.length > JSON_LIMIT) throw new HttpError(413, 'too_large', `${what} is larger than the ${JSON_LIMIT / 1024} KB limit`);
  if (bytes.length === 0) throw new HttpError(400, 'invalid_input', `${what} is empty`);
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, 'malformed_json', `malformed JSON ${what}: ${(err as Error).message}`);
  }
}

export interface Part {
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: Buffer;
}

/** Splits a multipart/mixed body into its parts. */
export function parseMultipart(body: Buffer, contentType: string | undefined): Part[] {
  const boundary = mediaParam(contentType, 'boundary');
  if (!boundary) throw new HttpError(400, 'invalid_input', 'multipart/mixed Content-Type needs a boundary parameter');
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Part[] = [];
  let at = body.indexOf(delimiter);
  if (at < 0) throw new HttpError(400, 'invalid_input', 'multipart body does not contain its boundary');
  for (;;) {
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, at);
    if (next < 0) throw new HttpError(400, 'invalid_input', 'multipart body is not closed by its final boundary');
    let chunk = body.subarray(at, next);
    // Each part starts after the line break that ends the boundary line and ends before the one that precedes the next.
    if (chunk.subarray(0, 2).toString() === '\r\n') chunk = chunk.subarray(2);
    else if (chunk[0] === 0x0a) chunk = chunk.subarray(1);
    if (chunk.subarray(-2).toString() === '\r\n') chunk = chunk.subarray(0, -2);
    else if (chunk[chunk.length - 1] === 0x0a) chunk = chunk.subarray(0, -1);
    let split = chunk.indexOf('\r\n\r\n');
    let gap = 4;
    if (split < 0) {
      split = chunk.indexOf('\n\n');
      gap = 2;
    }
    const headerText = split < 0 ? chunk.toString('utf8') : chunk.subarray(0, split).toString('utf8');
    const headers: Record<string, string> = {};
    for (const line of headerText.split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    parts.push({ headers, body: split < 0 ? Buffer.alloc(0) : chunk.subarray(split + gap) });
    at = next;
  }
  return parts;
}

/** Builds a multipart/mixed body; returns it with its Content-Type. */
export function buildMultipart(parts: Part[]): { body: Buffer; contentType: string } {
  const boundary = `xcredit-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const head = Object.entries(part.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    chunks.push(Buffer.from(`--${boundary}\r\n${head}\r\n`), part.body, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/mixed; boundary=${boundary}` };
}
