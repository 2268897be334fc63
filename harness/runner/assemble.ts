/**
 * One run of either kind, NAT64 or DNS64: the selected cases against one
 * target through mocha, assembled into a RunResult of the one schema, so
 * results.json, junit.xml, the HTML report and the pcaps need not know which
 * kind of run they show.
 */
import { computeTotals } from '../results/totals';
import type { CaseResult, RunResult } from '../results/types';
import { caseKey } from './case';
import type { CheckedCase } from './check-recorder';
import { runWithMocha } from './mocha-run';
import type { MochaRunOptions } from './mocha-run';
import type { SelectOptions } from './select';

const VERSION: string = require('../../../package.json').version;

/** What a run needs of its target beyond the per-case function. */
export interface RunTarget {
  start?(): Promise<void>;
  describe(): Promise<RunResult['target']>;
}

export async function runSelected<D extends CheckedCase>(
  target: RunTarget,
  cases: D[],
  runOne: (def: D) => Promise<CaseResult>,
  opts: MochaRunOptions & SelectOptions,
): Promise<RunResult> {
  const startedAt = new Date();
  await target.start?.();
  const description = await target.describe();
  const results = await runWithMocha(cases, runOne, opts);
  // Mocha reports in definition order already; keep that order regardless of completion order.
  const order = new Map(cases.map((c, i) => [caseKey(c), i]));
  results.sort((a, b) => order.get(caseKey(a))! - order.get(caseKey(b))!);
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
