/**
 * The Authorization header for a credential: a launch token is sent as `Bearer`; a credential
 * that already names its scheme (cmi5's `Basic …` auth-token) is sent as it is.
 *
 * @example
 * authorization('abc'); // 'Bearer abc'
 * authorization('Basic bGF1bmNoOmFiYw=='); // 'Basic bGF1bmNoOmFiYw=='
 */
export function authorization(credential: string): string {
  return /^(basic|bearer)\s/i.test(credential) ? credential : `Bearer ${credential}`;
}
