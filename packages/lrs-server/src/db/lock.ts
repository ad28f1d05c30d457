import { closeSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Who holds a data folder: written into `xcredit.lock` by the holder. */
export interface LockHolder {
  pid: number;
  host: string;
  /** The command that holds it, e.g. `start`. */
  command: string;
  since: string;
  /** Linux: the process's start time, so a reused pid is not taken for the holder. */
  procStart?: string;
  /** The socket a running server takes CLI commands on (see `control.ts`). */
  control?: string;
}

/** A second process tried to open a data folder another one holds. */
export class FolderLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly holder: LockHolder,
  ) {
    const elsewhere = holder.host !== hostname();
    const who = `process ${holder.pid}${elsewhere ? ` on host ${holder.host}` : ''} (xcredit ${holder.command}, since ${holder.since})`;
    const next =
      holder.command !== 'start'
        ? 'Wait for it to finish, then try again.'
        : holder.control
          ? 'Stop that server first, or run CLI commands while it runs: the CLI hands them to it.'
          : 'It is still starting: try again once it is running (the CLI then hands commands to it), or stop it first.';
    super(
      `the data folder ${dir} is in use by ${who}, and two processes writing one embedded database lose each other's writes. ${next}` +
        (elsewhere ? ` If that process no longer runs, delete ${join(dir, LOCK_FILE)}.` : ''),
    );
  }
}

export const LOCK_FILE = 'xcredit.lock';

export interface FolderLock {
  readonly file: string;
  /** Records the control socket a server listens on, for CLI commands. */
  advertise(control: string): void;
  release(): void;
}

/**
 * Takes the data folder for this process alone: `xcredit.lock` holds our pid and is removed when
 * we close or exit. A lock whose process is gone (a crash, a kill -9) is taken over. PGlite
 * itself writes no pid file and would let two processes write one folder.
 *
 * @example
 * const lock = await lockFolder('./data', 'start'); // throws FolderLockedError when held
 * lock.release();
 */
export async function lockFolder(dir: string, command: string): Promise<FolderLock> {
  const file = join(dir, LOCK_FILE);
  let holder: LockHolder = { pid: process.pid, host: hostname(), command, since: new Date().toISOString(), procStart: procStart(process.pid) };
  for (let attempt = 0; ; attempt++) {
    if (place(file, holder)) break;
    const current = readHolder(file);
    if (current && alive(current)) throw new FolderLockedError(dir, current);
    if (attempt >= 3) throw new Error(`could not take the lock ${file}: it keeps changing; is another xcredit starting on ${dir}?`);
    // The holder is gone (crashed, killed): remove its lock and try again.
    try {
      unlinkSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  // Two processes recovering one stale lock at the same instant: the later link wins; the earlier sees it here.
  await sleep(50);
  const confirmed = readHolder(file);
  if (confirmed?.pid !== process.pid || confirmed.host !== holder.host) {
    if (confirmed) throw new FolderLockedError(dir, confirmed);
    throw new Error(`the lock ${file} vanished while it was being taken`);
  }
  const release = () => {
    process.off('exit', release);
    if (readHolder(file)?.pid === process.pid) unlinkSafe(file);
  };
  process.on('exit', release);
  return {
    file,
    advertise(control) {
      holder = { ...holder, control };
      const tmp = `${file}.${process.pid}`;
      write(tmp, holder);
      // A rename replaces the file in one step: a reader never sees half of it, nor none.
      renameSync(tmp, file);
    },
    release,
  };
}

/** Who holds the folder's lock now, if anyone (without judging whether they are alive). */
export function readHolder(file: string): LockHolder | null {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
    return typeof parsed.pid === 'number' ? parsed : null;
  } catch {
    return null;
  }
}

/** Whether the process a lock names still runs (another host's cannot be checked, so it counts as running). */
export function alive(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true;
  if (holder.pid === process.pid) return true;
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const now = procStart(holder.pid);
  return !(holder.procStart && now && now !== holder.procStart);
}

/** Creates the lock file with its whole content at once; false when one exists. */
function place(file: string, holder: LockHolder): boolean {
  const tmp = `${file}.${process.pid}`;
  write(tmp, holder);
  try {
    linkSync(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSafe(tmp);
  }
}

function write(file: string, holder: LockHolder) {
  const fd = openSync(file, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(holder));
  } finally {
    closeSync(fd);
  }
}

function unlinkSafe(file: string) {
  try {
    unlinkSync(file);
  } catch {
    // Already gone.
  }
}

function procStart(pid: number): string | undefined {
  try {
    // Field 22 of /proc/<pid>/stat, counted after the parenthesised command name.
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[19];
  } catch {
    return undefined;
  }
}
