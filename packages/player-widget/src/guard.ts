import type { CreditPolicy } from '@xcredit/sdk';

/** The rates the speed menu may offer, before the policy's maxRate cuts the list. */
export const PLAYBACK_RATES: readonly number[] = [0.5, 0.75, 1, 1.25, 1.5, 1.75, 2];

/**
 * Seconds a locked seek may land past the furthest point watched: the seek bar's pixel
 * resolution and timeupdate's lag would otherwise bounce honest seeks to "where I was".
 */
export const SEEK_SLACK_SECONDS = 1;

/**
 * Rates the player offers under a policy: never faster than maxRate, never an empty menu.
 *
 * @example
 * allowedRates(1.5); // [0.5, 0.75, 1, 1.25, 1.5]
 */
export function allowedRates(maxRate: number): number[] {
  const rates = PLAYBACK_RATES.filter((r) => r <= maxRate);
  return rates.length > 0 ? rates : [safeMax(maxRate)];
}

/**
 * The playback rate actually allowed for a requested one.
 *
 * @example
 * clampRate(4, 2); // 2
 */
export function clampRate(rate: number, maxRate: number): number {
  if (!Number.isFinite(rate) || rate <= 0) return Math.min(1, safeMax(maxRate));
  return Math.min(rate, safeMax(maxRate));
}

/**
 * Where a seek may go: with `seekLock`, not past the furthest point watched (rewinding and
 * seeking within what was seen stay free).
 *
 * @example
 * seekTarget(90, 30, { seekLock: true }); // 30
 * seekTarget(10, 30, { seekLock: true }); // 10
 */
export function seekTarget(to: number, furthest: number, policy: Pick<CreditPolicy, 'seekLock'>): number {
  if (!policy.seekLock || to <= furthest + SEEK_SLACK_SECONDS) return to;
  return furthest;
}

// A policy with a broken maxRate must not stop the video; 1x is what every course allows.
const safeMax = (maxRate: number) => (Number.isFinite(maxRate) && maxRate > 0 ? maxRate : 1);
