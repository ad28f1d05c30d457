import { describeIssues } from '@xcredit/sdk/xapi';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { requireScope } from '../auth/principal.js';
import type { AppContext } from '../context.js';
import { reportQueries as queries } from '@xcredit/sdk/contracts';
import { HttpError, invalidInput } from '../http-error.js';
import { periodAt } from '../period.js';
import { toCsv } from './csv.js';
import { toXlsx, XLSX_TYPE } from './xlsx.js';
import { atRiskReport, flagsReport, hotCoursesReport, leaderboardReport, managersReport, studyTimeReport, summaryReport, type Report, type ReportScope } from './reports.js';
import { settingsInput } from '@xcredit/sdk/contracts';
import { getSettings, updateSettings } from './settings.js';

/** Reads the query with the report's schema: unknown or malformed parameters are a 400 that names them. */
function query<S extends z.ZodObject>(req: Request, schema: S): z.infer<S> {
  const known = Object.keys(schema.shape);
  const unknown = Object.keys(req.query).filter((k) => !known.includes(k));
  if (unknown.length) throw new HttpError(400, 'invalid_input', `unknown query parameter ${unknown.map((k) => `"${k}"`).join(', ')}; this report takes ${known.join(', ')}`);
  const parsed = schema.safeParse(req.query);
  if (!parsed.success) throw invalidInput(describeIssues(parsed.error), 'invalid query parameter');
  return parsed.data;
}

/** JSON by default; CSV for `?format=csv` or `Accept: text/csv`; XLSX for `?format=xlsx` or `Accept: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`. */
async function send<Row extends object>(req: Request, res: Response, requested: 'json' | 'csv' | 'xlsx' | undefined, report: Report<Row>) {
  const accept = req.get('accept') ?? '';
  const chosen = requested ?? (accept.includes(XLSX_TYPE) ? 'xlsx' : /\btext\/csv\b/.test(accept) ? 'csv' : 'json');
  if (chosen === 'json') return void res.json(report);
  res.set('Content-Disposition', `attachment; filename="${report.report}-${report.period}.${chosen}"`);
  if (chosen === 'csv') return void res.type('text/csv; charset=utf-8').send(toCsv(report.columns, report.rows));
  res.type(XLSX_TYPE).send(await toXlsx(report));
}

/**
 * Reports under /api/v1/reports (scope `credits/read`), each for one period (a year; this year
 * by default), computed in SQL (on the read replica when it has caught up, see `Reads`); and the
 * tenant settings that switch the leaderboard on.
 */
export function reportsRouter({ db, reads, clock }: AppContext): Router {
  const router = Router();
  const scope = (req: Request, p: string | undefined): ReportScope => {
    const now = clock();
    return { tenantId: requireScope(req, 'credits/read').tenant.id, period: p ?? periodAt(now).name, now };
  };

  router.get('/reports/summary', async (req, res) => {
    const q = query(req, queries.summary);
    await send(req, res, q.format, await reads.read((on) => summaryReport(on, scope(req, q.period), q.groupBy)));
  });

  router.get('/reports/study-time', async (req, res) => {
    const q = query(req, queries['study-time']);
    await send(req, res, q.format, await reads.read((on) => studyTimeReport(on, scope(req, q.period))));
  });

  router.get('/reports/hot-courses', async (req, res) => {
    const q = query(req, queries['hot-courses']);
    await send(req, res, q.format, await reads.read((on) => hotCoursesReport(on, scope(req, q.period), q.limit)));
  });

  router.get('/reports/at-risk', async (req, res) => {
    const q = query(req, queries['at-risk']);
    await send(req, res, q.format, await reads.read((on) => atRiskReport(on, scope(req, q.period), q)));
  });

  router.get('/reports/managers', async (req, res) => {
    const q = query(req, queries.managers);
    await send(req, res, q.format, await reads.read((on) => managersReport(on, scope(req, q.period))));
  });

  router.get('/reports/leaderboard', async (req, res) => {
    const q = query(req, queries.leaderboard);
    const s = scope(req, q.period);
    if (!(await reads.read((on) => getSettings(on, s.tenantId))).leaderboard) {
      throw new HttpError(403, 'leaderboard_disabled', 'the leaderboard is off for this tenant; an admin turns it on with PUT /api/v1/settings { "leaderboard": true }');
    }
    await send(req, res, q.format, await reads.read((on) => leaderboardReport(on, s, q.group, q.top)));
  });

  router.get('/reports/flags', async (req, res) => {
    const q = query(req, queries.flags);
    await send(req, res, q.format, await reads.read((on) => flagsReport(on, scope(req, q.period))));
  });

  router.get('/settings', async (req, res) => {
    res.json(await getSettings(db, requireScope(req, 'credits/read').tenant.id));
  });

  router.put('/settings', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    if (!req.is('application/json')) throw new HttpError(400, 'invalid_input', `Content-Type must be application/json (got ${req.get('content-type') ?? 'none'})`);
    const parsed = settingsInput.safeParse(req.body);
    if (!parsed.success) throw invalidInput(describeIssues(parsed.error), 'invalid request body');
    res.json(await updateSettings(db, p.tenant.id, parsed.data));
  });

  return router;
}
