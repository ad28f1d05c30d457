import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XcreditClient } from '@xcredit/sdk';
import { startTestServer, type TestServer } from '@xcredit/lrs-server/testing';

// The server runs in this process, so the script must run without blocking it.
const run = (args: string[], env: NodeJS.ProcessEnv) =>
  promisify(execFile)(process.execPath, [script, ...args], { env, encoding: 'utf8' }).then(
    (r) => ({ status: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ status: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }),
  );
const script = fileURLToPath(new URL('../examples/hr-sync/sync.mjs', import.meta.url));

describe('examples/hr-sync', () => {
  let server: TestServer;
  const dir = mkdtempSync(join(tmpdir(), 'hr-sync-'));
  beforeAll(async () => {
    server = await startTestServer({ engine: 'pglite' });
    const xcredit = new XcreditClient({ baseUrl: server.url, key: server.admin.key, secret: server.admin.secret });
    await xcredit.importLearners('learnerId,displayName,department\nE-1,"Li, Wei",ops\nE-2,Ana,ops\nE-3,"=HYPERLINK(""http://evil.example"",""x"")",-ops\n');
    await xcredit.setTarget(String(new Date().getUTCFullYear()), { total: 5, required: 0 });
    await xcredit.createAward({ learnerId: 'E-1', source: 'offline', title: 'Drill', credits: 1.5, period: String(new Date().getUTCFullYear()) });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes every learner with their credits to a CSV file', async () => {
    const out = join(dir, 'credits.csv');
    const env = { ...process.env, XCREDIT_URL: server.url, XCREDIT_KEY: server.admin.key, XCREDIT_SECRET: server.admin.secret };
    const result = await run(['--out', out], env);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('wrote 3 learners');
    const text = readFileSync(out, 'utf8');
    expect(text.startsWith('\uFEFF')).toBe(true);
    const lines = text.slice(1).trimEnd().split('\r\n');
    expect(lines[0]).toBe('learnerId,displayName,department,role,managerId,earned,required,elective,target,remaining,status,courses');
    expect(lines[1]).toMatch(/^E-1,"Li, Wei",ops,,,1.5,0,1.5,5,3.5,(on_track|at_risk),$/);
    expect(lines[2]).toMatch(/^E-2,Ana,ops,,,0,0,0,5,5,/);
    // A name or department a spreadsheet would run as a formula is written as text.
    expect(lines[3]).toMatch(/^E-3,"'=HYPERLINK\(""http:\/\/evil.example"",""x""\)",'-ops,,,0,/);
  });

  it('says what is wrong with bad credentials', async () => {
    const result = await run(['--out', join(dir, 'x.csv')], { ...process.env, XCREDIT_URL: server.url, XCREDIT_KEY: 'nope', XCREDIT_SECRET: 'nope' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('xcredit answered 401 unauthorized');
  });
});
