import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { pino, type Level, type Logger } from 'pino';
import { pinoHttp } from 'pino-http';

export type LogLevel = Level | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** The process's logger: one JSON object per line on stdout. */
export function createLogger(level: LogLevel): Logger {
  return pino({ level, base: { service: 'xcredit' } });
}

/**
 * One log line per request when its answer is sent: method, path, status, time taken and the
 * request id (`X-Request-Id`, set by `assignRequestId` before this runs). No query string, header
 * or body is logged: they carry launch tokens, keys and learners' data.
 */
export function requestLog(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    genReqId: (req) => (req as IncomingMessage & { requestId?: string }).requestId ?? '-',
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    serializers: {
      req: (req: IncomingMessage & { id?: unknown }) => ({ id: req.id, method: req.method, path: (req.url ?? '').split('?')[0] }),
      res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
    },
  }) as unknown as RequestHandler;
}
