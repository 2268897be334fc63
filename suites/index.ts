/** Every conformance case, suite by suite, in the order a run reports them. */
import type { CaseDef } from '../harness/runner/case';
import { cases as addressing } from './addressing';
import { cases as headerTranslation } from './header-translation';
import { cases as mapping } from './mapping';
import { cases as filtering } from './filtering';
import { cases as udp } from './udp';
import { cases as icmpQuery } from './icmp-query';
import { cases as hairpinning } from './hairpinning';
import { cases as icmpError } from './icmp-error';
import { cases as tcpStateMachine } from './tcp-state-machine';
import { cases as resources } from './resources';
import { cases as fragments } from './fragments';

export function allCases(): CaseDef[] {
  const all = [...addressing, ...headerTranslation, ...mapping, ...filtering, ...udp, ...icmpQuery, ...hairpinning, ...icmpError, ...tcpStateMachine, ...resources, ...fragments];
  const seen = new Set<string>();
  for (const c of all) {
    const key = `${c.suite}/${c.id}`;
    if (seen.has(key)) throw new Error(`duplicate case id ${key}`);
    seen.add(key);
  }
  return all;
}
