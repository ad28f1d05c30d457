import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { rollup, type RollupOptions } from 'rollup';
import { beforeAll, describe, expect, it } from 'vitest';

// The player bundles @xcredit/sdk, whose contracts also hold zod schemas for the server and the
// SDK client. The player reaches them only by the zod-free subpaths (`@xcredit/sdk/contracts/wire`)
// and the sdk declares `"sideEffects": false`, so zod must never reach the player's bundle —
// pinned here as zod pins its own tree-shaking (packages/treeshake).

const pkg = fileURLToPath(new URL('../', import.meta.url));
const ZOD_MODULE = /[\\/]node_modules[\\/](\.pnpm[\\/]zod@[^\\/]+[\\/]node_modules[\\/])?zod[\\/]/;
// lit and video.js are left out to keep the bundle quick; zod could only arrive through the sdk.
const external = (id: string) => /^(@lit\/[^\\/]+|lit|lit-html|lit-element|video\.js)([\\/]|$)/.test(id);

let inputOptions: (o: { external: RollupOptions['external'] }) => RollupOptions;

/** The modules and code of a bundle built exactly as the player's, from `input` (code placed in the player's build folder). */
async function bundle(input?: string): Promise<{ modules: string[]; code: string }> {
  const options = inputOptions({ external });
  if (input !== undefined) {
    const probe = `${pkg}build/zod-probe.js`;
    options.input = probe;
    const plugins = Array.isArray(options.plugins) ? options.plugins : [];
    options.plugins = [{ name: 'probe', resolveId: (id: string) => (id === probe ? id : null), load: (id: string) => (id === probe ? input : null) }, ...plugins];
  }
  const build = await rollup(options);
  const { output } = await build.generate({ format: 'es' });
  await build.close();
  return { modules: output.flatMap((c) => ('modules' in c ? Object.keys(c.modules) : [])), code: output.map((c) => ('code' in c ? c.code : '')).join('\n') };
}

const zodIn = (b: { modules: string[]; code: string }) => b.modules.filter((id) => ZOD_MODULE.test(id)).length > 0 || /\b_zod\b|ZodError/.test(b.code);

describe("the player's bundle", () => {
  beforeAll(async () => {
    if (!existsSync(`${pkg}build/index.js`) || !existsSync(`${pkg}../sdk/dist/contracts/wire.js`)) throw new Error('build the sdk and the player first (pnpm build)');
    ({ inputOptions } = await import(`${pkg}rollup.config.mjs`));
  });

  it('carries the launch contract and the error parser, and no zod', async () => {
    const player = await bundle();
    expect(player.modules.some((id) => /[\\/]sdk[\\/]dist[\\/]contracts[\\/]wire\.js$/.test(id))).toBe(true);
    expect(player.code).toContain('function parsePlayerLaunch(');
    expect(player.modules.filter((id) => ZOD_MODULE.test(id))).toEqual([]);
    expect(zodIn(player)).toBe(false);
  });

  it('would notice zod if a player module imported the zod contracts', async () => {
    const leaky = await bundle(`import { playerLaunchSchema } from '@xcredit/sdk/contracts';\nexport const check = (v) => playerLaunchSchema.safeParse(v).success;\n`);
    expect(leaky.modules.filter((id) => ZOD_MODULE.test(id)).length).toBeGreaterThan(0);
    expect(zodIn(leaky)).toBe(true);
  });

  it("leaves out video.js's SVG icon sprite, and says so when video.js no longer has it where expected", async () => {
    const { dropSvgSprite } = (await import(`${pkg}rollup.config.mjs`)) as { dropSvgSprite: () => { transform(this: { error(m: string): never }, code: string, id: string): { code: string } | null } };
    const id = createRequire(`${pkg}package.json`).resolve('video.js/core.es.js');
    const core = readFileSync(id, 'utf8');
    expect(core).toContain('<symbol');
    const ctx = { error: (m: string): never => { throw new Error(m); } };
    const out = dropSvgSprite().transform.call(ctx, core, id);
    expect(out?.code).not.toContain('<symbol');
    expect(out?.code).toContain('var icons = "";');
    expect(out!.code.length).toBeLessThan(core.length - 10_000);
    expect(() => dropSvgSprite().transform.call(ctx, 'var icons = 1;', id)).toThrow(/no SVG sprite/);
  });

  it('defines every custom element the player declares (a side-effect import must survive tree-shaking)', async () => {
    const { readdirSync } = await import('node:fs');
    const declared = readdirSync(`${pkg}src`)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .flatMap((f) => [...readFileSync(`${pkg}src/${f}`, 'utf8').matchAll(/customElements\.define\('([a-z-]+)'/g)].map((m) => m[1]!));
    expect(declared).toContain('xcredit-question');
    const { code } = await bundle();
    for (const name of declared) expect(code, name).toMatch(new RegExp(`customElements\\.define\\(["']${name}["']`));
  });
});
