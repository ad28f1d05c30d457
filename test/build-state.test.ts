import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { markBuilt, upToDate } from '../scripts/build-state.mjs';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A workspace with one package, installed and built once. */
function workspace() {
  const root = mkdtempSync(join(tmpdir(), 'xcredit-build-state-'));
  dirs.push(root);
  const write = (path: string, text: string) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  write('.gitignore', 'node_modules/\ndist/\n');
  write('pnpm-lock.yaml', 'lockfileVersion: 9.0\n');
  write('packages/a/package.json', JSON.stringify({ name: 'a', scripts: { build: 'tsc' } }));
  write('packages/a/src/index.ts', 'export const a = 1;\n');
  write('packages/a/dist/index.js', 'export const a = 1;\n');
  write('node_modules/.modules.yaml', 'layoutVersion: 5\n');
  expect(spawnSync('git', ['init', '-q'], { cwd: root }).status).toBe(0);
  expect(spawnSync('git', ['add', '.'], { cwd: root }).status).toBe(0);
  return { root, write };
}

describe('npm start skips installing and building when nothing changed', () => {
  it('is up to date only after a recorded build of exactly these sources', () => {
    const { root } = workspace();
    expect(upToDate(root)).toBe(false);
    markBuilt(root);
    expect(upToDate(root)).toBe(true);
  });

  it('builds again after a source edit, a new untracked file, a lockfile change or a lost dist', () => {
    const { root, write } = workspace();
    markBuilt(root);
    const later = new Date(Date.now() + 5000);
    utimesSync(join(root, 'packages/a/src/index.ts'), later, later);
    expect(upToDate(root)).toBe(false);
    markBuilt(root);
    write('packages/a/src/new.ts', 'export {};\n');
    expect(upToDate(root)).toBe(false);
    markBuilt(root);
    write('pnpm-lock.yaml', 'lockfileVersion: 9.0\n# changed\n');
    expect(upToDate(root)).toBe(false);
    markBuilt(root);
    expect(upToDate(root)).toBe(true);
    rmSync(join(root, 'packages/a/dist'), { recursive: true });
    expect(upToDate(root)).toBe(false);
  });

  it('builds when the sources cannot be listed (no git) or nothing was installed', () => {
    const root = mkdtempSync(join(tmpdir(), 'xcredit-build-state-'));
    dirs.push(root);
    mkdirSync(join(root, 'packages'));
    mkdirSync(join(root, 'node_modules'));
    writeFileSync(join(root, 'node_modules/.modules.yaml'), '');
    markBuilt(root);
    expect(upToDate(root)).toBe(false);
    const { root: ws } = workspace();
    markBuilt(ws);
    rmSync(join(ws, 'node_modules/.modules.yaml'));
    expect(upToDate(ws)).toBe(false);
  });
});
