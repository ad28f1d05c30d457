#!/usr/bin/env node
// Pulls every learner's credits for a period into a CSV file, the way an HR system's nightly job would.
//
//   XCREDIT_URL=http://localhost:3000 XCREDIT_KEY=… XCREDIT_SECRET=… node sync.mjs [--period 2026] [--out out/credits-2026.csv]
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'csv-stringify/sync';
import { XcreditClient, XcreditError, spreadsheetSafe } from '@xcredit/sdk';

const { values } = parseArgs({ options: { period: { type: 'string', default: String(new Date().getUTCFullYear()) }, out: { type: 'string' } } });
const { XCREDIT_URL = 'http://localhost:3000', XCREDIT_KEY, XCREDIT_SECRET } = process.env;
if (!XCREDIT_KEY || !XCREDIT_SECRET) {
  console.error('Set XCREDIT_KEY and XCREDIT_SECRET to a client with the credits/read scope (node packages/lrs-server/bin/xcredit.js create-client --name hr-sync --scopes credits/read).');
  process.exit(2);
}
// By default into out/, which git ignores: a CSV of learners' credits is not for committing.
const out = values.out ?? `out/credits-${values.period}.csv`;
const xcredit = new XcreditClient({ baseUrl: XCREDIT_URL, key: XCREDIT_KEY, secret: XCREDIT_SECRET });

const columns = ['learnerId', 'displayName', 'department', 'role', 'managerId', 'earned', 'required', 'elective', 'target', 'remaining', 'status', 'courses'];
const rows = [];
try {
  for await (const learner of xcredit.learners()) {
    const c = await xcredit.getLearnerCredits(learner.learnerId, { period: values.period });
    const courses = c.courses.filter((x) => x.earned > 0).map((x) => `${x.courseId}:${x.earned}`).join(' ');
    rows.push([learner.learnerId, learner.displayName, learner.department, learner.role, learner.managerId, c.earned, c.required, c.elective, c.target?.total, c.remaining, c.status, courses]);
  }
} catch (err) {
  console.error(err instanceof XcreditError ? `xcredit answered ${err.status} ${err.code}: ${err.message}` : err);
  process.exit(1);
}
await mkdir(dirname(out), { recursive: true });
// Names come from the HR system: text a spreadsheet would run as a formula is written with a leading apostrophe.
await writeFile(out, stringify(rows, { header: true, columns, bom: true, record_delimiter: 'windows', cast: { string: spreadsheetSafe } }));
console.log(`wrote ${rows.length} learners to ${out}`);
