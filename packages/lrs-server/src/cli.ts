#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { createClient, DEFAULT_TENANT, ensureTenant } from './auth/clients.js';
import { SCOPES, type Scope } from './auth/scopes.js';
import { ConfigError, loadConfig } from './config.js';
import { migrate, openStore } from './db/index.js';
import { recompute } from './credits/recompute.js';
import { rulesReason, upgradeCreditRules } from './credits/rules.js';
import { LTI_REGISTER_USAGE, ltiRegister } from './lti/cli.js';
import { seedDemo } from './seed.js';
import { startServer } from './server.js';

const USAGE = `usage: xcredit <command> [options]

commands:
  start [--demo]                 migrate, then serve (PORT, DATABASE_URL, XCREDIT_DATA_DIR)
  migrate                        bring the database schema up to date
  seed-demo                      create the demo tenant, course and learner
  recompute [--tenant T] [--since DATE]
                                 rebuild engagement and the ledger from raw statements
  create-client --name N [--tenant T] [--scopes a,b] [--key K --secret S]
                                 create an LRS/API client and print its key and secret
${LTI_REGISTER_USAGE}

environment:
  PORT                 port to listen on (default 3000)
  DATABASE_URL         postgres://… to use PostgreSQL; unset: embedded PGlite
  XCREDIT_DATA_DIR     PGlite data folder (default ./data)
  XCREDIT_PUBLIC_URL   URL browsers use to reach this server (default http://localhost:PORT)
  XCREDIT_ADMIN_KEY, XCREDIT_ADMIN_SECRET   an all-scopes client for the default tenant
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
      const { values } = parseArgs({ args: rest, options: { demo: { type: 'boolean', default: false } } });
      const server = await startServer(config, { demo: values.demo });
      console.log(`xcredit is running on ${server.url} (${server.store.engine}: ${server.store.location})`);
      console.log(`  xAPI endpoint  ${server.url}/xapi`);
      console.log(`  credits API    ${server.url}/api/v1`);
      if (server.validationThreads) console.log(`  validation     ${server.validationThreads} thread${server.validationThreads > 1 ? 's' : ''} checking large statement batches`);
      console.log(`  LTI 1.3        ${server.lti.state.status === 'ready' ? `${server.url}/lti   (login ${server.url}/lti/login, keys ${server.url}/lti/keys; see docs/lti.md)` : `unavailable: ${server.lti.state.reason ?? 'not started'}`}`);
      if (values.demo) console.log(`  demo page      ${server.url}/demo   ← open this, press play, watch the credits`);
      const stop = async () => {
        await server.close();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      return -1;
    }
    case 'migrate': {
      const store = await openStore(config);
      try {
        const applied = await migrate(store.db);
        console.log(applied.length ? `applied: ${applied.join(', ')}` : 'already up to date');
      } finally {
        await store.close();
      }
      return 0;
    }
    case 'seed-demo': {
      const store = await openStore(config);
      try {
        await migrate(store.db);
        const demo = await seedDemo(store.db);
        console.log(`demo seeded: tenant "${demo.tenantId}", course "${demo.courseId}", learner "${demo.learnerId}"`);
      } finally {
        await store.close();
      }
      return 0;
    }
    case 'recompute': {
      const { values } = parseArgs({ args: rest, options: { tenant: { type: 'string' }, since: { type: 'string' } } });
      const since = values.since === undefined ? undefined : new Date(values.since);
      if (since && Number.isNaN(since.getTime())) throw new UsageError(`--since "${values.since}" is not a date (use e.g. 2026-01-01)`);
      const store = await openStore(config);
      try {
        await migrate(store.db);
        const started = performance.now();
        const upgraded = await upgradeCreditRules(store.db);
        if (upgraded) console.log(`${rulesReason()}: ${upgraded} ledger adjustments`);
        const bar = progressBar(process.stderr);
        const result = await recompute(store.db, { tenantId: values.tenant, since, onProgress: bar.update });
        bar.done();
        const seconds = (performance.now() - started) / 1000;
        console.log(
          `recomputed ${result.pairs} learner/course pairs from ${result.statements} statements in ${seconds.toFixed(1)} s ` +
            `(${Math.round(result.statements / Math.max(seconds, 0.001))} statements/s); ${result.ledgerEntries} ledger corrections`,
        );
      } finally {
        await store.close();
      }
      return 0;
    }
    case 'create-client': {
      const { values } = parseArgs({
        args: rest,
        options: { name: { type: 'string' }, tenant: { type: 'string', default: DEFAULT_TENANT.id }, scopes: { type: 'string', default: 'all,credits/admin' }, key: { type: 'string' }, secret: { type: 'string' } },
      });
      if (!values.name) throw new UsageError('create-client needs --name');
      const scopes = values.scopes.split(',').map((s) => s.trim()).filter(Boolean);
      const bad = scopes.filter((s) => !SCOPES.includes(s as Scope));
      if (bad.length) throw new UsageError(`unknown scope ${bad.join(', ')}; known: ${SCOPES.join(', ')}`);
      const store = await openStore(config);
      try {
        await migrate(store.db);
        if (values.tenant === DEFAULT_TENANT.id) await ensureTenant(store.db, DEFAULT_TENANT);
        const tenant = await store.db.selectFrom('tenants').select('id').where('id', '=', values.tenant).executeTakeFirst();
        if (!tenant) throw new UsageError(`no tenant "${values.tenant}"`);
        const client = await createClient(store.db, { tenantId: values.tenant, name: values.name, scopes: scopes as Scope[], key: values.key, secret: values.secret });
        console.log(`key:    ${client.key}\nsecret: ${client.secret}\nscopes: ${scopes.join(' ')}`);
      } finally {
        await store.close();
      }
      return 0;
    }
    case 'lti-register': {
      console.log(await ltiRegister(rest, config));
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

class UsageError extends Error {}

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

/** A one-line progress display on a terminal; plain lines elsewhere. */
function progressBar(out: NodeJS.WriteStream) {
  let last = 0;
  const started = performance.now();
  return {
    update({ statements, pairs, total }: { statements: number; pairs: number; total: number }) {
      const now = performance.now();
      if (now - last < 250) return;
      last = now;
      const rate = Math.round(statements / Math.max((now - started) / 1000, 0.001));
      const share = total > 0 ? Math.min(1, statements / total) : 0;
      const bar = `[${'#'.repeat(Math.round(share * 30)).padEnd(30, '.')}] ${String(Math.round(share * 100)).padStart(3)}%`;
      const line = `${bar} ${statements.toLocaleString('en')} statements · ${pairs.toLocaleString('en')} learner/course pairs · ${rate.toLocaleString('en')}/s`;
      if (out.isTTY) out.write(`\r${line.padEnd(80)}`);
      else out.write(`${line}\n`);
    },
    done() {
      if (out.isTTY) out.write('\n');
    },
  };
}
