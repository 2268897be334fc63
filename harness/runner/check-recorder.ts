/**
 * Check recording shared by the NAT64 and DNS64 runners: one CheckResult per
 * requirement id, scored by the requirement's level, and the rules that turn
 * a case's checks into its verdict. A case may only check what it declared,
 * and must check everything it declared; the runners enforce the second rule
 * with `missingChecks` + `blanket`.
 */
import { levelClass, requirement } from '../catalogue';
import { NotApplicable } from '../lab/target';
import type { CheckResult, Level, Score, Verdict } from '../results/types';

export function scoreOf(level: Level, verdict: Verdict): Score {
  if (verdict !== 'pass' && verdict !== 'fail') return verdict;
  const cls = levelClass(level);
  if (cls === 'may') return 'behaviour';
  if (verdict === 'pass') return 'pass';
  return cls === 'must' ? 'fail' : 'warn';
}

const VERDICT_ORDER: Verdict[] = ['error', 'fail', 'pass', 'na', 'skip'];

/** The case verdict: the worst of its checks (error > fail > pass > na > skip). */
export function caseVerdict(checks: CheckResult[]): Verdict {
  for (const v of VERDICT_ORDER) if (checks.some((c) => c.verdict === v)) return v;
  return 'skip';
}

/** What the recorder needs to know about a case. */
export interface CheckedCase {
  id: string;
  suite: string;
  title: string;
  requirements: string[];
}

/** Every declared requirement not yet checked gets the same verdict (na, error) when the case could not check them one by one. */
export function blanket(def: CheckedCase, verdict: Verdict, reason: string, already: CheckResult[]): CheckResult[] {
  const checked = new Set(already.map((c) => c.requirement));
  const rest = def.requirements.filter((id) => !checked.has(id));
  return [
    ...already,
    ...rest.map((id) => {
      const level = requirement(id).level;
      return { requirement: id, level, verdict, score: scoreOf(level, verdict), label: def.title, detail: reason };
    }),
  ];
}

/** Declared requirements the case recorded no check for. */
export function missingChecks(def: CheckedCase, checks: CheckResult[]): string[] {
  return def.requirements.filter((id) => !checks.some((c) => c.requirement === id));
}

/** Anything with a place in the case's evidence. */
export interface Indexed {
  index: number;
}

function refs(items?: Indexed[]): Partial<CheckResult> {
  return items?.length ? { packets: items.map((p) => p.index) } : {};
}

export class CheckRecorder {
  readonly checks: CheckResult[] = [];
  readonly notes: string[] = [];

  constructor(private readonly def: CheckedCase) {}

  add(ids: string | string[], verdict: Verdict, label: string, detail: string, extra: Partial<CheckResult> = {}): void {
    for (const id of Array.isArray(ids) ? ids : [ids]) {
      if (!this.def.requirements.includes(id)) {
        throw new Error(`case ${this.def.suite}/${this.def.id} checks ${id} but does not declare it in requirements`);
      }
      const level = requirement(id).level;
      this.checks.push({ requirement: id, level, verdict, score: scoreOf(level, verdict), label, detail, ...extra });
    }
  }

  expect(ids: string | string[], label: string, ok: boolean, detail: string, items?: Indexed[]): boolean {
    this.add(ids, ok ? 'pass' : 'fail', label, detail, refs(items));
    return ok;
  }

  behaviour(id: string, label: string, detail: string, items?: Indexed[]): void {
    this.add(id, 'pass', label, detail, refs(items));
  }

  naCheck(ids: string | string[], label: string, reason: string): void {
    this.add(ids, 'na', label, reason);
  }

  na(reason: string): never {
    throw new NotApplicable(reason);
  }

  note(text: string): void {
    this.notes.push(text);
  }
}
