import { describe, expect, it } from 'vitest';
import { AttentionMonitor, checkTimes, type PromptKind } from './attention.js';

function setup(options: { idleSeconds?: number; promptTimeoutSeconds?: number; attentionChecks?: number; length?: number } = {}) {
  let clock = 0;
  const events: string[] = [];
  const monitor = new AttentionMonitor({
    idleSeconds: options.idleSeconds ?? 10,
    promptTimeoutSeconds: options.promptTimeoutSeconds ?? 5,
    attentionChecks: options.attentionChecks ?? 0,
    length: options.length ?? 100,
    now: () => clock,
    random: () => 0.5,
    onPrompt: (k: PromptKind) => events.push(`prompt:${k}`),
    onTimeout: (k: PromptKind) => events.push(`timeout:${k}`),
  });
  /** Plays `seconds` of media in 1 s ticks, optionally with input on each tick. */
  const play = (from: number, seconds: number, input = false) => {
    for (let i = 1; i <= seconds; i++) {
      clock += 1000;
      if (input) monitor.input();
      monitor.tick(from + i, true);
    }
  };
  return { monitor, events, play, wait: (ms: number, t: number, playing = true) => ((clock += ms), monitor.tick(t, playing)) };
}

describe('AttentionMonitor', () => {
  it('asks "are you still there?" after idleSeconds without input while playing, and not before', () => {
    const { monitor, events, play } = setup({ idleSeconds: 10 });
    play(0, 9);
    expect(events).toEqual([]);
    expect(monitor.attending).toBe(true);
    play(9, 1);
    expect(events).toEqual(['prompt:idle']);
    expect(monitor.attending).toBe(false);
  });

  it('never prompts a learner who keeps interacting', () => {
    const { events, play } = setup({ idleSeconds: 3 });
    play(0, 30, true);
    expect(events).toEqual([]);
  });

  it('pauses (times out) when the prompt goes unanswered, and says so when answered', () => {
    const { monitor, events, play, wait } = setup({ idleSeconds: 2, promptTimeoutSeconds: 5 });
    play(0, 2);
    wait(4000, 6);
    expect(events).toEqual(['prompt:idle']);
    wait(1000, 7);
    expect(events).toEqual(['prompt:idle', 'timeout:idle']);
    expect(monitor.prompt).toEqual({ kind: 'idle', timedOut: true });
    expect(monitor.answer()).toBe(true);
    expect(monitor.attending).toBe(true);
  });

  it('does not count paused time as idle', () => {
    const { events, play, wait } = setup({ idleSeconds: 5 });
    play(0, 3);
    for (let i = 0; i < 60; i++) wait(1000, 3, false);
    play(3, 3);
    expect(events).toEqual([]);
  });

  it('shows each attention check once, when playback crosses its time, not when a seek jumps over it', () => {
    const { monitor, events, play, wait } = setup({ idleSeconds: 0, attentionChecks: 2, length: 100 });
    expect(monitor.pendingChecks).toEqual([30, 70]);
    play(0, 31, true);
    expect(events).toEqual(['prompt:check']);
    monitor.answer();
    wait(1000, 80); // a seek from 31 to 80 skips the check at 70
    play(80, 5, true);
    expect(events).toEqual(['prompt:check']);
    expect(monitor.pendingChecks).toEqual([70]);
  });
});

describe('checkTimes', () => {
  it('spreads the checks over the middle of the video, one per slice', () => {
    const times = checkTimes(4, 200, Math.random);
    expect(times).toHaveLength(4);
    times.forEach((t, i) => {
      expect(t).toBeGreaterThanOrEqual(20 + 40 * i);
      expect(t).toBeLessThanOrEqual(20 + 40 * (i + 1));
    });
    expect(checkTimes(0, 100, Math.random)).toEqual([]);
  });
});
