/**
 * The one place the RFC 6146 half calls the RFC 7915 half (engine/xlat).
 * `outer` is the outgoing tuple of RFC 6146 §3.6 for the packet itself; for
 * an ICMP error, `inner` is the tuple written into the embedded packet
 * (§3.7: the outgoing 5-tuple with source and destination swapped).
 *
 * ICMP error translation is the RFC 7915 half's next stage
 * (translateIcmpError6to4 / translateIcmpError4to6, announced in
 * engine/xlat/index.ts). Until it is exported, errors go through the small
 * stand-in in ./xlat-stub.
 */
import type { Packet } from '../../harness/packet/types';
import * as xlat from '../xlat';
import type { XlatMap, XlatOptions, XlatResult } from '../xlat';
import { stub4to6, stub6to4 } from './xlat-stub';

export type { XlatMap, XlatOptions, XlatResult };

type ErrorXlat = (pkt: Packet, outer: XlatMap, inner: XlatMap, opts: XlatOptions) => XlatResult;
const announced = xlat as unknown as { translateIcmpError6to4?: ErrorXlat; translateIcmpError4to6?: ErrorXlat };
const error6to4: ErrorXlat = announced.translateIcmpError6to4 ?? ((p, o, i) => stub6to4(p, o, i));
const error4to6: ErrorXlat = announced.translateIcmpError4to6 ?? ((p, o, i) => stub4to6(p, o, i));

export function to4(pkt: Packet, outer: XlatMap, inner: XlatMap | undefined, opts: XlatOptions): XlatResult {
  return inner ? error6to4(pkt, outer, inner, opts) : xlat.translate6to4(pkt, outer, opts);
}

export function to6(pkt: Packet, outer: XlatMap, inner: XlatMap | undefined, opts: XlatOptions): XlatResult {
  return inner ? error4to6(pkt, outer, inner, opts) : xlat.translate4to6(pkt, outer, opts);
}
