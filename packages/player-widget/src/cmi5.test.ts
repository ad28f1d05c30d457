import { describe, expect, it } from 'vitest';
import { applyCmi5, CMI5_CATEGORY, cmi5Params, MOVEON_CATEGORY, type LaunchData } from './cmi5.js';
import { authorization } from './auth.js';

const data: LaunchData = {
  contextTemplate: {
    contextActivities: { grouping: [{ objectType: 'Activity', id: 'https://acme.example/courses/a' }] },
    extensions: { 'https://w3id.org/xapi/cmi5/context/extensions/sessionid': 's-1' },
  },
  launchMode: 'Normal',
  moveOn: 'Completed',
};
const statement = (verb: string) => ({
  verb: { id: `http://adlnet.gov/expapi/verbs/${verb}` },
  context: {
    registration: 'r',
    contextActivities: { category: [{ id: 'https://w3id.org/xapi/video' }] },
    extensions: { 'https://w3id.org/xapi/video/extensions/session-id': 'v-1' },
  },
});

describe('cmi5', () => {
  it('reads a launch URL, and only a complete one', () => {
    const url = `https://au.example/play?endpoint=${encodeURIComponent('https://lms.example/xapi/')}&fetch=${encodeURIComponent('https://lms.example/fetch/1')}&actor=${encodeURIComponent('{"account":{"homePage":"https://lms.example","name":"e-1"}}')}&registration=r-1&activityId=${encodeURIComponent('https://acme.example/courses/a')}`;
    expect(cmi5Params(url)).toEqual({
      endpoint: 'https://lms.example/xapi',
      fetchUrl: 'https://lms.example/fetch/1',
      actor: { account: { homePage: 'https://lms.example', name: 'e-1' } },
      registration: 'r-1',
      activityId: 'https://acme.example/courses/a',
    });
    expect(cmi5Params('https://au.example/play?endpoint=x')).toBeNull();
  });

  it('merges the context template into every statement and marks the verbs cmi5 defines', () => {
    const played = applyCmi5(statement('played'), data)!;
    expect(played.context.contextActivities).toEqual({ category: [{ id: 'https://w3id.org/xapi/video' }], grouping: data.contextTemplate.contextActivities!.grouping });
    expect(played.context.extensions).toMatchObject({ 'https://w3id.org/xapi/cmi5/context/extensions/sessionid': 's-1', 'https://w3id.org/xapi/video/extensions/session-id': 'v-1' });
    const ids = (s: any) => s.context.contextActivities.category.map((c: any) => c.id);
    expect(ids(applyCmi5(statement('initialized'), data))).toEqual(['https://w3id.org/xapi/video', CMI5_CATEGORY]);
    expect(ids(applyCmi5(statement('completed'), data))).toEqual(['https://w3id.org/xapi/video', CMI5_CATEGORY, MOVEON_CATEGORY]);
    expect(applyCmi5(statement('terminated'), data, 75.5)).toMatchObject({ result: { duration: 'PT1M15.5S' } });
  });

  it('sends no completed outside Normal launch mode', () => {
    expect(applyCmi5(statement('completed'), { ...data, launchMode: 'Browse' })).toBeNull();
    expect(applyCmi5(statement('played'), { ...data, launchMode: 'Review' })).not.toBeNull();
  });

  it('sends a launch token as Bearer and an auth-token as given', () => {
    expect(authorization('abc')).toBe('Bearer abc');
    expect(authorization('Basic bGF1bmNoOmFiYw==')).toBe('Basic bGF1bmNoOmFiYw==');
  });
});
