/**
 * The DNS64 kill matrix: every MUST- or SHOULD-class check that passes on
 * the correct own DNS64 must fail under at least one named fault
 * (engine/dns64/faults.ts). The NAT64 version (harness/runner/kill-matrix.ts)
 * is bound to the NAT64 engine target; this one takes a DNS64 target factory.
 */
import { levelClass } from '../../harness/catalogue';
import type { Dns64Target } from '../../harness/dns/types';
import type { KillMatrix, MatrixRow } from '../../harness/runner/kill-matrix';
import type { DnsCaseDef } from '../../harness/runner/dns-case';
import { runDnsCase } from '../../harness/runner/run-dns-case';
import type { CaseResult } from '../../harness/results/types';

export type Dns64TargetFactory = (faults: string[]) => Dns64Target;

/** One row per check: case, requirement and the check's label (a case checks one requirement several ways). */
function keyOf(c: CaseResult, k: CaseResult['checks'][number]): string {
  return `${c.suite}/${c.id} ${k.requirement} — ${k.label}`;
}

async function runAll(cases: DnsCaseDef[], make: Dns64TargetFactory, faults: string[]): Promise<CaseResult[]> {
  const target = make(faults);
  const out: CaseResult[] = [];
  try {
    for (const c of cases) out.push(await runDnsCase(c, target, { verdictsOnly: true }));
  } finally {
    await target.shutdown();
  }
  return out;
}

/**
 * A row is killed by a fault when, under the fault, the check with the same
 * case, requirement and label fails. Rows are finer than the NAT64 matrix's
 * (case and requirement): a case that checks one requirement several ways
 * must show each way can fail.
 */
export async function dnsKillMatrix(cases: DnsCaseDef[], faults: string[], make: Dns64TargetFactory): Promise<KillMatrix> {
  const baseline = await runAll(cases, make, []);
  const rows = new Map<string, MatrixRow>();
  const baselineFailures: string[] = [];
  for (const c of baseline) {
    const byKey = new Map<string, CaseResult['checks']>();
    for (const k of c.checks) {
      if (levelClass(k.level) === 'may') continue;
      const key = keyOf(c, k);
      byKey.set(key, [...(byKey.get(key) ?? []), k]);
      if (k.verdict !== 'pass' && k.verdict !== 'na') baselineFailures.push(`${key}: ${k.verdict} — ${k.detail}`);
    }
    for (const [key, list] of byKey) {
      if (list.some((k) => k.verdict === 'pass') && list.every((k) => k.verdict === 'pass' || k.verdict === 'na')) {
        rows.set(key, { check: key, level: list[0].level, killedBy: [] });
      }
    }
  }
  for (const fault of faults) {
    for (const c of await runAll(cases, make, [fault])) {
      const failed = new Set(c.checks.filter((k) => k.verdict === 'fail').map((k) => keyOf(c, k)));
      for (const key of failed) {
        const row = rows.get(key);
        if (row && !row.killedBy.includes(fault)) row.killedBy.push(fault);
      }
    }
  }
  return { baseline, rows: [...rows.values()], baselineFailures };
}
