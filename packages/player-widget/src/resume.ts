import { RESUME_STATE_ID, unionSegments, type Segment } from '@xcredit/sdk';
import type { Connection } from './connection.js';

/** Where the learner left off, kept in the xAPI State API. */
export interface ResumeState {
  time: number;
  segments: Segment[];
}

/** Whose resume document: the learner's on one course. */
export interface ResumeTarget {
  /** The course activity. */
  activityId: string;
  /** The learner (the launch actor). */
  agent: Record<string, unknown>;
}

/**
 * The State API resource of the learner's resume document. It has no registration, so a later
 * launch, on any device, finds it.
 */
function resumeResource(target: ResumeTarget): string {
  const q = new URLSearchParams({ activityId: target.activityId, agent: JSON.stringify(target.agent), stateId: RESUME_STATE_ID });
  return `activities/state?${q}`;
}

/**
 * Reads the resume document; null when there is none or the LRS cannot say.
 *
 * @example
 * const state = await loadResume(connection, { activityId, agent });
 * if (state) video.currentTime = state.time;
 */
export async function loadResume(connection: Connection, target: ResumeTarget): Promise<ResumeState | null> {
  try {
    const res = await connection.xapi(resumeResource(target));
    if (!res.ok) return null;
    return parseResume(await res.json());
  } catch {
    return null;
  }
}

/** Writes the resume document; `keepalive` for the page's way out. Failures are not fatal. */
export async function saveResume(connection: Connection, target: ResumeTarget, state: ResumeState, options: { keepalive?: boolean } = {}): Promise<boolean> {
  try {
    const res = await connection.xapi(resumeResource(target), {
      method: 'PUT',
      keepalive: options.keepalive ?? false,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ time: round3(state.time), segments: unionSegments(state.segments).map(([s, e]) => [round3(s), round3(e)]) }),
    });
    return res.ok;
  } catch {
    return false;
  }
}

/** A stored document as a resume state, or null when it is not one. */
export function parseResume(body: unknown): ResumeState | null {
  const o = body as { time?: unknown; segments?: unknown } | null;
  if (!o || typeof o !== 'object' || typeof o.time !== 'number' || !Number.isFinite(o.time) || o.time < 0) return null;
  const segments = Array.isArray(o.segments)
    ? o.segments.filter((s): s is [number, number] => Array.isArray(s) && s.length === 2 && s.every((n) => typeof n === 'number' && Number.isFinite(n)) && s[1] > s[0] && s[0] >= 0)
    : [];
  return { time: o.time, segments: segments.map(([a, b]) => [a, b] as const) };
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;
