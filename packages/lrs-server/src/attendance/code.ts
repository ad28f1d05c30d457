import { createHmac, timingSafeEqual } from 'node:crypto';

/** A check-in code lives for one step; the previous step's is still accepted, so at most two steps (60 s). */
export const CODE_STEP_MS = 30_000;

/** The time step a moment falls in. */
export const stepAt = (at: Date): number => Math.floor(at.getTime() / CODE_STEP_MS);

const mac = (secretKey: string, tenantId: string, sessionId: string, step: number) =>
  createHmac('sha256', secretKey).update(`xcredit-checkin|${tenantId}|${sessionId}|${step}`).digest('base64url').slice(0, 22);

/**
 * The check-in code of a session for the step `at` falls in: `<sessionId>.<step>.<mac>`, the mac an
 * HMAC with the server's secret key over tenant, session and step, so no one can make one.
 *
 * @example
 * const code = checkinCode(secretKey, 'default', sessionId, new Date()); // '5f0c….59123456.Xk3…'
 */
export function checkinCode(secretKey: string, tenantId: string, sessionId: string, at: Date): string {
  const step = stepAt(at);
  return `${sessionId}.${step}.${mac(secretKey, tenantId, sessionId, step)}`;
}

export type CodeCheck =
  | { ok: true; sessionId: string; step: number }
  | { ok: false; problem: 'malformed' | 'forged' | 'expired' | 'future'; sessionId?: string };

/**
 * Checks a code at `at`: well formed, signed by this server for this tenant, and of the current or
 * the previous step (a code photographed and sent on has expired a minute later).
 *
 * @example
 * checkCode(secretKey, 'default', code, new Date()); // { ok: true, sessionId, step }
 */
export function checkCode(secretKey: string, tenantId: string, code: string, at: Date): CodeCheck {
  const m = /^([0-9a-f-]{36})\.(\d{1,15})\.([A-Za-z0-9_-]{22})$/.exec(code);
  if (!m) return { ok: false, problem: 'malformed' };
  const [, sessionId, stepText, given] = m as unknown as [string, string, string, string];
  const step = Number(stepText);
  const expected = mac(secretKey, tenantId, sessionId, step);
  if (!timingSafeEqual(Buffer.from(expected), Buffer.from(given))) return { ok: false, problem: 'forged' };
  const now = stepAt(at);
  if (step > now) return { ok: false, problem: 'future', sessionId };
  if (step < now - 1) return { ok: false, problem: 'expired', sessionId };
  return { ok: true, sessionId, step };
}

/** When the code of `at` stops being accepted: the end of the step after it. */
export const codeExpiresAt = (at: Date): Date => new Date((stepAt(at) + 2) * CODE_STEP_MS);
