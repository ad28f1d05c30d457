import express, { Router } from 'express';
import { requireScope } from '../auth/principal.js';
import type { AppContext } from '../context.js';
import type { CreditEvents } from '../credits/ledger.js';
import { bodyGuard } from '../edge.js';
import { HttpError } from '../http-error.js';
import { HistoryFileError, importHistory, readHistoryFile, type HistoryFormat } from './import.js';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/**
 * `POST /api/v1/history/import?file=NAME[&dryRun=true]` (credits/admin): earlier years' credits
 * from a CSV (`text/csv`) or XLSX file sent as the body. A dry run answers the line-by-line
 * report and writes nothing; otherwise every line is written, or (422) none.
 */
export function historyRouter({ db, clock }: AppContext, events: CreditEvents): Router {
  const router = Router();
  router.post('/history/import', express.raw({ type: ['text/csv', 'text/plain', XLSX], limit: '20mb' }), bodyGuard, async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    const format: HistoryFormat | null = req.is(XLSX) ? 'xlsx' : req.is('text/csv') || req.is('text/plain') ? 'csv' : null;
    if (!format) throw new HttpError(415, 'unsupported_media_type', `send the file as text/csv or ${XLSX} (got ${req.get('content-type') || 'no Content-Type'})`);
    const q = req.query as Record<string, unknown>;
    const file = typeof q.file === 'string' ? q.file.trim() : '';
    if (!file || file.length > 200 || /[\u0000-\u001f]/.test(file)) throw new HttpError(400, 'invalid_input', 'file: name the source file (?file=credits-2023.xlsx), at most 200 characters');
    if (q.dryRun !== undefined && q.dryRun !== 'true' && q.dryRun !== 'false') throw new HttpError(400, 'invalid_input', 'dryRun: must be true or false');
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let records;
    try {
      records = await readHistoryFile(format, body);
    } catch (err) {
      if (err instanceof HistoryFileError) throw new HttpError(400, 'invalid_import', `nothing was imported: ${err.message}`);
      throw err;
    }
    const report = await importHistory(db, { events, tenantId: p.tenant.id, file, records, dryRun: q.dryRun === 'true', actor: `client/${p.key}`, now: clock() });
    if (report.ok || report.dryRun) return void res.json(report);
    // Nothing was written: the error names the first problems; the report says every line's.
    const wrong = report.lines.filter((l) => l.problems.length > 0);
    const shown = wrong.slice(0, 5).map((l) => `line ${l.line}, ${l.problems.map((p) => `${p.field}: ${p.message}`).join(', ')}`).join('; ');
    res.status(422).json({ error: { status: 422, code: 'invalid_import', message: `nothing was imported: ${wrong.length} line${wrong.length > 1 ? 's have' : ' has'} problems: ${shown}${wrong.length > 5 ? '; …' : ''}` }, ...report });
  });
  return router;
}
