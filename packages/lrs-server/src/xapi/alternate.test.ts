import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing.js';

describe('the 1.0.3 alternate request syntax', () => {
  let server: TestServer;
  const form = (method: string, fields: Record<string, string>, query = '') =>
    fetch(`${server.url}/xapi/statements?method=${method}${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  const statement = { actor: { mbox: 'mailto:ana@example.com' }, verb: { id: 'http://adlnet.gov/expapi/verbs/experienced' }, object: { id: 'https://example.com/x' } };

  beforeAll(async () => {
    server = await startTestServer({ engine: 'pglite' });
  });
  afterAll(() => server?.close());

  it('turns a form into the request it stands for: headers, parameters and content', async () => {
    const id = randomUUID();
    const auth = { Authorization: server.admin.authorization, 'X-Experience-API-Version': '1.0.3' };
    const put = await form('PUT', { ...auth, statementId: id, 'Content-Type': 'application/json', content: JSON.stringify(statement) });
    expect(put.status).toBe(204);
    const get = await form('GET', { ...auth, statementId: id });
    expect(get.status).toBe(200);
    expect((await get.json()).id).toBe(id);
  });

  it.each([
    ['a query parameter besides method', { statementId: randomUUID() }, `&statementId=${randomUUID()}`, /no query parameter/],
    ['a PUT without content', {}, '', /content/],
    ['xAPI 2.0.0, which has no such syntax', { 'X-Experience-API-Version': '2.0.0', content: '{}' }, '', /2\.0\.0/],
    ['an unknown method', {}, '', /method/],
  ])('rejects %s with 400', async (name, fields, query, message) => {
    const res = await form(name.startsWith('an unknown') ? 'PATCH' : 'PUT', { Authorization: server.admin.authorization, 'X-Experience-API-Version': '1.0.3', ...fields }, query);
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toMatch(message);
  });

  it('is refused on anything but POST', async () => {
    const res = await fetch(`${server.url}/xapi/statements?method=GET`, { method: 'PUT', headers: { authorization: server.admin.authorization, 'x-experience-api-version': '1.0.3' } });
    expect(res.status).toBe(400);
  });
});
