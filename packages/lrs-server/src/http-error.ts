import type { InputIssue } from '@xcredit/sdk/xapi';

/**
 * The one error a request handler throws to fail a request; the app's error handler turns it
 * into `{ error: { status, code, message, issues? } }`.
 *
 * @example
 * throw new HttpError(404, 'course_not_found', 'no course "intro-101" in this tenant');
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues?: InputIssue[],
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.headers = options?.headers;
  }
  readonly headers: Record<string, string> | undefined;
}

/** A 400 whose message lists the fields at fault, e.g. `statements[0].verb.id: must be an IRI`. */
export function invalidInput(issues: InputIssue[], what = 'invalid input'): HttpError {
  const shown = issues.slice(0, 5).map((i) => `${i.path}: ${i.message}`).join('; ');
  const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : '';
  return new HttpError(400, 'invalid_input', `${what}: ${shown}${more}`, issues);
}
