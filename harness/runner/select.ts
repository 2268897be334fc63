/** Choosing which cases run: by suite name and by a text/regex filter over "suite/id title". */
import { caseKey } from './case';

export class SelectionError extends Error {}

export interface SelectOptions {
  suites?: string[];
  grep?: string;
}

/** What selection looks at; NAT64 and DNS64 case definitions both have it, and come back as they went in. */
export interface SelectableCase {
  id: string;
  suite: string;
  title: string;
}

export function selectCases<C extends SelectableCase>(all: C[], opts: SelectOptions): C[] {
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
