/**
 * The reminder mails, in English and Chinese: pure functions from what the mail says to its
 * subject and plain-text body. Numbers arrive already rounded to a tenth.
 */
export type Lang = 'en' | 'zh';
export type ReminderKind = 'deadline' | 'at_risk' | 'manual' | 'digest' | 'plan' | 'expiring';

export interface LearnerFacts {
  name: string;
  period: string;
  earned: number;
  target: number;
  required: number;
  requiredRemaining: number;
  remaining: number;
  projected: number;
  daysLeft: number;
  /** The last day of the period, YYYY-MM-DD. */
  ends: string;
}

export interface DigestFacts {
  managerName: string;
  period: string;
  daysLeft: number;
  people: { learnerId: string; name: string; earned: number; target: number; projected: number; requiredRemaining: number }[];
}

export interface Mail {
  subject: string;
  body: string;
}

const footer = {
  en: (link: string) => `\n\n--\nYou receive this because your organisation tracks learning credits with xcredit.\nNo more reminders: ${link}\n`,
  zh: (link: string) => `\n\n--\n您收到此邮件，是因为贵单位使用 xcredit 记录学分。\n不再接收提醒：${link}\n`,
};

/**
 * A learner's reminder.
 *
 * @example
 * learnerMail('manual', 'zh', { name: '王芳', period: '2026', earned: 40, target: 150, required: 60, requiredRemaining: 20, remaining: 110, projected: 80, daysLeft: 61, ends: '2026-12-31' }, 'https://…').subject;
 */
export function learnerMail(kind: Exclude<ReminderKind, 'digest' | 'plan' | 'expiring'>, lang: Lang, f: LearnerFacts, unsubscribe: string): Mail {
  if (lang === 'zh') {
    const subject = {
      deadline: `提醒：${f.period} 年度学分截止还有 ${f.daysLeft} 天`,
      at_risk: `您的 ${f.period} 年度学分进度落后`,
      manual: `关于您 ${f.period} 年度学分的提醒`,
    }[kind];
    const lines = [
      `${f.name}，您好：`,
      '',
      `您在 ${f.period} 年度已获得 ${f.earned} 学分，年度目标为 ${f.target} 学分，还差 ${f.remaining} 学分（其中必修还差 ${f.requiredRemaining} 学分）。`,
      `按目前的进度，到年底预计可获得 ${f.projected} 学分。本年度于 ${f.ends} 结束，还剩 ${f.daysLeft} 天。`,
      '',
      kind === 'at_risk' ? '请尽早安排学习，先完成必修课程。' : '请按计划完成剩余课程，先完成必修课程。',
    ];
    return { subject, body: lines.join('\n') + footer.zh(unsubscribe) };
  }
  const subject = {
    deadline: `Reminder: ${f.daysLeft} days left for your ${f.period} credits`,
    at_risk: `You are falling behind on your ${f.period} credits`,
    manual: `A reminder about your ${f.period} credits`,
  }[kind];
  const lines = [
    `Hello ${f.name},`,
    '',
    `You have ${f.earned} of the ${f.target} credits due for ${f.period}: ${f.remaining} to go, ${f.requiredRemaining} of them from required courses.`,
    `At your pace so far you would reach ${f.projected} by the end of the period. It ends on ${f.ends}, ${f.daysLeft} days from now.`,
    '',
    kind === 'at_risk' ? 'Please plan your learning soon, required courses first.' : 'Please finish the courses left, required courses first.',
  ];
  return { subject, body: lines.join('\n') + footer.en(unsubscribe) };
}

/** A manager's weekly digest of their people at risk. */
export function digestMail(lang: Lang, f: DigestFacts): Mail {
  if (lang === 'zh') {
    return {
      subject: `每周摘要：您的团队中有 ${f.people.length} 人 ${f.period} 年度学分进度落后`,
      body: [
        `${f.managerName}，您好：`,
        '',
        `以下人员按目前进度将无法在本年度（还剩 ${f.daysLeft} 天）达到学分目标：`,
        '',
        ...f.people.map((p) => `- ${p.name}（${p.learnerId}）：已获得 ${p.earned} / ${p.target} 学分，预计 ${p.projected}，必修还差 ${p.requiredRemaining}`),
      ].join('\n') + '\n',
    };
  }
  return {
    subject: `Weekly digest: ${f.people.length} of your people at risk for ${f.period}`,
    body: [
      `Hello ${f.managerName},`,
      '',
      `At their pace so far, these people will not reach their credit target this period (${f.daysLeft} days left):`,
      '',
      ...f.people.map((p) => `- ${p.name} (${p.learnerId}): ${p.earned} of ${p.target} credits, projected ${p.projected}, ${p.requiredRemaining} required still missing`),
    ].join('\n') + '\n',
  };
}

export interface PlanFacts {
  /** Who the mail is about. */
  name: string;
  /** Who reads it: the learner, or their manager. */
  reader: 'learner' | 'manager';
  managerName?: string | undefined;
  period: string;
  earned: number;
  target: number;
  ends: string;
  reachable: boolean;
  note: string | null;
  milestones: { title: string; credits: number; dueOn: string; kind: 'required' | 'elective' }[];
}

/**
 * An improvement plan, to the learner or to their manager: each course and the day to finish it by.
 *
 * @example
 * planMail('en', { name: 'Ann', reader: 'learner', period: '2026', earned: 4, target: 20, ends: '2026-12-31', reachable: true, note: null, milestones: [{ title: 'Safety', credits: 4, dueOn: '2026-07-01', kind: 'required' }] }, 'https://…').subject;
 */
export function planMail(lang: Lang, f: PlanFacts, unsubscribe?: string): Mail {
  if (lang === 'zh') {
    const lines = [
      f.reader === 'manager' && !f.managerName ? '您好：' : `${f.reader === 'manager' ? f.managerName : f.name}，您好：`,
      '',
      f.reader === 'manager' ? `已为 ${f.name} 制定 ${f.period} 年度学分改进计划。目前已获得 ${f.earned} / ${f.target} 学分，本年度于 ${f.ends} 结束。` : `已为您制定 ${f.period} 年度学分改进计划。您目前已获得 ${f.earned} / ${f.target} 学分，本年度于 ${f.ends} 结束。`,
      ...(f.note ? ['', f.note] : []),
      '',
      '请在以下日期前完成这些课程：',
      ...f.milestones.map((m) => `- ${m.dueOn} 前：${m.title}（${m.kind === 'required' ? '必修' : '选修'}，${m.credits} 学分）`),
      '',
      f.reachable ? '按计划完成即可达到年度目标。' : '注意：即使按计划完成，也可能无法在年底前达到目标，请尽早与主管沟通。',
    ];
    return { subject: f.reader === 'manager' ? `${f.name} 的 ${f.period} 年度学分改进计划` : `您的 ${f.period} 年度学分改进计划`, body: lines.join('\n') + (unsubscribe ? footer.zh(unsubscribe) : '\n') };
  }
  const lines = [
    f.reader === 'manager' && !f.managerName ? 'Hello,' : `Hello ${f.reader === 'manager' ? f.managerName : f.name},`,
    '',
    f.reader === 'manager' ? `An improvement plan for ${f.name}'s ${f.period} credits: ${f.earned} of ${f.target} so far; the period ends on ${f.ends}.` : `Here is your improvement plan for your ${f.period} credits: you have ${f.earned} of ${f.target} so far; the period ends on ${f.ends}.`,
    ...(f.note ? ['', f.note] : []),
    '',
    'Finish these courses by these days:',
    ...f.milestones.map((m) => `- by ${m.dueOn}: ${m.title} (${m.kind}, ${m.credits} credits)`),
    '',
    f.reachable ? 'Done as planned, this reaches the target.' : 'Note: even done as planned, this may not reach the target in time; please talk it over soon.',
  ];
  return { subject: f.reader === 'manager' ? `Improvement plan for ${f.name} (${f.period} credits)` : `Your improvement plan for your ${f.period} credits`, body: lines.join('\n') + (unsubscribe ? footer.en(unsubscribe) : '\n') };
}

export interface ExpiringFacts {
  name: string;
  course: string;
  /** The last day it is valid, YYYY-MM-DD. */
  lastDay: string;
  daysLeft: number;
}

/**
 * A learner's reminder that a certification (a course with a validity) expires soon.
 *
 * @example
 * expiringMail('en', { name: 'Ann', course: 'First aid', lastDay: '2027-03-09', daysLeft: 20 }, 'https://…').subject;
 * // 'Your "First aid" certification expires in 20 days'
 */
export function expiringMail(lang: Lang, f: ExpiringFacts, unsubscribe: string): Mail {
  if (lang === 'zh') {
    return {
      subject: `您的「${f.course}」证书将在 ${f.daysLeft} 天后到期`,
      body: [`${f.name}，您好：`, '', `您的「${f.course}」证书有效期至 ${f.lastDay}（还剩 ${f.daysLeft} 天）。`, '到期后它不再计入必修学分，请在到期前重修该课程。'].join('\n') + footer.zh(unsubscribe),
    };
  }
  return {
    subject: `Your "${f.course}" certification expires in ${f.daysLeft} days`,
    body: [`Hello ${f.name},`, '', `Your "${f.course}" certification is valid until ${f.lastDay} (${f.daysLeft} days from now).`, 'Once it expires it no longer counts toward your required credits: please take the course again before then.'].join('\n') + footer.en(unsubscribe),
  };
}
