/**
 * The header-translation suite: RFC 7915 §4.1/§5.1 header fields in both
 * directions (version, lengths, TOS/Traffic Class, Flow Label, protocol
 * numbers, TTL/Hop Limit and their expiry, DF and Identification), IPv4
 * options and IPv6 extension headers, transport checksums (zero-checksum UDP
 * included), protocols a stateful NAT64 does not carry, illegal sources,
 * ordering within a flow and ALG transparency.
 */
import type { CaseDef } from '../../harness/runner/case';
import { algCases } from './alg';
import { checksumCases } from './checksums';
import { fieldCases } from './fields';
import { ipidCases, orderCases } from './ipid-order';
import { optionExtCases } from './options-ext';
import { protocolCases } from './protocols';
import { sourceCases } from './sources';
import { tosTtlCases } from './tos-ttl';

export const cases: CaseDef[] = [
  ...fieldCases,
  ...tosTtlCases,
  ...optionExtCases,
  ...checksumCases,
  ...protocolCases,
  ...sourceCases,
  ...ipidCases,
  ...orderCases,
  ...algCases,
];
