// xcredit and a simulated LMS side by side: the LMS is registered with xcredit (and xcredit with
// the LMS), a course is in the catalog, and the links below launch it as a student, an
// instructor or through Deep Linking. Scores the LMS gradebook receives are printed as they land.
//
//   node walkthrough.mjs           run, open the printed links, Ctrl-C to stop
//   node walkthrough.mjs --check   launch once over HTTP and exit (0 when every step worked)
import { randomBytes } from 'node:crypto';
import { loadConfig, startServer } from '@xcredit/lrs-server';
import { DEFAULT_CONTEXT, startPlatformSimulator } from '@xcredit/lti-platform-sim';

const check = process.argv.includes('--check');
const admin = { key: `example-${randomBytes(4).toString('hex')}`, secret: randomBytes(18).toString('base64url') };
const xcredit = await startServer(
  loadConfig({
    PORT: check ? '0' : (process.env.PORT ?? '4100'),
    HOST: process.env.HOST ?? '127.0.0.1',
    DATABASE_URL: process.env.DATABASE_URL,
    XCREDIT_DATA_DIR: process.env.XCREDIT_DATA_DIR ?? 'memory://',
    XCREDIT_ADMIN_KEY: admin.key,
    XCREDIT_ADMIN_SECRET: admin.secret,
    // Required with DATABASE_URL; the embedded database makes its own.
    XCREDIT_SECRET_KEY: process.env.XCREDIT_SECRET_KEY,
    // The simulated LMS listens on this machine, an address xcredit refuses to call unless allowed.
    XCREDIT_LTI_ALLOW_PRIVATE_HOSTS: '127.0.0.1',
  }),
);
const lms = await startPlatformSimulator();

async function call(method, path, body) {
  const res = await fetch(`${xcredit.url}/api/v1${path}`, {
    method,
    headers: { Authorization: `Basic ${Buffer.from(`${admin.key}:${admin.secret}`).toString('base64')}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

// 1. The LMS admin adds xcredit as an external tool (these three URLs), and xcredit's admin registers the LMS.
lms.registerTool({ loginUrl: `${xcredit.url}/lti/login`, launchUrl: `${xcredit.url}/lti`, jwksUrl: `${xcredit.url}/lti/keys` });
const platform = await call('POST', '/lti/platforms', lms.registration({ name: 'Example LMS' }));
// 2. A course in xcredit's catalog: the 15-second demo video, worth 2 credits.
await call('PUT', '/courses/safety-101', { title: 'Workplace safety in 15 seconds', activityId: 'https://example.com/courses/safety-101', credits: 2, kind: 'required', lengthSeconds: 15, videoUrl: '/media/demo.mp4' });
// 3. The class, as the LMS's roster service reports it.
lms.setMembers(DEFAULT_CONTEXT.id, [
  { user_id: 'teacher-1', name: 'Tess Teacher', roles: ['http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor'] },
  { user_id: 'student-1', name: 'Sam Student', roles: ['http://purl.imsglobal.org/vocab/lis/v2/membership#Learner'] },
  { user_id: 'student-2', name: 'Kim Notstarted', roles: ['http://purl.imsglobal.org/vocab/lis/v2/membership#Learner'] },
]);
const course = `${xcredit.url}/lti?course=safety-101`;

if (check) {
  const student = await lms.launch({ claims: lms.studentClaims('student-1'), targetLinkUri: course });
  const teacher = await lms.launch({ claims: lms.instructorClaims('teacher-1'), targetLinkUri: course });
  const ok = student.status === 303 && student.location?.startsWith(`${xcredit.url}/play#token=`) && teacher.status === 200 && teacher.html.includes('Kim Notstarted');
  console.log(ok ? `ok: platform ${platform.id} registered, student launched into the player, instructor saw the class report` : `failed: student ${student.status}, instructor ${teacher.status}`);
  await lms.close();
  await xcredit.close();
  process.exit(ok ? 0 : 1);
}

console.log(`xcredit   ${xcredit.url}   (LTI at ${xcredit.url}/lti)`);
console.log(`LMS       ${lms.url}   (issuer; client id ${lms.clientId}, deployment ${lms.deploymentId})\n`);
console.log('Open in a browser:');
console.log(`  student, the course inside the LMS page   ${lms.embedUrl({ claims: lms.studentClaims('student-1'), targetLinkUri: course })}`);
console.log(`  student, the course in its own window      ${lms.loginUrl({ claims: lms.studentClaims('student-1'), targetLinkUri: course })}`);
console.log(`  instructor, the class report              ${lms.loginUrl({ claims: lms.instructorClaims('teacher-1'), targetLinkUri: course })}`);
console.log(`  instructor, add courses (Deep Linking)    ${lms.loginUrl({ claims: lms.deepLinkingClaims('teacher-1') })}`);
console.log('\nScores the LMS gradebook receives appear below. Ctrl-C stops.');

let shown = 0;
const timer = setInterval(() => {
  for (const s of lms.scores.slice(shown)) console.log(`  score for ${s.userId}: ${s.scoreGiven}/${s.scoreMaximum} ${s.activityProgress} ${s.gradingProgress} — ${s.comment}`);
  shown = lms.scores.length;
}, 1000);
process.once('SIGINT', async () => {
  clearInterval(timer);
  await lms.close();
  await xcredit.close();
  process.exit(0);
});
