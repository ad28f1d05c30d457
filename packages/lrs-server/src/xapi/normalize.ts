import type { Statement } from '@xcredit/sdk/xapi';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/**
 * Context activities are always stored as arrays, as the specification recommends, and an
 * object without objectType is an Activity. Returns a new statement; only the parts that change
 * are copied, and the input is left as it was.
 */
export function normalizeStatement<T extends Statement | Record<string, unknown>>(statement: T): T {
  const fix = (st: Record<string, any>): Record<string, any> => {
    const ca = st.context?.contextActivities;
    if (!ca || typeof ca !== 'object') return st;
    const single = CONTEXT_ACTIVITY_KINDS.filter((k) => ca[k] && !Array.isArray(ca[k]));
    if (!single.length) return st;
    const lists = { ...ca };
    for (const k of single) lists[k] = [ca[k]];
    return { ...st, context: { ...st.context, contextActivities: lists } };
  };
  const s = fix({ ...(statement as Record<string, any>) });
  const object = s.object;
  if (object && typeof object === 'object') {
    if (object.objectType === 'SubStatement') s.object = fix(object);
    else if (object.objectType === undefined && typeof object.id === 'string') s.object = { objectType: 'Activity', ...object };
  }
  return s as T;
}

/** The lists of `context.contextActivities`. */
export const CONTEXT_ACTIVITY_KINDS = ['parent', 'grouping', 'category', 'other'] as const;

/**
 * Whether two statements say the same thing, per the specification's comparison rules: the
 * LRS-set fields (id, stored, authority, version) are ignored and timestamps compare as instants.
 */
export function sameStatement(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return canonical(comparable(a)) === canonical(comparable(b));
}

function comparable(s: Record<string, unknown>): Record<string, unknown> {
  const { id: _i, stored: _s, authority: _a, version: _v, ...rest } = normalizeStatement(s) as Record<string, unknown>;
  if (typeof rest.timestamp === 'string') rest.timestamp = Date.parse(rest.timestamp);
  const result = rest.result as { duration?: unknown } | undefined;
  if (typeof result?.duration === 'string') rest.result = { ...result, duration: hundredths(result.duration) };
  return rest;
}

function canonical(value: unknown): string {
  const walk = (v: unknown): Json => {
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
          .map((k) => [k, walk((v as Record<string, unknown>)[k])]),
      );
    }
    return v as Json;
  };
  return JSON.stringify(walk(value));
}

/** Durations compare to 0.01 s: digits of seconds beyond the hundredths are dropped. */
function hundredths(duration: string): string {
  return duration.replace(/(\d+)\.(\d+)S$/, (_m, whole: string, frac: string) => {
    const kept = frac.slice(0, 2).replace(/0+$/, '');
    return kept ? `${whole}.${kept}S` : `${whole}S`;
  });
}
