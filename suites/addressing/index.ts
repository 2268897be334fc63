/**
 * The addressing suite: RFC 6052 embedding at every prefix length and with
 * the Well-Known Prefix, the WKP non-global rule, what the NAT64 accepts as
 * its own (Pref64 source/destination, pool4 destination) and the properties
 * of the RFC 6146 §3.5.4 address algorithm.
 */
import type { CaseDef } from '../../harness/runner/case';
import { embeddingCases } from './embedding';
import { prefixConfigCases } from './prefix-config';
import { propertyCases } from './properties';
import { scopeCases } from './scope';
import { wkpCases } from './wkp';

export const cases: CaseDef[] = [...embeddingCases, ...wkpCases, ...scopeCases, ...propertyCases, ...prefixConfigCases];
