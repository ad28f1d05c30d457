import { describe, expect, it } from 'vitest';
import { describeIssues, statement } from './schema.js';

const ok = {
  actor: { objectType: 'Agent', account: { homePage: 'https://hr.example.com', name: 'E-1' } },
  verb: { id: 'https://w3id.org/xapi/video/verbs/played', display: { 'en-US': 'played' } },
  object: { id: 'https://example.com/courses/fire', definition: { type: 'https://w3id.org/xapi/video/activity-type/video' } },
  context: { registration: '7c9e6679-7425-40de-944b-e07fc1f90ae7', contextActivities: { category: { id: 'https://w3id.org/xapi/video' } } },
  result: { extensions: { 'https://w3id.org/xapi/video/extensions/time': 12.5 } },
  timestamp: '2026-11-29T10:00:00.123Z',
};

const problems = (input: unknown) => {
  const r = statement.safeParse(input);
  return r.success ? [] : describeIssues(r.error, 'statement').map((i) => `${i.path}: ${i.message}`);
};

describe('statement schema', () => {
  it('accepts a Video Profile statement', () => {
    expect(problems(ok)).toEqual([]);
  });

  it.each([
    ['an agent with no identifier', { ...ok, actor: { name: 'x' } }, 'statement.actor: an Agent needs exactly one of mbox, mbox_sha1sum, openid, account'],
    ['a verb id that is not an IRI', { ...ok, verb: { id: 'played' } }, 'statement.verb.id: must be an IRI (e.g. https://example.com/verbs/played)'],
    ['a registration that is not a UUID', { ...ok, context: { registration: '42' } }, 'statement.context.registration: must be a UUID'],
    ['a bad language tag', { ...ok, verb: { ...ok.verb, display: { 'not a tag': 'x' } } }, 'statement.verb.display.not a tag: key must be an RFC 5646 language tag'],
    ['an unknown property', { ...ok, extra: 1 }, 'statement: unknown property "extra"'],
    ['a raw score above max', { ...ok, result: { score: { raw: 11, max: 10 } } }, 'statement.result.score: raw must be at most max'],
    ['a missing verb', { ...ok, verb: undefined }, 'statement.verb: is required'],
    ['a bad duration', { ...ok, result: { duration: '90 seconds' } }, 'statement.result.duration: must be an ISO 8601 duration (e.g. PT1M30S)'],
    ['revision on a non-activity', { ...ok, object: { objectType: 'StatementRef', id: '7c9e6679-7425-40de-944b-e07fc1f90ae7' }, context: { revision: '2' } }, 'statement.context: context.revision and context.platform are only allowed when the object is an Activity'],
  ])('rejects %s, naming the field', (_name, input, message) => {
    expect(problems(input)).toContain(message);
  });
});
