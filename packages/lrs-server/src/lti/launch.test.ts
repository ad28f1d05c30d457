import { describe, expect, it } from 'vitest';
import { scoreOf } from './grades.js';
import { isInstructor } from './launch.js';
import { learnerIdOf } from './learner-id.js';

describe('who an LTI user is', () => {
  it('tells instructors from learners by any of their roles, long or short', () => {
    expect(isInstructor(['http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor'])).toBe(true);
    expect(isInstructor(['Instructor'])).toBe(true);
    expect(isInstructor(['http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant'])).toBe(true);
    expect(isInstructor(['http://purl.imsglobal.org/vocab/lis/v2/institution/person#Staff', 'http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor'])).toBe(true);
    expect(isInstructor(['http://purl.imsglobal.org/vocab/lis/v2/membership#Learner', 'http://purl.imsglobal.org/vocab/lis/v2/institution/person#Mentor'])).toBe(false);
    expect(isInstructor(['Learner'])).toBe(false);
    expect(isInstructor([''])).toBe(false);
    expect(isInstructor(['http://purl.imsglobal.org/vocab/lis/v2/unknown/unknown#Helper'])).toBe(false);
    expect(isInstructor(undefined)).toBe(false);
  });

  it('maps the LMS user to a learner id by the platform’s rule, and says why when it cannot', () => {
    const who = { sub: '40899', email: 'c.lowell@district1.com', sourcedId: 'E-1001' };
    expect(learnerIdOf('sub', who)).toEqual({ ok: true, id: '40899' });
    expect(learnerIdOf('email', who)).toEqual({ ok: true, id: 'c.lowell@district1.com' });
    expect(learnerIdOf('lis.person_sourcedid', who)).toEqual({ ok: true, id: 'E-1001' });
    expect(learnerIdOf('email', { sub: '40899' })).toEqual({ ok: false, why: 'this platform identifies learners by email, and the launch carries no email' });
    expect(learnerIdOf('sub', { sub: 'has space' })).toMatchObject({ ok: false, why: expect.stringContaining('"has space" is not a usable learner id') });
  });
});

describe('the score sent to the gradebook', () => {
  const gate = (name: 'coverage' | 'mastery' | 'studyTime', passed: boolean, reason: string) => ({ name, passed, required: 0.8, actual: passed ? 1 : 0.3, reason });

  it('is the share of the credits earned in 100 points, Completed and FullyGraded once every gate passes, the credits in one line', () => {
    expect(scoreOf({ credits: 2, earned: 1.8, engagement: 0.93, coverage: 1, attention: 0.67, mastery: 1, gates: [gate('coverage', true, 'watched 100%')] })).toEqual({
      scoreGiven: 90,
      scoreMaximum: 100,
      activityProgress: 'Completed',
      gradingProgress: 'FullyGraded',
      comment: 'Engagement 93% (coverage 100%, attention 67%, mastery 100%): 1.8 of 2 credits',
    });
  });

  it('is InProgress and Pending while a gate fails, and names the gate', () => {
    const s = scoreOf({ credits: 2, earned: 0, engagement: 0.38, coverage: 0.3, attention: 1, mastery: 1, gates: [gate('coverage', false, 'watched 30% of the video;\n80% is required'), gate('mastery', true, 'ok')] });
    expect(s).toMatchObject({ scoreGiven: 0, activityProgress: 'InProgress', gradingProgress: 'Pending' });
    expect(s.comment).toBe('Engagement 38% (coverage 30%, attention 100%, mastery 100%): 0 of 2 credits; not yet: watched 30% of the video; 80% is required');
  });

  it('has a whole maximum from 1 to 100 whatever the credits (Moodle refuses any other), fractional credits included', () => {
    const passed = [gate('coverage', true, 'ok')];
    const of = (credits: number, earned: number) => scoreOf({ credits, earned, engagement: 1, coverage: 1, attention: 1, mastery: 1, gates: passed });
    expect(of(1.5, 1.5)).toMatchObject({ scoreGiven: 100, scoreMaximum: 100, comment: expect.stringContaining('1.5 of 1.5 credits') });
    expect(of(1.5, 1.2)).toMatchObject({ scoreGiven: 80, scoreMaximum: 100 });
    expect(of(1.5, 0.1)).toMatchObject({ scoreGiven: 6.67, scoreMaximum: 100 });
    expect(of(250, 125)).toMatchObject({ scoreGiven: 50, scoreMaximum: 100 });
    expect(of(0, 0)).toMatchObject({ scoreGiven: 0, scoreMaximum: 100 });
  });

  it('is InProgress and Pending before anything was assessed', () => {
    expect(scoreOf({ credits: 2, earned: 0, engagement: 0, coverage: 0, attention: 0, mastery: 0, gates: [] })).toMatchObject({ scoreGiven: 0, activityProgress: 'InProgress', gradingProgress: 'Pending' });
  });
});
