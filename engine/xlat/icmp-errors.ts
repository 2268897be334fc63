/**
 * ICMP errors the translator originates itself (Time Exceeded, Parameter
 * Problem, Destination Unreachable, ...), sent back toward the sender of the
 * packet that caused them, in that sender's family.
 *
 * - The quote is as much of the offending packet as fits: the whole ICMPv6
 *   message within the minimum IPv6 MTU of 1280 (RFC 4443 §2.4(c)); the
 *   ICMPv4 datagram within 576 octets (RFC 1812 §4.3.2.3).
 * - No error is sent where RFC 4443 §2.4(e) or RFC 1812 §4.3.2.7 forbid it
 *   (about an ICMP error, to multicast/broadcast, from a source that does
 *   not identify one node, about a non-first IPv4 fragment).
 * - The DSCP of the offending packet is copied (RFC 5508 REQ-10d, RFC 1812
 *   §4.3.2.5); the ECN bits are not, as the error is not ECN-capable.
 *
 * Rate limiting (RFC 4443 §2.4(f), RFC 1812 §4.3.2.8) needs state and is the
 * caller's business.
 */
import { isIPv4, isIPv6 } from '../../harness/packet/address';
import { decode, encode } from '../../harness/packet/codec';
import { isIcmpError } from '../../harness/packet/icmp';
import { ICMPCommon, Packet } from '../../harness/packet/types';
import { illegalSource4, isLimitedBroadcast4, isMulticast4, isMulticast6, isUnspecified6 } from './address-rules';
import { IcmpErrorResult, drop, hasFault } from './types';

/** RFC 8200 §5 / RFC 4443 §2.4(c): an ICMPv6 error must fit in this many octets. */
export const ICMPV6_ERROR_MAX = 1280;
/** RFC 1812 §4.3.2.3: an ICMPv4 error should not exceed this many octets. */
export const ICMPV4_ERROR_MAX = 576;
/** Hop limit / TTL of originated errors: a fresh packet, not derived from the offending one. */
export const ERROR_HOP_LIMIT = 64;

const ICMPV6_REDIRECT = 137;

/** Fields of the second word, where the type has them (RFC 4443 §3, RFC 792). */
export interface IcmpErrorFields {
  /** Parameter Problem pointer. */
  pointer?: number;
  /** Packet Too Big / Fragmentation Needed MTU. */
  mtu?: number;
  /** Bits of the second word the type leaves unused; normally zero. */
  unused?: number;
}

export interface IcmpErrorOptions {
  faults?: ReadonlySet<string>;
  /** Replaces the default reason text of the result. */
  reason?: string;
  /** ICMPv4 only: Identification from the caller's generator (the error is sent with DF clear). */
  ipv4Id?: number;
}

/**
 * The quote as a decoded packet when that re-encodes to exactly the same
 * octets (so `encode` reproduces the offending packet byte for byte), else
 * as opaque payload.
 */
function quoteFields(bytes: Buffer): Pick<ICMPCommon, 'quote'> & { payload?: Buffer } {
  const q = decode(bytes);
  try {
    if (encode(q).equals(bytes)) return { quote: q };
  } catch {
    // A quote the codec cannot re-encode is carried as raw octets.
  }
  return { payload: bytes };
}

/** DSCP of the offending packet with ECN cleared, unless the fault zeroes it. */
function errorDscp(tos: number | undefined, opts: IcmpErrorOptions): number {
  if (hasFault(opts, 'icmp-error-dscp-zero')) return 0;
  return (tos ?? 0) & 0xfc;
}

/** Why RFC 4443 §2.4(e) forbids an ICMPv6 error about `orig`, if it does. */
function suppressed6(orig: Packet, type: number, code: number): string | undefined {
  const h = orig.ipv6;
  if (!h) return 'not an IPv6 packet';
  const icmp = orig.icmpv6;
  if (icmp && isIcmpError(6, icmp.type)) return 'RFC 4443 §2.4(e.1): no ICMPv6 error about an ICMPv6 error';
  if (icmp && icmp.type === ICMPV6_REDIRECT) return 'RFC 4443 §2.4(e.2): no ICMPv6 error about a Redirect';
  const multicastAllowed = type === 2 || (type === 4 && code === 2);
  if (isMulticast6(h.dst) && !multicastAllowed) return 'RFC 4443 §2.4(e.3): no ICMPv6 error about a packet to a multicast address';
  if (isUnspecified6(h.src) || isMulticast6(h.src)) return 'RFC 4443 §2.4(e.6): the source does not identify a single node';
  return undefined;
}

/** Why RFC 1812 §4.3.2.7 forbids an ICMPv4 error about `orig`, if it does. */
function suppressed4(orig: Packet): string | undefined {
  const h = orig.ipv4;
  if (!h) return 'not an IPv4 packet';
  if (orig.icmpv4 && isIcmpError(4, orig.icmpv4.type)) return 'RFC 1812 §4.3.2.7: no ICMP error about an ICMP error';
  if (isMulticast4(h.dst) || isLimitedBroadcast4(h.dst)) return 'RFC 1812 §4.3.2.7: no ICMP error about a multicast or broadcast packet';
  if (illegalSource4(h.src)) return 'RFC 1812 §4.3.2.7: no ICMP error to an invalid source address';
  if ((h.fragOffset ?? 0) > 0) return 'RFC 1812 §4.3.2.7: no ICMP error about a non-first fragment';
  return undefined;
}

/**
 * An ICMPv6 error of `type`/`code` about the IPv6 packet `original` (its
 * octets as received), from `src` to the packet's source.
 */
export function icmpError6(
  type: number,
  code: number,
  fields: IcmpErrorFields,
  original: Buffer,
  src: string,
  opts: IcmpErrorOptions = {},
): IcmpErrorResult {
  if (!isIPv6(src)) throw new Error(`icmpError6: source "${src}" is not an IPv6 address`);
  const orig = decode(original);
  if (!orig.ipv6) return drop('malformed', 'ICMPv6 error not sent: the offending packet is not IPv6');
  const why = suppressed6(orig, type, code);
  if (why && !hasFault(opts, 'icmp-error-storm')) return drop('error-suppressed', `ICMPv6 ${type}/${code} not sent: ${why}`);
  const quote = original.subarray(0, ICMPV6_ERROR_MAX - 40 - 8);
  const { payload, ...q } = quoteFields(quote);
  const packet: Packet = {
    ipv6: { trafficClass: errorDscp(orig.ipv6.trafficClass, opts), flowLabel: 0, hopLimit: ERROR_HOP_LIMIT, src, dst: orig.ipv6.src },
    icmpv6: { type, code, ...fields, ...q },
    payload,
  };
  return { kind: 'icmp-error', side: 6, packet, reason: opts.reason ?? `ICMPv6 ${type}/${code} to ${orig.ipv6.src}` };
}

/**
 * An ICMPv4 error of `type`/`code` about the IPv4 packet `original` (its
 * octets as received), from `src` to the packet's source.
 */
export function icmpError4(
  type: number,
  code: number,
  fields: IcmpErrorFields,
  original: Buffer,
  src: string,
  opts: IcmpErrorOptions = {},
): IcmpErrorResult {
  if (!isIPv4(src)) throw new Error(`icmpError4: source "${src}" is not an IPv4 address`);
  const orig = decode(original);
  if (!orig.ipv4) return drop('malformed', 'ICMPv4 error not sent: the offending packet is not IPv4');
  const why = suppressed4(orig);
  if (why && !hasFault(opts, 'icmp-error-storm')) return drop('error-suppressed', `ICMPv4 ${type}/${code} not sent: ${why}`);
  const quote = original.subarray(0, ICMPV4_ERROR_MAX - 20 - 8);
  const { payload, ...q } = quoteFields(quote);
  const packet: Packet = {
    ipv4: {
      tos: errorDscp(orig.ipv4.tos, opts),
      id: opts.ipv4Id ?? 0,
      df: false,
      mf: false,
      fragOffset: 0,
      ttl: ERROR_HOP_LIMIT,
      src,
      dst: orig.ipv4.src,
    },
    icmpv4: { type, code, ...fields, ...q },
    payload,
  };
  return { kind: 'icmp-error', side: 4, packet, reason: opts.reason ?? `ICMPv4 ${type}/${code} to ${orig.ipv4.src}` };
}

/** ICMPv6 Time Exceeded, code 0 (hop limit exceeded in transit), RFC 4443 §3.3. */
export function timeExceeded6(original: Buffer, src: string, opts: IcmpErrorOptions = {}): IcmpErrorResult {
  return icmpError6(3, 0, {}, original, src, opts);
}

/** ICMPv4 Time Exceeded, code 0 (TTL exceeded in transit), RFC 792 / RFC 1812 §5.3.1. */
export function timeExceeded4(original: Buffer, src: string, opts: IcmpErrorOptions = {}): IcmpErrorResult {
  return icmpError4(11, 0, {}, original, src, opts);
}
