import type { Reporter, TestModule } from 'vitest/node';

/**
 * Names the test files and tests that neither passed, failed nor were skipped when the run ended:
 * a test process that died ("Worker exited unexpectedly") leaves them so, and the default reporter
 * does not say which they were.
 */
const DONE = new Set(['passed', 'failed', 'skipped']);

export default class UnfinishedReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>) {
    const lines: string[] = [];
    for (const module of modules) {
      const unfinished = [...module.children.allTests()].filter((t) => !DONE.has(t.result().state));
      if (unfinished.length === 0 && DONE.has(module.state())) continue;
      lines.push(`  ${module.relativeModuleId} (${module.state()})`, ...unfinished.map((t) => `    ${t.fullName} (${t.result().state})`));
    }
    if (lines.length) console.error(`\n[xcredit] did not finish:\n${lines.join('\n')}\n`);
  }
}
