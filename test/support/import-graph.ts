import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** A directed graph: node → the nodes it imports, each with one import that makes the edge (for messages). */
export type Graph = Map<string, Map<string, string>>;

/** Every `.ts` file under `dir` (no tests, no declarations): the code a package ships. */
function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts') && !name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

/** `./x.js` or `./x` from `from` → the `.ts` file it names, or undefined when it is not one of ours. */
function resolveRelative(from: string, specifier: string): string | undefined {
  const base = resolve(dirname(from), specifier.replace(/\.js$/, ''));
  return [`${base}.ts`, join(base, 'index.ts')].find((p) => existsSync(p));
}

/** `@xcredit/sdk/engagement` → packages/sdk/src/engagement/index.ts, through the package's exports (dist → src). */
function resolvePackage(root: string, specifier: string): string | undefined {
  const m = /^@xcredit\/([^/]+)(\/.*)?$/.exec(specifier);
  if (!m) return undefined;
  const pkgDir = join(root, 'packages', m[1]!);
  if (!existsSync(join(pkgDir, 'package.json'))) return undefined;
  const exports = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).exports?.[`.${m[2] ?? ''}`];
  const target: unknown = typeof exports === 'string' ? exports : (exports?.types ?? exports?.default);
  if (typeof target !== 'string') return undefined;
  const src = join(pkgDir, target.replace(/^\.\/dist\/(types\/)?/, 'src/').replace(/(\.d)?\.(ts|js)$/, '.ts'));
  return existsSync(src) ? src : undefined;
}

/**
 * The file-level import graph of every package's src (paths relative to `root`): static imports,
 * re-exports, type-only imports and dynamic `import()`, read with the TypeScript compiler's own
 * pre-processor, so comments and strings never count as imports.
 */
export function fileGraph(root: string): Graph {
  const graph: Graph = new Map();
  for (const pkg of readdirSync(join(root, 'packages'))) {
    const src = join(root, 'packages', pkg, 'src');
    if (!existsSync(src)) continue;
    for (const file of sourceFiles(src)) {
      const edges = new Map<string, string>();
      for (const { fileName } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
        const target = fileName.startsWith('.') ? resolveRelative(file, fileName) : resolvePackage(root, fileName);
        if (target) edges.set(relative(root, target), `${relative(root, file)} imports '${fileName}'`);
      }
      graph.set(relative(root, file), edges);
    }
  }
  return graph;
}

/**
 * The capability a file belongs to: its top-level folder under its package's src
 * (`packages/lrs-server/src/credits/ledger.ts` → `lrs-server/credits`); a file directly in src
 * is its own node.
 */
export function capabilityOf(file: string): string {
  const [, pkg, , first, ...rest] = file.split(/[\\/]/);
  return rest.length ? `${pkg}/${first}` : `${pkg}/${first}`.replace(/\.ts$/, '');
}

/** The graph between groups of nodes (`group` names each node's group); edges inside a group vanish. */
export function collapse(graph: Graph, group: (node: string) => string): Graph {
  const out: Graph = new Map();
  for (const [from, edges] of graph) {
    const g = group(from);
    if (!out.has(g)) out.set(g, new Map());
    for (const [to, why] of edges) {
      const h = group(to);
      if (h !== g && !out.get(g)!.has(h)) out.get(g)!.set(h, why);
    }
  }
  return out;
}

/**
 * One cycle per strongly connected component of more than one node (or a node importing
 * itself), as the path that closes it: `[a, b, c, a]`. Empty when the graph is acyclic.
 */
export function findCycles(graph: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let next = 0;
  const targets = (n: string) => [...(graph.get(n)?.keys() ?? [])];
  // Tarjan's algorithm, iterative so a deep graph cannot overflow the call stack.
  for (const start of [...graph.keys()].sort()) {
    if (index.has(start)) continue;
    const work: { node: string; i: number }[] = [{ node: start, i: 0 }];
    index.set(start, next);
    low.set(start, next++);
    stack.push(start);
    onStack.add(start);
    while (work.length) {
      const top = work[work.length - 1]!;
      const out = targets(top.node);
      if (top.i < out.length) {
        const to = out[top.i++]!;
        if (!index.has(to)) {
          index.set(to, next);
          low.set(to, next++);
          stack.push(to);
          onStack.add(to);
          work.push({ node: to, i: 0 });
        } else if (onStack.has(to)) low.set(top.node, Math.min(low.get(top.node)!, index.get(to)!));
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1]!.node;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.node)!));
      }
      if (low.get(top.node) === index.get(top.node)) {
        const component: string[] = [];
        let n: string;
        do {
          n = stack.pop()!;
          onStack.delete(n);
          component.push(n);
        } while (n !== top.node);
        if (component.length > 1 || graph.get(top.node)?.has(top.node)) components.push(component.sort());
      }
    }
  }
  return components.map((c) => shortestCycle(graph, new Set(c), c[0]!));
}

/** The shortest path from `start` back to itself inside one component (breadth first). */
function shortestCycle(graph: Graph, component: Set<string>, start: string): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const n = queue.shift()!;
    for (const to of [...(graph.get(n)?.keys() ?? [])].sort()) {
      if (!component.has(to)) continue;
      if (to === start) {
        const path = [n];
        while (path[0] !== start) path.unshift(previous.get(path[0]!)!);
        return [...path, start];
      }
      if (!previous.has(to)) {
        previous.set(to, n);
        queue.push(to);
      }
    }
  }
  return [start, start];
}

/** A cycle for people: the path, then the import that makes each step. */
export function describeCycle(graph: Graph, cycle: string[]): string {
  const steps = cycle.slice(1).map((to, i) => `    ${graph.get(cycle[i]!)?.get(to) ?? '?'}`);
  return [cycle.join(' → '), ...steps].join('\n');
}
