import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LaunchData } from './cmi5.js';
import { Cmi5Au } from './cmi5-au.js';
import type { Connection } from './connection.js';

const data: LaunchData = { contextTemplate: { extensions: { 'https://w3id.org/xapi/cmi5/context/extensions/sessionid': 's-1' } }, launchMode: 'Normal', moveOn: 'Completed' };
const launch = { endpoint: 'https://lms.example/xapi', fetchUrl: 'https://lms.example/fetch/1', actor: { account: { homePage: 'https://lms.example', name: 'e-1' } }, registration: 'r-1', activityId: 'https://acme.example/au' };

/** An LMS that answers only when told: what the AU sent, in order, and a way to answer it all. */
function slowLms() {
  const sent: { verb: string; keepalive: boolean }[] = [];
  const waiting: ((res: Response) => void)[] = [];
  const lms = {
    xapi(path: string, init: RequestInit = {}) {
      if (init.method === 'PUT' && path.startsWith('statements')) {
        sent.push({ verb: (JSON.parse(String(init.body)) as { verb: { id: string } }).verb.id.split('/').pop()!, keepalive: init.keepalive === true });
      }
      return new Promise<Response>((resolve) => waiting.push(resolve));
    },
  } as unknown as Connection;
  return { lms, sent, answerAll: () => waiting.splice(0).forEach((answer) => answer(new Response(null, { status: 204 }))) };
}

describe('the cmi5 AU toward another LMS', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('sends terminated while the page goes away, even when the LMS has not answered an earlier statement yet', async () => {
    const pagehide: (() => void)[] = [];
    vi.stubGlobal('addEventListener', (type: string, handler: () => void) => type === 'pagehide' && pagehide.push(handler));
    const { lms, sent, answerAll } = slowLms();
    const au = new Cmi5Au(lms, launch, data);
    au.initialized();
    await vi.waitFor(() => expect(sent).toEqual([{ verb: 'initialized', keepalive: false }]));
    // A reload or a closed tab: nothing started after the handler returns would leave the page.
    for (const handler of pagehide) handler();
    expect(sent).toEqual([
      { verb: 'initialized', keepalive: false },
      { verb: 'terminated', keepalive: true },
    ]);
    answerAll();
    await au.terminated();
    expect(sent).toHaveLength(2);
  });

  it('keeps terminated behind what was sent before it when the page stays', async () => {
    vi.stubGlobal('addEventListener', () => undefined);
    const { lms, sent, answerAll } = slowLms();
    const au = new Cmi5Au(lms, launch, data);
    au.initialized();
    const done = au.terminated();
    await vi.waitFor(() => expect(sent).toEqual([{ verb: 'initialized', keepalive: false }]));
    answerAll();
    await vi.waitFor(() => expect(sent.map((s) => s.verb)).toEqual(['initialized', 'terminated']));
    answerAll();
    await done;
  });
});
