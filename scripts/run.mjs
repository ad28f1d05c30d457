#!/usr/bin/env node
// `npm start`, `npm test` and `npm run bench` from a fresh clone: get pnpm, install, build, run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { markBuilt, upToDate } from './build-state.mjs';

const PNPM_VERSION = '10.34.9';
const [task, ...args] = process.argv.slice(2);

function run(cmd, argv, options = {}) {
  const res = spawnSync(cmd, argv, { stdio: 'inherit', ...options });
  if (res.error) throw res.error;
  if (res.status !== 0) process.exit(res.status ?? 1);
}

function pnpmCommand() {
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  if (probe.status === 0 && probe.stdout.trim() === PNPM_VERSION) return ['pnpm', []];
  // No (or another) pnpm on PATH: run the pinned one through npm without installing it globally.
  return ['npx', ['--yes', `pnpm@${PNPM_VERSION}`]];
}

const [pnpm, pre] = pnpmCommand();
const pn = (...argv) => run(pnpm, [...pre, ...argv]);

const step = (text) => console.log(`\n▸ ${text}`);

const root = fileURLToPath(new URL('..', import.meta.url));
// `npm start` again with nothing changed starts at once; tests and benchmarks always build.
if (task === 'start' && upToDate(root)) {
  step('dependencies and builds match the sources: not installing or building again');
} else {
  step('installing dependencies');
  pn('install', ...(process.env.CI ? ['--frozen-lockfile'] : []));
  step('building packages');
  pn('-r', '--workspace-concurrency=1', 'run', 'build');
  markBuilt(root);
}

switch (task) {
  case 'start':
    step('starting xcredit with the demo (Ctrl-C to stop)');
    run(process.execPath, ['packages/lrs-server/bin/xcredit.js', 'start', '--demo', ...args]);
    break;
  case 'test':
    step('type-checking');
    pn('-r', 'run', 'typecheck');
    pn('exec', 'tsc', '-p', 'tsconfig.json');
    step('running every test');
    pn('exec', 'vitest', 'run', ...args);
    break;
  case 'bench':
    if (!existsSync('bench/run.mjs')) throw new Error('bench/run.mjs is missing');
    step('running benchmarks');
    run(process.execPath, ['bench/run.mjs', ...args]);
    break;
  default:
    console.error(`usage: node scripts/run.mjs start|test|bench`);
    process.exit(2);
}
