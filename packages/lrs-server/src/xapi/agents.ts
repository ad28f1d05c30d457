import { Router } from 'express';
import { agent as agentSchema } from '@xcredit/sdk/xapi';
import type { Db } from '../db/index.js';
import { rejectBadText } from '../edge.js';
import { HttpError } from '../http-error.js';
import { actorKey } from './actors.js';
import { readScope } from './scope.js';

/**
 * Agents resource: GET /agents?agent= answers the Person the LRS knows for that agent: its
 * identifiers and the names statements (as actor) gave it.
 */
export function agentsRouter(db: Db): Router {
  const router = Router();
  router.get('/agents', async (req, res) => {
    const tenant = readScope(req, 'agents');
    const extra = Object.keys(req.query).filter((k) => k !== 'agent');
    if (extra.length) throw new HttpError(400, 'invalid_input', `GET /agents takes only agent (got ${extra.join(', ')})`);
    const text = req.query.agent;
    if (typeof text !== 'string' || !text) throw new HttpError(400, 'invalid_input', 'agent query parameter is required (a JSON Agent)');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new HttpError(400, 'invalid_input', 'agent must be a JSON Agent object');
    }
    rejectBadText(value, 'agent');
    const parsed = agentSchema.safeParse(value);
    if (!parsed.success) throw new HttpError(400, 'invalid_input', 'agent must be an Agent with exactly one of mbox, mbox_sha1sum, openid, account');
    const agent = parsed.data;
    const latest = await db
      .selectFrom('statements')
      .select('statement')
      .where('tenant_id', '=', tenant.id)
      .where('actor_key', '=', actorKey(agent))
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    const names = new Set<string>();
    if (agent.name) names.add(agent.name);
    const seenName = (latest?.statement.actor as { name?: unknown } | undefined)?.name;
    if (typeof seenName === 'string') names.add(seenName);
    const person: Record<string, unknown> = { objectType: 'Person' };
    if (names.size) person.name = [...names];
    if (agent.mbox) person.mbox = [agent.mbox];
    if (agent.mbox_sha1sum) person.mbox_sha1sum = [agent.mbox_sha1sum];
    if (agent.openid) person.openid = [agent.openid];
    if (agent.account) person.account = [agent.account];
    res.json(person);
  });
  return router;
}
