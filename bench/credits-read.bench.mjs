// Reading a learner's credits recomputes them from raw statements. How much does verification
// and the formula add to merely fetching those statements from the same database?
// Baseline: the same rows selected with SQL through the same store, in the same run.
import { performance } from 'node:perf_hooks';
import { Verbs, VideoExt } from '@xcredit/sdk/xapi';
import { startTestServer } from '@xcredit/lrs-server/testing';

const COURSES = 10;
const SESSIONS = 20; // per course
const ROUNDS = 30;

const server = await startTestServer({ engine: 'pglite' });
const admin = { authorization: server.admin.authorization, 'content-type': 'application/json' };
const post = (path, body, headers = admin) => fetch(`${server.url}${path}`, { method: path.startsWith('/api') ? (path.includes('/courses/') ? 'PUT' : 'POST') : 'POST', headers, body: JSON.stringify(body) });

let statements = 0;
for (let c = 0; c < COURSES; c++) {
  await post(`/api/v1/courses/c${c}`, { title: `Course ${c}`, activityId: `https://bench.example/c${c}`, credits: 2, kind: 'required', lengthSeconds: 600 });
  for (let s = 0; s < SESSIONS; s++) {
    const launch = await (await post('/api/v1/launches', { learnerId: 'bench-learner', courseId: `c${c}` })).json();
    const issued = await fetch(`${server.url}/api/v1/launches/current/sessions`, { method: 'POST', headers: { authorization: `Bearer ${launch.launchToken}` } });
    const { sessionId: sid } = await issued.json();
    const st = (verb, time) => ({
      actor: launch.actor,
      verb: { id: verb },
      object: { id: launch.activityId },
      context: { registration: launch.registration, extensions: { [VideoExt.sessionId]: sid, [VideoExt.length]: 600 } },
      result: { extensions: { [VideoExt.time]: time } },
    });
    const batch = [st(Verbs.initialized, 0)];
    for (let i = 0; i < 10; i++) batch.push(st(Verbs.played, i * 60), st(Verbs.paused, i * 60 + 55));
    batch.push(st(Verbs.terminated, 600));
    const res = await fetch(`${server.url}/xapi/statements`, {
      method: 'POST',
      headers: { authorization: `Bearer ${launch.launchToken}`, 'x-experience-api-version': '1.0.3', 'content-type': 'application/json' },
      body: JSON.stringify(batch),
    });
    if (!res.ok) throw new Error(`seeding failed: ${res.status} ${await res.text()}`);
    statements += batch.length;
  }
}

async function time(fn) {
  const samples = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

const api = await time(async () => {
  const res = await fetch(`${server.url}/api/v1/learners/bench-learner/credits`, { headers: admin });
  await res.json();
});
const baseline = await time(async () => {
  await server.store.db
    .selectFrom('statements as s')
    .innerJoin('launches as l', (j) => j.onRef('l.tenant_id', '=', 's.tenant_id').onRef('l.registration', '=', 's.launch_registration'))
    .select(['s.stored', 's.verb_id', 's.statement'])
    .where('l.learner_id', '=', 'bench-learner')
    .orderBy('s.seq')
    .execute();
});
await server.close();

console.log(`credits of one learner: ${COURSES} courses, ${statements} statements (PGlite), median of ${ROUNDS}`);
console.log(`  GET /learners/:id/credits   ${api.toFixed(1)} ms`);
console.log(`  baseline: select the rows   ${baseline.toFixed(1)} ms`);
console.log(`  ratio (api / baseline)      ${(api / baseline).toFixed(2)}`);
