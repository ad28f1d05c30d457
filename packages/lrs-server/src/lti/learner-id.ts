import { ID_RE } from '@xcredit/sdk/contracts';
import type { LearnerIdClaim } from './tables.js';

/** The tenant's learner id for an LMS user, by the platform's rule. */
export function learnerIdOf(rule: LearnerIdClaim, who: { sub: string; email?: string | undefined; sourcedId?: string | undefined }): { ok: true; id: string } | { ok: false; why: string } {
  const value = rule === 'sub' ? who.sub : rule === 'email' ? who.email : who.sourcedId;
  const claim = rule === 'sub' ? 'sub' : rule === 'email' ? 'email' : 'lis.person_sourcedid';
  if (!value) return { ok: false, why: `this platform identifies learners by ${claim}, and the launch carries no ${claim}` };
  if (!ID_RE.test(value)) return { ok: false, why: `the ${claim} "${value}" is not a usable learner id (1–128 letters, digits or . _ : @ -)` };
  return { ok: true, id: value };
}
