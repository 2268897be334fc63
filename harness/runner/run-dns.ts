/**
 * One DNS64 run: the selected DNS64 cases against one DNS64 target, through
 * mocha as the NAT64 runs are (scheduling, per-case timeouts, the same
 * progress lines), assembled into a RunResult of the same schema, so
 * results.json, junit.xml, the HTML report and the pcaps work unchanged.
 */
import { allDnsCases } from '../../suites/dns-index';
import type { Dns64Target } from '../dns/types';
import type { RunResult } from '../results/types';
import { runSelected } from './assemble';
import type { DnsCaseDef } from './dns-case';
import type { MochaRunOptions } from './mocha-run';
import { runDnsCase } from './run-dns-case';
import type { RunDnsCaseOptions } from './run-dns-case';
import { selectCases } from './select';
import type { SelectOptions } from './select';

export interface RunDnsOptions extends RunDnsCaseOptions, MochaRunOptions, SelectOptions {
  /** The cases to choose from; default every DNS64 case. */
  cases?: DnsCaseDef[];
}

export async function runDns64(target: Dns64Target, opts: RunDnsOptions = {}): Promise<RunResult> {
  const cases = selectCases(opts.cases ?? allDnsCases(), opts);
  return runSelected(target, cases, (def) => runDnsCase(def, target, opts), opts);
}
