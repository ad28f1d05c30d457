import { createHash } from 'node:crypto';
import type pg from 'pg';

/**
 * Most distinct query texts prepared; later ones run unnamed. Queries are built from a fixed set of
 * shapes (an IN list's length makes a shape), so this bounds each connection's prepared statements.
 */
export const MAX_PREPARED = 2000;

/**
 * Runs every parameterized query as a named prepared statement, so each connection parses and
 * plans a query once instead of at every call (PostgreSQL switches to a generic plan after five
 * executions when it is as good). Under load, planning was the largest share of the database's
 * CPU: the credit engine's timeline read costs more to plan than to run.
 *
 * Queries without parameters (migrations, `begin`, `commit`) keep the simple protocol, which
 * allows several statements in one text.
 */
export function preparedPool(pool: pg.Pool): pg.Pool {
  const names = new Map<string, string>();
  const nameOf = (text: string): string | undefined => {
    let name = names.get(text);
    if (name === undefined && names.size < MAX_PREPARED) {
      name = `xc_${createHash('sha1').update(text).digest('base64url')}`;
      names.set(text, name);
    }
    return name;
  };
  const connect = pool.connect.bind(pool) as () => Promise<pg.PoolClient>;
  return new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop !== 'connect') return Reflect.get(target, prop, receiver);
      return async () => {
        const client = await connect();
        const query = client.query.bind(client) as (...args: unknown[]) => unknown;
        return new Proxy(client, {
          get(c, p, r) {
            if (p !== 'query') return Reflect.get(c, p, r);
            return (text: unknown, values?: unknown[], ...rest: unknown[]) => {
              const name = typeof text === 'string' && Array.isArray(values) && values.length > 0 ? nameOf(text) : undefined;
              return name ? query({ name, text, values }, ...rest) : query(text, values, ...rest);
            };
          },
        });
      };
    },
  });
}
