import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { capabilityOf, collapse, describeCycle, fileGraph, findCycles, type Graph } from './support/import-graph.js';

const root = fileURLToPath(new URL('..', import.meta.url));

const graphOf = (edges: Record<string, string[]>): Graph => new Map(Object.entries(edges).map(([from, to]) => [from, new Map(to.map((t) => [t, `${from} imports ${t}`]))]));

describe('the cycle finder', () => {
  it('finds no cycle in a graph that has none', () => {
    expect(findCycles(graphOf({ a: ['b', 'c'], b: ['c'], c: [] }))).toEqual([]);
  });

  it('reports each cycle as the path that closes it, with the import behind each step', () => {
    const g = graphOf({ ledger: ['alerts'], alerts: ['targets'], targets: ['engagement'], engagement: ['ledger', 'evidence'], evidence: [], launch: ['roster'], roster: ['launch'] });
    const cycles = findCycles(g);
    expect(cycles).toEqual([
      ['alerts', 'targets', 'engagement', 'ledger', 'alerts'],
      ['launch', 'roster', 'launch'],
    ]);
    expect(describeCycle(g, cycles[1]!)).toBe('launch → roster → launch\n    launch imports roster\n    roster imports launch');
  });

  it('finds a file importing itself and a cycle reached only through a long path', () => {
    expect(findCycles(graphOf({ a: ['a'] }))).toEqual([['a', 'a']]);
    const chain = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`n${i}`, [`n${(i + 1) % 5000}`]]));
    expect(findCycles(graphOf(chain))[0]).toHaveLength(5001);
  });

  it('groups files by capability folder, a file directly in src being its own node', () => {
    expect(capabilityOf('packages/lrs-server/src/credits/ledger.ts')).toBe('lrs-server/credits');
    expect(capabilityOf('packages/lrs-server/src/web/admin/routes.ts')).toBe('lrs-server/web');
    expect(capabilityOf('packages/lrs-server/src/app.ts')).toBe('lrs-server/app');
    const folders = collapse(graphOf({ 'packages/p/src/a/x.ts': ['packages/p/src/b/y.ts'], 'packages/p/src/b/y.ts': ['packages/p/src/a/z.ts'], 'packages/p/src/a/z.ts': [] }), capabilityOf);
    expect(findCycles(folders)).toEqual([['p/a', 'p/b', 'p/a']]);
  });
});

describe('the import graph of every package', () => {
  const files = fileGraph(root);

  it('is read from the real sources', () => {
    expect(files.get('packages/lrs-server/src/app.ts')?.has('packages/lrs-server/src/xapi/router.ts')).toBe(true);
    expect(files.get('packages/lrs-server/src/credits/engagement.ts')?.has('packages/sdk/src/engagement/index.ts')).toBe(true);
  });

  it('has no cycle between capability folders', () => {
    const folders = collapse(files, capabilityOf);
    expect(findCycles(folders).map((c) => describeCycle(folders, c))).toEqual([]);
  });

  it('has no cycle between files', () => {
    expect(findCycles(files).map((c) => describeCycle(files, c))).toEqual([]);
  });
});
