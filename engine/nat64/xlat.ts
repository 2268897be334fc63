/**
 * The one place the RFC 6146 half calls the RFC 7915 half (engine/xlat).
 * `outer` is the outgoing tuple of RFC 6146 §3.6 for the packet itself; for
 * an ICMP error, `inner` is the tuple written into the embedded packet
 * (§3.7: the outgoing 5-tuple with source and destination swapped), and the
 * error goes through the RFC 7915 §4.3/§5.3 error translation.
 */
import type { Packet } from '../../harness/packet/types';
import * as xlat from '../xlat';
import type { XlatMap, XlatOptions, XlatResult } from '../xlat';

export type { XlatMap, XlatOptions, XlatResult };

export function to4(pkt: Packet, outer: XlatMap, inner: XlatMap | undefined, opts: XlatOptions): XlatResult {
  return inner ? xlat.translateIcmpError6to4(pkt, outer, inner, opts) : xlat.translate6to4(pkt, outer, opts);
}

export function to6(pkt: Packet, outer: XlatMap, inner: XlatMap | undefined, opts: XlatOptions): XlatResult {
  return inner ? xlat.translateIcmpError4to6(pkt, outer, inner, opts) : xlat.translate4to6(pkt, outer, opts);
}
