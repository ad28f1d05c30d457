import { describe, expect, it } from 'vitest';
import { checkCode, checkinCode, CODE_STEP_MS, codeExpiresAt, stepAt } from './code.js';

const key = 'k'.repeat(43);
const session = '0b6f7a52-3c1e-4b8e-9d2a-5e1f0c7a9b31';
const other = '7d2e4c10-9a8b-4f6e-b1c3-2a5d8e9f0a11';
const t0 = new Date('2026-05-04T09:00:00.000Z');
const later = (ms: number) => new Date(t0.getTime() + ms);

describe('check-in codes', () => {
  it('are accepted in their own step and the next one, for the session they name', () => {
    const code = checkinCode(key, 'acme', session, t0);
    expect(checkCode(key, 'acme', code, t0)).toEqual({ ok: true, sessionId: session, step: stepAt(t0) });
    expect(checkCode(key, 'acme', code, later(CODE_STEP_MS))).toMatchObject({ ok: true, sessionId: session });
  });

  it('expire two steps later: a photo of the code sent to someone absent is refused a minute on', () => {
    const code = checkinCode(key, 'acme', session, t0);
    expect(checkCode(key, 'acme', code, later(2 * CODE_STEP_MS))).toEqual({ ok: false, problem: 'expired', sessionId: session });
    expect(checkCode(key, 'acme', code, later(3600_000))).toMatchObject({ ok: false, problem: 'expired' });
    expect(codeExpiresAt(t0).getTime()).toBe((stepAt(t0) + 2) * CODE_STEP_MS);
    expect(checkCode(key, 'acme', code, new Date(codeExpiresAt(t0).getTime() - 1))).toMatchObject({ ok: true });
    expect(checkCode(key, 'acme', code, codeExpiresAt(t0))).toMatchObject({ ok: false, problem: 'expired' });
  });

  it('from a step not yet reached are refused as from the future', () => {
    const code = checkinCode(key, 'acme', session, later(CODE_STEP_MS));
    expect(checkCode(key, 'acme', code, t0)).toEqual({ ok: false, problem: 'future', sessionId: session });
  });

  it('are forged when the session, step, tenant, key or signature is changed', () => {
    const code = checkinCode(key, 'acme', session, t0);
    const [, step, sig] = code.split('.');
    expect(checkCode(key, 'acme', `${other}.${step}.${sig}`, t0)).toEqual({ ok: false, problem: 'forged' });
    expect(checkCode(key, 'acme', `${session}.${Number(step) + 1}.${sig}`, later(CODE_STEP_MS))).toEqual({ ok: false, problem: 'forged' });
    expect(checkCode(key, 'globex', code, t0)).toEqual({ ok: false, problem: 'forged' });
    expect(checkCode('x'.repeat(43), 'acme', code, t0)).toEqual({ ok: false, problem: 'forged' });
    const flipped = sig!.startsWith('A') ? `B${sig!.slice(1)}` : `A${sig!.slice(1)}`;
    expect(checkCode(key, 'acme', `${session}.${step}.${flipped}`, t0)).toEqual({ ok: false, problem: 'forged' });
  });

  it('that are not codes at all are malformed', () => {
    for (const text of ['', 'hello', `${session}.1`, `${session}.abc.${'a'.repeat(22)}`, `${session}.1.${'a'.repeat(21)}`, `${session}.1.${'a'.repeat(22)}.x`]) {
      expect(checkCode(key, 'acme', text, t0)).toEqual({ ok: false, problem: 'malformed' });
    }
  });

  it('differ per session and per step', () => {
    expect(checkinCode(key, 'acme', session, t0)).not.toBe(checkinCode(key, 'acme', other, t0));
    expect(checkinCode(key, 'acme', session, t0)).not.toBe(checkinCode(key, 'acme', session, later(CODE_STEP_MS)));
    expect(checkinCode(key, 'acme', session, t0)).toBe(checkinCode(key, 'acme', session, later(CODE_STEP_MS - 1 - (t0.getTime() % CODE_STEP_MS))));
  });
});
