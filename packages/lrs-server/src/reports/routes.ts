import { describeIssues } from '@xcredit/sdk/xapi';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { requireScope } from '../auth/principal.js';
import type { AppContext } from '../context.js';
import { idText, periodText } from '@xcredit/sdk/contracts';
import { HttpError, invalidInput } from '../http-error.js';
import { periodAt } from '../period.js';
import { toCsv } from './csv.js';
import { toXlsx, XLSX_TYPE } from './xlsx.js';
import { atRiskReport, flagsReport, hotCoursesReport, leaderboardReport, managersReport, studyTimeReport, summaryReport, type Report, type ReportScope } from './reports.js';
import { settingsInput } from '@xcredit/sdk/contracts';
import { getSettings, updateSettings } from './settings.js';

const format = z.enum(['json', 'csv', 'xlsx']);
const groupBy = z.enum(['department', 'role', 'manager']);
const count = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be a whole number from ${min} to ${max}`)
    .default(fallback);

/** Reads the query with a schema: unknown or malformed parameters are a 400 that names them. */
function query<S extends z.ZodRawShape>(req: Request, shape: S): z.infer<z.ZodObject<S>> {
  const known = Object.keys(shape);
  const unknown = Object.keys(req.query).filter((k) => !known.includes(k));
  if (unknown.length) throw new HttpError(400, 'invalid_input', `unknown query parameter ${unknown.map((k) => `"${k}"`).join(', ')}; this report takes ${known.join(', ')}`);
  const parsed = z.object(shape).safeParse(req.query);
  if (!parsed.success) throw invalidInput(describeIssues(parsed.error), 'invalid query parameter');
  return parsed.data;
}

const common = { period: periodText.optional(), format: format.optional() };

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
 * by default), computed in SQL; and the tenant settings that switch the leaderboard on.
 */
export function reportsRouter({ db, clock }: AppContext): Router {
  const router = Router();
  const scope = (req: Request, p: string | undefined): ReportScope => {
    const now = clock();
    return { tenantId: requireScope(req, 'credits/read').tenant.id, period: p ?? periodAt(now).name, now };
  };

  router.get('/reports/summary', async (req, res) => {
    const q = query(req, { ...common, groupBy: groupBy.default('department') });
    await send(req, res, q.format, await summaryReport(db, scope(req, q.period), q.groupBy));
  });

  router.get('/reports/study-time', async (req, res) => {
    const q = query(req, common);
    await send(req, res, q.format, await studyTimeReport(db, scope(req, q.period)));
  });

  router.get('/reports/hot-courses', async (req, res) => {
    const q = query(req, { ...common, limit: count(1, 100, 10) });
    await send(req, res, q.format, await hotCoursesReport(db, scope(req, q.period), q.limit));
  });

  router.get('/reports/at-risk', async (req, res) => {
    const q = query(req, { ...common, limit: count(1, 1000, 100), department: z.string().trim().min(1).max(200).optional(), managerId: idText.optional() });
    await send(req, res, q.format, await atRiskReport(db, scope(req, q.period), q));
  });

  router.get('/reports/managers', async (req, res) => {
    const q = query(req, common);
    await send(req, res, q.format, await managersReport(db, scope(req, q.period)));
  });

  router.get('/reports/leaderboard', async (req, res) => {
    const q = query(req, { ...common, group: groupBy.default('department'), top: count(0, 10, 3) });
    const s = scope(req, q.period);
    if (!(await getSettings(db, s.tenantId)).leaderboard) {
      throw new HttpError(403, 'leaderboard_disabled', 'the leaderboard is off for this tenant; an admin turns it on with PUT /api/v1/settings { "leaderboard": true }');
    }
    await send(req, res, q.format, await leaderboardReport(db, s, q.group, q.top));
  });

  router.get('/reports/flags', async (req, res) => {
    const q = query(req, common);
    await send(req, res, q.format, await flagsReport(db, scope(req, q.period)));
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
