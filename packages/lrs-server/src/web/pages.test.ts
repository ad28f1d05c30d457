import { describe, expect, it } from 'vitest';
import { notFoundPage, verificationPage } from '../certificates/pages.js';
import type { Course } from '../catalog/courses.js';
import { deepLinkReturnPage, errorPage, newWindowPage, pickerPage, reportPage } from '../lti/pages.js';
import { shellPage, signInPage } from './admin/pages.js';
import { demoPage, playPage } from './pages.js';

// Markup and quotes that would open an element, an attribute or a script if any interpolation let them through.
const HOSTILE = `</title></textarea><script>alert(1)</script><i id="pwned">" onmouseover="alert(2)' onfocus='alert(3)&`;

/** Every server-rendered page, with every value it shows set by `v`. */
const pages = (v: string): Record<string, string> => ({
  play: playPage(),
  demo: demoPage({ launchToken: v, learnerId: v, course: { title: v, credits: 4, kind: v, lengthSeconds: 60, questions: [{ id: 'q' }], policy: { gates: { coverage: 0.8 } } } as unknown as Course }),
  signIn: signInPage({ lang: 'en', key: v, error: v }),
  shell: shellPage({ csrfToken: v, clientKey: v }),
  ltiError: errorPage({ title: v, message: v, hint: v, code: v }),
  deepLinkReturn: deepLinkReturnPage(`https://lms.example/return?x=${v}`, v),
  newWindow: newWindowPage(`https://xcredit.example/lti/login?x=${v}`),
  report: reportPage({
    courseTitle: v,
    credits: 4,
    contextTitle: v,
    rosterNote: v,
    previewUrl: `https://xcredit.example/play#token=${v}`,
    rows: [
      { name: v, learnerId: v, status: 'in progress', engagement: 0.5, earned: 2 },
      { name: v, learnerId: null, status: 'not started', engagement: null, earned: null },
    ],
  }),
  picker: pickerPage({ ltik: v, multiple: true, courses: [{ courseId: v, title: v, credits: 1, kind: v }] }),
  certificate: verificationPage(
    { certificateId: v, kind: 'course', learnerId: v, learnerName: v, courseId: v, period: v, title: v, credits: 4, issuedAt: v, issuedBy: v, issuer: v, pdfUrl: v, verifyUrl: v },
    { valid: false, reason: v },
  ),
  certificateNotFound: notFoundPage(),
});

const count = (text: string, c: string) => text.split(c).length - 1;

describe('server-rendered pages', () => {
  const benign = pages('value');
  const hostile = pages(HOSTILE);

  it.each(Object.keys(benign))('%s shows hostile values as text: no element, attribute or script of theirs', (name) => {
    const page = hostile[name]!;
    // Each hostile value adds no markup character: the page has exactly the tags and quotes it has with plain values.
    for (const c of ['<', '>', '"', "'"]) expect(count(page, c), `${name}: count of ${c}`).toBe(count(benign[name]!, c));
    expect(page).not.toContain('<script>alert');
    expect(page).not.toContain('<i id="pwned"');
    if (page !== benign[name]) expect(page).toContain('&#60;script&#62;alert(1)&#60;/script&#62;&#60;i id=&#34;pwned&#34;&#62;&#34; onmouseover=&#34;alert(2)&#39; onfocus=&#39;alert(3)&#38;');
  });

  it('shows each value it is given (the test above sees them all)', () => {
    for (const [name, page] of Object.entries(hostile)) {
      if (name === 'play' || name === 'certificateNotFound') expect(page).toBe(benign[name]);
      else expect(page, name).not.toBe(benign[name]);
    }
  });
});
