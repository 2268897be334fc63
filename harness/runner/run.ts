/** One run: the selected cases against one target, assembled into a RunResult. */
import { allCases } from '../../suites';
import type { Target } from '../lab/target';
import type { RunResult } from '../results/types';
import { runSelected } from './assemble';
import type { MochaRunOptions } from './mocha-run';
import { runCase } from './run-case';
import type { RunCaseOptions } from './run-case';
import { selectCases } from './select';
import type { SelectOptions } from './select';

export interface RunOptions extends RunCaseOptions, MochaRunOptions, SelectOptions {}

export async function runTarget(target: Target, opts: RunOptions = {}): Promise<RunResult> {
  const cases = selectCases(allCases(), opts);
  return runSelected(target, cases, (def) => runCase(def, target, opts), opts);
}
