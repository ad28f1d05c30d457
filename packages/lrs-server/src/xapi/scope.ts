import type { Request } from 'express';
import type { Principal, Tenant } from '../auth/principal.js';
import { allows } from '../auth/scopes.js';
import { HttpError } from '../http-error.js';

type Client = Extract<Principal, { kind: 'client' }>;

function client(req: Request, what: string): Client {
  const p = req.principal;
  if (!p) throw new HttpError(401, 'unauthorized', 'not authenticated');
  if (p.kind !== 'client') throw new HttpError(403, 'forbidden', `a launch token cannot ${what}; use a client's key and secret`);
  return p;
}

/**
 * The tenant of a client that may read `resource`: the Activities and Agents resources are open
 * to any reading scope, documents to their own scope (`state`, `profile`) or `all/read`.
 */
export function readScope(req: Request, resource: 'activities' | 'agents' | 'state' | 'profile'): Tenant {
  const p = client(req, `read the ${resource} resource`);
  const ok =
    resource === 'state' || resource === 'profile'
      ? allows(p.scopes, resource) || p.scopes.has('all/read')
      : ['all', 'all/read', 'statements/read', 'statements/read/mine', 'define', 'profile', 'state'].some((s) => p.scopes.has(s));
  if (!ok) throw new HttpError(403, 'forbidden', `this client lacks a scope to read ${resource} (${resource === 'state' || resource === 'profile' ? `"${resource}" or "all/read"` : '"statements/read" or "all/read"'})`);
  return p.tenant;
}

/** The tenant of a client that may write `resource` documents. */
export function writeScope(req: Request, resource: 'state' | 'profile'): Tenant {
  const p = client(req, `write the ${resource} resource`);
  if (!allows(p.scopes, resource)) throw new HttpError(403, 'forbidden', `this client lacks the "${resource}" scope`);
  return p.tenant;
}
