/** xAPI scopes plus xcredit's own. */
export const SCOPES = [
  'all',
  'all/read',
  'statements/write',
  'statements/read',
  'statements/read/mine',
  'state',
  'define',
  'profile',
  'credits/read',
  'credits/admin',
] as const;
export type Scope = (typeof SCOPES)[number];

/** Whether a client holding `held` may do what `needed` allows. */
export function allows(held: ReadonlySet<string>, needed: Scope): boolean {
  if (held.has('all') || held.has(needed)) return true;
  if (needed === 'statements/read/mine' && held.has('statements/read')) return true;
  if (held.has('all/read') && (needed === 'statements/read' || needed === 'statements/read/mine' || needed === 'credits/read')) return true;
  if (needed === 'credits/read' && held.has('credits/admin')) return true;
  return false;
}
