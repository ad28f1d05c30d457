import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two files at once even on two cores: much of a browser or server test is waiting (video
    // played in real time, child processes starting), and the other file uses that time.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // A test process that dies leaves its file unfinished; the second reporter names it.
    reporters: ['default', './test/support/unfinished-reporter.ts'],
  },
});
