/** Which catalogue requirements the cases check (NAT64 and DNS64 alike), per suite and overall. */
import { loadCatalogue } from '../catalogue';
import type { Requirement, Testability } from '../catalogue';

/** What coverage reads of a case: NAT64 (CaseDef) and DNS64 (DnsCaseDef) cases both have it. */
export interface CoveringCase {
  suite: string;
  requirements: string[];
}

export interface SuiteCoverage {
  suite: string;
  total: number;
  covered: string[];
  missing: string[];
}

export function coverage(cases: CoveringCase[], testability: Testability[] = ['black-box', 'config']): SuiteCoverage[] {
  const checked = new Set(cases.flatMap((c) => c.requirements));
  const bySuite = new Map<string, Requirement[]>();
  for (const r of loadCatalogue().values()) {
    if (!testability.includes(r.testability)) continue;
    (bySuite.get(r.suite) ?? bySuite.set(r.suite, []).get(r.suite)!).push(r);
  }
  return [...bySuite.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([suite, reqs]) => ({
      suite,
      total: reqs.length,
      covered: reqs.filter((r) => checked.has(r.id)).map((r) => r.id),
      missing: reqs.filter((r) => !checked.has(r.id)).map((r) => r.id),
    }));
}
