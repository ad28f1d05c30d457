import type { Statement } from '@xcredit/sdk/xapi';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Context activities are always stored as arrays, as the specification recommends. */
export function normalizeStatement<T extends Statement | Record<string, unknown>>(statement: T): T {
  const s = structuredClone(statement) as Record<string, any>;
  const fix = (st: Record<string, any> | undefined) => {
    const ca = st?.context?.contextActivities;
    if (!ca) return;
    for (const k of ['parent', 'grouping', 'category', 'other']) if (ca[k] && !Array.isArray(ca[k])) ca[k] = [ca[k]];
  };
  fix(s);
  if (s.object?.objectType === 'SubStatement') fix(s.object);
  if (s.object && s.object.objectType === undefined && typeof s.object.id === 'string') s.object.objectType = 'Activity';
  return s as T;
}

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
