/**
 * ICMP errors the NAT64 itself originates (RFC 6146), as opposed to the
 * ones RFC 7915 translation produces; built with the RFC 7915 half's error
 * builders (quote size, DSCP copy, RFC 4443 §2.4(e) / RFC 1812 §4.3.2.7
 * suppression):
 *
 * - ICMPv6 Destination Unreachable code 3 (address unreachable) when no
 *   IPv4 transport address can be allocated (§3.5.1.1, §3.5.2.3 SHOULD);
 * - ICMPv6 Destination Unreachable code 4 (port unreachable) for an IPv6
 *   packet of another protocol than TCP, UDP or ICMPv6 (§3.4 SHOULD);
 * - ICMPv4 Destination Unreachable code 2 (protocol unreachable) for such an
 *   IPv4 packet (§3.4 SHOULD);
 * - ICMPv4 Destination Unreachable code 3 (port unreachable) carrying the
 *   stored SYN when a V4 INIT session expires (§3.5.2.2).
 */
import { encode } from '../../harness/packet/codec';
import { icmpError4, icmpError6 } from '../xlat';

/** ICMPv6 Destination Unreachable `code` about `orig` (the octets as received), from `src`; undefined when suppressed. */
export function unreachable6(orig: Buffer, code: number, src: string, faults: ReadonlySet<string>): Buffer | undefined {
  const r = icmpError6(1, code, {}, orig, src, { faults });
  return r.kind === 'icmp-error' ? encode(r.packet) : undefined;
}

/** ICMPv4 Destination Unreachable `code` about `orig`, from `src`; undefined when suppressed. */
export function unreachable4(orig: Buffer, code: number, src: string, faults: ReadonlySet<string>, ipv4Id: number): Buffer | undefined {
  const r = icmpError4(3, code, {}, orig, src, { faults, ipv4Id });
  return r.kind === 'icmp-error' ? encode(r.packet) : undefined;
}
