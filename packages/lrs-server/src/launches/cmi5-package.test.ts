import { describe, expect, it } from 'vitest';
import { HttpError } from '../http-error.js';
import { learnerIdOf } from './cmi5-foreign.js';
import { cmi5PackageQuery, courseStructure, signCourseToken, verifyCourseToken } from './cmi5-package.js';

const key = 'k'.repeat(43);
const refused = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e instanceof HttpError ? `${e.status} ${e.code} ${e.message}` : `not an HttpError: ${String(e)}`;
  }
  return 'accepted';
};

describe('cmi5 course tokens', () => {
  it('round-trip the tenant, the course and the pinned LMS', () => {
    expect(verifyCourseToken(key, signCourseToken(key, { tenantId: 't1', courseId: 'c1' }))).toEqual({ tenantId: 't1', courseId: 'c1' });
    expect(verifyCourseToken(key, signCourseToken(key, { tenantId: 't1', courseId: 'c1', lms: 'https://lms.example' }))).toEqual({ tenantId: 't1', courseId: 'c1', lms: 'https://lms.example' });
  });

  it('are refused, naming the course field, when changed, cut, signed with another key or not tokens at all', () => {
    const token = signCourseToken(key, { tenantId: 't1', courseId: 'c1', lms: 'https://lms.example' });
    const [prefix, , mac] = token.split('.');
    const otherPayload = Buffer.from(JSON.stringify({ t: 't1', c: 'c1' })).toString('base64url');
    for (const bad of [`${prefix}.${otherPayload}.${mac}`, token.slice(0, -1), `${token}.x`, `c2${token.slice(2)}`, signCourseToken('j'.repeat(43), { tenantId: 't1', courseId: 'c1' }), '', 'c1..']) {
      expect(refused(() => verifyCourseToken(key, bad))).toMatch(/^403 invalid_course_token course: /);
    }
  });
});

describe('cmi5 course structure', () => {
  it('names the course activity id as the AU publisher id and escapes titles and the URL', () => {
    const xml = courseStructure({ activityId: 'https://example.com/c?a=1&b=2', title: 'Fire "safety" <2026>' }, 'https://x.example/cmi5/au?xc=a&z=1');
    expect(xml).toContain('<au id="https://example.com/c?a=1&amp;b=2" moveOn="Completed" launchMethod="AnyWindow">');
    expect(xml).toContain('Fire &quot;safety&quot; &lt;2026&gt;');
    expect(xml).toContain('<url>https://x.example/cmi5/au?xc=a&amp;z=1</url>');
    expect(xml).not.toMatch(/<2026>|"safety"/);
  });
});

describe('learner ids of an LMS actor', () => {
  it('are the account name or the mbox address; anything unusable is a 400 naming actor', () => {
    expect(learnerIdOf({ account: { homePage: 'https://lms.example', name: 'u-17' } })).toBe('u-17');
    expect(learnerIdOf({ mbox: 'mailto:ana@example.com' })).toBe('ana@example.com');
    expect(refused(() => learnerIdOf({ account: { homePage: 'https://lms.example', name: 'has space' } }))).toMatch(/^400 invalid_input actor: /);
  });
});

describe('the package query', () => {
  it('takes an http(s) origin and refuses anything else with an issue on lms, never a throw', () => {
    expect(cmi5PackageQuery.parse({ lms: 'https://lms.example/' })).toEqual({ lms: 'https://lms.example' });
    for (const lms of ['true', '../../etc/passwd', 'ftp://lms.example', 'https://lms.example/xapi', 'https://lms.example/?a=1']) {
      const parsed = cmi5PackageQuery.safeParse({ lms });
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues.map((i) => i.path.join('.'))).toEqual(['lms']);
    }
  });
});
