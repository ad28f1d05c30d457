import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Verbs } from '@xcredit/sdk/xapi';
import { startTestServer, type Engine, type TestServer } from '../testing.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];

describe.each(engines)('xAPI statement queries on %s', (engine) => {
  let server: TestServer;
  const xapi = (path: string, init: { method?: string; body?: unknown; version?: string; headers?: Record<string, string> } = {}) =>
    fetch(`${server.url}/xapi${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: server.admin.authorization, 'x-experience-api-version': init.version ?? '2.0.0', 'content-type': 'application/json', ...init.headers },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  const post = async (body: unknown, version = '2.0.0') => {
    const res = await xapi('/statements', { method: 'POST', body, version });
    expect(res.status).toBe(200);
    return (await res.json()) as string[];
  };
  const ids = async (query: Record<string, string>) => {
    const res = await xapi(`/statements?${new URLSearchParams(query)}`);
    expect(res.status).toBe(200);
    return ((await res.json()).statements as { id: string }[]).map((s) => s.id);
  };
  const agent = () => ({ objectType: 'Agent', mbox: `mailto:${randomUUID()}@example.com` });
  const experienced = { id: 'http://adlnet.gov/expapi/verbs/experienced', display: { 'en-US': 'experienced', 'fr-FR': 'a vécu' } };

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined });
  });
  afterAll(() => server?.close());

  it('matches agent as actor or object, and related_agents anywhere in the statement', async () => {
    const [ana, ben, teacher] = [agent(), agent(), agent()];
    const activity = { id: `https://example.com/a/${randomUUID()}` };
    const [asActor] = await post({ actor: ana, verb: experienced, object: activity });
    const [asObject] = await post({ actor: ben, verb: { id: 'http://example.com/verbs/mentored' }, object: ana });
    const [asInstructor] = await post({ actor: ben, verb: experienced, object: activity, context: { instructor: ana } });
    const [inSub] = await post({ actor: ben, verb: experienced, object: { objectType: 'SubStatement', actor: ana, verb: experienced, object: activity } });
    const [inTeam] = await post({ actor: teacher, verb: experienced, object: activity, context: { team: { objectType: 'Group', member: [ana, ben] } } });
    const agentParam = JSON.stringify(ana);
    expect((await ids({ agent: agentParam })).sort()).toEqual([asActor, asObject].sort());
    expect((await ids({ agent: agentParam, related_agents: 'true' })).sort()).toEqual([asActor, asObject, asInstructor, inSub, inTeam].sort());
  });

  it('matches activity as object, and related_activities in context and sub-statements', async () => {
    const course = `https://example.com/c/${randomUUID()}`;
    const [direct] = await post({ actor: agent(), verb: experienced, object: { id: course } });
    const [parent] = await post({ actor: agent(), verb: experienced, object: { id: `${course}/1` }, context: { contextActivities: { parent: { id: course } } } });
    const [sub] = await post({ actor: agent(), verb: experienced, object: { objectType: 'SubStatement', actor: agent(), verb: experienced, object: { id: course } } });
    expect(await ids({ activity: course })).toEqual([direct]);
    expect((await ids({ activity: course, related_activities: 'true' })).sort()).toEqual([direct, parent, sub].sort());
  });

  it('filters by verb, registration, since and until, and orders by stored', async () => {
    const who = agent();
    const registration = randomUUID();
    const [a] = await post({ actor: who, verb: experienced, object: { id: 'https://example.com/x' }, context: { registration } });
    const middle = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    const [b] = await post({ actor: who, verb: { id: 'http://example.com/verbs/passed' }, object: { id: 'https://example.com/x' } });
    const q = { agent: JSON.stringify(who) };
    expect(await ids(q)).toEqual([b, a]);
    expect(await ids({ ...q, ascending: 'true' })).toEqual([a, b]);
    expect(await ids({ ...q, verb: 'http://example.com/verbs/passed' })).toEqual([b]);
    expect(await ids({ ...q, registration })).toEqual([a]);
    expect(await ids({ ...q, since: middle })).toEqual([b]);
    expect(await ids({ ...q, until: middle })).toEqual([a]);
  });

  it('returns statements that point at a matching statement through a StatementRef, but not a voided one', async () => {
    const verb = { id: `http://example.com/verbs/${randomUUID()}` };
    const [target] = await post({ actor: agent(), verb, object: { id: 'https://example.com/x' } });
    const [ref] = await post({ actor: agent(), verb: { id: 'http://example.com/verbs/commented' }, object: { objectType: 'StatementRef', id: target } });
    expect(await ids({ verb: verb.id })).toEqual([ref, target]);
    const [voiding] = await post({ actor: agent(), verb: { id: Verbs.voided }, object: { objectType: 'StatementRef', id: target } });
    expect(await ids({ verb: verb.id })).toEqual([voiding, ref]);
  });

  it('pages with more until the last page', async () => {
    const who = agent();
    const sent = await post(Array.from({ length: 5 }, () => ({ actor: who, verb: experienced, object: { id: 'https://example.com/x' } })));
    const seen: string[] = [];
    let next = `/statements?${new URLSearchParams({ agent: JSON.stringify(who), limit: '2', ascending: 'true' })}`;
    while (next) {
      const page = await (await xapi(next)).json();
      seen.push(...page.statements.map((s: { id: string }) => s.id));
      next = page.more ? page.more.replace(/^\/xapi/, '') : '';
    }
    expect(seen).toEqual(sent);
  });

  it('answers format=ids with identifiers only and format=canonical in the preferred language', async () => {
    const who = { ...agent(), name: 'Ana' };
    const [id] = await post({ actor: who, verb: experienced, object: { id: 'https://example.com/x', definition: { name: { 'en-US': 'X', 'fr-FR': 'Ixe' } } } });
    const idsShape = await (await xapi(`/statements?statementId=${id}&format=ids`)).json();
    expect(idsShape.actor).toEqual({ objectType: 'Agent', mbox: who.mbox });
    expect(idsShape.verb).toEqual({ id: experienced.id });
    expect(idsShape.object).toEqual({ id: 'https://example.com/x' });
    const canonical = await (await xapi(`/statements?statementId=${id}&format=canonical`, { headers: { 'accept-language': 'fr-FR, en;q=0.5' } })).json();
    expect(canonical.verb.display).toEqual({ 'fr-FR': 'a vécu' });
    expect(canonical.object.definition.name).toEqual({ 'fr-FR': 'Ixe' });
    const exact = await (await xapi(`/statements?statementId=${id}&format=exact`)).json();
    expect(exact.verb.display).toEqual(experienced.display);
    expect((await xapi(`/statements?statementId=${id}&format=short`)).status).toBe(400);
  });

  it('sets Consistent-Through on every answer, Last-Modified on reads, and answers HEAD without a body', async () => {
    const [id] = await post({ actor: agent(), verb: experienced, object: { id: 'https://example.com/x' } });
    const one = await xapi(`/statements?statementId=${id}`);
    expect(Date.parse(one.headers.get('x-experience-api-consistent-through')!)).not.toBeNaN();
    expect(Date.parse(one.headers.get('last-modified')!)).not.toBeNaN();
    const head = await xapi(`/statements?statementId=${id}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const missing = await xapi(`/statements?statementId=${randomUUID()}`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-experience-api-consistent-through')).toBeTruthy();
  });

  it.each([
    ['statementId with a filter', `statementId=${randomUUID()}&verb=http://example.com/v`, /cannot be combined/],
    ['a malformed agent', 'agent=%7Bnope', /agent/],
    ['an anonymous agent', `agent=${encodeURIComponent(JSON.stringify({ name: 'x' }))}`, /agent/],
    ['a bad since', 'since=yesterday', /since/],
    ['a negative limit', 'limit=-1', /limit/],
    ['ascending that is not a boolean', 'ascending=yes', /ascending/],
    ['related_agents that is not a boolean', 'related_agents=1', /related_agents/],
    ['a registration that is not a UUID', 'registration=r-1', /registration/],
    ['a forged cursor', 'cursor=abc', /cursor/],
    ['an unknown parameter', 'colour=red', /colour/],
  ])('rejects %s with 400 naming it', async (_name, query, message) => {
    const res = await xapi(`/statements?${query}`);
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toMatch(message);
  });

  describe('validation beyond the schema', () => {
    it.each([
      ['contextAgents under 1.0.3', '1.0.3', { context: { contextAgents: [{ objectType: 'contextAgent', agent: { mbox: 'mailto:a@example.com' } }] } }, /contextAgents/],
      ['choices without interactionType', '2.0.0', { object: { id: 'https://example.com/q', definition: { choices: [{ id: 'a' }] } } }, /interactionType/],
      ['an agent object without objectType', '2.0.0', { object: { mbox: 'mailto:b@example.com' } }, /objectType/],
      ['a -00:00 timestamp offset', '2.0.0', { timestamp: '2024-01-01T00:00:00-00:00' }, /offset/],
      ['a duration mixing weeks and days', '2.0.0', { result: { duration: 'P1W1D' } }, /duration/],
      ['a Group authority with one member', '2.0.0', { authority: { objectType: 'Group', member: [{ mbox: 'mailto:a@example.com' }] } }, /authority/],
    ])('rejects %s with 400', async (_name, version, over, message) => {
      const res = await xapi('/statements', { method: 'POST', version, body: { actor: agent(), verb: experienced, object: { id: 'https://example.com/x' }, ...over } });
      expect(res.status).toBe(400);
      expect((await res.json()).error.message).toMatch(message);
    });

    it('accepts contextAgents under 2.0.0 and fills in timestamp from stored', async () => {
      const [id] = await post({ actor: agent(), verb: experienced, object: { id: 'https://example.com/x' }, context: { contextAgents: [{ objectType: 'contextAgent', agent: { mbox: 'mailto:a@example.com' } }] } });
      const s = await (await xapi(`/statements?statementId=${id}`)).json();
      expect(s.timestamp).toBe(s.stored);
    });
  });
});
