/** An error answered by the xcredit server, or a response the client could not understand. */
export class XcreditError extends Error {
  override readonly name = 'XcreditError';
  constructor(
    /** HTTP status; 0 when the server could not be reached. */
    readonly status: number,
    /** Machine-readable code, e.g. `invalid_input`, `course_not_found`. */
    readonly code: string,
    message: string,
    /** Fields at fault, for `invalid_input`. */
    readonly issues: { path: string; message: string }[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
