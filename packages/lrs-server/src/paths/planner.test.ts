import { describe, expect, it } from 'vitest';
import { planPath, type CatalogCourse, type PathInput } from './planner.js';

const course = (courseId: string, kind: 'required' | 'elective', credits: number, minutes: number, category: string | null = null): CatalogCourse => ({ courseId, title: courseId.toUpperCase(), kind, category, credits, lengthSeconds: minutes * 60 });

const input = (over: Partial<PathInput> = {}): PathInput => ({
  target: { total: 20, required: 8 },
  earned: { required: 0, elective: 0 },
  catalog: [course('req-a', 'required', 4, 60), course('req-b', 'required', 4, 30), course('el-1', 'elective', 6, 60, 'safety'), course('el-2', 'elective', 6, 30, 'safety'), course('el-3', 'elective', 4, 60, 'ethics'), course('el-4', 'elective', 2, 60, 'ethics')],
  credited: [],
  inProgress: [],
  today: '2026-12-01',
  lastDay: '2026-12-31',
  maxMinutesPerWeek: 300,
  ...over,
});

const ids = (p: ReturnType<typeof planPath>) => p.steps.map((s) => s.courseId);

describe('planPath', () => {
  it('puts the required courses still missing first, the best credits per minute first, then electives across categories', () => {
    const p = planPath(input());
    expect(p.status).toBe('planned');
    // el-2 (safety, 0.2 a minute), then ethics' best as safety has had its turn, then safety again: 18 < 20.
    expect(ids(p)).toEqual(['req-b', 'req-a', 'el-2', 'el-3', 'el-1']);
    expect(p.steps.map((s) => s.reason)).toEqual(['required_missing', 'required_missing', 'elective', 'elective', 'elective']);
    expect(p.steps.map((s) => s.creditsAfter)).toEqual([4, 8, 14, 18, 24]);
  });

  it('keeps adding electives until the target is covered, balanced across categories', () => {
    const p = planPath(input({ target: { total: 26, required: 8 } }));
    expect(ids(p)).toEqual(['req-b', 'req-a', 'el-2', 'el-3', 'el-1', 'el-4']);
    expect(p.steps.at(-1)!.creditsAfter).toBe(26);
    expect(p.reachable).toBe(true);
    expect(p.shortfall).toBe(0);
  });

  it('stops as soon as the remaining credits are covered', () => {
    const p = planPath(input({ target: { total: 14, required: 8 } }));
    expect(ids(p)).toEqual(['req-b', 'req-a', 'el-2']);
    expect(p).toMatchObject({ remaining: 14, requiredRemaining: 8, reachable: true, unreachable: [] });
  });

  it('never suggests a course already credited, and counts the credits so far', () => {
    const p = planPath(input({ earned: { required: 4, elective: 6 }, credited: ['req-b', 'el-2'], target: { total: 20, required: 8 } }));
    expect(ids(p)).toEqual(['req-a', 'el-1']);
    expect(p.remaining).toBe(10);
    expect(p.requiredRemaining).toBe(4);
    expect(p.steps[0]!.creditsAfter).toBe(14);
  });

  it('suggests a course already started first in its group', () => {
    const p = planPath(input({ inProgress: ['req-a', 'el-4'] }));
    expect(ids(p).slice(0, 2)).toEqual(['req-a', 'req-b']);
    expect(ids(p)[2]).toBe('el-4');
    expect(p.steps[0]!.inProgress).toBe(true);
    expect(p.steps[1]!.inProgress).toBe(false);
  });

  it('has no steps when the target is already met', () => {
    const p = planPath(input({ earned: { required: 8, elective: 12 } }));
    expect(p).toMatchObject({ status: 'met', reachable: true, steps: [], remaining: 0, requiredRemaining: 0 });
  });

  it('still plans required courses when the total is met but the required part is not', () => {
    const p = planPath(input({ earned: { required: 0, elective: 30 } }));
    expect(p.status).toBe('planned');
    expect(ids(p)).toEqual(['req-b', 'req-a']);
    expect(p.requiredRemaining).toBe(8);
  });

  it('has no path without a target', () => {
    expect(planPath(input({ target: null }))).toMatchObject({ status: 'no_target', steps: [], reachable: false });
  });

  it('says the target cannot be reached when no time is left', () => {
    const p = planPath(input({ today: '2027-01-01' }));
    expect(p.daysLeft).toBe(0);
    expect(p.reachable).toBe(false);
    expect(p.unreachable).toEqual(['no_time']);
    expect(p.steps.every((s) => s.late)).toBe(true);
  });

  it('works with only required courses and says what the catalog lacks', () => {
    const p = planPath(input({ catalog: [course('req-a', 'required', 4, 60), course('req-b', 'required', 4, 30)] }));
    expect(ids(p)).toEqual(['req-b', 'req-a']);
    expect(p.unreachable).toEqual(['catalog']);
    expect(p.shortfall).toBe(12);
    expect(p.reachable).toBe(false);
  });

  it('works with no electives when the required courses cover the target', () => {
    const p = planPath(input({ target: { total: 8, required: 8 }, catalog: [course('req-a', 'required', 4, 60), course('req-b', 'required', 4, 30)] }));
    expect(p).toMatchObject({ reachable: true, shortfall: 0, unreachable: [] });
  });

  it('cannot fill a required gap with electives', () => {
    const p = planPath(input({ target: { total: 20, required: 12 } }));
    expect(p.unreachable).toContain('catalog');
    expect(p.shortfall).toBe(4);
  });

  it('says a course longer than the days left allow cannot be done in time', () => {
    const p = planPath(input({ today: '2026-12-30', catalog: [course('long', 'required', 8, 600), course('el', 'elective', 12, 10)] }));
    expect(p.daysLeft).toBe(2);
    expect(p.unreachable).toEqual(['pace']);
    expect(p.steps[0]).toMatchObject({ courseId: 'long', late: true });
    expect(p.minutesPerWeek).toBe(300);
  });

  it('spreads the work evenly over the days left, the last step due on the last day', () => {
    const p = planPath(input({ target: { total: 8, required: 8 }, today: '2026-12-02', catalog: [course('a', 'required', 4, 30), course('b', 'required', 4, 30)] }));
    expect(p.daysLeft).toBe(30);
    expect(p.minutesNeeded).toBe(60);
    expect(p.minutesPerWeek).toBe(14);
    expect(p.steps.map((s) => s.dueOn)).toEqual(['2026-12-16', '2026-12-31']);
    expect(p.steps.every((s) => !s.late)).toBe(true);
  });

  it('follows the sustainable pace when spreading would ask for more, and marks the steps past the end late', () => {
    const p = planPath(input({ maxMinutesPerWeek: 70 }));
    // 240 minutes at 10 a day: 24 days; 31 days left, so it still fits.
    expect(p.reachable).toBe(true);
    const slow = planPath(input({ maxMinutesPerWeek: 35 }));
    // 240 minutes at 5 a day needs 48 days: the last step is late.
    expect(slow.unreachable).toEqual(['pace']);
    expect(slow.minutesPerWeek).toBe(35);
    expect(slow.steps.at(-1)!.late).toBe(true);
    expect(slow.steps[0]!.late).toBe(false);
    expect(slow.steps[0]!.dueOn).toBe('2026-12-06');
  });

  it('ignores courses worth no credits, and rounds lengths up to whole minutes', () => {
    const p = planPath(input({ target: { total: 4, required: 0 }, catalog: [course('zero', 'elective', 0, 1), { ...course('short', 'elective', 4, 0), lengthSeconds: 61 }] }));
    expect(ids(p)).toEqual(['short']);
    expect(p.steps[0]!.minutes).toBe(2);
  });

  it('does not change with the order of the catalog', () => {
    const a = planPath(input());
    const b = planPath(input({ catalog: [...input().catalog].reverse() }));
    expect(b).toEqual(a);
  });
});
