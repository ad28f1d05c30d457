import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Db } from './db/index.js';
import type { Reads } from './db/replica.js';
import type { OutboundPolicy } from './net/outbound.js';
import type { StatementWriter } from './xapi/statement-writer.js';

/**
 * What one running server shares with its routes and jobs, made once (server.ts, or app.ts for
 * an app on its own) and passed to them explicitly: no `app.locals`, no module state.
 *
 * @example
 * const context: AppContext = { db, clock: systemClock, config: { publicUrl: 'http://localhost:3000' }, reads: new Reads(db), statements: new StatementWriter(db, 'pglite'), kickOutbox: () => {}, secretKey };
 * app.use('/api/v1', creditsRouter(context));
 */
export interface AppContext {
  db: Db;
  /** Where read-only requests (statement queries, reports, credits) read: a replica when it has every write they must see. */
  reads: Reads;
  /** The server's clock: receipt times, periods, expiries. Tests install one they move by hand. */
  clock: Clock;
  /** Read at request time, so a server listening on port 0 can fill in its URL after start. */
  config: Pick<Config, 'publicUrl'>;
  /** The one statement writer of this database: concurrent requests meet in it. */
  statements: StatementWriter;
  /** Wakes the outbox worker (a webhook or a grade is waiting); does nothing while no worker runs. */
  kickOutbox(): void;
  /** XCREDIT_SECRET_KEY (or the data folder's key): encrypts stored secrets (LTI keys, the SMTP password) and signs unsubscribe links. */
  secretKey: string;
  /** Which non-public hosts a tenant's mail server may be (XCREDIT_SMTP_ALLOW_PRIVATE_HOSTS), checked when it is set and where the mailer connects; unset, public addresses only. */
  smtpOutbound?: OutboundPolicy;
}
