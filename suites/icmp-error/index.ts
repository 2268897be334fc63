/**
 * The icmp-error suite: ICMP error messages crossing the NAT64 (RFC 7915
 * §4.2-§4.3 and §5.2-§5.3 type/code tables, pointer figures, PTB MTU, the
 * quoted packet, lengths, truncation, RFC 4884 extensions), the RFC 6146
 * §3.4/§3.5 rules for errors (tuple, short quotes, error in error, no
 * state), RFC 5508 (checksums, mappings, outer addresses, errors the NAT
 * originates: DSCP, when not, rate limit), RFC 4787 REQ-12 / RFC 5382
 * REQ-9/10 (errors keep mappings), and RFC 7915 §4.4/§5.4 generation.
 */
import type { CaseDef } from '../../harness/runner/case';
import { generatedCases } from './generated';
import { quoteCases } from './quote';
import { stateCases } from './state';
import { tableCases } from './tables';

export const cases: CaseDef[] = [...tableCases, ...quoteCases, ...stateCases, ...generatedCases];
