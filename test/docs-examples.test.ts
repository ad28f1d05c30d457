import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestServer, type Engine, type TestServer } from '@xcredit/lrs-server/testing';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];

/** The fenced blocks marked `sh runnable` (or `sh runnable fails`) of a doc, in order. */
export function runnableBlocks(markdown: string): { line: number; fails: boolean; script: string }[] {
  const blocks: { line: number; fails: boolean; script: string }[] = [];
  const re = /^```sh runnable( fails)?\n([\s\S]*?)^```$/gm;
  for (let m = re.exec(markdown); m; m = re.exec(markdown)) blocks.push({ line: markdown.slice(0, m.index).split('\n').length, fails: Boolean(m[1]), script: m[2]! });
  return blocks;
}

describe('runnable blocks are found', () => {
  it('reads the info string, the line and the script', () => {
    expect(runnableBlocks('x\n```sh runnable\necho a\n```\n```sh\nnot me\n```\n```sh runnable fails\nfalse\n```\n')).toEqual([
      { line: 2, fails: false, script: 'echo a\n' },
      { line: 8, fails: true, script: 'false\n' },
    ]);
  });
});

describe.each(engines)('the curl examples of the docs against a real server on %s', (engine) => {
  let server: TestServer;
  const cwd = mkdtempSync(join(tmpdir(), 'xcredit-docs-'));
  beforeAll(async () => {
    // The webhook example names a public receiver; the test server must accept it without resolving it.
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined, webhookAllowPrivateHosts: '127.0.0.1, ::1, localhost, hr.example.com' });
  }, 180_000);
  afterAll(async () => {
    await server?.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  for (const doc of ['docs/api.md', 'docs/xapi.md']) {
    it(`runs every block of ${doc} as written`, async () => {
      const blocks = runnableBlocks(readFileSync(join(root, doc), 'utf8'));
      expect(blocks.length).toBeGreaterThanOrEqual(2);
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, XCREDIT_URL: server.url, XCREDIT_KEY: server.admin.key, XCREDIT_SECRET: server.admin.secret };
      for (const block of blocks) {
        const result = await run('bash', ['-euo', 'pipefail', '-c', block.script], { cwd, env }).then(
          (r) => ({ code: 0, out: r.stdout + r.stderr }),
          (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
        );
        const where = `${doc}:${block.line}\n${block.script}\n→ ${result.out}`;
        if (block.fails) {
          // curl --fail-with-body exits 22 on an HTTP error and prints the error envelope.
          expect(result.code, where).toBe(22);
          expect(JSON.parse(result.out.slice(result.out.indexOf('{'), result.out.lastIndexOf('}') + 1)).error, where).toMatchObject({ status: 400, message: expect.any(String) });
        } else {
          expect(result.code, where).toBe(0);
        }
      }
    }, 120_000);
  }
});
