/** Choosing which cases run: by suite name and by a text/regex filter over "suite/id title". */
import { caseKey } from './case';
import type { CaseDef } from './case';

export class SelectionError extends Error {}

export function selectCases(all: CaseDef[], opts: { suites?: string[]; grep?: string }): CaseDef[] {
  const known = new Set(all.map((c) => c.suite));
  for (const s of opts.suites ?? []) {
    if (!known.has(s)) throw new SelectionError(`--suite: unknown suite "${s}"; known: ${[...known].sort().join(', ')}`);
  }
  return all.filter((c) => {
    if (opts.suites?.length && !opts.suites.includes(c.suite)) return false;
    if (opts.grep && !`${caseKey(c)} ${c.title}`.includes(opts.grep)) return false;
    return true;
  });
}
