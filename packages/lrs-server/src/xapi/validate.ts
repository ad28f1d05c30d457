import type { InputIssue } from '@xcredit/sdk/xapi';
import { CONTEXT_ACTIVITY_KINDS } from './normalize.js';
import type { XapiVersion } from './version.js';

type Obj = Record<string, any>;

const INTERACTION_FIELDS = ['correctResponsesPattern', 'choices', 'scale', 'source', 'target', 'steps'] as const;
// ISO 8601 forbids a negative zero offset ("-00", "-0000", "-00:00").
const NEGATIVE_ZERO_OFFSET = /-00(:?00)?$/;

/**
 * Rules the shared statement schema leaves to the LRS: what differs between 1.0.3 and 2.0.0,
 * and checks that depend on more than one field. Returns the issues found (none: valid).
 */
export function checkStatement(input: unknown, version: XapiVersion, where: string): InputIssue[] {
  const issues: InputIssue[] = [];
  if (!input || typeof input !== 'object' || Array.isArray(input)) return [{ path: where, message: 'must be a JSON object' }];
  const issue = (path: string, message: string) => issues.push({ path, message });

  const definition = (a: unknown, path: string) => {
    const d = (a as Obj | undefined)?.definition;
    if (!d || typeof d !== 'object') return;
    const used = INTERACTION_FIELDS.filter((k) => d[k] !== undefined);
    if (used.length && d.interactionType === undefined) issue(`${path}.definition.interactionType`, `is required when ${used.join(', ')} ${used.length > 1 ? 'are' : 'is'} given`);
  };
  const timestamp = (v: unknown, path: string) => {
    if (typeof v === 'string' && NEGATIVE_ZERO_OFFSET.test(v)) issue(path, 'must not use the offset -00:00 (write Z or +00:00)');
  };
  const duration = (v: unknown, path: string) => {
    if (typeof v === 'string' && v.includes('W') && !/^P\d+(\.\d+)?W$/.test(v)) issue(path, 'a duration in weeks (PnW) cannot have other parts');
  };

  const visit = (st: Obj, path: string, sub: boolean) => {
    const c = st.context;
    const objectType = st.object && typeof st.object === 'object' ? (st.object.objectType ?? 'Activity') : undefined;
    if (c && typeof c === 'object') {
      if (version === '1.0.3') {
        for (const k of ['contextAgents', 'contextGroups']) if (c[k] !== undefined) issue(`${path}.context.${k}`, 'is not part of xAPI 1.0.3 (added in 2.0.0)');
      }
      if (sub && objectType !== 'Activity') {
        for (const k of ['revision', 'platform']) if (c[k] !== undefined) issue(`${path}.context.${k}`, 'is only allowed when the object is an Activity');
      }
      const ca = c.contextActivities;
      if (ca && typeof ca === 'object') {
        for (const k of CONTEXT_ACTIVITY_KINDS) {
          const list = ca[k];
          if (Array.isArray(list)) list.forEach((a, i) => definition(a, `${path}.context.contextActivities.${k}[${i}]`));
          else definition(list, `${path}.context.contextActivities.${k}`);
        }
      }
    }
    if (st.object && typeof st.object === 'object') {
      const o = st.object as Obj;
      if (o.objectType === undefined && (o.mbox !== undefined || o.mbox_sha1sum !== undefined || o.openid !== undefined || o.account !== undefined || o.member !== undefined)) {
        issue(`${path}.object.objectType`, 'is required when the object is an Agent or Group');
      }
      if (objectType === 'Activity') definition(o, `${path}.object`);
      if (o.objectType === 'SubStatement') {
        if (sub) issue(`${path}.object`, 'a SubStatement cannot contain a SubStatement');
        else {
          for (const k of ['id', 'stored', 'version', 'authority']) if (o[k] !== undefined) issue(`${path}.object.${k}`, 'is not allowed in a SubStatement');
          visit(o, `${path}.object`, true);
        }
      }
    }
    timestamp(st.timestamp, `${path}.timestamp`);
    duration(st.result?.duration, `${path}.result.duration`);
  };
  const s = input as Obj;
  visit(s, where, false);
  timestamp(s.stored, `${where}.stored`);

  const authority = s.authority;
  if (authority && typeof authority === 'object' && authority.objectType === 'Group') {
    const identified = ['mbox', 'mbox_sha1sum', 'openid', 'account'].some((k) => authority[k] !== undefined);
    if (identified) issue(`${where}.authority`, 'a Group authority must be anonymous (an OAuth consumer and user as its two members)');
    if (!Array.isArray(authority.member) || authority.member.length !== 2) issue(`${where}.authority.member`, 'a Group authority has exactly two members');
  }
  return issues;
}
