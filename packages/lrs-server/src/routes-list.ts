import type { Express } from 'express';

/** One route an Express app answers: its method and its path, with `:name` parameters. */
export interface RouteEntry {
  method: string;
  path: string;
}

interface Layer {
  rawPath?: unknown;
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/**
 * Every route an app answers, walked from its router stack (mounted routers included). Routes
 * whose path is a regular expression are listed by its source.
 */
export function listRoutes(app: Express): RouteEntry[] {
  const out: RouteEntry[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const path = layer.route.path instanceof RegExp ? `${prefix}${layer.route.path.source}` : `${prefix}${String(layer.route.path)}`;
        for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== '_all') out.push({ method, path });
      } else if (layer.handle?.stack) {
        const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
        walk(layer.handle.stack, `${prefix}${mount}`);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return out;
}
