import { readErrorBody, type ErrorBody } from '@xcredit/sdk/contracts/wire';

/** An error from the server, as its {@link ErrorBody} says. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: { path: string; message: string }[] = [],
    /** The whole answer, for errors that carry more than the message (an import's line-by-line report). */
    readonly body: unknown = undefined,
  ) {
    super(message);
  }

  /** Messages by top-level field (`policy.weights` → `policy`); `''` for the ones no field owns. */
  byField(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    const add = (path: string, message: string) => {
      const field = /^[A-Za-z]+/.exec(path)?.[0] ?? '';
      out.set(field, [...(out.get(field) ?? []), path && path !== '(body)' ? `${path}: ${message}` : message]);
    };
    if (this.issues.length) for (const i of this.issues) add(i.path, i.message);
    else {
      // Messages without issues start with the field they are about: "policy.weights: …".
      const m = /^([A-Za-z][\w.[\]]*): (.*)$/.exec(this.message);
      if (m) add(m[1]!, m[2]!);
      else add('', this.message);
    }
    return out;
  }
}

const csrf = () => document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? '';

/** Calls /admin/api (the credits API on the signed-in session); writes carry the CSRF token. */
export function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  return request<T>(method, path, body === undefined ? undefined : { data: JSON.stringify(body), type: 'application/json' });
}

/** Sends a file as the request body (a CSV or XLSX import), with its own Content-Type. */
export function upload<T = any>(path: string, data: Blob, type: string): Promise<T> {
  return request<T>('POST', path, { data, type });
}

async function request<T>(method: string, path: string, body?: { data: BodyInit; type: string }): Promise<T> {
  const res = await fetch(`/admin/api${path}`, {
    method,
    credentials: 'same-origin',
    headers: { accept: 'application/json', ...(body ? { 'content-type': body.type } : {}), ...(method === 'GET' ? {} : { 'x-csrf-token': csrf() }) },
    body: body?.data,
  });
  if (res.status === 401) {
    location.assign('/admin');
    throw new ApiError(401, 'unauthorized', 'signed out');
  }
  const text = await res.text();
  if (!res.ok) {
    const e = readErrorBody(text);
    throw new ApiError(res.status, e.code ?? 'error', e.message ?? res.statusText, e.issues, parsed(text));
  }
  return (text ? JSON.parse(text) : undefined) as T;
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
