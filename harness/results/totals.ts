/** Totals of a run: per verdict, per score and per requirement level. */
import type { CaseResult, Score, Totals, Verdict } from './types';

const VERDICTS: Verdict[] = ['pass', 'fail', 'na', 'error', 'skip'];
const SCORES: Score[] = ['pass', 'fail', 'warn', 'behaviour', 'na', 'error', 'skip'];

function zero<K extends string>(keys: K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

export function computeTotals(cases: CaseResult[]): Totals {
  const t: Totals = { byVerdict: zero(VERDICTS), byScore: zero(SCORES), byLevel: {}, cases: zero(VERDICTS) };
  for (const c of cases) {
    t.cases[c.verdict]++;
    for (const k of c.checks) {
      t.byVerdict[k.verdict]++;
      t.byScore[k.score]++;
      (t.byLevel[k.level] ??= zero(VERDICTS))[k.verdict]++;
    }
  }
  return t;
}

/** Pass rate of a level class over the checks that were scored (pass + fail), or undefined when none. */
export function passRate(t: Totals, levels: string[]): { pass: number; fail: number; rate?: number } {
  let pass = 0;
  let fail = 0;
  for (const l of levels) {
    pass += t.byLevel[l]?.pass ?? 0;
    fail += t.byLevel[l]?.fail ?? 0;
  }
  return { pass, fail, rate: pass + fail ? pass / (pass + fail) : undefined };
}

export const MUST_LEVELS = ['MUST', 'MUST NOT'];
export const SHOULD_LEVELS = ['SHOULD', 'SHOULD NOT', 'RECOMMENDED'];
