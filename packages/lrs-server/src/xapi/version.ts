import type { NextFunction, Request, Response } from 'express';
import { HttpError } from '../http-error.js';

export const SUPPORTED_VERSIONS = ['2.0.0', '1.0.3'] as const;
export type XapiVersion = (typeof SUPPORTED_VERSIONS)[number];

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      xapiVersion?: XapiVersion;
    }
  }
}

/** Requires `X-Experience-API-Version` (1.0.x or 2.0.x) and answers in the matching version. */
export function xapiVersion(req: Request, res: Response, next: NextFunction) {
  const asked = req.get('x-experience-api-version');
  const version = asked === undefined ? undefined : /^2\.0(\.\d+)?$/.test(asked) ? '2.0.0' : /^1\.0(\.\d+)?$/.test(asked) ? '1.0.3' : undefined;
  res.set('X-Experience-API-Version', version ?? '2.0.0');
  if (!version) {
    throw new HttpError(
      400,
      'unsupported_version',
      asked === undefined
        ? 'missing X-Experience-API-Version header; send 1.0.3 or 2.0.0'
        : `X-Experience-API-Version "${asked}" is not supported; send 1.0.3 or 2.0.0`,
    );
  }
  req.xapiVersion = version;
  next();
}
