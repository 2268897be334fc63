/**
 * The kill matrix: every MUST- or SHOULD-class check that passes on the
 * correct engine must fail under at least one named fault. A check no fault
 * can break proves nothing, so it is listed as unkilled.
 */
import { levelClass } from '../catalogue';
import { FAULTS } from '../../engine/faults';
import { EngineTarget } from '../targets/engine';
import type { CaseResult } from '../results/types';
import type { CaseDef } from './case';
import { runCase } from './run-case';

export interface MatrixRow {
  /** `suite/case-id requirement` */
  check: string;
  level: string;
  /** Faults under which the check failed. */
  killedBy: string[];
}

export interface KillMatrix {
  /** Results on the correct engine. */
  baseline: CaseResult[];
  rows: MatrixRow[];
  /** MUST/SHOULD checks of the baseline that did not pass (the engine is wrong, or the case is). */
  baselineFailures: string[];
}

function keyOf(c: CaseResult, requirement: string): string {
  return `${c.suite}/${c.id} ${requirement}`;
}

async function runAll(cases: CaseDef[], faults: string[]): Promise<CaseResult[]> {
  const target = new EngineTarget({ faults });
  const out: CaseResult[] = [];
  for (const c of cases) out.push(await runCase(c, target, { verdictsOnly: true }));
  return out;
}

export async function killMatrix(cases: CaseDef[], faults = FAULTS.map((f) => f.name)): Promise<KillMatrix> {
  const baseline = await runAll(cases, []);
  const rows = new Map<string, MatrixRow>();
  const baselineFailures: string[] = [];
  for (const c of baseline) {
    for (const k of c.checks) {
      if (levelClass(k.level) === 'may') continue;
      const key = keyOf(c, k.requirement);
      if (k.verdict === 'pass') rows.set(key, { check: key, level: k.level, killedBy: [] });
      else if (k.verdict !== 'na') baselineFailures.push(`${key}: ${k.verdict} — ${k.detail}`);
    }
  }
  for (const fault of faults) {
    for (const c of await runAll(cases, [fault])) {
      for (const k of c.checks) {
        const row = rows.get(keyOf(c, k.requirement));
        if (row && k.verdict === 'fail') row.killedBy.push(fault);
      }
    }
  }
  return { baseline, rows: [...rows.values()], baselineFailures };
}
