import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/browser.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const PUBLISHED = ['sdk', 'player-widget', 'lrs-server', 'admin'] as const;
const manifest = (dir: string) => JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));

/**
 * Every published package, packed with `pnpm pack` and installed with npm from the tarballs into
 * a scratch project outside the workspace (third-party dependencies from the registry, or npm's
 * cache), then used from ESM, from strict TypeScript and from a <script> page in Chromium.
 */
describe('the packed packages, installed outside the workspace', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'xcredit-packages-'));
  const tarballs: Record<string, string> = {};
  const npm = (...args: string[]) => run('npm', [...args, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: scratch, maxBuffer: 16 * 1024 * 1024 });

  beforeAll(async () => {
    for (const dir of PUBLISHED) {
      const { stdout } = await run('pnpm', ['pack', '--pack-destination', scratch], { cwd: join(root, 'packages', dir) });
      const file = stdout.trim().split('\n').pop()!.trim();
      tarballs[dir] = file.startsWith('/') ? file : join(scratch, file);
    }
    writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
  }, 300_000);
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('packs README, LICENSE, CHANGELOG and the builds, with no sources, tests or workspace ranges', async () => {
    const license = readFileSync(join(root, 'LICENSE'), 'utf8');
    for (const dir of PUBLISHED) {
      const { stdout } = await run('tar', ['-tzf', tarballs[dir]!]);
      const files = stdout.trim().split('\n').map((f) => f.replace(/^package\//, ''));
      expect(files, dir).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md']));
      expect(files.filter((f) => /^src\/|\.test\.|tsbuildinfo|^build\//.test(f)), dir).toEqual([]);
      const { stdout: packed } = await run('tar', ['-xzOf', tarballs[dir]!, 'package/package.json']);
      const pkg = JSON.parse(packed);
      expect(JSON.stringify(pkg), dir).not.toContain('workspace:');
      expect(pkg, dir).toMatchObject({ license: 'Apache-2.0', version: manifest(dir).version, sideEffects: expect.anything(), exports: expect.any(Object) });
      expect(pkg.version).toMatch(/^\d+\.\d+\.\d+(-[\w.]+)?$/);
      const { stdout: text } = await run('tar', ['-xzOf', tarballs[dir]!, 'package/LICENSE']);
      expect(text, `${dir} LICENSE`).toBe(license);
    }
  });

  it('installs the player with the SDK alone: no Lit, video.js or mux.js', async () => {
    await npm('install', tarballs['sdk']!, tarballs['player-widget']!);
    const installed = readdirSync(join(scratch, 'node_modules')).filter((n) => !n.startsWith('.'));
    expect(installed.sort()).toEqual(['@xcredit', 'zod']);
    expect(readdirSync(join(scratch, 'node_modules/@xcredit')).sort()).toEqual(['player-widget', 'sdk']);
  }, 300_000);

  describe('with every package installed', () => {
    let server: ChildProcess | undefined;
    let started: { url: string; launchToken: string; [k: string]: unknown };
    let pages: Server | undefined;
    let browser: Browser | undefined;

    beforeAll(async () => {
      await npm('install', ...PUBLISHED.map((d) => tarballs[d]!));
      cpSync(join(root, 'test/packages/use.mjs'), join(scratch, 'use.mjs'));
      server = spawn(process.execPath, ['use.mjs'], { cwd: scratch, stdio: ['ignore', 'pipe', 'inherit'] });
      const first = await new Promise<string>((resolve, reject) => {
        createInterface({ input: server!.stdout! }).once('line', resolve);
        server!.once('exit', (code) => reject(new Error(`use.mjs exited with ${code}`)));
      });
      started = JSON.parse(first);
    }, 600_000);
    afterAll(async () => {
      await browser?.close();
      pages?.close();
      server?.kill('SIGTERM');
    });

    it('works from an ES module: the SDK, its contracts and the server (which serves the player and admin bundles)', () => {
      expect(started).toMatchObject({
        schemaRefusesEmpty: true,
        refused: { status: 400, code: 'invalid_input', fields: ['title', 'activityId'] },
        wire: 'x',
        links: [],
        assets: [200, 200, 200],
      });
    });

    it('type-checks a strict TypeScript program against the declarations', async () => {
      cpSync(join(root, 'test/packages/use.ts'), join(scratch, 'use.ts'));
      writeFileSync(
        join(scratch, 'tsconfig.json'),
        JSON.stringify({ compilerOptions: { strict: true, noEmit: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022', 'DOM'], types: [], skipLibCheck: true }, files: ['use.ts'] }),
      );
      const result = await run(process.execPath, [tsc, '-p', scratch], { cwd: scratch }).then(
        () => '',
        (e: { stdout: string }) => e.stdout,
      );
      expect(result).toBe('');
      // The same program with one type error fails: the declarations are read, not `any`.
      writeFileSync(join(scratch, 'use.ts'), readFileSync(join(scratch, 'use.ts'), 'utf8').replace('const credits: number = course.credits;', 'const credits: string = course.credits;'));
      const failed = await run(process.execPath, [tsc, '-p', scratch], { cwd: scratch }).then(
        () => '',
        (e: { stdout: string }) => e.stdout,
      );
      expect(failed).toMatch(/use\.ts.*TS2322/);
    }, 180_000);

    it("renders the player from its IIFE bundle in a plain <script> page in Chromium", async () => {
      const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript' };
      pages = createServer((req, res) => {
        const file = join(scratch, decodeURIComponent(new URL(req.url!, 'http://x').pathname));
        if (!file.startsWith(scratch) || !existsSync(file)) return void res.writeHead(404).end();
        res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
        createReadStream(file).pipe(res);
      });
      await new Promise<void>((resolve) => pages!.listen(0, '127.0.0.1', resolve));
      const port = (pages.address() as { port: number }).port;
      writeFileSync(
        join(scratch, 'index.html'),
        `<!doctype html><meta charset="utf-8"><title>vendor</title><link rel="icon" href="data:,">
<xcredit-player endpoint="${started.url}/xapi" launch-token="${started.launchToken}"></xcredit-player>
<script src="/node_modules/@xcredit/player-widget/dist/xcredit-player.iife.js"></script>`,
      );
      browser = await launchChromium();
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`http://127.0.0.1:${port}/index.html`);
      await page.waitForFunction(() => (document.querySelector('xcredit-player') as unknown as { ready?: boolean } | null)?.ready === true, undefined, { timeout: 60_000 });
      const seen = await page.evaluate(() => {
        const el = document.querySelector('xcredit-player')!;
        return { global: typeof (window as unknown as { XcreditPlayer?: unknown }).XcreditPlayer, defined: !!customElements.get('xcredit-player'), video: !!el.shadowRoot?.querySelector('video') };
      });
      expect(seen).toEqual({ global: 'object', defined: true, video: true });
      expect(errors).toEqual([]);
    }, 120_000);
  });
});
