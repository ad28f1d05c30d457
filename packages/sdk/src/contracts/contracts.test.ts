import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { courseInput } from './requests.js';
import { errorBodySchema, playerLaunchSchema } from './responses.js';
import { ContractError, parsePlayerLaunch, readErrorBody } from './wire.js';

const nonEmpty = fc.string({ minLength: 1, maxLength: 12 });
const text = fc.dictionary(fc.constantFrom('en', 'zh-CN', 'ja'), fc.string({ maxLength: 20 }), { minKeys: 1 });
const question = fc.record(
  {
    id: nonEmpty,
    at: fc.double({ min: 0, max: 3600, noNaN: true }),
    type: fc.constantFrom('single-choice', 'multiple-choice', 'true-false', 'fill-in'),
    prompt: text,
    choices: fc.option(fc.array(fc.record({ id: nonEmpty, text }), { minLength: 2, maxLength: 4 }), { nil: undefined }),
    answerToContinue: fc.boolean(),
    revealAnswer: fc.boolean(),
  },
  { requiredKeys: ['id', 'at', 'type', 'prompt'] },
);
const media = fc.constantFrom('', '/media/intro.mp4', 'https://cdn.example.com/v.mp4', 'HTTP://cdn.example.com/v.mp4');
/** Launch bodies as the server writes them, with the optional parts present or not (null for unset columns). */
const launch = fc.record(
  {
    learnerId: nonEmpty,
    courseId: nonEmpty,
    actor: fc.constant({ objectType: 'Agent', account: { homePage: 'https://example.com', name: 'E-1' } }),
    registration: fc.uuid(),
    activityId: fc.constant('https://example.com/courses/fire'),
    course: fc.record(
      { title: nonEmpty, lengthSeconds: fc.integer({ min: 1, max: 86_400 }), videoUrl: fc.option(media), captionsUrl: fc.option(media), credits: fc.integer(),
        reflection: fc.option(fc.record({ minLength: fc.integer({ min: 1, max: 5000 }), prompt: fc.option(nonEmpty) })) },
      { requiredKeys: ['title', 'lengthSeconds'] },
    ),
    policy: fc.record(
      { maxRate: fc.double({ min: 0.25, max: 16, noNaN: true }), seekLock: fc.boolean(), pauseWhenHidden: fc.boolean(), idleSeconds: fc.nat(3600), promptTimeoutSeconds: fc.nat(600), gates: fc.record({ coverage: fc.double({ min: 0, max: 1, noNaN: true }) }) },
      { requiredKeys: [] },
    ),
    questions: fc.option(fc.array(question, { maxLength: 4 })),
    expiresAt: fc.constant('2026-12-01T04:00:00.000Z'),
  },
  { requiredKeys: ['learnerId', 'courseId', 'actor', 'registration', 'activityId', 'course'] },
);
/** Values that break a field whatever it expects, and paths to put them at. */
const wrong = fc.constantFrom<unknown>('', 'javascript:alert(1)', 3, Number.POSITIVE_INFINITY, true, [], {}, 'yes');
const paths: string[][] = [
  ['learnerId'], ['courseId'], ['actor'], ['registration'], ['activityId'], ['course'], ['course', 'title'], ['course', 'lengthSeconds'],
  ['course', 'videoUrl'], ['course', 'captionsUrl'], ['course', 'reflection'], ['course', 'reflection', 'minLength'], ['course', 'reflection', 'prompt'], ['policy'], ['policy', 'maxRate'], ['policy', 'seekLock'], ['policy', 'gates'], ['policy', 'gates', 'coverage'],
  ['questions'], ['questions', '0'], ['questions', '0', 'type'], ['questions', '0', 'at'], ['questions', '0', 'prompt'], ['questions', '0', 'answerToContinue'], ['expiresAt'],
];

function setAt(body: unknown, path: string[], value: unknown): unknown {
  const copy = structuredClone(body) as Record<string, unknown>;
  let node: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = key === 'questions' ? [] : {};
    node = node[key] as Record<string, unknown>;
  }
  node[path.at(-1)!] = value;
  return copy;
}

const guardAccepts = (body: unknown) => {
  try {
    parsePlayerLaunch(body);
    return true;
  } catch (error) {
    if (!(error instanceof ContractError)) throw error;
    return false;
  }
};

describe('the launch contract: the zod schema and the zod-free guard', () => {
  it('both accept every launch the server may write', () => {
    fc.assert(
      fc.property(launch, (body) => {
        expect(playerLaunchSchema.safeParse(body).success).toBe(true);
        expect(guardAccepts(body)).toBe(true);
      }),
    );
  });

  it('give the same verdict when any field is broken', () => {
    fc.assert(
      fc.property(launch, fc.constantFrom(...paths), wrong, (body, path, value) => {
        const broken = setAt(body, path, value);
        expect(guardAccepts(broken)).toBe(playerLaunchSchema.safeParse(broken).success);
      }),
      { numRuns: 2000 },
    );
  });

  it('names the field at fault and never lets a script URL through', () => {
    const body = fc.sample(launch, { numRuns: 1, seed: 1 })[0]!;
    expect(() => parsePlayerLaunch(setAt(body, ['course', 'videoUrl'], 'javascript:alert(1)'))).toThrow('course.videoUrl must be an http(s) URL or a path starting with /');
    expect(() => parsePlayerLaunch(setAt(body, ['questions'], [{ id: 'q', at: 1, type: 'essay', prompt: {} }]))).toThrow('questions[0].type must be');
    expect(() => parsePlayerLaunch('nope')).toThrow(new ContractError('launch', 'an object'));
  });
});

describe('the error body', () => {
  it('reads our envelope, the shapes other LRSs answer, and nothing from text', () => {
    const ours = { error: { status: 400, code: 'invalid_input', message: 'invalid input: title: must not be empty', issues: [{ path: 'title', message: 'must not be empty' }] } };
    expect(errorBodySchema.safeParse(ours).success).toBe(true);
    expect(readErrorBody(JSON.stringify(ours))).toEqual({ code: 'invalid_input', message: ours.error.message, issues: ours.error.issues });
    expect(readErrorBody('{"message":"token expired"}')).toEqual({ message: 'token expired', issues: [] });
    expect(readErrorBody('{"error":"Not Found"}')).toEqual({ message: 'Not Found', issues: [] });
    expect(readErrorBody('<html>502 Bad Gateway</html>')).toEqual({ issues: [] });
    expect(readErrorBody('{"error":{"code":"x","issues":[{"path":1}]}}')).toEqual({ code: 'x', issues: [] });
  });

  it('is what the schema says every error answer is: status, code and message required', () => {
    expect(errorBodySchema.safeParse({ error: { code: 'x', message: 'y' } }).success).toBe(false);
    expect(errorBodySchema.safeParse({ message: 'y' }).success).toBe(false);
  });
});

describe('request contracts', () => {
  it('name the field at fault', () => {
    const r = courseInput.safeParse({ title: '', activityId: 'x', credits: -1, kind: 'required', lengthSeconds: 1, videoUrl: 'javascript:alert(1)' });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.'))).toEqual(['title', 'activityId', 'credits', 'videoUrl']);
  });
});
