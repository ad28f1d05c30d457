import type { ErrorBody } from '@xcredit/sdk/contracts/wire';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Duplex } from 'node:stream';
import { createApp, creditEvents } from './app.js';
import { controlPath, startControl } from './control.js';
import { systemClock, type Clock } from './clock.js';
import type { AppContext } from './context.js';
import { createClient, DEFAULT_TENANT, ensureFirstAdmin, ensureTenant } from './auth/clients.js';
import type { Config } from './config.js';
import { upgradeCreditRules } from './credits/rules.js';
import { migrate, openStore, withStartupLock, type Store } from './db/index.js';
import { Reads } from './db/replica.js';
import type { Lifecycle } from './ops/health.js';
import { createLogger } from './ops/request-log.js';
import { resolveSecretKey } from './secret-key.js';
import { seedDemo } from './seed.js';
import { sweepAtRisk } from './webhooks/alerts.js';
import { mailHandler } from './reminders/mailer.js';
import { MAIL_JOB, sweepReminders } from './reminders/reminders.js';
import { sweepTrainingSessions } from './attendance/sessions.js';
import { DELIVER_JOB, deliverHandler } from './webhooks/events.js';
import { startOutboxWorker, type OutboxWorker } from './jobs/outbox.js';
import { startSchedules } from './jobs/schedules.js';
import { ensureStatementPartitions } from './xapi/partitions.js';
import { enqueueChangedScores, SCORE_JOB, SCORE_SWEEP_MS, scoreHandler } from './lti/grades.js';
import { createLti, type LtiService } from './lti/service.js';
import { StatementWriter } from './xapi/statement-writer.js';
import { ValidationPool } from './xapi/validation-pool.js';

/** How often a process publishes its statement write horizon, and how long one holds if it stops. */
const HORIZON_BEAT_MS = 1000;
const HORIZON_LEASE_MS = 30_000;

export interface RunningServer {
  url: string;
  /** Threads checking large statement batches off the event loop (0: the event loop does). */
  validationThreads: number;
  port: number;
  store: Store;
  /** Where read-only requests read: the primary, or the read replica when it has caught up. */
  reads: Reads;
  lti: LtiService;
  outbox: OutboxWorker;
  /** The Express app the server answers with (to list its routes, e.g. in the OpenAPI test). */
  app: Express;
  /** With `firstAdmin`: the administrator made because the default tenant had none, to show once. */
  firstAdmin: { key: string; secret: string } | null;
  close(): Promise<void>;
}

/**
 * Opens the store, migrates, makes sure the default tenant (and the admin client, when
 * configured) exist, optionally seeds the demo, and listens.
 */
export async function startServer(config: Config, options: { demo?: boolean; clock?: Clock; firstAdmin?: boolean; pgliteImage?: Blob } = {}): Promise<RunningServer> {
  const store = await openStore({ ...config, command: 'start', pgliteImage: options.pgliteImage });
  let validation: ValidationPool | undefined;
  try {
    const secretKey = resolveSecretKey(config);
    const clock = options.clock ?? systemClock;
    const events = creditEvents(clock);
    // Several processes starting at once on one database take turns: one migrates, upgrades and seeds, the others find it done.
    const { firstAdmin, demo } = await withStartupLock(store, async () => {
      await migrate(store.db);
      await ensureStatementPartitions(store.db, clock());
      await ensureTenant(store.db, DEFAULT_TENANT);
      if (config.adminKey && config.adminSecret) {
        await createClient(store.db, { tenantId: DEFAULT_TENANT.id, name: 'admin (from environment)', key: config.adminKey, secret: config.adminSecret, scopes: ['all', 'credits/admin'] });
      }
      const firstAdmin = options.firstAdmin ? await ensureFirstAdmin(store.db, DEFAULT_TENANT.id) : null;
      const demo = options.demo ? await seedDemo(store.db) : undefined;
      // Credits computed with older rules are recomputed once; every change is a ledger adjustment saying why.
      await upgradeCreditRules(store.db, events);
      return { firstAdmin, demo };
    });
    const urls = { publicUrl: config.publicUrl };
    const lti = createLti(store.db, urls, { secretKey, outbound: config.ltiOutbound, events, clock });
    validation = ValidationPool.create(config.validationThreads);
    const lifecycle: Lifecycle = { stopping: false };
    const logger = createLogger(config.logLevel);
    let worker: OutboxWorker | undefined;
    const reads = new Reads(store.db, store.replica, { waitMs: config.databaseReadWaitMs, logger });
    const statements = new StatementWriter(store.db, store.engine);
    const context: AppContext = { db: store.db, reads, clock, config: urls, statements, kickOutbox: () => worker?.kick(), secretKey, smtpOutbound: config.smtpOutbound };
    // Other processes on this database hold their Consistent-Through before this one's writes under way.
    await statements.publishHorizon(clock(), HORIZON_LEASE_MS);
    let beat: Promise<void> = Promise.resolve();
    const horizonBeat = setInterval(() => {
      beat = statements.publishHorizon(clock(), HORIZON_LEASE_MS).catch((err: Error) => console.error(`xcredit: publishing the write horizon failed: ${err.message}`));
    }, HORIZON_BEAT_MS);
    horizonBeat.unref();
    const app = createApp({ context, browser: config, demo, lti, validation, events, trustProxy: config.trustProxy, webhookOutbound: config.webhookOutbound, ltiOutbound: config.ltiOutbound, logger, lifecycle });
    const server = app.listen(config.port, config.host);
    server.on('clientError', answerClientError);
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(err.code === 'EADDRINUSE' ? new Error(`port ${config.port} is already in use; set PORT to a free port`) : err),
      );
    });
    const port = (server.address() as AddressInfo).port;
    // Port 0 picks a free port; the public URL follows it unless it was set explicitly.
    if (config.port !== port) urls.publicUrl = `http://localhost:${port}`;
    const url = urls.publicUrl;
    // LTI failing to start (ltijs itself would exit the process) leaves the rest serving; /lti answers 503 with the reason.
    await lti.deploy().catch((err: Error) => console.error(`xcredit: ${err.message}`));
    const outbox = startOutboxWorker(store.db, { [SCORE_JOB]: scoreHandler(store.db, () => lti.provider(), clock), [DELIVER_JOB]: deliverHandler(store.db, config.webhookOutbound, clock), [MAIL_JOB]: mailHandler(store.db, secretKey, clock, () => urls.publicUrl, config.smtpOutbound) });
    lti.onKick = outbox.kick;
    // Holding an embedded data folder, take the CLI's commands so they write through this process.
    const socket = store.lock ? controlPath(config.dataDir) : null;
    const control = socket ? await startControl(socket, { store, config: { ...config, publicUrl: url }, lti }) : undefined;
    if (socket) store.lock?.advertise(socket);
    worker = outbox;
    // Each run once across all processes on the database. Reminders owed (deadlines, falling
    // behind, managers' digests) are queued once by their key, so a sweep run twice sends nothing twice.
    const schedules = startSchedules(
      store.db,
      [
        { name: 'at-risk sweep', everyMs: config.atRiskSweepSeconds * 1000, run: () => sweepAtRisk(store.db, clock()) },
        { name: 'lti score sweep', everyMs: SCORE_SWEEP_MS, run: async () => (lti.state.status === 'ready' ? enqueueChangedScores(store.db) : 0) },
        { name: 'reminder sweep', everyMs: 3600_000, run: () => sweepReminders(context) },
        // Sessions nobody closed by hand are credited once they ended.
        { name: 'training session sweep', everyMs: 3600_000, run: () => sweepTrainingSessions(store.db, events, clock()) },
        // Next month's statement partition, made well before the month starts.
        { name: 'statement partitions', everyMs: 6 * 3600_000, run: () => ensureStatementPartitions(store.db, clock()) },
      ],
      { owner: statements.processId },
    );
    return {
      url,
      validationThreads: validation?.threads ?? 0,
      port,
      store,
      reads,
      lti,
      outbox,
      app,
      firstAdmin,
      /**
       * Stops gracefully: takes no new connection (and `/readyz` says so), lets requests in flight
       * finish for up to `shutdownSeconds` while closing connections as they fall idle, then
       * releases the outbox jobs it claimed but did not start, and closes the database.
       */
      async close() {
        lifecycle.stopping = true;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        // A kept-alive connection falls idle when its last answer is sent: close it then.
        const sweep = setInterval(() => server.closeIdleConnections(), 50);
        const force = setTimeout(() => server.closeAllConnections(), config.shutdownSeconds * 1000);
        try {
          await closed;
        } finally {
          clearInterval(sweep);
          clearTimeout(force);
        }
        await control?.close();
        clearInterval(horizonBeat);
        await beat;
        await statements.withdrawHorizon().catch(() => {});
        await schedules.stop();
        await outbox.stop();
        await lti.close();
        await validation?.close();
        await store.close();
      },
    };
  } catch (err) {
    await validation?.close();
    await store.close().catch(() => {});
    throw err;
  }
}

/**
 * A request Node refuses before the app sees it (headers too large, a malformed request line)
 * is still answered with a JSON error that says what is wrong, not an empty status line.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex) {
  if (!socket.writable || err.code === 'ECONNRESET') return void socket.destroy();
  const [status, reason, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'the request line and headers are larger than the server accepts (16 KB); send long values in the body']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'the request was not received in time']
        : [400, 'Bad Request', 'the request is not valid HTTP (malformed request line, header or body framing)'];
  const body = JSON.stringify({ error: { status, code: 'bad_request', message } } satisfies ErrorBody);
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
