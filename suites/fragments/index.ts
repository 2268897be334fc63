/**
 * The fragments suite: RFC 6146 §3.4 fragment handling (in and out of order,
 * timeouts, resource limits, zero-checksum UDP), the Fragment Header rules of
 * RFC 7915 §4.1 / §5.1.1, and the size rules around next-hop MTUs (RFC 7915
 * §1.4, §4, §5; RFC 4787 REQ-13/14; RFC 5508 §7.1), including the MTU
 * arithmetic of translated Packet Too Big / Fragmentation Needed (§4.2, §5.2).
 */
import type { CaseDef } from '../../harness/runner/case';
import { headerCases } from './headers';
import { miscCases } from './misc';
import { mtuCases } from './mtu';
import { ptbCases } from './ptb';
import { reassemblyCases } from './reassembly';
import { resourceCases } from './resources';
import { timerCases } from './timers';

export const cases: CaseDef[] = [...reassemblyCases, ...headerCases, ...mtuCases, ...timerCases, ...resourceCases, ...ptbCases, ...miscCases];
