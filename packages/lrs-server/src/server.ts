import type { ErrorBody } from '@xcredit/sdk/contracts/wire';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createApp, creditEvents } from './app.js';
import { controlPath, startControl } from './control.js';
import { systemClock, type Clock } from './clock.js';
import type { AppContext } from './context.js';
import { createClient, DEFAULT_TENANT, ensureFirstAdmin, ensureTenant } from './auth/clients.js';
import type { Config } from './config.js';
import { upgradeCreditRules } from './credits/rules.js';
import { migrate, openStore, type Store } from './db/index.js';
import type { Lifecycle } from './ops/health.js';
import { createLogger } from './ops/request-log.js';
import { resolveSecretKey } from './secret-key.js';
import { seedDemo } from './seed.js';
import { sweepAtRisk } from './webhooks/alerts.js';
import { mailHandler } from './reminders/mailer.js';
import { MAIL_JOB, sweepReminders } from './reminders/reminders.js';
import { DELIVER_JOB, deliverHandler } from './webhooks/events.js';
import { startOutboxWorker, type OutboxWorker } from './jobs/outbox.js';
import { enqueueChangedScores, SCORE_JOB, scoreHandler } from './lti/grades.js';
import { createLti, type LtiService } from './lti/service.js';
import { StatementWriter } from './xapi/statement-writer.js';
import { ValidationPool } from './xapi/validation-pool.js';

export interface RunningServer {
  url: string;
  /** Threads checking large statement batches off the event loop (0: the event loop does). */
  validationThreads: number;
  port: number;
  store: Store;
  lti: LtiService;
  outbox: OutboxWorker;
  /** With `firstAdmin`: the administrator made because the default tenant had none, to show once. */
  firstAdmin: { key: string; secret: string } | null;
  close(): Promise<void>;
}

/**
 * Opens the store, migrates, makes sure the default tenant (and the admin client, when
 * configured) exist, optionally seeds the demo, and listens.
 */
export async function startServer(config: Config, options: { demo?: boolean; clock?: Clock; firstAdmin?: boolean } = {}): Promise<RunningServer> {
  const store = await openStore({ ...config, command: 'start' });
  let validation: ValidationPool | undefined;
  try {
    const secretKey = resolveSecretKey(config);
    await migrate(store.db);
    await ensureTenant(store.db, DEFAULT_TENANT);
    if (config.adminKey && config.adminSecret) {
      await createClient(store.db, { tenantId: DEFAULT_TENANT.id, name: 'admin (from environment)', key: config.adminKey, secret: config.adminSecret, scopes: ['all', 'credits/admin'] });
    }
    const firstAdmin = options.firstAdmin ? await ensureFirstAdmin(store.db, DEFAULT_TENANT.id) : null;
    const demo = options.demo ? await seedDemo(store.db) : undefined;
    // Credits computed with older rules are recomputed once; every change is a ledger adjustment saying why.
    const clock = options.clock ?? systemClock;
    const events = creditEvents(clock);
    await upgradeCreditRules(store.db, events);
    const urls = { publicUrl: config.publicUrl };
    const lti = createLti(store.db, urls, { secretKey, outbound: config.ltiOutbound, events, clock });
    validation = ValidationPool.create(config.validationThreads);
    const lifecycle: Lifecycle = { stopping: false };
    const logger = createLogger(config.logLevel);
    let worker: OutboxWorker | undefined;
    const context: AppContext = { db: store.db, clock, config: urls, statements: new StatementWriter(store.db, store.engine), kickOutbox: () => worker?.kick(), secretKey };
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
    const scoreSweep = { last: 0 };
    const outbox = startOutboxWorker(store.db, { [SCORE_JOB]: scoreHandler(store.db, () => lti.provider(), clock), [DELIVER_JOB]: deliverHandler(store.db, config.webhookOutbound, clock), [MAIL_JOB]: mailHandler(store.db, secretKey, clock, () => urls.publicUrl) }, {
      beforeRound: async () => {
        if (lti.state.status === 'ready') await enqueueChangedScores(store.db, scoreSweep);
      },
    });
    lti.onKick = outbox.kick;
    // Holding an embedded data folder, take the CLI's commands so they write through this process.
    const socket = store.lock ? controlPath(config.dataDir) : null;
    const control = socket ? await startControl(socket, { store, config: { ...config, publicUrl: url }, lti }) : undefined;
    if (socket) store.lock?.advertise(socket);
    worker = outbox;
    const atRisk = setInterval(() => void sweepAtRisk(store.db, clock()).catch((err: Error) => console.error(`xcredit: at-risk sweep failed: ${err.message}`)), 3600_000);
    atRisk.unref();
    // Reminders owed (deadlines, falling behind, managers' digests): each is queued once by its key, so every process may sweep.
    const reminders = setInterval(() => void sweepReminders(context).catch((err: Error) => console.error(`xcredit: reminder sweep failed: ${err.message}`)), 3600_000);
    reminders.unref();
    return {
      url,
      validationThreads: validation?.threads ?? 0,
      port,
      store,
      lti,
      outbox,
      firstAdmin,
      /**
       * Stops gracefully: takes no new connection (and `/readyz` says so), lets requests in flight
       * finish for up to `shutdownSeconds` while closing connections as they fall idle, then
       * releases the outbox jobs it claimed but did not start, and closes the database.
       */
      async close() {
        lifecycle.stopping = true;
        clearInterval(atRisk);
        clearInterval(reminders);
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
