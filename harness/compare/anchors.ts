/**
 * The element ids the single-target report (harness/report/html.ts) gives
 * each case and check, so a comparison can link straight to the evidence.
 * The report hands out ids in document order from one pool ("suite-<suite>"
 * when a suite first appears, then "case-<suite>-<id>", numbered on
 * collision); the same walk here, over the report's own pool and check ids,
 * yields the same ids.
 */
import { anchorMaker, checkAnchor } from '../report/html';
import type { RunResult } from '../results/types';

export { checkAnchor };

/** The report's case id of every case of the run, by index into run.cases. */
export function caseAnchors(run: RunResult): string[] {
  const anchor = anchorMaker();
  const suites = new Set<string>();
  return run.cases.map((c) => {
    if (!suites.has(c.suite)) {
      suites.add(c.suite);
      anchor(`suite-${c.suite}`);
    }
    return anchor(`case-${c.suite}-${c.id}`);
  });
}
