// Whether the installed dependencies and the packages' builds still match the sources, so that
// a second `npm start` with nothing changed skips installing and building.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const STAMP = 'node_modules/.xcredit-build-stamp';

/**
 * A fingerprint of every source file (tracked, or untracked and not ignored): path, size and
 * modification time. Null when it cannot be known (no git), so the caller builds.
 *
 * @example
 * fingerprint('.') // 'c0ffee…'
 */
export function fingerprint(root) {
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' });
  if (listed.status !== 0) return null;
  const hash = createHash('sha256');
  for (const file of listed.stdout.split('\0').filter(Boolean).sort()) {
    const path = join(root, file);
    if (!existsSync(path)) continue; // deleted but not yet committed
    const s = statSync(path);
    hash.update(`${file}\0${s.size}\0${s.mtimeMs}\n`);
  }
  return hash.digest('hex');
}

/** Every package with a build script has its `dist` folder. */
function builtOutputs(root) {
  const dir = join(root, 'packages');
  return readdirSync(dir).every((name) => {
    const manifest = join(dir, name, 'package.json');
    if (!existsSync(manifest)) return true;
    const scripts = JSON.parse(readFileSync(manifest, 'utf8')).scripts ?? {};
    return !scripts.build || existsSync(join(dir, name, 'dist'));
  });
}

/** True when the last successful install and build were of exactly these sources. */
export function upToDate(root) {
  const stamp = join(root, STAMP);
  if (!existsSync(stamp) || !existsSync(join(root, 'node_modules/.modules.yaml')) || !builtOutputs(root)) return false;
  const now = fingerprint(root);
  return now !== null && readFileSync(stamp, 'utf8').trim() === now;
}

/** Records that the install and build of the current sources succeeded. */
export function markBuilt(root) {
  const now = fingerprint(root);
  if (now !== null && existsSync(join(root, 'node_modules'))) writeFileSync(join(root, STAMP), `${now}\n`);
}
