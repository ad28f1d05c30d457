import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_NAMES, reportSchemas } from '@xcredit/sdk/contracts';
import { apiReferenceMarkdown } from './openapi.js';
import { listRoutes } from './routes-list.js';
import { startTestServer, type TestServer } from './testing.js';

const reference = fileURLToPath(new URL('../../../docs/api-reference.md', import.meta.url));

describe('the OpenAPI document', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ engine: 'pglite' });
  }, 180_000);
  afterAll(() => server?.close());

  it('is served without credentials and describes the validated request bodies', async () => {
    const res = await fetch(`${server.url}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    const doc = await res.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers[0].url).toBe(`${server.url}/api/v1`);
    const put = doc.paths['/courses/{courseId}'].put;
    const body = doc.components.schemas[put.requestBody.content['application/json'].schema.$ref.split('/').pop()];
    expect(body.required).toEqual(expect.arrayContaining(['title', 'activityId', 'credits', 'kind', 'lengthSeconds']));
    expect(body.properties.kind.enum).toEqual(['required', 'elective']);
    expect(body.properties.credits.minimum).toBe(0);
    expect(put.security).toEqual([{ basic: ['credits/admin'] }]);
    expect(doc.paths['/awards'].post.responses['201']).toBeDefined();
    expect(doc.paths['/launches/current/heartbeat'].post.security).toEqual([{ launchToken: [] }]);
    const ids = Object.values(doc.paths).flatMap((p) => Object.values(p as Record<string, { operationId: string }>).map((o) => o.operationId));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('matches every route the server answers', async () => {
    const doc = await (await fetch(`${server.url}/api/v1/openapi.json`)).json();
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      for (const method of Object.keys(ops)) {
        const url = `${server.url}/api/v1${path.replace(/\{[^}]+\}/g, 'x')}`;
        const res = await fetch(url, { method: method.toUpperCase(), headers: { authorization: server.admin.authorization, 'content-type': 'application/json' }, body: method === 'get' || method === 'delete' ? undefined : '{}' });
        // An unknown route answers the app's fallback 404; a documented one answers anything else.
        const body = res.status === 204 ? {} : await res.json().catch(() => ({}));
        expect(`${res.status} ${body.error?.message ?? ''}`, `${method} ${path}`).not.toMatch(/^404 no route for/);
      }
    }
  });

  it('documents every route under /api/v1 and nothing else', async () => {
    const doc = await (await fetch(`${server.url}/api/v1/openapi.json`)).json();
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} /api/v1${path}`));
    const served = listRoutes(server.app)
      .filter((r) => r.path.startsWith('/api/v1/') && r.path !== '/api/v1/openapi.json')
      .map((r) => `${r.method.toUpperCase()} ${r.path.replace(/:(\w+)/g, '{$1}')}`);
    expect(served.length).toBeGreaterThan(40);
    expect(served.filter((r) => !documented.includes(r)), 'served but not in the OpenAPI document').toEqual([]);
    expect(documented.filter((r) => !served.includes(r)), 'documented but not served').toEqual([]);
  });

  it('names its schemas and requires the error envelope\'s status, code and message', async () => {
    const doc = await (await fetch(`${server.url}/api/v1/openapi.json`)).json();
    const schemas = doc.components.schemas;
    expect(schemas.Error.properties.error.required).toEqual(expect.arrayContaining(['status', 'code', 'message']));
    expect(schemas.LearnerPage.properties.learners.items).toEqual({ $ref: '#/components/schemas/Learner' });
    const put = doc.paths['/courses/{courseId}'].put;
    expect(put.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/CourseInput' });
    expect(Object.keys(put.responses)).toEqual(expect.arrayContaining(['200', '201', '4XX']));
    const imp = doc.paths['/learners/import'].post.requestBody.content;
    expect(Object.keys(imp)).toEqual(['application/json', 'text/csv']);
    expect(imp['application/json'].schema.items).toEqual({ $ref: '#/components/schemas/LearnerRow' });
    const summary = doc.paths['/reports/summary'].get;
    expect(summary.parameters.map((p: { name: string }) => p.name)).toEqual(['period', 'format', 'groupBy']);
    expect(summary.responses['200'].content['text/csv']).toBeDefined();
    expect(doc.paths['/reports/leaderboard'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['period', 'format', 'group', 'top']);
    expect(doc.paths['/reports/at-risk'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['period', 'format', 'limit', 'department', 'managerId']);
    expect(doc.paths['/history/import'].post.parameters.find((p: { name: string }) => p.name === 'file').required).toBe(true);
  });

  it("describes each report's JSON answer exactly: every column the server sends, no more", async () => {
    const call = async (method: string, path: string, body?: unknown, type = 'application/json') => {
      const res = await fetch(`${server.url}/api/v1${path}`, { method, headers: { authorization: server.admin.authorization, 'content-type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) });
      expect(res.status, `${method} ${path}: ${res.status >= 400 ? await res.clone().text() : ''}`).toBeLessThan(300);
      return res.json();
    };
    const year = String(new Date().getUTCFullYear());
    await call('POST', '/learners/import', 'learnerId,displayName,department,role,managerId\nR-M,Boss,Ops,lead,\nR-1,Li Lei,Ops,engineer,R-M\nR-2,,Sales,engineer,R-M\n', 'text/csv');
    await call('PUT', '/courses/report-course', { title: 'Reported', activityId: 'https://example.com/courses/reported', credits: 2, kind: 'required', lengthSeconds: 60 });
    await call('POST', '/launches', { learnerId: 'R-1', courseId: 'report-course' });
    await call('PUT', `/targets/${year}`, { total: 100, required: 20 });
    await call('POST', '/awards', { learnerId: 'R-2', source: 'offline', title: 'Workshop', credits: 1.5, period: year });
    await call('PUT', '/settings', { leaderboard: true });
    const seen: Record<string, number> = {};
    for (const name of REPORT_NAMES) {
      const report = await call('GET', `/reports/${name}?period=${year}`);
      const parsed = reportSchemas[name].safeParse(report);
      expect(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`), name).toEqual([]);
      seen[name] = report.rows.length;
    }
    for (const name of ['summary', 'study-time', 'hot-courses', 'at-risk', 'managers', 'leaderboard'] as const) expect(seen[name], name).toBeGreaterThan(0);
  });

  it('is what docs/api-reference.md shows (UPDATE_DOCS=1 rewrites it)', () => {
    const markdown = apiReferenceMarkdown();
    if (process.env.UPDATE_DOCS === '1') writeFileSync(reference, markdown);
    expect(readFileSync(reference, 'utf8')).toBe(markdown);
  });
});
