import type { Express } from 'express';

/** One route of the app: `GET /api/v1/courses/:courseId`, or `USE /lti` for a handler mounted on a path. */
export interface RouteEntry {
  method: string;
  path: string;
}

interface Layer {
  route?: { path: string | RegExp | (string | RegExp)[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: string | RegExp | (string | RegExp)[];
  name?: string;
}

const text = (p: string | RegExp) => (typeof p === 'string' ? p : p.source);
const join = (prefix: string, p: string) => (p === '/' ? prefix || '/' : `${prefix}${p}`);

/**
 * Every route the app answers, read from its Express router stacks (mounts included), so a
 * route added anywhere shows up here. Handlers mounted on a path without routes of their own
 * (static files, LTI) are listed as `USE <path>`.
 *
 * @example
 * listRoutes(createApp(options)).map((r) => `${r.method} ${r.path}`); // ['GET /xapi/about', …]
 */
export function listRoutes(app: Express): RouteEntry[] {
  const out: RouteEntry[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      const paths = [layer.route?.path ?? layer.rawPath ?? '/'].flat().map(text);
      if (layer.route) {
        const methods = Object.keys(layer.route.methods).filter((m) => m !== '_all' && layer.route!.methods[m]);
        for (const p of paths) for (const m of methods) out.push({ method: m.toUpperCase(), path: join(prefix, p) });
      } else if (layer.handle?.stack) {
        for (const p of paths) walk(layer.handle.stack, p === '/' ? prefix : `${prefix}${p}`);
      } else if (paths.some((p) => p !== '/')) {
        for (const p of paths) out.push({ method: 'USE', path: join(prefix, p) });
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  const seen = new Set<string>();
  return out.filter((r) => !seen.has(`${r.method} ${r.path}`) && seen.add(`${r.method} ${r.path}`));
}
