import { describe, expect, it } from 'vitest';
import { applyCmi5, CMI5_CATEGORY, cmi5Params, MOVEON_CATEGORY, returnUrlOf, type LaunchData } from './cmi5.js';
import { LaunchError } from './launch.js';
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
  const actor = '{"account":{"homePage":"https://lms.example","name":"e-1"}}';
  const launchUrl = (endpoint: string, fetch: string, page = 'https://lms.example/cmi5/au') =>
    `${page}?${new URLSearchParams({ endpoint, fetch, actor, registration: 'r-1', activityId: 'https://acme.example/courses/a' })}`;
  const fetchUrl = 'https://lms.example/cmi5/fetch/default/abcdefghijklmnopqrstuvwx';

  it('reads a launch URL, and only a complete one', () => {
    expect(cmi5Params(launchUrl('https://lms.example/xapi/', fetchUrl))).toEqual({
      endpoint: 'https://lms.example/xapi',
      fetchUrl,
      actor: { account: { homePage: 'https://lms.example', name: 'e-1' } },
      registration: 'r-1',
      activityId: 'https://acme.example/courses/a',
    });
    expect(cmi5Params('https://au.example/play?endpoint=x')).toBeNull();
    // An LRS under a path prefix: the fetch URL sits under the same prefix.
    const prefixed = cmi5Params(launchUrl('https://lms.example/lrs/xapi', 'https://lms.example/lrs/cmi5/fetch/t/id', 'https://lms.example/lrs/cmi5/au'));
    expect(prefixed).toMatchObject({ endpoint: 'https://lms.example/lrs/xapi', fetchUrl: 'https://lms.example/lrs/cmi5/fetch/t/id' });
  });

  it('refuses an endpoint or fetch URL that is not the LRS of the page it runs on', () => {
    const refused = (url: string, field: string) => {
      let error: unknown;
      try {
        cmi5Params(url);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(LaunchError);
      expect((error as LaunchError).code).toBe('untrusted');
      expect((error as LaunchError).message).toMatch(new RegExp(`^${field}:`));
    };
    refused(launchUrl('https://evil.example/xapi/', fetchUrl), 'endpoint');
    refused(launchUrl('https://lms.example:8443/xapi/', fetchUrl), 'endpoint');
    refused(launchUrl('http://lms.example/xapi/', fetchUrl), 'endpoint');
    refused(launchUrl('javascript:alert(1)//https://lms.example/xapi', fetchUrl), 'endpoint');
    refused(launchUrl('https://lms.example/other/', fetchUrl), 'endpoint');
    refused(launchUrl('https://lms.example/xapi/', 'https://evil.example/cmi5/fetch/default/abc'), 'fetch');
    refused(launchUrl('https://lms.example/xapi/', 'https://lms.example/api/v1/launches/current'), 'fetch');
    refused(launchUrl('https://lms.example/xapi/', `${fetchUrl}?to=https://evil.example`), 'fetch');
    refused(launchUrl('https://lms.example/xapi/', 'https://lms.example/cmi5/fetch/default/../../../api/v1/x'), 'fetch');
    refused(launchUrl('https://lms.example/lrs/xapi/', fetchUrl), 'fetch');
  });

  it('follows only an http(s) returnURL', () => {
    expect(returnUrlOf('https://lms.example/back?to=1')).toBe('https://lms.example/back?to=1');
    expect(returnUrlOf('http://lms.example/')).toBe('http://lms.example/');
    for (const bad of ['javascript:alert(document.domain)', ' JavaScript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'vbscript:x', '/relative', '']) {
      expect(() => returnUrlOf(bad)).toThrow(/returnURL must be an http\(s\) URL/);
    }
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

describe('cmi5 launched by another LMS', () => {
  const actor = '{"account":{"homePage":"https://lms.example","name":"e-1"}}';
  const page = (endpoint: string, fetch: string) =>
    `https://credits.example/cmi5/au?xc=c1.p.s&${new URLSearchParams({ endpoint, fetch, actor, registration: 'r-1', activityId: 'https://lms.example/au/1' })}`;

  it('takes the LMS endpoint and fetch URL on another origin when the AU URL carries a course token', () => {
    expect(cmi5Params(page('https://lms.example/lrs/xapi/', 'https://auth.lms.example/fetch/9'))).toEqual({
      endpoint: 'https://lms.example/lrs/xapi',
      fetchUrl: 'https://auth.lms.example/fetch/9',
      actor: { account: { homePage: 'https://lms.example', name: 'e-1' } },
      registration: 'r-1',
      activityId: 'https://lms.example/au/1',
      courseToken: 'c1.p.s',
    });
  });

  it('still refuses an endpoint or fetch URL that is not http(s)', () => {
    expect(() => cmi5Params(page('javascript:alert(1)', 'https://lms.example/fetch/9'))).toThrow(/endpoint: .* not an http\(s\) URL/);
    expect(() => cmi5Params(page('https://lms.example/xapi', 'data:text/plain,x'))).toThrow(/fetch: .* not an http\(s\) URL/);
  });
});
