import { AsyncLocalStorage } from 'node:async_hooks';
import { lookup as dnsLookup, promises as dns, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type Socket } from 'node:net';
import gotModule, { type Got, type OptionsOfTextResponseBody } from 'got';

// got is CommonJS: its function is the module's `default` property.
const got: Got = gotModule.default;

/**
 * Requests to URLs someone else named (an LMS's configuration, keys, token and grade endpoints)
 * go only to public addresses: loopback, private, link-local and other special addresses are
 * refused unless the operator allowed them (`XCREDIT_LTI_ALLOW_PRIVATE_HOSTS`). The check runs
 * where the socket connects, on the address it connects to (the name is resolved once, checked,
 * and that address used), so DNS answers that change between check and use, redirects and every
 * spelling of an address are covered alike.
 */
export interface OutboundPolicy {
  /** Host names (lower case) allowed whatever they resolve to. */
  readonly hosts: ReadonlySet<string>;
  /** Addresses and ranges allowed although special. */
  readonly addresses: BlockList;
  /** What the operator wrote, for messages. */
  readonly text: string;
}

export const OUTBOUND_TIMEOUT_MS = 10_000;
export const OUTBOUND_MAX_BYTES = 1024 * 1024;

/** An outbound request this policy refused, or one that failed; `message` is ours, safe to show. */
const OUTBOUND_CODES = ['forbidden_address', 'bad_url', 'too_large', 'unreachable', 'http_status', 'bad_body'] as const;
type OutboundCode = (typeof OUTBOUND_CODES)[number];

export class OutboundError extends Error {
  constructor(
    readonly code: OutboundCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

// IANA special-purpose registries: nothing here is a public internet host.
// Two lists: a BlockList matches IPv4 addresses against IPv6 ranges through their mapped form.
const SPECIAL_V4 = new BlockList();
const SPECIAL_V6 = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) SPECIAL_V4.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23], ['2001:db8::', 32],
  ['2002::', 16], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) SPECIAL_V6.addSubnet(net, prefix, 'ipv6');

/** The IPv4 address inside an IPv4-mapped or -compatible IPv6 address, if any. */
function embeddedIpv4(address: string): string | undefined {
  const m = /^(?:0*:)*:?(?:ffff:)?(\d+\.\d+\.\d+\.\d+)$/i.exec(address) ?? /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!m) return undefined;
  if (m.length === 2) return m[1];
  const hi = parseInt(m[1]!, 16);
  const lo = parseInt(m[2]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** Whether an IP address is loopback, private, link-local, reserved or otherwise not a public host. */
export function isSpecialAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  if (family === 6) {
    const v4 = embeddedIpv4(address);
    if (v4) return true; // mapped forms are refused outright: a public host has a plain address
    if ((parseInt(address.split(':')[0] || '0', 16) & 0xe000) !== 0x2000) return true; // only global unicast (2000::/3) is public
  }
  return family === 4 ? SPECIAL_V4.check(address, 'ipv4') : SPECIAL_V6.check(address, 'ipv6');
}

/**
 * Parses `XCREDIT_LTI_ALLOW_PRIVATE_HOSTS`: host names, IP addresses and CIDR ranges separated by
 * commas or spaces.
 *
 * @example
 * parseAllowList('127.0.0.1, lms.internal, 10.0.0.0/8') // { ok: true, policy }
 */
export function parseAllowList(text: string): { ok: true; policy: OutboundPolicy } | { ok: false; error: string } {
  const hosts = new Set<string>();
  const addresses = new BlockList();
  for (const raw of text.split(/[\s,]+/).filter(Boolean)) {
    const entry = raw.replace(/^\[(.*)\]$/, '$1').toLowerCase();
    const [address, prefix, extra] = entry.split('/');
    const family = isIP(address ?? '');
    if (prefix !== undefined && family !== 0) {
      const bits = Number(prefix);
      if (extra !== undefined || !/^\d+$/.test(prefix) || bits > (family === 4 ? 32 : 128)) return { ok: false, error: `"${raw}" is not a CIDR range (e.g. 10.0.0.0/8, fd00::/8)` };
      addresses.addSubnet(address!, bits, family === 4 ? 'ipv4' : 'ipv6');
    } else if (family) {
      addresses.addAddress(entry, family === 4 ? 'ipv4' : 'ipv6');
    } else if (prefix === undefined && /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/.test(entry)) {
      hosts.add(entry.replace(/\.$/, ''));
    } else {
      return { ok: false, error: `"${raw}" is not a host name, an IP address or a CIDR range` };
    }
  }
  return { ok: true, policy: { hosts, addresses, text } };
}

/** Public addresses only. */
export const STRICT_POLICY: OutboundPolicy = { hosts: new Set(), addresses: new BlockList(), text: '' };

function allowedAddress(policy: OutboundPolicy, host: string, address: string): boolean {
  if (policy.hosts.has(host.toLowerCase().replace(/\.$/, ''))) return true;
  if (!isSpecialAddress(address)) return true;
  const family = isIP(address);
  if (family === 0) return false;
  if (policy.addresses.check(address, family === 4 ? 'ipv4' : 'ipv6')) return true;
  const v4 = family === 6 ? embeddedIpv4(address) : undefined;
  return v4 !== undefined && policy.addresses.check(v4, 'ipv4');
}

const forbidden = (host: string, address: string) =>
  new OutboundError('forbidden_address', `${host}${host === address ? '' : ` (${address})`} is a loopback, private or otherwise non-public address; an operator can allow it (XCREDIT_LTI_ALLOW_PRIVATE_HOSTS, XCREDIT_WEBHOOK_ALLOW_PRIVATE_HOSTS, XCREDIT_SMTP_ALLOW_PRIVATE_HOSTS)`);

/**
 * What can be known of a URL's destination without resolving it: an IP literal or a `localhost`
 * name the policy does not allow. Names are checked again where the socket connects.
 *
 * @example
 * refusedDestination(STRICT_POLICY, 'http://10.0.0.5/hook') // '10.0.0.5 is a loopback, private …'
 */
export function refusedDestination(policy: OutboundPolicy, url: string): string | null {
  return refusedHost(policy, new URL(url).hostname);
}

/**
 * The same for a bare host (an SMTP server's): an IP literal, bracketed or not, or a `localhost`
 * name the policy does not allow.
 *
 * @example
 * refusedHost(STRICT_POLICY, '127.0.0.1') // '127.0.0.1 is a loopback, private …'
 */
export function refusedHost(policy: OutboundPolicy, hostname: string): string | null {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase().replace(/\.$/, '');
  const address = isIP(host) ? host : host === 'localhost' || host.endsWith('.localhost') ? '127.0.0.1' : null;
  if (address === null || allowedAddress(policy, host, address)) return null;
  return forbidden(host, address).message;
}

/**
 * For a client that opens its own sockets (SMTP): resolves `hostname` once, checks every address
 * it resolves to as the guarded agents do, and answers the address to connect to (the caller
 * names the host for TLS), so a DNS answer that changes between check and use gains nothing.
 *
 * @example
 * const address = await resolveGuarded(policy, 'smtp.example.com'); // then connect to address, servername smtp.example.com
 */
export async function resolveGuarded(policy: OutboundPolicy, hostname: string): Promise<string> {
  const host = hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(host)) {
    if (!allowedAddress(policy, host, host)) throw forbidden(host, host);
    return host;
  }
  let found: LookupAddress[];
  try {
    found = await dns.lookup(host, { all: true, verbatim: true });
  } catch (err) {
    throw new OutboundError('unreachable', `${host} could not be resolved (${(err as { code?: string }).code ?? 'DNS error'})`, { cause: err });
  }
  const refused = found.find((a) => !allowedAddress(policy, host, a.address));
  if (refused) throw forbidden(host, refused.address);
  // IPv4 first, as nodemailer itself resolves: a mail server rarely listens on IPv6 alone.
  const address = found.find((a) => a.family === 4) ?? found[0];
  if (!address) throw new OutboundError('unreachable', `${host} has no address`);
  return address.address;
}

type ConnectOptions = { host?: string | null; socketPath?: string; lookup?: unknown; servername?: string };
type Connect = (options: ConnectOptions, cb: (err: Error | null, socket?: Socket) => void) => Socket | undefined;

/**
 * Wraps an agent's createConnection: unix sockets are refused, IP literals are checked, names
 * are resolved once through a lookup that refuses any special address it finds.
 */
function guardConnect(policy: OutboundPolicy, connect: Connect): Connect {
  return (options, cb) => {
    const host = String(options.host ?? 'localhost').replace(/^\[(.*)\]$/, '$1');
    if (options.socketPath) {
      cb(new OutboundError('forbidden_address', 'unix socket addresses are never fetched'));
      return undefined;
    }
    if (isIP(host)) {
      if (!allowedAddress(policy, host, host)) {
        cb(forbidden(host, host));
        return undefined;
      }
      return connect(options, cb);
    }
    const lookup = (hostname: string, opts: { all?: boolean; family?: number }, done: (err: Error | null, address?: string | LookupAddress[], family?: number) => void) => {
      dnsLookup(hostname, { ...opts, all: true, verbatim: true }, (err, found) => {
        if (err) return done(err);
        const list = found as LookupAddress[];
        const refused = list.find((a) => !allowedAddress(policy, hostname, a.address));
        if (refused) return done(forbidden(hostname, refused.address));
        if (opts.all) return done(null, list);
        done(null, list[0]!.address, list[0]!.family);
      });
    };
    return connect({ ...options, lookup }, cb);
  };
}

class GuardedHttpAgent extends http.Agent {
  constructor(policy: OutboundPolicy) {
    super({ keepAlive: false });
    const connect = (http.Agent.prototype as unknown as { createConnection: Connect }).createConnection.bind(this);
    (this as unknown as { createConnection: Connect }).createConnection = guardConnect(policy, connect);
  }
}

class GuardedHttpsAgent extends https.Agent {
  constructor(policy: OutboundPolicy) {
    super({ keepAlive: false });
    const connect = (https.Agent.prototype as unknown as { createConnection: Connect }).createConnection.bind(this);
    (this as unknown as { createConnection: Connect }).createConnection = guardConnect(policy, connect);
  }
}

const agents = new WeakMap<OutboundPolicy, { http: http.Agent; https: https.Agent }>();
function agentsFor(policy: OutboundPolicy) {
  let found = agents.get(policy);
  if (!found) agents.set(policy, (found = { http: new GuardedHttpAgent(policy), https: new GuardedHttpsAgent(policy) }));
  return found;
}

/** The got options every outbound request carries: guarded agents, a time limit, few redirects, no retries. */
function guardOptions(policy: OutboundPolicy) {
  return {
    agent: agentsFor(policy),
    timeout: OUTBOUND_TIMEOUT_MS,
    maxRedirects: 3,
    retry: 0,
    hooks: {
      beforeRequest: [
        (options: { url: URL }) => {
          if (options.url.protocol !== 'http:' && options.url.protocol !== 'https:') throw new OutboundError('bad_url', `${options.url.protocol} URLs are never fetched`);
        },
      ],
    },
  };
}

/** Cancels a got request whose answer grows past the size limit. */
function limitSize<T extends { on(event: 'downloadProgress', fn: (p: { transferred: number; total?: number }) => void): T; cancel(reason?: string): void }>(request: T): T {
  return request.on('downloadProgress', (p) => {
    if (p.transferred > OUTBOUND_MAX_BYTES || (p.total ?? 0) > OUTBOUND_MAX_BYTES) request.cancel(`the answer is larger than ${OUTBOUND_MAX_BYTES} bytes`);
  });
}

/**
 * One guarded request: http(s) only, the policy's addresses, 10 s, 1 MiB, at most 3 redirects.
 * Failures become an OutboundError whose message names what went wrong without quoting the answer.
 *
 * @example
 * const config = await fetchJson(policy, 'https://lms.example.com/.well-known/openid-configuration');
 */
export async function fetchJson(policy: OutboundPolicy, url: string, options: { method?: 'GET' | 'POST'; headers?: Record<string, string>; json?: unknown } = {}): Promise<unknown> {
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) throw new OutboundError('bad_url', 'it is not an http(s) URL');
  const request = got(url, { method: options.method ?? 'GET', headers: options.headers, json: options.json, throwHttpErrors: false, ...guardOptions(policy) } as OptionsOfTextResponseBody);
  let response;
  try {
    response = await limitSize(request);
  } catch (err) {
    throw describe(err);
  }
  if (response.statusCode < 200 || response.statusCode >= 300) throw new OutboundError('http_status', `it answered HTTP ${response.statusCode}`);
  try {
    return JSON.parse(response.body);
  } catch (err) {
    throw new OutboundError('bad_body', 'its answer is not JSON', { cause: err });
  }
}

/**
 * Posts `body` under the policy's addresses, 10 s, without following redirects; resolves with the
 * HTTP status whatever it is. A refused address, no answer or an answer over 1 MiB is an
 * OutboundError.
 *
 * @example
 * const status = await postGuarded(policy, 'https://hr.example.com/hooks', { 'content-type': 'application/json' }, '{}');
 */
export async function postGuarded(policy: OutboundPolicy, url: string, headers: Record<string, string>, body: string): Promise<number> {
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) throw new OutboundError('bad_url', 'it is not an http(s) URL');
  const request = got(url, { method: 'POST', headers, body, throwHttpErrors: false, ...guardOptions(policy), followRedirect: false } as OptionsOfTextResponseBody);
  try {
    return (await limitSize(request)).statusCode;
  } catch (err) {
    throw describe(err);
  }
}

/** Our words for a failed request: the cause named, nothing of the answer quoted. */
function describe(err: unknown): OutboundError {
  const e = err as { name?: string; code?: string; message?: string };
  if (err instanceof OutboundError) return err;
  // got wraps what our hooks and lookup threw, keeping its code and message.
  if (e.code && (OUTBOUND_CODES as readonly string[]).includes(e.code)) return new OutboundError(e.code as OutboundCode, e.message ?? '', { cause: err });
  if (e.name === 'CancelError') return new OutboundError('too_large', `its answer is larger than ${OUTBOUND_MAX_BYTES} bytes`, { cause: err });
  if (e.name === 'TimeoutError') return new OutboundError('unreachable', `it did not answer within ${OUTBOUND_TIMEOUT_MS / 1000} s`, { cause: err });
  if (e.name === 'MaxRedirectsError') return new OutboundError('unreachable', 'it redirected too many times', { cause: err });
  return new OutboundError('unreachable', `it could not be reached (${e.code ?? e.name ?? 'network error'})`, { cause: err });
}

const current = new AsyncLocalStorage<OutboundPolicy>();

/** Runs `fn` with `policy` governing every request ltijs makes from it (and from what it starts). */
export function withOutboundPolicy<T>(policy: OutboundPolicy, fn: () => T): T {
  return current.run(policy, fn);
}

let ltijsGuarded = false;

/**
 * ltijs fetches platform keys, tokens, line items and rosters through one shared got instance of
 * its own; its shortcut methods are replaced (once per process) so each request takes the policy
 * of the server it runs for, and the strict policy when it runs for none.
 */
export function guardLtijsRequests(ltijsGot: Got): void {
  if (ltijsGuarded) return;
  ltijsGuarded = true;
  const methods = ['get', 'post', 'put', 'patch', 'head', 'delete'] as const;
  for (const method of methods) {
    (ltijsGot as unknown as Record<string, unknown>)[method] = (url: string, options: Record<string, unknown> = {}) => {
      const policy = current.getStore() ?? STRICT_POLICY;
      const guard = guardOptions(policy);
      const hooks = (options.hooks ?? {}) as Record<string, unknown[]>;
      return limitSize(
        ltijsGot(url, { ...options, method: method.toUpperCase(), ...guard, hooks: { ...hooks, beforeRequest: [...(hooks.beforeRequest ?? []), ...guard.hooks.beforeRequest] } } as OptionsOfTextResponseBody) as never,
      );
    };
  }
}
