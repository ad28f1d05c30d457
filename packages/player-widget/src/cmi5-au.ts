import { isoDuration } from '@xcredit/sdk';
import { applyCmi5, type Cmi5Launch, type LaunchData } from './cmi5.js';
import type { Connection } from './connection.js';
import { LaunchError } from './launch.js';

const VERB = (name: string) => ({ id: `http://adlnet.gov/expapi/verbs/${name}`, display: { 'en-US': name } });
/** The AU's own state document on the LMS: set once `completed` went out for the registration. */
const COMPLETED_STATE = 'https://xcredit.dev/cmi5/au/completed';

/**
 * The AU toward another LMS: the statements cmi5 defines, on that LMS's LRS, with its credential,
 * actor, registration and activity id and its context template: `initialized` first, `completed`
 * once per registration and only in Normal mode, `terminated` last, nothing after.
 *
 * @example
 * const au = new Cmi5Au(lms, launch, launchData);
 * await au.load();
 * au.initialized();
 */
export class Cmi5Au {
  private chain: Promise<unknown> = Promise.resolve();
  private started = 0;
  private completedBefore = false;
  private state: 'new' | 'initialized' | 'terminated' = 'new';

  constructor(
    private readonly lms: Connection,
    private readonly launch: Cmi5Launch,
    private readonly data: LaunchData,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Whether `completed` was sent in an earlier session of this registration. A session this page
   * already terminated (a reload after Exit) is over: nothing may follow `terminated`.
   */
  async load(): Promise<void> {
    if (this.ended()) throw new LaunchError('unauthorized', 'this cmi5 session has ended; launch the course again from the LMS');
    const res = await this.lms.xapi(`activities/state?${this.stateQuery()}`).catch(() => null);
    this.completedBefore = res?.ok === true;
  }

  initialized(): void {
    if (this.state !== 'new') return;
    this.state = 'initialized';
    this.started = this.now();
    void this.send('initialized');
    // A closed window or tab still ends the session, so the LMS need not record it abandoned.
    addEventListener('pagehide', () => void this.terminated(true), { once: true });
  }

  /** The viewing rule is met: `completed`, unless this registration has it or the mode forbids it. */
  completed(): void {
    if (this.state !== 'initialized' || this.completedBefore || this.data.launchMode !== 'Normal') return;
    this.completedBefore = true;
    void this.send('completed', { completion: true });
    this.chain = this.chain.then(() => this.lms.xapi(`activities/state?${this.stateQuery()}`, { method: 'PUT', body: '{}', headers: { 'Content-Type': 'application/json' } }).catch(() => undefined));
  }

  /** `terminated`, once, after everything sent before it; `keepalive` when the page is going away. */
  terminated(keepalive = false): Promise<unknown> {
    if (this.state !== 'initialized') return this.chain;
    this.state = 'terminated';
    try {
      sessionStorage.setItem(this.endedKey(), '1');
    } catch {
      // No storage: a reload cannot be told apart, and starts the session again.
    }
    return this.send('terminated', {}, keepalive);
  }

  private endedKey(): string {
    return `xcredit-cmi5-ended:${this.launch.fetchUrl}`;
  }

  private ended(): boolean {
    try {
      return sessionStorage.getItem(this.endedKey()) !== null;
    } catch {
      return false;
    }
  }

  private stateQuery(): URLSearchParams {
    const { activityId, actor, registration } = this.launch;
    return new URLSearchParams({ stateId: COMPLETED_STATE, activityId, agent: JSON.stringify(actor), registration });
  }

  private send(verb: string, result: Record<string, unknown> = {}, keepalive = false): Promise<unknown> {
    const { actor, activityId, registration } = this.launch;
    const base = {
      id: crypto.randomUUID(),
      actor,
      verb: VERB(verb),
      object: { objectType: 'Activity', id: activityId },
      context: { registration, extensions: {} },
      // cmi5 wants the session's length on completed and terminated.
      ...(verb === 'initialized' ? {} : { result: { ...result, duration: isoDuration((this.now() - this.started) / 1000) } }),
      timestamp: new Date(this.now()).toISOString(),
    };
    const statement = applyCmi5(base, this.data);
    if (!statement) return this.chain;
    if (keepalive) {
      // The page is going away: only a request started before its handler returns leaves it. It
      // goes now, after the ones already sent rather than after their answers.
      const sent = this.put(statement, true);
      this.chain = this.chain.then(() => sent);
      return this.chain;
    }
    this.chain = this.chain.then(() => this.put(statement, keepalive));
    return this.chain;
  }

  /** PUT with the statement's id, so a retry never stores it twice; a few tries while the LMS cannot be reached. */
  private async put(statement: { id: string }, keepalive: boolean): Promise<void> {
    for (let attempt = 0; attempt < 4; attempt++) {
      const res = await this.lms
        .xapi(`statements?statementId=${statement.id}`, { method: 'PUT', body: JSON.stringify(statement), headers: { 'Content-Type': 'application/json' }, keepalive })
        .catch(() => null);
      if (res && res.status < 500) return;
      await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
    }
  }
}

/**
 * Asks xcredit (beside the AU page) for a launch for an AU another LMS launched: the course token
 * vouches for the course, the LMS's credential for the learner. Returns the launch token.
 */
export async function foreignLaunch(pageUrl: string, launch: Cmi5Launch, authToken: string): Promise<string> {
  const { endpoint, actor, registration, activityId, courseToken } = launch;
  let res: Response;
  try {
    res = await fetch(new URL('foreign-launches', pageUrl), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ course: courseToken, endpoint, authToken, actor, registration, activityId }),
    });
  } catch (error) {
    throw new LaunchError('network', (error as Error).message);
  }
  const body = (await res.json().catch(() => ({}))) as { launchToken?: string; error?: { message?: string } };
  if (!res.ok || !body.launchToken) throw new LaunchError(res.status === 403 ? 'not-confirmed' : 'invalid', body.error?.message ?? `HTTP ${res.status}`, res.status);
  return body.launchToken;
}
