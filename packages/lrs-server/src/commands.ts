import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { creditEvents } from './app.js';
import { systemClock } from './clock.js';
import { createClient, DEFAULT_TENANT, ensureTenant } from './auth/clients.js';
import { SCOPES, type Scope } from './auth/scopes.js';
import type { Config } from './config.js';
import { recompute } from './credits/recompute.js';
import { rulesReason, upgradeCreditRules } from './credits/rules.js';
import { migrate, type Store } from './db/index.js';
import { ltiRegister, ltiRegisterInput, ltiRegistrationLink, ltiRegistrationLinkInput } from './lti/cli.js';
import type { LtiService } from './lti/service.js';
import { seedDemo } from './seed.js';
import { ArchiveError, archiveStatements, parseMonth, restoreStatements } from './xapi/archive.js';

/** The CLI commands that work on the database: the CLI runs them itself, or hands them to the server holding the data folder. */
export const STORE_COMMANDS = ['migrate', 'seed-demo', 'recompute', 'create-client', 'lti-register', 'lti-registration-link', 'archive-statements', 'restore-statements'] as const;
export type StoreCommand = (typeof STORE_COMMANDS)[number];

export function isStoreCommand(command: string): command is StoreCommand {
  return (STORE_COMMANDS as readonly string[]).includes(command);
}

/** A command line that cannot be run as written. */
export class UsageError extends Error {}

export interface CommandContext {
  store: Store;
  config: Config;
  /** The running server's LTI service, when the server runs the command. */
  lti?: LtiService | undefined;
  /** One line of the command's output. */
  print(line: string): void;
  /** Where a progress display may draw; none when the output is collected. */
  progress?: NodeJS.WriteStream | undefined;
}

/**
 * Reads `xcredit <command> <args…>` — a usage error is thrown here, before any database is
 * opened — and returns the command, to run on an open store.
 *
 * @example
 * const run = prepareStoreCommand('create-client', ['--name', 'hr']);
 * await run({ store, config, print: console.log });
 */
export function prepareStoreCommand(command: StoreCommand, rest: string[]): (context: CommandContext) => Promise<void> {
  switch (command) {
    case 'migrate':
      return async ({ store, print }) => {
        const applied = await migrate(store.db);
        print(applied.length ? `applied: ${applied.join(', ')}` : 'already up to date');
      };
    case 'seed-demo':
      return async ({ store, print }) => {
        await migrate(store.db);
        const demo = await seedDemo(store.db);
        print(`demo seeded: tenant "${demo.tenantId}", course "${demo.courseId}", learner "${demo.learnerId}"`);
      };
    case 'recompute': {
      const { values } = parseArgs({ args: rest, options: { tenant: { type: 'string' }, since: { type: 'string' } } });
      const since = values.since === undefined ? undefined : new Date(values.since);
      if (since && Number.isNaN(since.getTime())) throw new UsageError(`--since "${values.since}" is not a date (use e.g. 2026-01-01)`);
      return async ({ store, print, progress }) => {
        await migrate(store.db);
        const started = performance.now();
        const events = creditEvents(systemClock);
        const upgraded = await upgradeCreditRules(store.db, events);
        if (upgraded) print(`${rulesReason()}: ${upgraded} ledger adjustments`);
        const bar = progressBar(progress);
        const result = await recompute(store.db, { events, tenantId: values.tenant, since, onProgress: bar.update });
        bar.done();
        const seconds = (performance.now() - started) / 1000;
        print(
          `recomputed ${result.pairs} learner/course pairs from ${result.statements} statements in ${seconds.toFixed(1)} s ` +
            `(${Math.round(result.statements / Math.max(seconds, 0.001))} statements/s); ${result.ledgerEntries} ledger corrections`,
        );
        if (result.frozen) print(`${result.frozen} pairs in periods with archived statements were left as they were`);
      };
    }
    case 'create-client': {
      const { values } = parseArgs({
        args: rest,
        options: { name: { type: 'string' }, tenant: { type: 'string', default: DEFAULT_TENANT.id }, scopes: { type: 'string', default: 'all,credits/admin' }, key: { type: 'string' }, secret: { type: 'string' } },
      });
      const name = values.name;
      if (!name) throw new UsageError('create-client needs --name');
      const scopes = values.scopes.split(',').map((s) => s.trim()).filter(Boolean);
      const bad = scopes.filter((s) => !SCOPES.includes(s as Scope));
      if (bad.length) throw new UsageError(`unknown scope ${bad.join(', ')}; known: ${SCOPES.join(', ')}`);
      return async ({ store, print }) => {
        await migrate(store.db);
        if (values.tenant === DEFAULT_TENANT.id) await ensureTenant(store.db, DEFAULT_TENANT);
        const tenant = await store.db.selectFrom('tenants').select('id').where('id', '=', values.tenant).executeTakeFirst();
        if (!tenant) throw new UsageError(`no tenant "${values.tenant}"`);
        const client = await createClient(store.db, { tenantId: values.tenant, name, scopes: scopes as Scope[], key: values.key, secret: values.secret });
        print(`key:    ${client.key}\nsecret: ${client.secret}\nscopes: ${scopes.join(' ')}`);
      };
    }
    case 'archive-statements': {
      const { values } = parseArgs({ args: rest, options: { before: { type: 'string' }, to: { type: 'string' } } });
      if (!values.before || !values.to) throw new UsageError('archive-statements needs --before YYYY-MM and --to FOLDER');
      let before: Date;
      try {
        before = parseMonth(values.before);
      } catch (err) {
        throw asUsage(err);
      }
      const dir = resolve(values.to);
      return async ({ store, print }) => {
        await migrate(store.db);
        await archiveStatements(store.db, { before, dir, now: systemClock(), print }).catch((err: unknown) => Promise.reject(asUsage(err)));
      };
    }
    case 'restore-statements': {
      const { values } = parseArgs({ args: rest, options: { from: { type: 'string' } } });
      if (!values.from) throw new UsageError('restore-statements needs --from statements-YYYY-MM.jsonl.gz');
      const file = resolve(values.from);
      return async ({ store, print }) => {
        await migrate(store.db);
        const restored = await restoreStatements(store.db, file).catch((err: unknown) => Promise.reject(asUsage(err)));
        print(`${restored.month}: ${restored.rows} statements loaded back from ${file}`);
      };
    }
    case 'lti-register': {
      const input = ltiRegisterInput(rest);
      return async ({ store, config, lti, print }) => print(await ltiRegister(input, config, store, creditEvents(systemClock), lti));
    }
    case 'lti-registration-link': {
      const input = ltiRegistrationLinkInput(rest);
      return async ({ store, config, print }) => print(await ltiRegistrationLink(input, config, store));
    }
  }
}

/** The arguments with the files they name (`--to`, `--from`) made absolute, for a server whose working folder is another. */
export function withAbsolutePaths(rest: string[]): string[] {
  return rest.map((arg, i) => {
    if (rest[i - 1] === '--to' || rest[i - 1] === '--from') return resolve(arg);
    const inline = /^(--to|--from)=(.*)$/.exec(arg);
    return inline ? `${inline[1]}=${resolve(inline[2]!)}` : arg;
  });
}

/** An archive request that cannot be carried out is a usage error: exit 2, saying why. */
function asUsage(err: unknown): unknown {
  return err instanceof ArchiveError ? new UsageError(err.message) : err;
}

/** A one-line progress display on a terminal; plain lines elsewhere; nothing without a stream. */
function progressBar(out: NodeJS.WriteStream | undefined) {
  let last = 0;
  const started = performance.now();
  return {
    update({ statements, pairs, total }: { statements: number; pairs: number; total: number }) {
      const now = performance.now();
      if (!out || now - last < 250) return;
      last = now;
      const rate = Math.round(statements / Math.max((now - started) / 1000, 0.001));
      const share = total > 0 ? Math.min(1, statements / total) : 0;
      const bar = `[${'#'.repeat(Math.round(share * 30)).padEnd(30, '.')}] ${String(Math.round(share * 100)).padStart(3)}%`;
      const line = `${bar} ${statements.toLocaleString('en')} statements · ${pairs.toLocaleString('en')} learner/course pairs · ${rate.toLocaleString('en')}/s`;
      if (out.isTTY) out.write(`\r${line.padEnd(80)}`);
      else out.write(`${line}\n`);
    },
    done() {
      if (out?.isTTY) out.write('\n');
    },
  };
}
