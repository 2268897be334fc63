/**
 * The resources suite: what the NAT64 does when it runs out (pool
 * exhaustion, paired-pooling exhaustion), the limits a carrier-grade NAT
 * puts on each subscriber (ports, sessions, rates), port quarantine, the
 * external pool's size and contiguity, and the protection of its tables
 * against floods (RFC 6146 §3.5.1.1, §3.5.2.3, §5.3; RFC 5508 REQ-8;
 * RFC 6888 REQ-3/4/5/8/11; RFC 7857 §4). Deterministic mode (RFC 7422) and the
 * event log (RFC 6888 REQ-11c, REQ-12) are in deterministic.ts; PCP and
 * translation exemptions are recorded as not applicable with the reason.
 */
import type { CaseDef } from '../../harness/runner/case';
import { deterministicCases } from './deterministic';
import { dosCases } from './dos';
import { exhaustionCases } from './exhaustion';
import { poolCases } from './pool';
import { quarantineCases } from './quarantine';
import { subscriberCases } from './subscriber';

export const cases: CaseDef[] = [...exhaustionCases, ...subscriberCases, ...quarantineCases, ...poolCases, ...dosCases, ...deterministicCases];
