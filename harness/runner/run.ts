/** One run: the selected cases against one target, assembled into a RunResult. */
import { allCases } from '../../suites';
import type { Target } from '../lab/target';
import { computeTotals } from '../results/totals';
import type { RunResult } from '../results/types';
import { runWithMocha } from './mocha-run';
import type { MochaRunOptions } from './mocha-run';
import { selectCases } from './select';

const VERSION: string = require('../../../package.json').version;

export interface RunOptions extends MochaRunOptions {
  suites?: string[];
  grep?: string;
}

export async function runTarget(target: Target, opts: RunOptions = {}): Promise<RunResult> {
  const cases = selectCases(allCases(), opts);
  const startedAt = new Date();
  const description = await target.describe();
  const results = await runWithMocha(cases, target, opts);
  // Mocha reports in definition order already; keep that order regardless of completion order.
  const order = new Map(cases.map((c, i) => [`${c.suite}/${c.id}`, i]));
  results.sort((a, b) => order.get(`${a.suite}/${a.id}`)! - order.get(`${b.suite}/${b.id}`)!);
  return {
    schema: 'nat64lab-results/1',
    tool: { name: 'nat64lab', version: VERSION },
    target: description,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    filter: { suites: opts.suites, grep: opts.grep },
    cases: results,
    totals: computeTotals(results),
  };
}
