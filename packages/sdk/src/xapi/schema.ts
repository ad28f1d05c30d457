import { z } from 'zod';

/**
 * zod schemas for xAPI statements (1.0.3 and 2.0.0). Objects are strict: the specification
 * says an LRS rejects properties it does not define, except inside `extensions`.
 */

const IRI_RE = /^[a-z][a-z0-9+.-]*:[^\s<>"{}|\\^`]*$/i;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
// ISO 8601 date-time; a time zone is required by 2.0.0 and accepted by 1.0.3 either way.
const TIMESTAMP_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?$/;
const DURATION_RE = /^P(?!$)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?$/;
const LANG_TAG_RE = /^[a-z]{2,8}(-[a-z0-9]{1,8})*$/i;

export const iri = z.string().regex(IRI_RE, 'must be an IRI (e.g. https://example.com/verbs/played)');
export const uuid = z.string().regex(UUID_RE, 'must be a UUID');
export const timestamp = z
  .string()
  .regex(TIMESTAMP_RE, 'must be an ISO 8601 timestamp')
  .refine((s) => !Number.isNaN(Date.parse(s)), 'must be a valid date and time');
export const duration = z.string().regex(DURATION_RE, 'must be an ISO 8601 duration (e.g. PT1M30S)');

export const languageMap = z.record(z.string().regex(LANG_TAG_RE, 'must be an RFC 5646 language tag'), z.string());
export const extensions = z.record(iri, z.unknown());

const mbox = z.string().regex(/^mailto:[^@\s]+@[^@\s]+$/i, 'must be a mailto: IRI');
const sha1 = z.string().regex(/^[0-9a-f]{40}$/i, 'must be a hex SHA-1 sum');
const account = z.strictObject({ homePage: iri, name: z.string().min(1, 'must not be empty') });

const ifiFields = {
  mbox: mbox.optional(),
  mbox_sha1sum: sha1.optional(),
  openid: iri.optional(),
  account: account.optional(),
};
const IFI_KEYS = ['mbox', 'mbox_sha1sum', 'openid', 'account'] as const;
const countIfis = (o: Record<string, unknown>) => IFI_KEYS.filter((k) => o[k] !== undefined).length;

export const agent = z
  .strictObject({ objectType: z.literal('Agent').optional(), name: z.string().optional(), ...ifiFields })
  .refine((a) => countIfis(a) === 1, 'an Agent needs exactly one of mbox, mbox_sha1sum, openid, account');

export const group = z
  .strictObject({ objectType: z.literal('Group'), name: z.string().optional(), member: z.array(agent).optional(), ...ifiFields })
  .refine((g) => countIfis(g) <= 1, 'a Group has at most one of mbox, mbox_sha1sum, openid, account')
  .refine((g) => countIfis(g) === 1 || (g.member?.length ?? 0) > 0, 'an anonymous Group needs members');

export const actor = z.union([agent, group]);

export const verb = z.strictObject({ id: iri, display: languageMap.optional() });

const interactionComponent = z.strictObject({ id: z.string().min(1), description: languageMap.optional() });

export const activityDefinition = z.strictObject({
  name: languageMap.optional(),
  description: languageMap.optional(),
  type: iri.optional(),
  moreInfo: iri.optional(),
  extensions: extensions.optional(),
  interactionType: z
    .enum(['true-false', 'choice', 'fill-in', 'long-fill-in', 'matching', 'performance', 'sequencing', 'likert', 'numeric', 'other'])
    .optional(),
  correctResponsesPattern: z.array(z.string()).optional(),
  choices: z.array(interactionComponent).optional(),
  scale: z.array(interactionComponent).optional(),
  source: z.array(interactionComponent).optional(),
  target: z.array(interactionComponent).optional(),
  steps: z.array(interactionComponent).optional(),
});

export const activity = z.strictObject({ objectType: z.literal('Activity').optional(), id: iri, definition: activityDefinition.optional() });
export const statementRef = z.strictObject({ objectType: z.literal('StatementRef'), id: uuid });

export const score = z
  .strictObject({
    scaled: z.number().min(-1).max(1).optional(),
    raw: z.number().optional(),
    min: z.number().optional(),
    max: z.number().optional(),
  })
  .refine((s) => s.min === undefined || s.max === undefined || s.min < s.max, 'min must be less than max')
  .refine((s) => s.raw === undefined || s.min === undefined || s.raw >= s.min, 'raw must be at least min')
  .refine((s) => s.raw === undefined || s.max === undefined || s.raw <= s.max, 'raw must be at most max');

export const result = z.strictObject({
  score: score.optional(),
  success: z.boolean().optional(),
  completion: z.boolean().optional(),
  response: z.string().optional(),
  duration: duration.optional(),
  extensions: extensions.optional(),
});

const activityList = z.union([activity, z.array(activity)]);
export const contextActivities = z.strictObject({
  parent: activityList.optional(),
  grouping: activityList.optional(),
  category: activityList.optional(),
  other: activityList.optional(),
});

export const context = z.strictObject({
  registration: uuid.optional(),
  instructor: actor.optional(),
  team: group.optional(),
  contextActivities: contextActivities.optional(),
  contextAgents: z.array(z.strictObject({ objectType: z.literal('contextAgent'), agent, relevantTypes: z.array(iri).min(1).optional() })).optional(),
  contextGroups: z.array(z.strictObject({ objectType: z.literal('contextGroup'), group, relevantTypes: z.array(iri).min(1).optional() })).optional(),
  revision: z.string().optional(),
  platform: z.string().optional(),
  language: z.string().regex(LANG_TAG_RE, 'must be an RFC 5646 language tag').optional(),
  statement: statementRef.optional(),
  extensions: extensions.optional(),
});

export const attachment = z.strictObject({
  usageType: iri,
  display: languageMap,
  description: languageMap.optional(),
  contentType: z.string().min(1),
  length: z.number().int().nonnegative(),
  sha2: z.string().regex(/^[0-9a-f]{56,128}$/i, 'must be a hex SHA-2 hash'),
  fileUrl: iri.optional(),
});

const statementCore = {
  actor,
  verb,
  result: result.optional(),
  context: context.optional(),
  timestamp: timestamp.optional(),
  attachments: z.array(attachment).optional(),
};

export const subStatement = z.strictObject({
  objectType: z.literal('SubStatement'),
  ...statementCore,
  object: z.union([activity, agent, group, statementRef]),
});

const revisionOnlyForActivities = (s: { object: { objectType?: string }; context?: { revision?: string; platform?: string } | undefined }) =>
  !s.context || (s.context.revision === undefined && s.context.platform === undefined) || (s.object.objectType ?? 'Activity') === 'Activity';

export const statement = z
  .strictObject({
    id: uuid.optional(),
    ...statementCore,
    object: z.union([activity, agent, group, statementRef, subStatement]),
    stored: timestamp.optional(),
    authority: actor.optional(),
    version: z.string().regex(/^[12]\.0(\.\d+)?$/, 'must be a 1.0.x or 2.0.x version').optional(),
  })
  .refine(revisionOnlyForActivities, { message: 'context.revision and context.platform are only allowed when the object is an Activity', path: ['context'] })
  .refine((s) => s.verb.id !== 'http://adlnet.gov/expapi/verbs/voided' || s.object.objectType === 'StatementRef', {
    message: 'a voiding statement must have a StatementRef object',
    path: ['object'],
  });

export type Statement = z.infer<typeof statement>;
export type Agent = z.infer<typeof agent>;
export type Actor = z.infer<typeof actor>;
export type Activity = z.infer<typeof activity>;

/** One problem with an input, with the path to the field at fault. */
export interface InputIssue {
  path: string;
  message: string;
}

/** Formats zod issues as `path: message`, the path written like `statements[0].verb.id`. */
export function describeIssues(error: z.ZodError, root = ''): InputIssue[] {
  return flatten(error.issues, []).map(({ path, message }) => ({ path: formatPath(root, path), message }));
}

export function formatPath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out ? `.${String(part)}` : String(part);
  return out || '(body)';
}

type Issue = z.core.$ZodIssue;

/** A union's failure is reported through the branch that came closest, so the message names a field. */
function flatten(issues: readonly Issue[], prefix: readonly PropertyKey[]): { path: PropertyKey[]; message: string }[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length) {
      const branches = issue.errors;
      const wrongType = branches.every((b) => b.length === 1 && b[0]!.code === 'invalid_type' && b[0]!.path.length === 0);
      if (wrongType && /received undefined/.test(branches[0]![0]!.message)) return [{ path, message: 'is required' }];
      if (wrongType) return [{ path, message: `expected ${[...new Set(branches.map((b) => (b[0] as { expected: string }).expected))].join(' or ')}` }];
      const best = [...branches].sort((a, b) => distance(a) - distance(b))[0]!;
      return flatten(best, path);
    }
    return [{ path, message: issueMessage(issue) }];
  });
}

// Fewer and deeper issues mean the input was closer to that branch's shape.
const distance = (issues: readonly Issue[]) => issues.length * 10 - Math.min(9, Math.max(0, ...issues.map((i) => i.path.length)));

function issueMessage(issue: Issue): string {
  if (issue.code === 'unrecognized_keys') return `unknown propert${issue.keys.length > 1 ? 'ies' : 'y'} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_key') return `key ${issue.issues[0]?.message ?? 'is invalid'}`;
  if (issue.code === 'invalid_type') return /received undefined/.test(issue.message) ? 'is required' : `expected ${issue.expected}`;
  return issue.message;
}
