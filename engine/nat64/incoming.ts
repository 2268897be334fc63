/**
 * Step 1 of RFC 6146 §3.3: determining the incoming tuple (§3.4), together
 * with the §3.5 address checks that decide whether a packet is the NAT64's
 * business at all, and the RFC 6052 §3.1 Well-Known-Prefix rule.
 *
 * Pure: reads the packet and the fixed configuration (Pref64, pool4), never
 * the tables.
 */
import { formatIPv4, parseIPv6 } from '../../harness/packet/address';
import { decode, encode } from '../../harness/packet/codec';
import { internetChecksum } from '../../harness/packet/checksum';
import type { Packet } from '../../harness/packet/types';
import { PROTO } from '../../harness/packet/types';
import type { Protocol } from '../api';
import { illegalSource4, illegalSource6 } from '../xlat/address-rules';
import type { FaultFlags } from './flags';
import type { Pool4 } from './pool4';
import type { Pref64Map } from './pref64';
import type { TcpFlagsIn } from './tcp-state';

/**
 * A tuple in the direction of the packet. For ICMP queries `sport` and
 * `dport` both hold the identifier. For ICMP errors it is the tuple of the
 * embedded packet with source and destination swapped (§3.4).
 */
export interface Tuple {
  proto: Protocol;
  src: string;
  sport: number;
  dst: string;
  dport: number;
}

export type Incoming =
  /** TCP, UDP or an ICMP query (echo request / reply). */
  | { kind: 'flow'; tuple: Tuple; tcp?: TcpFlagsIn; /** IPv6 side: Z, the IPv4 address in the destination. */ z4: string; pkt: Packet }
  /** An ICMP error about a TCP, UDP or ICMP-query packet. */
  | { kind: 'error'; tuple: Tuple; z4: string; pkt: Packet }
  /** A protocol other than TCP, UDP, ICMP (§3.4 last paragraphs). */
  | { kind: 'unknown-protocol'; protocol: number; z4: string; pkt: Packet }
  /**
   * Discarded, with the reason (for tests and logs). `prohibited`: no other
   * error is prescribed, so RFC 7915 §4.4/§5.4's Destination Unreachable
   * "administratively prohibited" goes back (engine/nat64/icmp-policy.ts).
   */
  | { kind: 'drop'; reason: string; prohibited?: boolean }
  /** Not addressed to the NAT64 (§3.5: not to Pref64::/n or not to pool4): not handled at all. */
  | { kind: 'not-ours'; reason: string };

const drop = (reason: string): Incoming => ({ kind: 'drop', reason });

function cutShort(p: Packet): boolean {
  return !!p.notes?.some((n) => /truncated|cut short|runs past|exceeds the|below the minimum|shorter than/.test(n));
}

/** The protocol named by the last Next Header of an IPv6 packet. */
export function lastNextHeader6(p: Packet): number {
  const h = p.ipv6!;
  const ext = h.extensions ?? [];
  return ext.length ? ext[ext.length - 1].nextHeader ?? PROTO.IPV6_NONXT : h.nextHeader ?? PROTO.IPV6_NONXT;
}

function isFragment6(p: Packet): boolean {
  for (const e of p.ipv6!.extensions ?? []) if (e.kind === 'fragment' && (e.m || (e.offset ?? 0) > 0)) return true;
  return false;
}

/** Ports of an embedded TCP/UDP packet, also when the quote stops inside the header (RFC 792 quotes only 8 bytes). */
function innerPorts(inner: Packet, protocol: number): { sport: number; dport: number } | undefined {
  const l4 = protocol === PROTO.UDP ? inner.udp : protocol === PROTO.TCP ? inner.tcp : undefined;
  if (l4) return { sport: l4.sport, dport: l4.dport };
  const pl = inner.payload;
  if ((protocol === PROTO.UDP || protocol === PROTO.TCP) && pl && pl.length >= 4) return { sport: pl.readUInt16BE(0), dport: pl.readUInt16BE(2) };
  return undefined;
}

/** The tuple with source and destination exchanged (back). */
function swapped(t: Tuple): Tuple {
  return { proto: t.proto, src: t.dst, sport: t.dport, dst: t.src, dport: t.sport };
}

/** Swapped tuple of the packet embedded in an ICMP error, or a reason to drop. */
function errorTuple(inner: Packet | undefined, family: 4 | 6, flags: FaultFlags, depth = 0): Tuple | string {
  const t = embeddedTuple(inner, family, flags, depth);
  // FAULT icmp-error-tuple-unswapped: source and destination are not exchanged.
  return typeof t !== 'string' && flags.icmpErrorTupleUnswapped ? swapped(t) : t;
}

function embeddedTuple(inner: Packet | undefined, family: 4 | 6, flags: FaultFlags, depth: number): Tuple | string {
  const h = family === 6 ? inner?.ipv6 : inner?.ipv4;
  if (!inner || !h) return `embedded packet is not IPv${family}`;
  const protocol = family === 6 ? lastNextHeader6(inner) : inner.ipv4!.protocol ?? -1;
  if (protocol === PROTO.UDP || protocol === PROTO.TCP) {
    let ports = innerPorts(inner, protocol);
    if (flags.innerOptionsOffsetFixed && family === 4 && (inner.ipv4!.ihl ?? 5) > 5) {
      // FAULT inner-options-offset-fixed: the ports are read at offset 20, inside the IPv4 options.
      const b = encode({ ...inner, trailer: undefined, notes: undefined });
      ports = b.length >= 24 ? { sport: b.readUInt16BE(20), dport: b.readUInt16BE(22) } : undefined;
    }
    // FAULT short-quote-matched: missing ports become -1, for the pipeline to match any mapping of the address.
    if (!ports && flags.shortQuoteMatched && family === 4) ports = { sport: -1, dport: -1 };
    if (!ports) return 'embedded packet too short to recover the 5-tuple (RFC 6146 §3.4)';
    return { proto: protocol === PROTO.UDP ? 'udp' : 'tcp', src: h.dst, sport: ports.dport, dst: h.src, dport: ports.sport };
  }
  const icmp = family === 6 ? inner.icmpv6 : inner.icmpv4;
  if (protocol === (family === 6 ? PROTO.ICMPV6 : PROTO.ICMP)) {
    if (!icmp) {
      // FAULT short-quote-matched
      if (flags.shortQuoteMatched && family === 4) return { proto: 'icmp', src: h.dst, sport: -1, dst: h.src, dport: -1 };
      return 'embedded ICMP message too short to recover the identifier (RFC 6146 §3.4)';
    }
    const query = family === 6 ? icmp.type === 128 || icmp.type === 129 : icmp.type === 8 || icmp.type === 0;
    if (!query) {
      const isErr = family === 6 ? icmp.type < 128 : [3, 4, 5, 11, 12].includes(icmp.type);
      if (isErr && flags.icmpErrorInErrorTranslated && depth === 0) {
        // FAULT icmp-error-in-error-translated: the tuple of the packet quoted one level deeper, as it stands.
        const deeper = embeddedTuple(icmp.quote, family, flags, 1);
        if (typeof deeper !== 'string') return swapped(deeper);
      }
      return isErr ? 'ICMP error inside an ICMP error (RFC 6146 §3.4)' : `embedded ICMP type ${icmp.type} is not a query`;
    }
    const id = icmp.id ?? 0;
    return { proto: 'icmp', src: h.dst, sport: id, dst: h.src, dport: id };
  }
  return `embedded protocol ${protocol} has no BIB`;
}

export interface IncomingEnv {
  pref: Pref64Map;
  pool: Pool4;
  flags: FaultFlags;
  /** The RFC 7915 half's fault that lets illegal sources through (we then leave the check to it). */
  illegalSourcesAllowed: boolean;
  /** The RFC 7915 half's fault translate-icmp-info: informational ICMP other than echo is passed on as a query. */
  translateIcmpInfo: boolean;
}

/** RFC 6052 §3.1 under the WKP; false means drop. */
function wkpAllows(env: IncomingEnv, ipv4: string): boolean {
  // FAULT translate-nonglobal-wkp: the §3.1 rule is ignored.
  return env.flags.translateNonglobalWkp || env.pref.allowed(ipv4);
}

/** Step 1 for a packet that arrived on the IPv6 interface. */
export function incoming6(env: IncomingEnv, p: Packet): Incoming {
  const h = p.ipv6;
  if (!h) return drop('not an IPv6 packet');
  if ((h.version ?? 6) !== 6) return drop('IPv6 version field is not 6');
  // §3.5: only packets to Pref64::/n are processed.
  // FAULT pref64-prefix-unchecked: any destination is taken as ours, the IPv4 address read from its last 32 bits.
  const z4 = env.pref.extract(h.dst) ?? (env.flags.pref64PrefixUnchecked ? formatIPv4(parseIPv6(h.dst), 12) : undefined);
  if (z4 === undefined) return { kind: 'not-ours', reason: `destination ${h.dst} is outside ${env.pref.text}` };
  // §3.5: a source inside Pref64::/n is dropped silently (hairpin loops, §5.4).
  // FAULT accept-pref64-source: the check is skipped.
  if (!env.flags.acceptPref64Source && env.pref.contains(h.src)) return drop(`source ${h.src} lies inside ${env.pref.text} (RFC 6146 §3.5)`);
  if (!env.illegalSourcesAllowed && illegalSource6(h.src)) return drop(`illegal source ${h.src} (RFC 7915 §5.1)`);
  if (!wkpAllows(env, z4)) return { kind: 'drop', reason: `destination embeds non-global ${z4} under the Well-Known Prefix (RFC 6052 §3.1)`, prohibited: true };
  if (cutShort(p)) return drop(`malformed: ${p.notes!.join('; ')}`);
  if (isFragment6(p)) return drop('fragment not taken for reassembly (fragments.ts): dropped');
  const protocol = lastNextHeader6(p);
  if (protocol === PROTO.UDP || protocol === PROTO.TCP) {
    const l4 = p.udp ?? p.tcp;
    if (!l4) return drop('transport header missing');
    const proto: Protocol = p.udp ? 'udp' : 'tcp';
    const tuple: Tuple = { proto, src: h.src, sport: l4.sport, dst: h.dst, dport: l4.dport };
    const f = p.tcp?.flags;
    return { kind: 'flow', tuple, z4, pkt: p, ...(p.tcp ? { tcp: { syn: !!f?.syn, fin: !!f?.fin, rst: !!f?.rst } } : {}) };
  }
  if (protocol === PROTO.ICMPV6) {
    const icmp = p.icmpv6;
    if (!icmp) return drop('ICMPv6 header missing');
    if (icmp.type === 128 || icmp.type === 129) {
      const id = icmp.id ?? 0;
      return { kind: 'flow', tuple: { proto: 'icmp', src: h.src, sport: id, dst: h.dst, dport: id }, z4, pkt: p };
    }
    if (icmp.type >= 128) {
      // The RFC 7915 half's fault translate-icmp-info translates other informational types; give them a query tuple.
      if (env.translateIcmpInfo) {
        const id = icmp.id ?? 0;
        return { kind: 'flow', tuple: { proto: 'icmp', src: h.src, sport: id, dst: h.dst, dport: id }, z4, pkt: p };
      }
      return drop(`ICMPv6 informational type ${icmp.type} is not translated (RFC 7915 §5.2)`);
    }
    // FAULT icmp-error-drop-rows-translated: every error type goes on to translation.
    if (![1, 2, 3, 4].includes(icmp.type) && !env.flags.icmpErrorDropRowsTranslated) return drop(`ICMPv6 error type ${icmp.type} is not translated (RFC 7915 §5.2)`);
    const t = errorTuple(icmp.quote, 6, env.flags);
    if (typeof t === 'string') return drop(t);
    // The tuple's destination is the embedded source Y': it must be a Pref64 address too.
    const w = env.pref.extract(t.dst);
    if (w === undefined) return drop(`embedded source ${t.dst} is outside ${env.pref.text}`);
    if (!wkpAllows(env, w)) return drop(`embedded source embeds non-global ${w} under the Well-Known Prefix (RFC 6052 §3.1)`);
    return { kind: 'error', tuple: t, z4: w, pkt: p };
  }
  return { kind: 'unknown-protocol', protocol, z4, pkt: p };
}

function ipv4HeaderChecksumOk(bytes: Buffer): boolean {
  const ihl = (bytes[0] & 0x0f) * 4;
  return ihl >= 20 && bytes.length >= ihl && internetChecksum(bytes.subarray(0, ihl)) === 0;
}

/**
 * Step 1 for a packet that arrived on the IPv4 interface. `bytes` is given
 * for packets from the wire (header checksum check); hairpinned packets are
 * built by the translator and pass undefined.
 */
export function incoming4(env: IncomingEnv, p: Packet, bytes: Buffer | undefined): Incoming {
  const h = p.ipv4;
  if (!h) return drop('not an IPv4 packet');
  if ((h.version ?? 4) !== 4) return drop('IPv4 version field is not 4');
  // §3.5: only packets to a pool4 address are processed.
  // FAULT pool4-destination-unchecked: packets to any address are processed (update4 then matches the BIB by port).
  if (env.pool.indexOf(h.dst) < 0 && !env.flags.poolDestinationUnchecked) return { kind: 'not-ours', reason: `destination ${h.dst} is not in pool4` };
  if (bytes && !ipv4HeaderChecksumOk(bytes)) return drop('bad IPv4 header checksum (RFC 1812 §5.2.2)');
  if (!env.illegalSourcesAllowed && illegalSource4(h.src)) return drop(`illegal source ${h.src} (RFC 7915 §4.1)`);
  if (!wkpAllows(env, h.src)) return { kind: 'drop', reason: `source ${h.src} is non-global and cannot be represented under the Well-Known Prefix (RFC 6052 §3.1)`, prohibited: true };
  if (cutShort(p)) return drop(`malformed: ${p.notes!.join('; ')}`);
  if (h.mf || (h.fragOffset ?? 0) > 0) return drop('fragment not taken for reassembly (fragments.ts): dropped');
  const protocol = h.protocol ?? -1;
  if (protocol === PROTO.UDP || protocol === PROTO.TCP) {
    const l4 = p.udp ?? p.tcp;
    if (!l4) return drop('transport header missing');
    const proto: Protocol = p.udp ? 'udp' : 'tcp';
    const f = p.tcp?.flags;
    return {
      kind: 'flow',
      tuple: { proto, src: h.src, sport: l4.sport, dst: h.dst, dport: l4.dport },
      z4: h.src,
      pkt: p,
      ...(p.tcp ? { tcp: { syn: !!f?.syn, fin: !!f?.fin, rst: !!f?.rst } } : {}),
    };
  }
  if (protocol === PROTO.ICMP) {
    const icmp = p.icmpv4;
    if (!icmp) return drop('ICMPv4 header missing');
    // The RFC 7915 half's fault translate-icmp-info: every non-error type becomes a query; types without an
    // identifier field (router discovery, unknown types) take the first half of their second word.
    if (icmp.type === 8 || icmp.type === 0 || (env.translateIcmpInfo && ![3, 4, 5, 6, 11, 12].includes(icmp.type))) {
      const id = icmp.id ?? ((icmp.rest ?? 0) >>> 16);
      return { kind: 'flow', tuple: { proto: 'icmp', src: h.src, sport: id, dst: h.dst, dport: id }, z4: h.src, pkt: p };
    }
    // FAULT icmp-error-drop-rows-translated: Source Quench, Redirect and Alternate Host Address go on to translation.
    const dropRows = env.flags.icmpErrorDropRowsTranslated && [4, 5, 6].includes(icmp.type);
    if (![3, 11, 12].includes(icmp.type) && !dropRows) return drop(`ICMPv4 type ${icmp.type} is not translated (RFC 7915 §4.2)`);
    const t = errorTuple(icmp.quote ?? (dropRows && p.payload ? decode(p.payload) : undefined), 4, env.flags);
    if (typeof t === 'string') return drop(t);
    // The tuple's destination is the embedded source: it must be one of ours.
    if (env.pool.indexOf(t.dst) < 0) return drop(`embedded source ${t.dst} is not in pool4`);
    if (!wkpAllows(env, t.src)) return drop(`embedded destination ${t.src} is non-global under the Well-Known Prefix (RFC 6052 §3.1)`);
    return { kind: 'error', tuple: t, z4: t.src, pkt: p };
  }
  // IGMP is single-hop (RFC 7915 §4.2): silently dropped rather than answered with protocol unreachable.
  // FAULT igmp-translated: IGMP goes on like any other protocol.
  if (protocol === 2 && !env.flags.igmpTranslated) return drop('IGMP is not translated (RFC 7915 §4.2)');
  return { kind: 'unknown-protocol', protocol, z4: h.src, pkt: p };
}
