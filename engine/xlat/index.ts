/**
 * RFC 7915 header translation for the project's stateful NAT64: the pure
 * half that rewrites headers once the RFC 6146 half (engine/nat64) has
 * chosen the outgoing addresses, ports and identifiers.
 *
 * Use from the NAT64 half:
 *
 *   const pkt = decode(bytes);                 // never throws
 *   // ... RFC 6146 §3.4-§3.6: incoming tuple, filtering, BIB/session, outgoing tuple
 *   const r = translate6to4(pkt, { src, dst, sport, dport, icmpId, ipv4Id }, opts);
 *   switch (r.kind) {
 *     case 'ok':         emit(otherSide, encode(r.packet)); break;
 *     case 'icmp-error': emit(r.side, encode(r.packet)); break;   // back where it came from
 *     case 'drop':       // r.code says why; 'needs-reassembly', 'fragmented-icmp' and
 *                        // 'icmp-error' ask the caller to reassemble / use the error translation
 *   }
 *
 * The packets returned leave computed fields (lengths, header checksum,
 * checksums that must be computed from scratch) undefined for `encode` to
 * fill. Transport checksums are adjusted incrementally (RFC 1624), so a
 * corrupt datagram stays corrupt end to end; the one exception is IPv4 UDP
 * with a zero checksum, which is computed (RFC 6146 §3.4).
 *
 * API:
 *   translate6to4(pkt: Packet, map: XlatMap, opts: XlatOptions): XlatResult   RFC 7915 §5.1, §5.1.1, §5.2 (echo), §5.5
 *   translate4to6(pkt: Packet, map: XlatMap, opts: XlatOptions): XlatResult   RFC 7915 §4.1, §4.2 (echo), §4.5
 *   icmpError6(type, code, fields, original: Buffer, src, opts?): IcmpErrorResult
 *   icmpError4(type, code, fields, original: Buffer, src, opts?): IcmpErrorResult
 *   timeExceeded6(original: Buffer, src, opts?) / timeExceeded4(...)
 *   icmp4To6(type, code) / icmp6To4(type, code)        §4.2/§5.2 type/code tables
 *   pointer4To6(p) / pointer6To4(p)                    Figures 3 and 6
 *   ptbMtu4to6(...) / ptbMtu6to4(...)                  Packet Too Big MTU arithmetic
 *
 *   translateIcmpError4to6(pkt, outerMap: XlatMap, innerMap: XlatMap, opts): XlatResult   §4.2-§4.3 errors
 *   translateIcmpError6to4(pkt, outerMap: XlatMap, innerMap: XlatMap, opts): XlatResult   §5.2-§5.3 errors
 * where innerMap is the outgoing tuple of the quoted packet (already swapped,
 * RFC 6146 §3.7) and the inner header is translated without a TTL decrement
 * (engine/xlat/icmp-error-xlat.ts).
 */
export * from './types';
export * from './fault-names';
export { translate6to4, DF_THRESHOLD } from './six-to-four';
export { translate4to6, unexpiredSourceRoute } from './four-to-six';
export { icmpError4, icmpError6, timeExceeded4, timeExceeded6, ICMPV4_ERROR_MAX, ICMPV6_ERROR_MAX, ERROR_HOP_LIMIT } from './icmp-errors';
export type { IcmpErrorFields, IcmpErrorOptions } from './icmp-errors';
export * from './icmp-tables';
export { translateIcmpError4to6, translateIcmpError6to4, RFC4884_MIN_ORIGINAL } from './icmp-error-xlat';
export { illegalSource4, illegalSource6 } from './address-rules';
export { walkExtensions } from './ext-chain';
export type { ExtChain } from './ext-chain';
