import { describe, expect, it } from 'vitest';
import { planMail, type PlanFacts } from '../reminders/templates.js';

const facts = (over: Partial<PlanFacts> = {}): PlanFacts => ({
  name: 'Ann Smith',
  reader: 'learner',
  period: '2026',
  earned: 4,
  target: 20,
  ends: '2026-12-31',
  reachable: true,
  note: null,
  milestones: [
    { title: 'Patient safety', credits: 4, dueOn: '2026-07-09', kind: 'required' },
    { title: 'Listening', credits: 6, dueOn: '2026-09-01', kind: 'elective' },
  ],
  ...over,
});

describe('planMail', () => {
  it('lists every milestone with its day, to the learner with an unsubscribe link', () => {
    const m = planMail('en', facts({ note: 'Let us talk on Friday.' }), 'https://x.example/u');
    expect(m.subject).toBe('Your improvement plan for your 2026 credits');
    expect(m.body).toContain('Hello Ann Smith,');
    expect(m.body).toContain('- by 2026-07-09: Patient safety (required, 4 credits)\n- by 2026-09-01: Listening (elective, 6 credits)');
    expect(m.body).toContain('Let us talk on Friday.');
    expect(m.body).toContain('Done as planned, this reaches the target.');
    expect(m.body).toContain('https://x.example/u');
  });

  it('writes to the manager about the learner, in Chinese, and warns when the plan cannot reach the target', () => {
    const m = planMail('zh', facts({ reader: 'manager', managerName: '李伟', reachable: false }));
    expect(m.subject).toBe('Ann Smith 的 2026 年度学分改进计划');
    expect(m.body).toContain('李伟，您好：');
    expect(m.body).toContain('- 2026-07-09 前：Patient safety（必修，4 学分）');
    expect(m.body).toContain('即使按计划完成，也可能无法在年底前达到目标');
    expect(m.body).not.toContain('退订');
  });

  it('greets a manager known only by address without a name', () => {
    expect(planMail('en', facts({ reader: 'manager' })).body.startsWith('Hello,\n')).toBe(true);
    expect(planMail('zh', facts({ reader: 'manager' })).body.startsWith('您好：\n')).toBe(true);
  });
});
