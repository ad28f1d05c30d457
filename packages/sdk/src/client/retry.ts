/**
 * How long to wait before retry number `attempt` (1 for the first): the server's `Retry-After`
 * (seconds or an HTTP date) when it sent one, else `baseMs · 2^(attempt−1)` scaled by a random
 * factor in [0.5, 1) so that clients failing together do not retry together. `undefined` when the
 * wait would exceed `maxMs`: the caller should give up rather than hang.
 *
 * @example
 * retryDelay({ attempt: 1, retryAfter: '2', baseMs: 250, maxMs: 30_000, now: Date.now(), random: Math.random() }); // 2000
 * retryDelay({ attempt: 3, retryAfter: null, baseMs: 250, maxMs: 30_000, now: Date.now(), random: 0.5 }); // 750
 */
export function retryDelay(input: { attempt: number; retryAfter: string | null; baseMs: number; maxMs: number; now: number; random: number }): number | undefined {
  const asked = retryAfterMs(input.retryAfter, input.now);
  const wait = asked ?? input.baseMs * 2 ** (input.attempt - 1) * (0.5 + input.random / 2);
  return wait <= input.maxMs ? Math.round(wait) : undefined;
}

/** A `Retry-After` header in milliseconds from `now`; `undefined` when absent or unreadable. */
function retryAfterMs(header: string | null, now: number): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
