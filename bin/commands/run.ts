/** `nat64lab run`: run the conformance suites against a target and write results, JUnit, report and pcaps. */
import * as path from 'path';
import { ConfigError } from '../../engine/config';
import { writeRun } from '../../harness/results/write';
import { MUST_LEVELS, SHOULD_LEVELS, passRate } from '../../harness/results/totals';
import type { RunResult } from '../../harness/results/types';
import { runTarget } from '../../harness/runner/run';
import { SelectionError } from '../../harness/runner/select';
import { UnknownTargetError, makeTarget } from '../../harness/targets';
import { list, parseOptions } from './args';
import { UsageError } from './usage-error';

export const RUN_HELP = [
  '  --target NAME   target to test (default: engine, the own NAT64 in-process)',
  '  --suite A,B     only these suites',
  '  --grep TEXT     only cases whose "suite/id title" contains TEXT',
  '  --out DIR       output folder (default: out/<target>)',
  '  --fault A,B     switch on named engine faults (engine target only), to see cases fail',
  '  --quiet         no per-case progress',
  '  --soak          the soak tier: timer cases on targets without a controllable clock wait in real time',
  '                  (minutes to hours); without it they are na when they need more than 10 s',
  'Writes DIR/results.json, DIR/junit.xml, DIR/index.html and DIR/pcap/<case>.pcap.',
  'Exit status: 0 when no MUST requirement failed, 1 when any did, 2 on bad input.',
].join('\n');

export function summaryLine(run: RunResult): string {
  const t = run.totals;
  const must = passRate(t, MUST_LEVELS);
  const should = passRate(t, SHOULD_LEVELS);
  const verdict = must.fail ? `FAIL (${must.fail} MUST failures)` : 'PASS';
  return (
    `${run.target.name}: ${run.cases.length} cases, ${Object.values(t.byVerdict).reduce((a, b) => a + b, 0)} checks — ` +
    `MUST ${must.pass}/${must.pass + must.fail}, SHOULD ${should.pass}/${should.pass + should.fail} (${should.fail} warnings), ` +
    `MAY ${t.byScore.behaviour} behaviours, na ${t.byVerdict.na}, error ${t.byVerdict.error} → ${verdict}`
  );
}

export async function runCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(
    args,
    {
      target: { type: 'string' },
      suite: { type: 'string' },
      grep: { type: 'string' },
      out: { type: 'string' },
      fault: { type: 'string' },
      quiet: { type: 'boolean' },
      soak: { type: 'boolean' },
    },
    'run',
  );
  if (positionals.length) throw new UsageError(`run: unexpected argument "${positionals[0]}"; see 'nat64lab run --help'`);
  const targetName = (values.target as string | undefined) ?? 'engine';
  const faults = list(values.fault as string | undefined);
  if (faults?.length && targetName !== 'engine') throw new UsageError('run: --fault applies to the engine target only');
  try {
    const target = makeTarget(targetName, { faults });
    const out = path.resolve((values.out as string | undefined) ?? path.join('out', targetName));
    let run: RunResult;
    try {
      run = await runTarget(target, {
        suites: list(values.suite as string | undefined),
        grep: values.grep as string | undefined,
        progress: values.quiet ? null : undefined,
        soak: values.soak === true,
      });
    } finally {
      await target.shutdown();
    }
    const files = writeRun(run, out);
    process.stdout.write(`${summaryLine(run)}\nreport: ${files.html}\nresults: ${files.json}\njunit: ${files.junit}\n`);
    return passRate(run.totals, MUST_LEVELS).fail > 0 ? 1 : 0;
  } catch (err) {
    if (err instanceof UnknownTargetError || err instanceof SelectionError || err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}
