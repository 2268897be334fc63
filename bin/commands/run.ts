/** `nat64lab run`: run the conformance suites against a target and write results, JUnit, report and pcaps. */
import * as path from 'path';
import { ConfigError } from '../../engine/config';
import { writeRun } from '../../harness/results/write';
import { MUST_LEVELS, SHOULD_LEVELS, passRate } from '../../harness/results/totals';
import type { RunResult } from '../../harness/results/types';
import { runTarget } from '../../harness/runner/run';
import type { RunOptions } from '../../harness/runner/run';
import { runEach, runMany, targetDirs } from '../../harness/runner/run-many';
import { runDns64 } from '../../harness/runner/run-dns';
import { DNS64_TARGET_NAMES, UnknownDns64TargetError, makeDns64Target } from '../../harness/dns-targets';
import { LabUnavailable } from '../../harness/lab/netns';
import { SelectionError } from '../../harness/runner/select';
import { CompareInputError } from '../../harness/compare/load';
import { TARGET_NAMES, UnknownTargetError, makeTarget } from '../../harness/targets';
import { list, parseOptions } from './args';
import { UsageError } from './usage-error';

export const RUN_HELP = [
  '  --target NAME   target to test (default: engine, the own NAT64 in-process);',
  '                  several, comma-separated (a,b): each in turn into DIR/<target>/, then their',
  '                  comparison into DIR/compare/ (DIR defaults to out)',
  '  --dns64 NAME    run the DNS64 suites against a DNS64 server instead: own (in-process), own-daemon,',
  '                  bind, unbound, pdns, knot; several, comma-separated, are compared as with --target',
  '                  (default DIR: out/dns64-<name>, with several: out/dns64)',
  '  --suite A,B     only these suites',
  '  --grep TEXT     only cases whose "suite/id title" contains TEXT',
  '  --out DIR       output folder (default: out/<target>; with several targets: out)',
  '  --fault A,B     switch on named engine faults (engine target only), to see cases fail',
  '  --case-timeout S  seconds one case may take before it is an error (default 60; slow devices need more)',
  '  --quiet         no per-case progress',
  '  --soak          the soak tier: timer cases on targets without a controllable clock wait in real time',
  '                  (minutes to hours); without it they are na when they need more than 10 s',
  'Writes DIR/results.json, DIR/junit.xml, DIR/index.html and DIR/pcap/<case>.pcap.',
  'Exit status: 0 when no MUST requirement failed and no case hit a harness error (on any target),',
  '1 when one did, 2 on bad input (including a lab this machine cannot build: not root, a package missing).',
].join('\n');

export function summaryLine(run: RunResult): string {
  const t = run.totals;
  const must = passRate(t, MUST_LEVELS);
  const should = passRate(t, SHOULD_LEVELS);
  // A harness error means requirements went unchecked: such a run is not a pass, whatever else it shows.
  const verdict = must.fail ? `FAIL (${must.fail} MUST failures)` : t.byVerdict.error ? `INCOMPLETE (${t.byVerdict.error} harness errors)` : 'PASS';
  return (
    `${run.target.name}: ${run.cases.length} cases, ${Object.values(t.byVerdict).reduce((a, b) => a + b, 0)} checks — ` +
    `MUST ${must.pass}/${must.pass + must.fail}, SHOULD ${should.pass}/${should.pass + should.fail} (${should.fail} warnings), ` +
    `MAY ${t.byScore.behaviour} behaviours, na ${t.byVerdict.na}, error ${t.byVerdict.error} → ${verdict}`
  );
}

function caseTimeout(values: Record<string, unknown>): number | undefined {
  const v = values['case-timeout'] as string | undefined;
  if (v === undefined) return undefined;
  const s = Number(v);
  if (!Number.isFinite(s) || s <= 0) throw new UsageError(`run: --case-timeout: "${v}" is not a positive number of seconds`);
  return s * 1000;
}

/** Exit status 1: a MUST failed, or a harness error left requirements unchecked. */
function failed(run: RunResult): boolean {
  return passRate(run.totals, MUST_LEVELS).fail > 0 || run.totals.byVerdict.error > 0;
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
      dns64: { type: 'string' },
      'case-timeout': { type: 'string' },
      quiet: { type: 'boolean' },
      soak: { type: 'boolean' },
    },
    'run',
  );
  if (positionals.length) throw new UsageError(`run: unexpected argument "${positionals[0]}"; see 'nat64lab run --help'`);
  const dns64 = list(values.dns64 as string | undefined);
  if (dns64 !== undefined) {
    if (values.target !== undefined) throw new UsageError('run: give either --target (NAT64) or --dns64 (DNS64), not both; run them one after the other');
    return runDns64Command(dns64, values);
  }
  const names = list(values.target as string | undefined) ?? ['engine'];
  if (!names.length) throw new UsageError("run: --target needs a target name, e.g. --target engine; see 'nat64lab run --help'");
  const faults = list(values.fault as string | undefined);
  if (faults?.length && names.length > 1) {
    throw new UsageError("run: --fault applies to a single engine target; run the faulted engine on its own and put the runs side by side with 'nat64lab compare'");
  }
  if (faults?.length && !names[0].startsWith('engine')) throw new UsageError('run: --fault applies to the engine targets only');
  const runOpts: RunOptions = {
    timeoutMs: caseTimeout(values),
    suites: list(values.suite as string | undefined),
    grep: values.grep as string | undefined,
    progress: values.quiet ? null : undefined,
    soak: values.soak === true,
  };
  try {
    if (names.length > 1) return await runSeveral(names, values.out as string | undefined, runOpts);
    const targetName = names[0];
    const target = makeTarget(targetName, { faults });
    const out = path.resolve((values.out as string | undefined) ?? path.join('out', targetDirs([targetName])[0]));
    let run: RunResult;
    try {
      run = await runTarget(target, runOpts);
    } finally {
      await target.shutdown();
    }
    const files = writeRun(run, out);
    process.stdout.write(`${summaryLine(run)}\nreport: ${files.html}\nresults: ${files.json}\njunit: ${files.junit}\n`);
    return failed(run) ? 1 : 0;
  } catch (err) {
    if (err instanceof UnknownTargetError || err instanceof SelectionError || err instanceof ConfigError) throw new UsageError(err.message);
    if (err instanceof CompareInputError) throw new UsageError(`run: ${err.message}`);
    if (err instanceof LabUnavailable) throw new UsageError(err.message);
    throw err;
  }
}

/** `--dns64 a,b`: the DNS64 suites against DNS64 servers; several are compared as NAT64 targets are. */
async function runDns64Command(names: string[], values: Record<string, unknown>): Promise<number> {
  if (!names.length) throw new UsageError(`run: --dns64 needs a server name; known: ${DNS64_TARGET_NAMES.join(', ')}`);
  const unknown = names.find((n) => !DNS64_TARGET_NAMES.includes(n));
  if (unknown !== undefined) throw new UsageError(`run: --dns64: unknown DNS64 target "${unknown}"; known: ${DNS64_TARGET_NAMES.join(', ')}`);
  const faults = list(values.fault as string | undefined);
  if (faults?.length && names.length > 1) throw new UsageError('run: --fault applies to a single own DNS64 run');
  const opts = {
    timeoutMs: caseTimeout(values),
    suites: list(values.suite as string | undefined),
    grep: values.grep as string | undefined,
    progress: values.quiet ? null : undefined,
    soak: values.soak === true,
  };
  const runOne = async (name: string): Promise<RunResult> => {
    const target = makeDns64Target(name, { faults });
    try {
      return await runDns64(target, opts);
    } finally {
      await target.shutdown();
    }
  };
  try {
    if (names.length === 1) {
      const run = await runOne(names[0]);
      const files = writeRun(run, path.resolve((values.out as string | undefined) ?? path.join('out', `dns64-${names[0]}`)));
      process.stdout.write(`${summaryLine(run)}\nreport: ${files.html}\nresults: ${files.json}\njunit: ${files.junit}\n`);
      return failed(run) ? 1 : 0;
    }
    const out = path.resolve((values.out as string | undefined) ?? path.join('out', 'dns64'));
    const { runs, comparison } = await runEach(names, out, (r) => process.stdout.write(`${summaryLine(r.run)}\nreport: ${r.files.html}\n`), runOne);
    process.stdout.write(`comparison (${comparison.comparison.differing} requirement rows differ): ${comparison.html}\n`);
    return runs.some((r) => failed(r.run)) ? 1 : 0;
  } catch (err) {
    if (err instanceof UnknownDns64TargetError || err instanceof SelectionError || err instanceof LabUnavailable) throw new UsageError(err.message);
    throw err;
  }
}

/** `--target a,b,…`: every target in turn, then the comparison; 1 when any target has a MUST failure. */
async function runSeveral(names: string[], outArg: string | undefined, runOpts: RunOptions): Promise<number> {
  // Every name is checked before the first target starts, so a typo does not cost a whole run.
  const known: readonly string[] = TARGET_NAMES;
  const unknown = names.find((n) => !known.includes(n) && !n.startsWith('external:'));
  if (unknown !== undefined) throw new UnknownTargetError(`--target: unknown target "${unknown}"; known: ${TARGET_NAMES.join(', ')}`);
  const out = path.resolve(outArg ?? 'out');
  const { runs, comparison } = await runMany(names, out, {
    ...runOpts,
    onRun: (r) => process.stdout.write(`${summaryLine(r.run)}\nreport: ${r.files.html}\n`),
  });
  process.stdout.write(`comparison (${comparison.comparison.differing} requirement rows differ): ${comparison.html}\n`);
  return runs.some((r) => failed(r.run)) ? 1 : 0;
}
