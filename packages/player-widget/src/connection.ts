import { authorization } from './auth.js';

export interface ConnectionOptions {
  /** xAPI endpoint, e.g. `http://localhost:3000/xapi` (a trailing slash is dropped). */
  endpoint: string;
  /** Credits API base, ending with `/`, e.g. `http://localhost:3000/api/v1/`. */
  apiBase: string;
  /** The launch token, or a credential that names its scheme (cmi5's `Basic …`). */
  token: string;
  fetch?: typeof fetch;
}

/**
 * Where the player talks to and as whom: the xAPI endpoint and the credits API of one launch,
 * its credential, and the headers each API wants. Everything the player sends or reads goes
 * through one of these.
 *
 * @example
 * const connection = new Connection({ endpoint: 'http://localhost:3000/xapi', apiBase: 'http://localhost:3000/api/v1/', token });
 * const res = await connection.api('launches/current/credits');
 */
export class Connection {
  readonly endpoint: string;
  readonly apiBase: string;
  readonly token: string;
  private readonly doFetch: typeof fetch;

  constructor(options: ConnectionOptions) {
    this.endpoint = options.endpoint.replace(/\/+$/, '');
    this.apiBase = options.apiBase;
    this.token = options.token;
    this.doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** The URL of a credits API path, e.g. `launches/current/heartbeat`. */
  apiUrl(path: string): string {
    return new URL(path, this.apiBase).href;
  }

  /** The URL of an xAPI resource, e.g. `activities/state?…`. */
  xapiUrl(path: string): string {
    return `${this.endpoint}/${path}`;
  }

  /** A credits API request with this launch's credential; rejects only when the server cannot be reached. */
  api(path: string, init: RequestInit = {}): Promise<Response> {
    return this.doFetch(this.apiUrl(path), { ...init, headers: { ...apiHeaders(this.token), ...(init.headers as Record<string, string> | undefined) } });
  }

  /** An xAPI request with this launch's credential; rejects only when the server cannot be reached. */
  xapi(path: string, init: RequestInit = {}): Promise<Response> {
    return this.doFetch(this.xapiUrl(path), { ...init, headers: { ...xapiHeaders(this.token), ...(init.headers as Record<string, string> | undefined) } });
  }
}

/**
 * Headers of a credits API call made with `credential`.
 *
 * @example
 * apiHeaders('abc'); // { Authorization: 'Bearer abc', Accept: 'application/json' }
 */
export function apiHeaders(credential: string): Record<string, string> {
  return { Authorization: authorization(credential), Accept: 'application/json' };
}

/**
 * Headers of an xAPI request made with `credential`.
 *
 * @example
 * xapiHeaders('abc'); // { Authorization: 'Bearer abc', 'X-Experience-API-Version': '1.0.3', Accept: 'application/json' }
 */
export function xapiHeaders(credential: string): Record<string, string> {
  return { Authorization: authorization(credential), 'X-Experience-API-Version': '1.0.3', Accept: 'application/json' };
}
