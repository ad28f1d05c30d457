import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPlatformSimulator, type PlatformSimulator } from '@xcredit/lti-platform-sim';
import type { TestServer } from '@xcredit/lrs-server/testing';

/** The IMS certification launches (valid and invalid), next to the repository or at XCREDIT_LTI_FIXTURES. */
export const FIXTURES = process.env.XCREDIT_LTI_FIXTURES ?? resolve(fileURLToPath(new URL('../../', import.meta.url)), '../shared/fixtures/lti-certification');

export interface Fixture {
  name: string;
  payload: Record<string, unknown>;
  header?: Record<string, unknown>;
  keep?: string[];
}

export function fixtures(kind: 'valid' | 'invalid'): Fixture[] {
  const dir = join(FIXTURES, kind);
  if (!existsSync(dir)) {
    // CI always has shared/ beside the clone; a user's clone may not, and then says what it skipped.
    if (process.env.CI) throw new Error(`LTI certification fixtures not found at ${dir}; set XCREDIT_LTI_FIXTURES`);
    console.warn(`[xcredit] SKIPPING the LTI certification cases: no fixtures at ${dir} (set XCREDIT_LTI_FIXTURES)`);
    return [];
  }
  const read = (name: string, file: string) => (existsSync(join(dir, name, file)) ? JSON.parse(readFileSync(join(dir, name, file), 'utf8')) : undefined);
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .map((name) => ({ name, payload: read(name, 'payload.json'), header: read(name, 'header.json'), keep: read(name, 'keep.json') }));
}

/** JSON call to the admin API of a test server. */
export async function api(server: TestServer, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { Authorization: server.admin.authorization, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

export const DEMO_COURSE = {
  title: 'Workplace safety in 15 seconds',
  activityId: 'https://xcredit.dev/demo/courses/lti-safety',
  credits: 2,
  kind: 'required',
  lengthSeconds: 15,
  videoUrl: '/media/demo.mp4',
} as const;

/** A simulator registered with the server (and the server with it), plus one course. */
export async function connectSimulator(
  server: TestServer,
  options: { clientId?: string; deploymentId?: string; learnerIdClaim?: 'sub' | 'email' | 'lis.person_sourcedid'; courseId?: string; publicHost?: string } = {},
): Promise<PlatformSimulator> {
  const sim = await startPlatformSimulator({ clientId: options.clientId, deploymentId: options.deploymentId, publicHost: options.publicHost });
  sim.registerTool({ loginUrl: `${server.url}/lti/login`, launchUrl: `${server.url}/lti`, jwksUrl: `${server.url}/lti/keys` });
  const registered = await api(server, 'POST', '/lti/platforms', sim.registration({ learnerIdClaim: options.learnerIdClaim }));
  if (registered.status !== 201) throw new Error(`platform registration failed: ${JSON.stringify(registered.body)}`);
  const course = await api(server, 'PUT', `/courses/${options.courseId ?? 'lti-safety'}`, { ...DEMO_COURSE, activityId: `${DEMO_COURSE.activityId}/${options.courseId ?? 'lti-safety'}` });
  if (course.status >= 300) throw new Error(`course creation failed: ${JSON.stringify(course.body)}`);
  return sim;
}

/** The error code an LTI error page shows. */
export const errorCode = (html: string) => /data-code="([^"]+)"/.exec(html)?.[1];
export const errorMessage = (html: string) => /<p id="message">([^<]*)<\/p>/.exec(html)?.[1]?.replace(/&#(\d+);/g, (_m, c) => String.fromCharCode(Number(c)));
