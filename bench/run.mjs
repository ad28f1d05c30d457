#!/usr/bin/env node
// Runs every bench/*.bench.mjs in turn. Each prints ratios measured in the same run.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv[2];
for (const file of readdirSync(dir).filter((f) => f.endsWith('.bench.mjs') && (!only || f.includes(only))).sort()) {
  console.log(`\n## ${file}`);
  await import(new URL(file, import.meta.url).href);
}
