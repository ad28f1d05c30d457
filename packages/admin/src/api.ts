import { readErrorBody, type ErrorBody } from '@xcredit/sdk/contracts/wire';

/** An error from the server, as its {@link ErrorBody} says. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: { path: string; message: string }[] = [],
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
export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`/admin/api${path}`, {
    method,
    credentials: 'same-origin',
    headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(method === 'GET' ? {} : { 'x-csrf-token': csrf() }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 401) {
    location.assign('/admin');
    throw new ApiError(401, 'unauthorized', 'signed out');
  }
  const text = await res.text();
  if (!res.ok) {
    const e = readErrorBody(text);
    throw new ApiError(res.status, e.code ?? 'error', e.message ?? res.statusText, e.issues);
  }
  return (text ? JSON.parse(text) : undefined) as T;
}
