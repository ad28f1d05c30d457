import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '@xcredit/lrs-server/testing';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

// The generated client lives under the workspace's node_modules so `openapi-fetch` resolves as in a user's project.
describe('a client generated from the OpenAPI document', () => {
  let server: TestServer;
  let doc: Record<string, unknown>;
  const dir = join(root, 'node_modules', '.cache', `openapi-client-${process.pid}`);

  beforeAll(async () => {
    server = await startTestServer({ engine: 'pglite' });
    doc = await (await fetch(`${server.url}/api/v1/openapi.json`)).json();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'xcredit-api.ts'), astToString(await openapiTS(doc as never)));
  }, 180_000);
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes the Redocly linter with no errors (recommended rules)', async () => {
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source: JSON.stringify(doc), absoluteRef: 'openapi.json', config });
    const errors = problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`);
    expect(errors).toEqual([]);
  });

  it('type-checks under strict TypeScript and runs against a real server', async () => {
    cpSync(join(root, 'test/openapi-client/program.ts'), join(dir, 'program.ts'));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022', 'DOM'], types: ['node'], outDir: 'out', skipLibCheck: false },
        files: ['program.ts', 'xcredit-api.ts'],
      }),
    );
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    const compiled = await run(process.execPath, [tsc, '-p', dir], { cwd: dir }).catch((e: { stdout: string }) => ({ stdout: e.stdout, failed: true }));
    expect(compiled.stdout).toBe('');
    const { stdout } = await run(process.execPath, [join(dir, 'out/program.js'), server.url, server.admin.authorization]);
    expect(JSON.parse(stdout)).toEqual({
      course: { courseId: 'openapi-course', credits: 2 },
      imported: 1,
      report: 'summary',
      groups: ['Sales'],
      leaderboard: true,
      linkStatus: 201,
      links: ['open'],
      missing: { status: 404, code: 'course_not_found' },
    });
  }, 180_000);

  it('fails to compile a program that misuses a documented type', async () => {
    writeFileSync(join(dir, 'wrong.ts'), "import type { paths } from './xcredit-api.js';\nconst q: paths['/reports/summary']['get']['parameters']['query'] = { groupBy: 'team' };\nexport default q;\n");
    writeFileSync(join(dir, 'tsconfig.wrong.json'), JSON.stringify({ extends: './tsconfig.json', compilerOptions: { noEmit: true }, files: ['wrong.ts', 'xcredit-api.ts'] }));
    const result = await run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.wrong.json')], { cwd: dir }).then(
      () => ({ stdout: '' }),
      (e: { stdout: string }) => ({ stdout: e.stdout }),
    );
    expect(result.stdout).toMatch(/wrong\.ts.*"team"/s);
  }, 120_000);
});
