import { resolve } from 'node:path';
import { z } from 'zod';
import { parseAllowList, STRICT_POLICY, type OutboundPolicy } from './net/outbound.js';
import { LOG_LEVELS, type LogLevel } from './ops/request-log.js';

/** Server configuration, read from the environment and validated once at start. */
export interface Config {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  /** PostgreSQL connections this process keeps at most (DATABASE_POOL_SIZE, default 20). */
  databasePoolSize: number;
  /** A streaming read replica of DATABASE_URL for reports and statement queries (docs/operations.md). */
  databaseReadUrl: string | undefined;
  /** How long a read waits for a replica that is behind before reading the primary (DATABASE_READ_WAIT_MS, default 50). */
  databaseReadWaitMs: number;
  dataDir: string;
  /** Where browsers reach this server; used in player URLs. */
  publicUrl: string;
  adminKey: string | undefined;
  adminSecret: string | undefined;
  /** Threads checking large statement batches off the event loop (0: none); unset, one per core but one, at most 4. */
  validationThreads: number | undefined;
  /** Which proxies' X-Forwarded-For to believe (Express `trust proxy`): a hop count or addresses; unset, none. */
  trustProxy: number | string | undefined;
  /** Encrypts the LTI keys stored in the database; unset, see `resolveSecretKey`. */
  secretKey: string | undefined;
  /** Which non-public hosts LTI requests may reach (none by default). */
  ltiOutbound: OutboundPolicy;
  /** Where webhook deliveries may go beyond public addresses (`XCREDIT_WEBHOOK_ALLOW_PRIVATE_HOSTS`). */
  webhookOutbound: OutboundPolicy;
  /** Which non-public hosts a tenant's mail server (SMTP) may be (`XCREDIT_SMTP_ALLOW_PRIVATE_HOSTS`). */
  smtpOutbound: OutboundPolicy;
  /** CSP frame-ancestors of the pages made to be framed (player, demo, cmi5 AU, LTI): `*` unless configured. */
  frameAncestors: readonly string[];
  /** Browser origins allowed to call the APIs (CORS); unset, only the player's APIs answer any origin. See docs/security.md. */
  allowedOrigins: readonly string[] | undefined;
  /** Request and error logs (JSON lines on stdout) from this level up; `silent` for none. */
  logLevel: LogLevel;
  /** Seconds a shutdown waits for requests in flight before closing their connections. */
  shutdownSeconds: number;
  /** Seconds between sweeps for learners at risk of missing their target (one process of all runs each; default 3600). */
  atRiskSweepSeconds: number;
}

// An http(s) origin (no path); a frame ancestor may start its host with `*.` and have any port (`:*`).
const ORIGIN = /^https?:\/\/[a-z0-9-]+(\.[a-z0-9-]+)*(:\d{1,5})?$/i;
const ANCESTOR = /^https?:\/\/(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*(:(\d{1,5}|\*))?$/i;

/** A list separated by spaces or commas whose every item passes `valid`; `*` (and `'none'`) only alone. */
function sourceList(valid: (item: string) => boolean, what: string, alone: string[]) {
  return z.string().transform((text, ctx) => {
    // Keywords may be written with or without their CSP quotes.
    const items = text.split(/[\s,]+/).filter(Boolean).map((i) => (/^'?(self|none)'?$/i.test(i) ? `'${i.replace(/'/g, '').toLowerCase()}'` : i));
    const bad = items.find((i) => !valid(i) && !alone.includes(i));
    if (items.length === 0) ctx.addIssue({ code: 'custom', message: 'must name at least one origin' });
    else if (bad !== undefined) ctx.addIssue({ code: 'custom', message: `"${bad}" is not ${what}` });
    else if (items.length > 1 && items.some((i) => alone.includes(i))) ctx.addIssue({ code: 'custom', message: `${alone.join(' and ')} must stand alone` });
    else return items.map((i) => (ORIGIN.test(i) || ANCESTOR.test(i) ? i.toLowerCase() : i));
    return z.NEVER;
  });
}

/** Non-public host names, addresses and CIDR ranges outbound requests may reach. */
const allowList = z
  .string()
  .transform((s, ctx) => {
    const parsed = parseAllowList(s);
    if (parsed.ok) return parsed.policy;
    ctx.addIssue({ code: 'custom', message: parsed.error });
    return z.NEVER;
  })
  .optional();

const env = z.object({
  PORT: z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .refine((n) => n >= 0 && n <= 65535, 'must be between 0 and 65535')
    .default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .refine((s) => /^postgres(ql)?:\/\//.test(s) && URL.canParse(s), 'must be a postgres:// URL, e.g. postgres://user@127.0.0.1:5432/xcredit')
    .optional(),
  DATABASE_READ_URL: z
    .string()
    .refine((s) => /^postgres(ql)?:\/\//.test(s) && URL.canParse(s), 'must be a postgres:// URL of a streaming replica of DATABASE_URL, e.g. postgres://user@replica:5432/xcredit')
    .optional(),
  DATABASE_READ_WAIT_MS: z
    .string()
    .regex(/^\d+$/, 'must be a whole number of milliseconds')
    .transform(Number)
    .refine((n) => n <= 5000, 'must be at most 5000')
    .default(50),
  DATABASE_POOL_SIZE: z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .refine((n) => n >= 2 && n <= 500, 'must be between 2 and 500')
    .default(20),
  XCREDIT_DATA_DIR: z.string().min(1, 'must not be empty').default('./data'),
  XCREDIT_PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  XCREDIT_ADMIN_KEY: z.string().regex(/^[A-Za-z0-9._~-]{8,128}$/, 'must be 8–128 characters of letters, digits, . _ ~ -').optional(),
  XCREDIT_ADMIN_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  XCREDIT_VALIDATION_THREADS: z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .refine((n) => n <= 64, 'must be at most 64')
    .optional(),
  XCREDIT_TRUST_PROXY: z
    .string()
    .regex(/^(\d+|[\w.:/]+(\s*,\s*[\w.:/]+)*)$/, 'must be a number of proxies in front, or addresses/subnets such as loopback, 10.0.0.0/8')
    .transform((v) => (/^\d+$/.test(v) ? Number(v) : v))
    .optional(),
  XCREDIT_SECRET_KEY: z.string().min(32, 'must be at least 32 characters (e.g. `openssl rand -base64 32`)').optional(),
  XCREDIT_LTI_ALLOW_PRIVATE_HOSTS: allowList,
  XCREDIT_WEBHOOK_ALLOW_PRIVATE_HOSTS: allowList,
  XCREDIT_SMTP_ALLOW_PRIVATE_HOSTS: allowList,
  XCREDIT_FRAME_ANCESTORS: sourceList((i) => ANCESTOR.test(i) || i === "'self'", "an http(s) origin (https://lms.example.edu, https://*.example.edu) or 'self'", ['*', "'none'"]).default(['*']),
  XCREDIT_LOG_LEVEL: z.enum(LOG_LEVELS as [LogLevel, ...LogLevel[]], { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  XCREDIT_SHUTDOWN_SECONDS: z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .refine((n) => n <= 600, 'must be at most 600')
    .default(25),
  XCREDIT_AT_RISK_SWEEP_SECONDS: z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .refine((n) => n >= 1 && n <= 86_400, 'must be between 1 and 86400')
    .default(3600),
  XCREDIT_ALLOWED_ORIGINS: sourceList((i) => ORIGIN.test(i), 'an http(s) origin such as https://courses.example.com', ['*']).optional(),
});

/** Reads the configuration; throws one error naming every bad variable. */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = env.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${String(i.path[0])}=${JSON.stringify(cleaned[String(i.path[0])])}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if ((e.XCREDIT_ADMIN_KEY === undefined) !== (e.XCREDIT_ADMIN_SECRET === undefined)) {
    throw new ConfigError('invalid configuration:\n  XCREDIT_ADMIN_KEY and XCREDIT_ADMIN_SECRET must be set together');
  }
  if (e.DATABASE_READ_URL !== undefined && e.DATABASE_URL === undefined) {
    throw new ConfigError('invalid configuration:\n  DATABASE_READ_URL needs DATABASE_URL: a read replica is of a PostgreSQL primary (the embedded PGlite has none)');
  }
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    databaseReadUrl: e.DATABASE_READ_URL,
    databaseReadWaitMs: e.DATABASE_READ_WAIT_MS,
    dataDir: e.XCREDIT_DATA_DIR === 'memory://' ? 'memory://' : resolve(e.XCREDIT_DATA_DIR),
    publicUrl: (e.XCREDIT_PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    adminKey: e.XCREDIT_ADMIN_KEY,
    adminSecret: e.XCREDIT_ADMIN_SECRET,
    validationThreads: e.XCREDIT_VALIDATION_THREADS,
    trustProxy: e.XCREDIT_TRUST_PROXY,
    secretKey: e.XCREDIT_SECRET_KEY,
    ltiOutbound: e.XCREDIT_LTI_ALLOW_PRIVATE_HOSTS ?? STRICT_POLICY,
    webhookOutbound: e.XCREDIT_WEBHOOK_ALLOW_PRIVATE_HOSTS ?? STRICT_POLICY,
    smtpOutbound: e.XCREDIT_SMTP_ALLOW_PRIVATE_HOSTS ?? STRICT_POLICY,
    frameAncestors: e.XCREDIT_FRAME_ANCESTORS,
    allowedOrigins: e.XCREDIT_ALLOWED_ORIGINS,
    logLevel: e.XCREDIT_LOG_LEVEL,
    shutdownSeconds: e.XCREDIT_SHUTDOWN_SECONDS,
    atRiskSweepSeconds: e.XCREDIT_AT_RISK_SWEEP_SECONDS,
  };
}

export class ConfigError extends Error {}
