/**
 * Webhook signatures: `X-Xcredit-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`,
 * keyed with the webhook's secret. Works in Node 20+ and browsers (Web Crypto).
 */

/** An event xcredit sends to a webhook. */
export interface WebhookEvent<T = Record<string, unknown>> {
  id: string;
  type: 'credit.earned' | 'award.pending' | 'award.decided' | 'learner.at_risk' | 'learner.target_met' | 'webhook.test';
  createdAt: string;
  tenantId: string;
  data: T;
}

export const WEBHOOK_EVENTS = ['credit.earned', 'award.pending', 'award.decided', 'learner.at_risk', 'learner.target_met'] as const;

async function hmacHex(secret: string, text: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, enc.encode(text)));
  return [...mac].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The signature header value for a body, as xcredit computes it. */
export async function signWebhook(body: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): Promise<string> {
  return `t=${timestamp},v1=${await hmacHex(secret, `${timestamp}.${body}`)}`;
}

export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
}

/**
 * Checks a webhook request's signature and age, then returns its event. Pass the raw body
 * exactly as received (before any JSON parsing).
 *
 * @example
 * const event = await verifyWebhook({ body: rawBody, signature: req.headers['x-xcredit-signature'], secret: process.env.XCREDIT_WEBHOOK_SECRET! });
 * if (event.type === 'credit.earned') console.log(event.data.learnerId, event.data.credits);
 */
export async function verifyWebhook(input: { body: string; signature: string | null | undefined; secret: string; toleranceSeconds?: number; now?: number }): Promise<WebhookEvent> {
  const header = input.signature ?? '';
  const parts = Object.fromEntries(header.split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!parts.t || !parts.v1 || !Number.isInteger(t)) throw new WebhookVerificationError('missing or malformed X-Xcredit-Signature header');
  const now = input.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (input.toleranceSeconds ?? 300)) throw new WebhookVerificationError(`signature timestamp is ${Math.abs(now - t)} s away from now; replayed or clock skew`);
  const expected = await hmacHex(input.secret, `${t}.${input.body}`);
  if (!constantTimeEqual(expected, parts.v1)) throw new WebhookVerificationError('signature does not match the body and secret');
  return JSON.parse(input.body) as WebhookEvent;
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
