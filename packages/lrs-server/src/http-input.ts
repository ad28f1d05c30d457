import { describeIssues } from '@xcredit/sdk/xapi';
import type { Request } from 'express';
import type { z } from 'zod';
import { HttpError, invalidInput } from './http-error.js';

/** Reads a JSON body with a schema; a 400 names every field at fault. */
export function jsonBody<T extends z.ZodType>(req: Request, schema: T): z.output<T> {
  if (!req.is('application/json')) throw new HttpError(400, 'invalid_input', `Content-Type must be application/json (got ${req.get('content-type') ?? 'none'})`);
  const parsed = schema.safeParse(req.body);
  if (!parsed.success) throw invalidInput(describeIssues(parsed.error), 'invalid request body');
  return parsed.data;
}

/** A path parameter checked by a schema; a 400 names the parameter and what is wrong with it. */
export function pathParam(req: Request, name: string, schema: z.ZodType<string>): string {
  const value = String(req.params[name] ?? '');
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new HttpError(400, 'invalid_input', `${name} "${value}" ${parsed.error.issues[0]?.message ?? 'is invalid'}`);
  return value;
}

/** Reads the query string with a schema; a 400 names every parameter at fault. */
export function queryInput<T extends z.ZodType>(req: Request, schema: T): z.output<T> {
  const parsed = schema.safeParse(req.query);
  if (!parsed.success) throw invalidInput(describeIssues(parsed.error), 'invalid query');
  return parsed.data;
}
