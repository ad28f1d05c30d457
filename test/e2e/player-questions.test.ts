import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { INTERACTION_ACTIVITY_TYPE, questionActivityId, statement as statementSchema, XcreditExt } from '@xcredit/sdk';
import type { Page } from 'playwright-core';
import { courseWithLaunch, player, recordingPage, sentStatements, startWorld, storedStatements, verbName, waitMediaTime, waitReady, type PlayerWorld } from './player-harness.js';
import { browserEngines } from '../support/engines.js';


const questions = [
  {
    id: 'exit',
    at: 2,
    type: 'single-choice',
    prompt: { en: 'Where do you go when the alarm sounds?', 'zh-CN': '警报响起时应去哪里？' },
    choices: [
      { id: 'desk', text: { en: 'Back to my desk', 'zh-CN': '回到座位' } },
      { id: 'stairs', text: { en: 'The nearest stairs', 'zh-CN': '最近的楼梯' } },
    ],
    correct: ['stairs'],
    answerToContinue: true,
    revealAnswer: false,
  },
  {
    id: 'lift',
    at: 4,
    type: 'true-false',
    prompt: { en: 'Take the lift in a fire.', 'zh-CN': '火灾时乘电梯。' },
    correct: ['false'],
    answerToContinue: false,
    revealAnswer: true,
  },
];

/** The question panel, as an expression evaluated in the page. */
/** Waits, in the page, until the question dialog's state matches: open (optionally with text matching `text`), or closed. The player page's CSP forbids evaluating strings, so predicates are functions. */
const dialog = (page: Page, want: { open: boolean; text?: RegExp; playing?: boolean }, timeout = 10_000) =>
  page.waitForFunction(
    ({ open, source, playing }) => {
      const root = document.querySelector('xcredit-player')?.shadowRoot;
      const form = root?.querySelector('form[role=dialog]');
      if (!open) return !form && (playing === undefined || (root?.querySelector('video') as HTMLVideoElement | null)?.paused === !playing);
      return !!form && (source === undefined || new RegExp(source).test(form.textContent ?? ''));
    },
    { open: want.open, source: want.text?.source, playing: want.playing },
    { timeout },
  );

describe.each(browserEngines())('in-video questions in real Chromium on %s', (engine) => {
  let world: PlayerWorld;

  beforeAll(async () => {
    world = await startWorld(engine, inject('postgresUrl') ?? undefined);
  });
  afterAll(async () => {
    await world?.close();
  });

  it('pauses at each question, waits for an answer where required, sends answered, and shows the server’s verdict', async () => {
    // One attempt each: the server reveals a right answer only once no further attempt can count.
    const { course, launch } = await courseWithLaunch(world, { seconds: 12, policy: { idleSeconds: 0, maxAttempts: 1 }, extra: { questions } });
    // The browser never gets the correct answers.
    const current = await (await fetch(`${world.server.url}/api/v1/launches/current`, { headers: { Authorization: `Bearer ${launch.launchToken}` } })).json();
    expect(JSON.stringify(current)).not.toMatch(/"correct"/);

    const context = await world.browser.newContext({ viewport: { width: 800, height: 560 }, locale: 'zh-CN' });
    const page = await recordingPage(context);
    await page.goto(launch.playerUrl);
    await waitReady(page);
    expect(await player(page, ({ root }) => root.querySelector('[part=status]')?.textContent)).toMatch(/已观看 0% · 已答 0\/2 题 · 已得 0\/1 学分/);
    await player(page, ({ el }) => el.play());
    await dialog(page, { open: true });
    expect(await player(page, ({ video }) => video.paused)).toBe(true);
    expect(await player(page, ({ video }) => video.currentTime)).toBeGreaterThanOrEqual(1.9);
    expect(await player(page, ({ root }) => root.querySelector('form[role=dialog]')?.textContent)).toMatch(/警报响起时应去哪里/);
    // Answer to continue: playing is refused until the learner answers.
    await player(page, ({ el }) => el.play());
    expect(await player(page, ({ video }) => video.paused)).toBe(true);
    expect(await player(page, ({ root }) => root.querySelector<HTMLButtonElement>('form[role=dialog] button[type=submit]')?.disabled)).toBe(true);

    // Keyboard only: focus starts on the first choice; arrow to the second, Enter submits.
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await dialog(page, { open: true, text: /回答正确/ });
    expect(await player(page, ({ root }) => root.querySelector('[part=status]')?.textContent)).toMatch(/已答 1\/2 题/);
    await page.keyboard.press('Enter'); // "继续" has focus
    await dialog(page, { open: false, playing: true });

    // The second question may be skipped; this learner answers it wrongly and is shown the answer.
    await dialog(page, { open: true });
    await player(page, ({ root }) => Array.from(root.querySelectorAll<HTMLInputElement>('form[role=dialog] input')).find((i) => i.value === 'true')!.click());
    await player(page, ({ root }) => root.querySelector<HTMLButtonElement>('form[role=dialog] button[type=submit]')!.click());
    await dialog(page, { open: true, text: /回答不正确/ });
    expect(await player(page, ({ root }) => root.querySelector('form[role=dialog] .feedback')?.textContent)).toMatch(/正确答案：错误/);
    await player(page, ({ root }) => root.querySelector<HTMLButtonElement>('form[role=dialog] .actions button')!.click());
    await player(page, ({ el }) => el.pause());
    await player(page, ({ el }) => el.flush());

    const answered = (await sentStatements(page)).filter((s) => verbName(s) === 'answered');
    expect(answered.map((s) => s.result.response)).toEqual(['stairs', 'true']);
    for (const [i, s] of answered.entries()) {
      expect(statementSchema.safeParse(s).success).toBe(true);
      expect(s.object.id).toBe(questionActivityId(course.activityId, questions[i]!.id));
      expect(s.object.definition.type).toBe(INTERACTION_ACTIVITY_TYPE);
      expect(s.object.definition.interactionType).toBe(i === 0 ? 'choice' : 'true-false');
      expect(s.result.extensions[XcreditExt.questionTime]).toBe(questions[i]!.at);
      expect(s.result).not.toHaveProperty('success');
      expect(s.result).not.toHaveProperty('score');
      expect(s.context.contextActivities.parent[0].id).toBe(course.activityId);
    }
    const stored = await storedStatements(world.server, launch.registration);
    expect(stored.filter((s) => verbName(s) === 'answered').map((s) => s.id)).toEqual(answered.map((s) => s.id));
    await context.close();
  });

  it('after a wrong answer, says what to rewatch and asks again once the learner has rewatched it; the server counts the retry', async () => {
    const { launch } = await courseWithLaunch(world, { seconds: 12, policy: { idleSeconds: 0, seekLock: false }, extra: { questions: [questions[0]] } });
    const context = await world.browser.newContext({ viewport: { width: 800, height: 560 } });
    const page = await recordingPage(context);
    await page.goto(launch.playerUrl);
    await waitReady(page);
    await player(page, ({ el }) => el.play());
    await dialog(page, { open: true });
    // As a learner does it: pointer clicks, each once the panel allows it (the submit button is enabled only after a choice renders).
    const choose = async (value: string) => {
      const form = page.locator('xcredit-player form[role=dialog]');
      await form.locator(`input[value="${value}"]`).check();
      await form.locator('button[type=submit]').click();
    };
    await choose('desk');
    await dialog(page, { open: true, text: /Not quite/ });
    // The question covers 0–2 s; the server allows more attempts after it is watched again.
    expect(await player(page, ({ root }) => root.querySelector('form[role=dialog] .retry')?.textContent)).toMatch(/^Watch 0:00–0:02 again, then answer again \(\d+ left\)\.$/);
    await player(page, ({ root }) => root.querySelector<HTMLButtonElement>('form[role=dialog] .actions button')!.click());
    await dialog(page, { open: false });
    // Playing on past the question does not ask it again; going back and rewatching the part does.
    await waitMediaTime(page, 3);
    expect(await player(page, ({ root }) => root.querySelector('form[role=dialog]'))).toBeNull();
    await player(page, ({ el }) => el.seek(0));
    await dialog(page, { open: true });
    expect(await player(page, ({ video }) => video.currentTime)).toBeGreaterThanOrEqual(1.9);
    await choose('stairs');
    await dialog(page, { open: true, text: /Correct\./ });
    await player(page, ({ root }) => root.querySelector<HTMLButtonElement>('form[role=dialog] .actions button')!.click());
    await player(page, ({ el }) => el.pause());
    await player(page, ({ el }) => el.flush());
    expect((await sentStatements(page)).filter((s) => verbName(s) === 'answered').map((s) => s.result.response)).toEqual(['desk', 'stairs']);
    await context.close();
  });
});
