/** `nat64lab coverage`: requirements with and without checks; `--unkilled`: checks no named fault can break. */
import { loadCatalogue } from '../../harness/catalogue';
import { coverage } from '../../harness/runner/coverage';
import { makeDns64Target } from '../../harness/dns-targets';
import { killMatrix } from '../../harness/runner/kill-matrix';
import type { KillMatrix } from '../../harness/runner/kill-matrix';
import type { CaseDef } from '../../harness/runner/case';
import { selectCases } from '../../harness/runner/select';
import { DNS64_FAULTS } from '../../engine/dns64/faults';
import { allCases } from '../../suites';
import { allDnsCases } from '../../suites/dns-index';
import { dnsKillMatrix } from '../../suites/dns-lib/kill-matrix';
import { list, parseOptions } from './args';

export const COVERAGE_HELP = [
  '  --suite A,B    only these suites',
  '  --missing      list the uncovered requirement ids with their statements',
  '  --unkilled     run the kill matrices (every named engine fault against every NAT64 case, every',
  '                 named DNS64 fault against every DNS64 case on the own DNS64) and list MUST/SHOULD',
  '                 checks that pass on the correct engine or DNS64 and that no fault makes fail',
  'Counts black-box and config requirements of the project catalogue (fixtures/catalogue/).',
].join('\n');

function pct(n: number, d: number): string {
  return d ? `${((100 * n) / d).toFixed(1)}%` : '—';
}

export async function coverageCommand(args: string[]): Promise<number> {
  const { values } = parseOptions(args, { suite: { type: 'string' }, missing: { type: 'boolean' }, unkilled: { type: 'boolean' } }, 'coverage');
  const suites = list(values.suite as string | undefined);
  const natCases = allCases();
  const dnsCases = allDnsCases();
  const cases = [...natCases, ...dnsCases];
  const catalogue = loadCatalogue();
  const rows = coverage(cases).filter((r) => !suites || suites.includes(r.suite));
  const withCases = new Set(cases.map((c) => c.suite));
  const out: string[] = ['suite                 covered / total   coverage   cases'];
  let cov = 0;
  let tot = 0;
  for (const r of rows) {
    const n = cases.filter((c) => c.suite === r.suite).length;
    out.push(`${r.suite.padEnd(22)}${String(r.covered.length).padStart(7)} / ${String(r.total).padEnd(7)}${pct(r.covered.length, r.total).padStart(8)}   ${withCases.has(r.suite) ? n : '(no cases yet)'}`);
    if (values.missing) for (const id of r.missing) out.push(`    missing ${id} [${catalogue.get(id)?.level}] ${catalogue.get(id)?.statement}`);
    cov += r.covered.length;
    tot += r.total;
  }
  out.push(`${'all'.padEnd(22)}${String(cov).padStart(7)} / ${String(tot).padEnd(7)}${pct(cov, tot).padStart(8)}   ${cases.length}`);
  process.stdout.write(out.join('\n') + '\n');
  if (!values.unkilled) return 0;
  let bad = 0;
  // Suites are checked against both kinds of case; each matrix then runs its own.
  selectCases(cases as CaseDef[], { suites });
  const nat = natCases.filter((c) => !suites || suites.includes(c.suite));
  if (nat.length) bad += report('kill matrix', 'the correct engine', await killMatrix(nat));
  const dns = dnsCases.filter((c) => !suites || suites.includes(c.suite));
  if (dns.length) {
    const m = await dnsKillMatrix(dns, DNS64_FAULTS.map((f) => f.name), (faults) => makeDns64Target('own', { faults }));
    bad += report('DNS64 kill matrix', 'the correct own DNS64', m);
  }
  return bad ? 1 : 0;
}

/** One matrix in the report's format; returns the number of unkilled rows and baseline failures. */
function report(title: string, correct: string, m: KillMatrix): number {
  const unkilled = m.rows.filter((r) => r.killedBy.length === 0);
  process.stdout.write(`\n${title}: ${m.rows.length} MUST/SHOULD checks pass on ${correct}; ${m.rows.length - unkilled.length} killed by a fault, ${unkilled.length} unkilled\n`);
  for (const r of unkilled) process.stdout.write(`  unkilled ${r.check} [${r.level}]\n`);
  for (const f of m.baselineFailures) process.stdout.write(`  baseline not passing: ${f}\n`);
  return unkilled.length + m.baselineFailures.length;
}
