#!/usr/bin/env node
import cluster from 'node:cluster';
import { parseArgs } from 'node:util';
import { isStoreCommand, prepareStoreCommand, UsageError, withAbsolutePaths, type StoreCommand } from './commands.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { sendCommand } from './control.js';
import { openStore, type Store } from './db/index.js';
import { FolderLockedError } from './db/lock.js';
import { LTI_REGISTER_USAGE, rotateSecretKeyCommand } from './lti/cli.js';
import { parseWorkers, reportReady, runPrimary, type WorkerReady } from './ops/workers.js';
import { startServer } from './server.js';

const USAGE = `usage: xcredit <command> [options]

commands:
  start [--demo] [--workers N]   migrate, then serve (PORT, DATABASE_URL, XCREDIT_DATA_DIR);
                                 --workers: N processes sharing the port (needs DATABASE_URL)
  migrate                        bring the database schema up to date
  seed-demo                      create the demo tenant, course and learner
  recompute [--tenant T] [--since DATE]
                                 rebuild engagement and the ledger from raw statements
  archive-statements --before YYYY-MM --to FOLDER
                                 write each month of statements before that date to FOLDER
                                 (gzipped JSON lines), check it, and drop it from the database
  restore-statements --from FOLDER/statements-YYYY-MM.jsonl.gz
                                 load an archived month back
  create-client --name N [--tenant T] [--scopes a,b] [--key K --secret S]
                                 create an LRS/API client and print its key and secret
${LTI_REGISTER_USAGE}

environment:
  PORT                 port to listen on (default 3000)
  DATABASE_URL         postgres://… to use PostgreSQL; unset: embedded PGlite
  XCREDIT_DATA_DIR     PGlite data folder (default ./data)
  XCREDIT_PUBLIC_URL   URL browsers use to reach this server (default http://localhost:PORT)
  XCREDIT_ADMIN_KEY, XCREDIT_ADMIN_SECRET   an all-scopes client for the default tenant
  XCREDIT_TRUST_PROXY  proxies in front (a count, or addresses such as loopback), for sign-in limits
  XCREDIT_AT_RISK_SWEEP_SECONDS   how often learners at risk are looked for (default 3600)
  XCREDIT_SECRET_KEY   encrypts stored LTI keys (required with DATABASE_URL; else made in the data folder)
  XCREDIT_LTI_ALLOW_PRIVATE_HOSTS   non-public hosts/CIDRs LTI requests may reach (default: none)
  XCREDIT_WEBHOOK_ALLOW_PRIVATE_HOSTS   non-public hosts/CIDRs webhooks may be delivered to (default: none)
  XCREDIT_SMTP_ALLOW_PRIVATE_HOSTS   non-public hosts/CIDRs a tenant's mail server may be (default: none)

While a server runs on the embedded data folder, the commands above are run by that server
(rotate-secret-key excepted: stop the server first).
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  const config = loadConfig();
  switch (command) {
    case 'start': {
      const { values } = parseArgs({ args: rest, options: { demo: { type: 'boolean', default: false }, workers: { type: 'string' } } });
      const workers = values.workers === undefined ? undefined : parseWorkers(values.workers);
      if (typeof workers === 'string') throw new UsageError(workers);
      if (workers !== undefined && cluster.isPrimary) {
        if (!config.databaseUrl) {
          throw new ConfigError('--workers needs DATABASE_URL (PostgreSQL): the embedded PGlite data folder can be opened by one process only. Set DATABASE_URL=postgres://… or start without --workers.');
        }
        const code = await runPrimary({ count: workers, shutdownSeconds: config.shutdownSeconds, onReady: (ready) => printBanner(ready[0]!, ready.find((r) => r.firstAdmin)?.firstAdmin ?? null, values.demo, ready.length) });
        return code;
      }
      // SIGTERM while starting: finish starting (a migration is not cut halfway), then stop.
      let stopRequested = false;
      const early = () => void (stopRequested = true);
      process.once('SIGINT', early);
      process.once('SIGTERM', early);
      const server = await startServer(config, { demo: values.demo, firstAdmin: true });
      process.off('SIGINT', early);
      process.off('SIGTERM', early);
      const ready: Omit<WorkerReady, 'type'> = {
        url: server.url,
        engine: server.store.engine,
        location: server.store.location,
        validationThreads: server.validationThreads,
        lti: { status: server.lti.state.status, reason: server.lti.state.reason },
        firstAdmin: server.firstAdmin,
      };
      let stopping: Promise<void> | undefined;
      const stop = () =>
        (stopping ??= server.close().then(
          () => process.exit(0),
          (err: Error) => {
            console.error(`xcredit: stopping failed: ${err.message}`);
            process.exit(1);
          },
        ));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      if (stopRequested) {
        void stop();
        return -1;
      }
      if (cluster.isWorker) {
        // The primary gone (killed): nobody hands this worker connections any more.
        process.once('disconnect', stop);
        reportReady(ready);
        return -1;
      }
      printBanner({ type: 'xcredit:ready', ...ready }, server.firstAdmin, values.demo, 0);
      return -1;
    }
    case 'rotate-secret-key': {
      // Not handed to a running server: it holds the current key in memory. Stop the server first.
      console.log(await rotateSecretKeyCommand(config));
      return 0;
    }
    default:
      if (!isStoreCommand(command)) throw new UsageError(`unknown command "${command}"`);
      return runOnStore(command, rest, config);
  }
}

/** What `xcredit start` prints once it listens (`workers`: how many processes serve, 0 for this one alone). */
function printBanner(server: WorkerReady, firstAdmin: { key: string; secret: string } | null, demo: boolean, workers: number) {
  console.log(`xcredit is running on ${server.url} (${server.engine}: ${server.location})${workers ? ` with ${workers} worker processes` : ''}`);
  console.log(`  xAPI endpoint  ${server.url}/xapi`);
  console.log(`  credits API    ${server.url}/api/v1`);
  if (server.validationThreads) console.log(`  validation     ${server.validationThreads} thread${server.validationThreads > 1 ? 's' : ''} checking large statement batches${workers ? ' per worker' : ''}`);
  console.log(`  LTI 1.3        ${server.lti.status === 'ready' ? `${server.url}/lti   (login ${server.url}/lti/login, keys ${server.url}/lti/keys; see docs/lti.md)` : `unavailable: ${server.lti.reason ?? 'not started'}`}`);
  if (firstAdmin) {
    console.log(`\n  First start: an administrator was made for the dashboard and the API. Sign in at ${server.url}/admin with`);
    console.log(`    client key     ${firstAdmin.key}`);
    console.log(`    client secret  ${firstAdmin.secret}`);
    console.log(`  This secret is shown once and not stored readable: keep it now. Make more with \`xcredit create-client\`;`);
    console.log(`  give it a new secret with \`xcredit create-client --name admin --key ${firstAdmin.key}\`.\n`);
  }
  console.log(`  dashboard      ${server.url}/admin`);
  if (demo) console.log(`  demo page      ${server.url}/demo   ← open this, press play, watch the credits`);
}

/**
 * Runs a database command here, or, when a server holds the embedded data folder, in that server:
 * two processes writing one folder would lose writes.
 */
async function runOnStore(command: StoreCommand, rest: string[], config: Config): Promise<number> {
  const run = prepareStoreCommand(command, rest);
  let store: Store;
  try {
    store = await openStore({ ...config, command });
  } catch (err) {
    if (!(err instanceof FolderLockedError) || !err.holder.control || err.holder.command !== 'start') throw err;
    const result = await sendCommand(err.holder.control, [command, ...withAbsolutePaths(rest)]);
    if (result.out) console.log(result.out);
    if (result.err) console.error(`xcredit: ${result.err}`);
    console.error(`(run by the xcredit server, process ${err.holder.pid}, which holds ${err.dir})`);
    if (result.code === 2) console.error(`\n${USAGE}`);
    return result.code;
  }
  try {
    await run({ store, config, print: (line) => console.log(line), progress: process.stderr });
    return 0;
  } finally {
    await store.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err) => {
    if (err instanceof ConfigError || err instanceof UsageError) {
      console.error(`xcredit: ${err.message}`);
      if (err instanceof UsageError) console.error(`\n${USAGE}`);
      process.exitCode = 2;
    } else {
      console.error(`xcredit: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    }
  },
);
