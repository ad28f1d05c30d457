// Runs in a scratch project where the packed tarballs were installed with npm: the SDK, the
// contracts and the server, used the way a user's own code would. Prints one JSON line, then
// serves until SIGTERM.
import { randomBytes } from 'node:crypto';
import { XcreditClient, XcreditError } from '@xcredit/sdk';
import { courseInput } from '@xcredit/sdk/contracts';
import { readErrorBody } from '@xcredit/sdk/contracts/wire';
import { DEMO, loadConfig, startServer } from '@xcredit/lrs-server';

const key = 'pack-admin';
const secret = randomBytes(18).toString('base64url');
const config = loadConfig({
  PORT: '0',
  HOST: '127.0.0.1',
  XCREDIT_DATA_DIR: 'memory://',
  XCREDIT_ADMIN_KEY: key,
  XCREDIT_ADMIN_SECRET: secret,
  XCREDIT_SECRET_KEY: randomBytes(32).toString('base64url'),
  XCREDIT_LOG_LEVEL: 'silent',
});
const server = await startServer(config, { demo: true });
const client = new XcreditClient({ baseUrl: server.url, key, secret });
const launch = await client.createLaunch({ learnerId: DEMO.learnerId, courseId: DEMO.courseId });
const refused = await client.upsertCourse('x', { title: '', activityId: 'nope', credits: 1, kind: 'required', lengthSeconds: 1 }).catch((e) => e);
const links = await client.listRegistrationLinks();
const assets = await Promise.all(['/static/xcredit-player.iife.js', '/admin/static/xcredit-admin.js', '/api/v1/openapi.json'].map(async (p) => (await fetch(`${server.url}${p}`)).status));
console.log(
  JSON.stringify({
    url: server.url,
    launchToken: launch.launchToken,
    schemaRefusesEmpty: !courseInput.safeParse({}).success,
    refused: refused instanceof XcreditError ? { status: refused.status, code: refused.code, fields: refused.issues.map((i) => i.path) } : String(refused),
    wire: readErrorBody(JSON.stringify({ error: { status: 404, code: 'x', message: 'm' } })).code,
    links,
    assets,
  }),
);
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
