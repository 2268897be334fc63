/**
 * The filtering suite: which inbound IPv4 packets reach an IPv6 host through
 * its mapping: no BIB entry, endpoint-independent versus address-dependent
 * filtering for UDP, TCP and ICMP, protocol dependence, and filtered packets
 * that must not refresh a mapping.
 */
import type { CaseDef } from '../../harness/runner/case';
import { inboundCases } from './inbound';
import { modeCases } from './modes';

export const cases: CaseDef[] = [...modeCases, ...inboundCases];
