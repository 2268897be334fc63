/**
 * Runs cases through mocha, for the NAT64 and the DNS64 runner alike: mocha
 * gives the scheduling, per-case timeouts and progress reporting; each mocha
 * test runs one case with the runner's per-case function and keeps its
 * CaseResult. A case with failing checks fails its mocha test (so progress
 * shows it), a na case is pending.
 */
import Mocha from 'mocha';
import { caseKey } from './case';
import { unfinishedCase } from './case-lifecycle';
import type { CheckedCase } from './check-recorder';
import type { CaseResult } from '../results/types';

export interface MochaRunOptions {
  /** Per-case timeout in ms (a real target may need more). */
  timeoutMs?: number;
  /** Progress lines go here (stderr by default); null for silence. */
  progress?: ((line: string) => void) | null;
}

const DEFAULT_TIMEOUT_MS = 60_000;

function progressReporter(write: ((line: string) => void) | null) {
  return class ProgressReporter extends Mocha.reporters.Base {
    constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
      super(runner, options);
      if (!write) return;
      let n = 0;
      runner.on('suite', (s: Mocha.Suite) => {
        if (s.title) write(`\n${s.title}`);
      });
      runner.on('pass', (t: Mocha.Test) => write(`  ✓ ${String(++n).padStart(4)} ${t.title}`));
      runner.on('pending', (t: Mocha.Test) => write(`  - ${String(++n).padStart(4)} ${t.title}`));
      runner.on('fail', (t: Mocha.Test, err: Error) => write(`  ✗ ${String(++n).padStart(4)} ${t.title}\n         ${err.message}`));
    }
  };
}

/**
 * Every case through `runOne`, one mocha test each, grouped by suite in the
 * order given. Every case has a result at the end, in completion order.
 */
export async function runWithMocha<D extends CheckedCase>(cases: D[], runOne: (def: D) => Promise<CaseResult>, opts: MochaRunOptions = {}): Promise<CaseResult[]> {
  const write = opts.progress === undefined ? (l: string) => process.stderr.write(l + '\n') : opts.progress;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const mocha = new Mocha({ reporter: progressReporter(write), timeout: timeoutMs });
  const results: CaseResult[] = [];
  let finished = false;
  const bySuite = new Map<string, Mocha.Suite>();
  for (const def of cases) {
    let suite = bySuite.get(def.suite);
    if (!suite) {
      suite = Mocha.Suite.create(mocha.suite, def.suite);
      bySuite.set(def.suite, suite);
    }
    suite.addTest(
      new Mocha.Test(`${caseKey(def)} — ${def.title}`, async function (this: Mocha.Context) {
        const r = await runOne(def);
        if (finished) return; // timed out earlier; its result is already recorded as unfinished
        results.push(r);
        if (r.verdict === 'na' || r.verdict === 'skip') this.skip();
        const failed = r.checks.filter((c) => c.verdict === 'fail' || c.verdict === 'error');
        if (failed.length) {
          throw new Error(failed.map((c) => `[${c.score}] ${c.requirement}: ${c.detail}`).join('\n         '));
        }
      }),
    );
  }
  await new Promise<void>((resolve) => mocha.run(() => resolve()));
  finished = true;
  // The runner keeps its process-wide uncaughtException/unhandledRejection listeners until disposed.
  mocha.dispose();
  // A case that never finished (mocha's per-case timeout) still gets a result, so no case silently drops out.
  const done = new Set(results.map((r) => caseKey(r)));
  for (const def of cases) if (!done.has(caseKey(def))) results.push(unfinishedCase(def, timeoutMs));
  return results;
}
