import { VIDEO_PROFILE, type Statement } from '@xcredit/sdk/xapi';
import type { Principal, Tenant } from '../auth/principal.js';
import { HttpError } from '../http-error.js';
import { actorKey, learnerActor } from './actors.js';

/**
 * What a launch token reaches, exactly: its learner, its registration, its course's activity and
 * the question activities the course declares. No prefix of an id, no other agent, no group.
 */
type Launch = Extract<Principal, { kind: 'launch' }>;

/** The LMS's State document in a cmi5 launch: the LMS writes it, the AU only reads it. */
export const CMI5_LAUNCH_DATA = 'LMS.LaunchData';

/** Categories (profiles) the player and the cmi5 flow tag statements with. */
const PROFILE_CATEGORIES = new Set([
  VIDEO_PROFILE,
  'https://w3id.org/xapi/cmi5/context/categories/cmi5',
  'https://w3id.org/xapi/cmi5/context/categories/moveon',
]);

const forbidden = (message: string) => new HttpError(403, 'forbidden', message);

type Obj = Record<string, any>;

/**
 * Refuses a statement that names anyone but the launch's learner, or any activity but the course's
 * own, anywhere: actor, object, context agents and activities, authority, sub-statement, attachments.
 */
export function checkLaunchReach(s: Statement, principal: Launch, where: string): void {
  const { launch, tenant } = principal;
  const own = new Set(launch.activities);
  const learnerKey = actorKey(learnerActor(tenant.homePage, launch.learnerId));
  const learner = `learner "${launch.learnerId}" (account ${tenant.homePage})`;
  const onlyLearner = (a: Obj | undefined, path: string) => {
    if (a === undefined || a === null) return;
    if (a.objectType === 'Group' || a.member !== undefined) throw forbidden(`${path}: a launch token names no group, only its learner ${learner}`);
    if (actorKey(a) !== learnerKey) throw forbidden(`${path}: a launch token names only its learner ${learner}`);
  };
  const walk = (st: Obj, at: string) => {
    onlyLearner(st.actor, `${at}.actor`);
    const type = st.object?.objectType ?? 'Activity';
    if (type === 'Agent' || type === 'Group') onlyLearner(st.object, `${at}.object`);
    if (type === 'SubStatement') walk(st.object, `${at}.object`);
    const c: Obj = st.context ?? {};
    onlyLearner(c.instructor, `${at}.context.instructor`);
    onlyLearner(c.team, `${at}.context.team`);
    (c.contextAgents ?? []).forEach((x: Obj, j: number) => onlyLearner(x?.agent, `${at}.context.contextAgents[${j}].agent`));
    (c.contextGroups ?? []).forEach((x: Obj, j: number) => onlyLearner(x?.group, `${at}.context.contextGroups[${j}].group`));
    const ca: Obj = c.contextActivities ?? {};
    for (const kind of Object.keys(ca)) {
      [ca[kind]].flat().forEach((a: Obj, j: number) => {
        const id = String(a?.id ?? '');
        if (own.has(id) || (kind === 'category' && PROFILE_CATEGORIES.has(id))) return;
        throw forbidden(`${at}.context.contextActivities.${kind}[${j}].id: "${id}" is not an activity of this launch's course (${[...own].join(', ')})`);
      });
    }
  };
  walk(s as Obj, where);
  if ((s as Obj).authority !== undefined) throw forbidden(`${where}.authority: a launch token does not set authority; the LRS records it`);
  if (s.attachments?.length) throw forbidden(`${where}.attachments: a launch token sends no attachments`);
  const object = s.object as Obj;
  const type = object.objectType ?? 'Activity';
  if (type !== 'Activity') throw forbidden(`${where}.object: a launch token writes only about activities of its course, not a ${type}`);
  if (!own.has(object.id)) {
    throw forbidden(`${where}.object.id: "${object.id}" is not an activity of this launch's course; it may write about ${[...own].join(', ')}`);
  }
}

/**
 * The State documents a launch token reaches: its learner's, for its course's activities, with
 * its own registration or none (the player keeps its resume position there, read by later
 * launches of the same course). It never writes the LMS's `LMS.LaunchData`. Other resources: 403.
 */
export function launchDocumentTenant(
  principal: Launch,
  resource: { kind: string; path: string },
  access: 'read' | 'write',
  where: { activityId: string; agentKey: string; registration: string; documentId: string | undefined },
): Tenant {
  const { launch, tenant } = principal;
  if (resource.kind !== 'state') throw forbidden(`a launch token cannot use ${resource.path}; only the State resource of its own course`);
  if (where.agentKey !== actorKey(learnerActor(tenant.homePage, launch.learnerId))) {
    throw forbidden(`agent: this launch token reaches only the state of learner "${launch.learnerId}" (account ${tenant.homePage})`);
  }
  if (!launch.activities.includes(where.activityId)) {
    throw forbidden(`activityId: "${where.activityId}" is not an activity of this launch's course; it reaches ${launch.activities.join(', ')}`);
  }
  if (where.registration !== '' && where.registration !== launch.registration) {
    throw forbidden(`registration: this launch token reaches only its own registration ${launch.registration} or none`);
  }
  if (access === 'write' && where.documentId === CMI5_LAUNCH_DATA) throw forbidden(`stateId: ${CMI5_LAUNCH_DATA} is written by the LMS; a launch token only reads it`);
  return tenant;
}
