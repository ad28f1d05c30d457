import type { StatementStore } from './statement-writer.js';
import { Router, type RequestHandler } from 'express';
import { activitiesRouter } from './activities.js';
import { agentsRouter } from './agents.js';
import { alternateSyntax } from './alternate.js';
import { rawBody } from './body.js';
import { documentsRouter } from './documents.js';
import { statementsRouter, type StatementHooks } from './statements.js';
import type { ValidationPool } from './validation-pool.js';
import { xapiVersion } from './version.js';

/**
 * Every xAPI resource behind `/xapi` (About is answered before this, without credentials). The
 * alternate request syntax is unwrapped first, because its form carries the headers that
 * versioning and authentication read.
 */
export function xapiRouter(context: StatementStore, authenticate: RequestHandler, hooks?: StatementHooks, validation?: ValidationPool): Router {
  const { db } = context;
  const router = Router();
  router.use(alternateSyntax, xapiVersion, authenticate, rawBody);
  router.use(statementsRouter(context, hooks, validation), documentsRouter(db), activitiesRouter(db), agentsRouter(db));
  return router;
}
