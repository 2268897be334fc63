/**
 * Runs cases through mocha: mocha gives the scheduling, per-case timeouts,
 * grep and progress reporting; each mocha test runs one case with runCase
 * and keeps its CaseResult. A case with failing checks fails its mocha test
 * (so progress shows it), a na case is pending.
 */
import Mocha from 'mocha';
import { caseKey } from './case';
import type { CaseDef } from './case';
import { runCase } from './run-case';
import type { RunCaseOptions } from './run-case';
import type { Target } from '../lab/target';
import type { CaseResult } from '../results/types';

export interface MochaRunOptions extends RunCaseOptions {
  /** Per-case timeout in ms (a real target may need more). */
  timeoutMs?: number;
  /** Progress lines go here (stderr by default); null for silence. */
  progress?: ((line: string) => void) | null;
}

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

export async function runWithMocha(cases: CaseDef[], target: Target, opts: MochaRunOptions = {}): Promise<CaseResult[]> {
  const write = opts.progress === undefined ? (l: string) => process.stderr.write(l + '\n') : opts.progress;
  const mocha = new Mocha({ reporter: progressReporter(write), timeout: opts.timeoutMs ?? 60_000 });
  const results: CaseResult[] = [];
  const bySuite = new Map<string, Mocha.Suite>();
  for (const def of cases) {
    let suite = bySuite.get(def.suite);
    if (!suite) {
      suite = Mocha.Suite.create(mocha.suite, def.suite);
      bySuite.set(def.suite, suite);
    }
    suite.addTest(
      new Mocha.Test(`${caseKey(def)} — ${def.title}`, async function (this: Mocha.Context) {
        const r = await runCase(def, target, opts);
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
  return results;
}
