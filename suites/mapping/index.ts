/**
 * The mapping suite: how the NAT64 maps an IPv6 source to an IPv4 transport
 * address (T,t): endpoint independence per protocol, port range, parity and
 * randomisation, uniqueness, paired pooling and static BIB entries.
 */
import type { CaseDef } from '../../harness/runner/case';
import { eimCases } from './eim';
import { poolingCases } from './pooling';
import { portCases } from './ports';
import { staticCases } from './static';
import { uniquenessCases } from './uniqueness';

export const cases: CaseDef[] = [...eimCases, ...portCases, ...uniquenessCases, ...poolingCases, ...staticCases];
