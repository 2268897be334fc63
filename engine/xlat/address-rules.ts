/**
 * Address classes the translator must recognise: sources it must not
 * translate (RFC 7915 §4.1/§5.1 SHOULD drop, pointing to RFC 1812 §5.3.7)
 * and destinations/sources that must never receive an ICMP error
 * (RFC 1812 §4.3.2.7, RFC 4443 §2.4(e)).
 */
import { isIPv4, isIPv6, parseIPv4, parseIPv6 } from '../../harness/packet/address';

/**
 * RFC 1812 §5.3.7 invalid IPv4 sources: 0.0.0.0/8 ("this network"),
 * 127.0.0.0/8 (loopback), class D multicast 224/4 and class E 240/4 (which
 * also holds the limited broadcast 255.255.255.255). A directed broadcast
 * cannot be recognised without knowing the sender's subnet, so it is not here.
 */
export function illegalSource4(addr: string): boolean {
  if (!isIPv4(addr)) return true;
  const a = parseIPv4(addr)[0];
  return a === 0 || a === 127 || a >= 224;
}

/**
 * IPv6 sources RFC 7915 §5.1 tells the translator to drop ("e.g., ::1,
 * etc."): the loopback, the unspecified address (never a valid source of a
 * forwarded packet, RFC 4291 §2.5.2) and multicast (RFC 4291 §2.7: never a
 * source).
 */
export function illegalSource6(addr: string): boolean {
  if (!isIPv6(addr)) return true;
  const b = parseIPv6(addr);
  if (b[0] === 0xff) return true;
  const allZeroUpTo15 = b.subarray(0, 15).every((x) => x === 0);
  return allZeroUpTo15 && (b[15] === 0 || b[15] === 1);
}

export function isMulticast4(addr: string): boolean {
  const a = parseIPv4(addr)[0];
  return a >= 224 && a <= 239;
}

export function isLimitedBroadcast4(addr: string): boolean {
  return addr === '255.255.255.255';
}

export function isMulticast6(addr: string): boolean {
  return parseIPv6(addr)[0] === 0xff;
}

export function isUnspecified6(addr: string): boolean {
  return parseIPv6(addr).every((x) => x === 0);
}
