// Compiled with tsc --strict in the scratch project: the packages' declarations as a user sees them.
import { XcreditClient, XcreditError, verifyWebhook, type Course, type CourseInput, type Report } from '@xcredit/sdk';
import { courseInput, type LearnerRow } from '@xcredit/sdk/contracts';
import type { PlayerLaunch } from '@xcredit/sdk/contracts/wire';
import type { XcreditPlayer } from '@xcredit/player-widget';
import { startServer, type Config, type RunningServer } from '@xcredit/lrs-server';

const client = new XcreditClient({ baseUrl: 'http://localhost:3000', key: 'k', secret: 's' });
const input: CourseInput = { title: 'T', activityId: 'https://example.com/t', credits: 1, kind: 'elective', lengthSeconds: 60 };
// @ts-expect-error kind is 'required' or 'elective'
const wrong: CourseInput = { ...input, kind: 'optional' };
export async function use(config: Config): Promise<[Course, Report, LearnerRow[], PlayerLaunch | null, RunningServer]> {
  const course = await client.upsertCourse('t', input);
  const credits: number = course.credits;
  const report = await client.report('summary');
  const rows: LearnerRow[] = [{ learnerId: 'E1' }];
  const parsed = courseInput.parse(input);
  const player = document.querySelector('xcredit-player') as XcreditPlayer | null;
  void [credits, parsed, player, wrong, XcreditError, verifyWebhook];
  return [course, report, rows, null, await startServer(config)];
}
