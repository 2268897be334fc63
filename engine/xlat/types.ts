/**
 * Types shared by the RFC 7915 translation functions.
 *
 * The translation functions are pure: the NAT64 half (RFC 6146) decides the
 * outgoing addresses, ports and identifiers and passes them in as an
 * `XlatMap`; the functions only rewrite headers. Everything that would need
 * state (fragment reassembly, the IPv4 Identification generator, rate
 * limiting of ICMP errors) stays with the caller.
 */
import { Packet, Side } from '../../harness/packet/types';
import { XlatFault } from './fault-names';

/** Outgoing tuple for one packet, as the NAT64 half computed it (RFC 6146 §3.6). */
export interface XlatMap {
  /** Outgoing source address (IPv4 dotted quad for 6->4, IPv6 text for 4->6). */
  src: string;
  /** Outgoing destination address. */
  dst: string;
  /** Outgoing TCP/UDP source port; left as received when absent. */
  sport?: number;
  /** Outgoing TCP/UDP destination port; left as received when absent. */
  dport?: number;
  /** Outgoing ICMP Echo identifier (RFC 6146 §3.7); left as received when absent. */
  icmpId?: number;
  /**
   * The IPv4 Identification of an IPv4 packet this call emits without a
   * Fragment Header to copy it from: the translated packet (6->4, RFC 7915
   * §5.1 "Fragment Identification generator") or an ICMPv4 error the
   * translator originates (4->6). The caller owns the generator. Absent
   * means 0, which is only safe for DF=1 packets (RFC 6864 §4.1).
   */
  ipv4Id?: number;
}

export interface XlatOptions {
  /** Deliberate defects switched on (engine/faults.ts); empty in normal operation. */
  faults: ReadonlySet<string>;
  /**
   * RFC 7915 §4.1 SHOULD knob: 'zero' ignores the IPv4 TOS and sends Traffic
   * Class 0. Default 'copy' (the whole octet, DSCP and ECN, RFC 2474).
   */
  trafficClass?: 'copy' | 'zero';
  /**
   * RFC 7915 §5.1 SHOULD knob: a number ignores the IPv6 Traffic Class and
   * sends that TOS octet. Default 'copy'.
   */
  tos?: 'copy' | number;
  /**
   * Source of ICMPv6 errors the translator originates toward the IPv6 side
   * (Time Exceeded, Parameter Problem). The NAT64 half decides it, e.g. the
   * Pref64 representation of a pool4 address. Default: the destination of
   * the packet that caused the error, an address the translator answers for.
   */
  errorSrc6?: string;
  /**
   * Source of ICMPv4 errors the translator originates toward the IPv4 side.
   * Default: the destination of the packet that caused the error (a pool4
   * address in a stateful NAT64, which RFC 1812 §4.3.2.4 accepts).
   */
  errorSrc4?: string;
  /**
   * Next-hop MTUs of the two sides (EngineConfig.mtu), for the Packet Too Big
   * / Fragmentation Needed arithmetic of §4.2/§5.2. Default 1500 each.
   */
  mtu?: { ipv6: number; ipv4: number; lowestIpv6?: number };
}

/**
 * Why a packet was not translated, for the caller to act on: most codes mean
 * "silently discard", but some ask the caller to do something first.
 */
export type DropCode =
  /** The bytes are not a well-formed packet of the expected family. */
  | 'malformed'
  /** Source address that must never be translated (RFC 7915 §4.1/§5.1, RFC 1812 §5.3.7). */
  | 'illegal-source'
  /** ICMP informational message that RFC 7915 §4.2/§5.2 silently drops, or IGMP. */
  | 'untranslatable-icmp'
  /** ICMP error message: translate it with the error translation of a later stage. */
  | 'icmp-error'
  /** Fragmented ICMP (RFC 7915 §1.2): the caller may reassemble and call again. */
  | 'fragmented-icmp'
  /** IPv4 UDP fragment with zero checksum: RFC 6146 §3.4 says reassemble, then compute. */
  | 'needs-reassembly'
  /** Fragment Header followed by another extension header (RFC 7915 §5.1.1 SHOULD drop). */
  | 'fragment-extension-chain'
  /** Policy drop a fault asked for (the packet would have been translated). */
  | 'fault'
  /** An ICMP error would have been sent but RFC 1812 §4.3.2.7 / RFC 4443 §2.4(e) forbid it. */
  | 'error-suppressed'
  /** Expired packet dropped without an error (only under the no-time-exceeded fault). */
  | 'expired'
  /** The translated packet would not fit the IPv4 Total Length field; MTU handling must answer it. */
  | 'too-big';

export type XlatResult =
  /** The translated packet, to be encoded and sent out the other side. */
  | { kind: 'ok'; packet: Packet }
  | { kind: 'drop'; code: DropCode; reason: string }
  /** An ICMP error the translator originates; it leaves on `side`, the side the packet came from. */
  | { kind: 'icmp-error'; side: Side; packet: Packet; reason: string };

/** The subset of results an ICMP error builder returns. */
export type IcmpErrorResult = Extract<XlatResult, { kind: 'icmp-error' }> | Extract<XlatResult, { kind: 'drop' }>;

export function drop(code: DropCode, reason: string): Extract<XlatResult, { kind: 'drop' }> {
  return { kind: 'drop', code, reason };
}

/** Typed fault test, so a misspelt fault name is a compile error rather than a silent no-op. */
export function hasFault(opts: { faults?: ReadonlySet<string> }, name: XlatFault): boolean {
  return opts.faults?.has(name) ?? false;
}
