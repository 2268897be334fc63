/** Every DNS64 conformance case, suite by suite, in the order a run reports them. */
import type { DnsCaseDef } from '../harness/runner/dns-case';
import { cases as synthesis } from './dns64-synthesis';
import { cases as dnssec } from './dns64-dnssec';
import { cases as prefixDiscovery } from './prefix-discovery';

export function allDnsCases(): DnsCaseDef[] {
  const all = [...synthesis, ...dnssec, ...prefixDiscovery];
  const seen = new Set<string>();
  for (const c of all) {
    const key = `${c.suite}/${c.id}`;
    if (seen.has(key)) throw new Error(`duplicate DNS case id ${key}`);
    seen.add(key);
  }
  return all;
}
