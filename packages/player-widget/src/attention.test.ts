import { describe, expect, it } from 'vitest';
import { AttentionMonitor, type PromptKind } from './attention.js';

function setup(options: { idleSeconds?: number; promptTimeoutSeconds?: number } = {}) {
  let clock = 0;
  const events: string[] = [];
  const monitor = new AttentionMonitor({
    idleSeconds: options.idleSeconds ?? 10,
    promptTimeoutSeconds: options.promptTimeoutSeconds ?? 5,
    now: () => clock,
    onPrompt: (k: PromptKind) => events.push(`prompt:${k}`),
    onTimeout: (k: PromptKind) => events.push(`timeout:${k}`),
  });
  /** Plays `seconds` of media in 1 s ticks, optionally with input on each tick. */
  const play = (seconds: number, input = false) => {
    for (let i = 1; i <= seconds; i++) {
      clock += 1000;
      if (input) monitor.input();
      monitor.tick(true);
    }
  };
  return { monitor, events, play, wait: (ms: number, playing = true) => ((clock += ms), monitor.tick(playing)) };
}

describe('AttentionMonitor', () => {
  it('asks "are you still there?" after idleSeconds without input while playing, and not before', () => {
    const { monitor, events, play } = setup({ idleSeconds: 10 });
    play(9);
    expect(events).toEqual([]);
    expect(monitor.attending).toBe(true);
    play(1);
    expect(events).toEqual(['prompt:idle']);
    expect(monitor.attending).toBe(false);
  });

  it('never prompts a learner who keeps interacting', () => {
    const { events, play } = setup({ idleSeconds: 3 });
    play(30, true);
    expect(events).toEqual([]);
  });

  it('pauses (times out) when the prompt goes unanswered, and says so when answered', () => {
    const { monitor, events, play, wait } = setup({ idleSeconds: 2, promptTimeoutSeconds: 5 });
    play(2);
    wait(4000);
    expect(events).toEqual(['prompt:idle']);
    wait(1000);
    expect(events).toEqual(['prompt:idle', 'timeout:idle']);
    expect(monitor.prompt).toEqual({ kind: 'idle', timedOut: true });
    expect(monitor.answer()).toBe(true);
    expect(monitor.attending).toBe(true);
  });

  it('does not count paused time as idle', () => {
    const { events, play, wait } = setup({ idleSeconds: 5 });
    play(3);
    for (let i = 0; i < 60; i++) wait(1000, false);
    play(3);
    expect(events).toEqual([]);
  });

  it('asks only when the server issues a check, never on its own, and times the check out like any prompt', () => {
    const { monitor, events, play, wait } = setup({ idleSeconds: 0, promptTimeoutSeconds: 5 });
    play(120, true);
    expect(events).toEqual([]);
    monitor.check();
    expect(events).toEqual(['prompt:check']);
    expect(monitor.attending).toBe(false);
    wait(5000);
    expect(events).toEqual(['prompt:check', 'timeout:check']);
    expect(monitor.answer()).toBe(true);
    expect(monitor.attending).toBe(true);
  });

  it('turns an idle prompt already open into the check, keeping whether the video paused for it', () => {
    const { monitor, events, play, wait } = setup({ idleSeconds: 2, promptTimeoutSeconds: 5 });
    play(2);
    wait(5000);
    expect(events).toEqual(['prompt:idle', 'timeout:idle']);
    monitor.check();
    expect(monitor.prompt).toEqual({ kind: 'check', timedOut: true });
    expect(monitor.answer()).toBe(true);
  });
});
