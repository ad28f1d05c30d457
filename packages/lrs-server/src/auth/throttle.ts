import { isIPv6 } from 'node:net';
import { sql } from 'kysely';
import type { Db } from '../db/index.js';
import { HttpError } from '../http-error.js';
import { sha256 } from './secrets.js';

/** How many failed sign-ins a client key, and a source address, may have in one window. */
export interface ThrottleLimits {
  perKey: number;
  perAddress: number;
  windowMs: number;
}

export const DEFAULT_LIMITS: ThrottleLimits = { perKey: 5, perAddress: 50, windowMs: 15 * 60_000 };

/**
 * Failed sign-ins counted in the database, so every server process on it shares one lockout.
 * A key is counted whether or not it exists (a lockout that only real keys reach would tell which
 * keys exist); an address is counted across keys, which bounds the rows one address can add to
 * `perAddress + 1` per window however many distinct keys it sprays. Rows older than the window
 * are swept.
 *
 * @example
 * const throttle = new SignInThrottle(db);
 * await throttle.assertOpen('xc_key', '203.0.113.9'); // throws 429 with Retry-After when locked
 * await throttle.recordFailure('xc_key', '203.0.113.9');
 */
export class SignInThrottle {
  private lastSweep = 0;
  // Address lockouts seen here, so a spraying address is refused without a query. Only addresses:
  // a key's lockout can be lifted early (a new secret), an address's never is.
  private readonly lockedAddresses = new Map<string, number>();

  constructor(
    private readonly db: Db,
    readonly limits: ThrottleLimits = DEFAULT_LIMITS,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Throws a 429 (with `Retry-After`) when the key or the address has used up its failures.
   * `knownGood`: these exact credentials were verified before, so a neighbour's failures at the
   * same address (a shared NAT, say) do not lock them out; the key's own lockout still applies.
   */
  async assertOpen(key: string, address: string, knownGood = false): Promise<void> {
    const subjects = { key: keySubject(key), addr: addressSubject(address) };
    const locallyLocked = knownGood ? undefined : this.lockedAddresses.get(subjects.addr);
    if (locallyLocked !== undefined) {
      if (locallyLocked > this.clock()) throw tooMany('from this network address', locallyLocked - this.clock());
      this.lockedAddresses.delete(subjects.addr);
    }
    const rows = await this.db
      .selectFrom('auth_failures')
      .select(['subject', 'window_start', 'failures'])
      .where('subject', 'in', [subjects.key, subjects.addr])
      .execute();
    const now = this.clock();
    for (const row of rows) {
      const isKey = row.subject === subjects.key;
      if (!isKey && knownGood) continue;
      const ends = new Date(row.window_start).getTime() + this.limits.windowMs;
      if (ends <= now || row.failures < (isKey ? this.limits.perKey : this.limits.perAddress)) continue;
      if (!isKey) this.rememberLockedAddress(subjects.addr, ends);
      throw tooMany(isKey ? 'with this client key' : 'from this network address', ends - now);
    }
  }

  private rememberLockedAddress(subject: string, until: number) {
    if (this.lockedAddresses.size >= 10_000) {
      for (const [s, t] of this.lockedAddresses) if (t <= this.clock()) this.lockedAddresses.delete(s);
      // Still full: forget the oldest; the database still holds their lockouts.
      for (const s of this.lockedAddresses.keys()) {
        if (this.lockedAddresses.size < 10_000) break;
        this.lockedAddresses.delete(s);
      }
    }
    this.lockedAddresses.set(subject, until);
  }

  /** Counts one failed sign-in against the key and the address, in one statement. */
  async recordFailure(key: string, address: string): Promise<void> {
    const now = new Date(this.clock());
    const expired = new Date(now.getTime() - this.limits.windowMs);
    await this.db
      .insertInto('auth_failures')
      .values([keySubject(key), addressSubject(address)].map((subject) => ({ subject, window_start: now, failures: 1 })))
      .onConflict((oc) =>
        oc.column('subject').doUpdateSet({
          // A window that has ended starts again at this failure.
          failures: sql`case when auth_failures.window_start <= ${expired} then 1 else auth_failures.failures + 1 end`,
          window_start: sql`case when auth_failures.window_start <= ${expired} then excluded.window_start else auth_failures.window_start end`,
        }),
      )
      .execute();
    if (now.getTime() - this.lastSweep >= 60_000) {
      this.lastSweep = now.getTime();
      await this.sweep();
    }
  }

  /** Lifts a key's lockout: its owner has just been given a new secret. */
  async forget(key: string): Promise<void> {
    await this.db.deleteFrom('auth_failures').where('subject', '=', keySubject(key)).execute();
  }

  /** Deletes counters whose window has ended. */
  async sweep(): Promise<void> {
    await this.db.deleteFrom('auth_failures').where('window_start', '<=', new Date(this.clock() - this.limits.windowMs)).execute();
  }
}

function tooMany(what: string, ms: number): HttpError {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  return new HttpError(429, 'too_many_failures', `too many failed sign-ins ${what}; try again in ${seconds} s`, undefined, { headers: { 'Retry-After': String(seconds) } });
}

/** Keys are hashed: a row's size never depends on what an attacker sent, and no key is stored in clear. */
export function keySubject(key: string): string {
  return `key:${sha256(key)}`;
}

/** An IPv4 address, or the /64 an IPv6 address belongs to (one host usually holds a whole /64). */
export function addressSubject(address: string): string {
  const ip = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  if (!isIPv6(ip)) return `addr:${ip}`;
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `addr:${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
