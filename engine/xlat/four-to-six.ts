/**
 * RFC 7915 §4: an IPv4 packet becomes an IPv6 packet.
 *
 * Steps, in this order (the first that applies decides):
 *  1. not IPv4 / malformed / illegal source (§4.1 SHOULD drop)       -> drop
 *  2. IGMP (§4.2 SHOULD drop), ICMPv4 that is not Echo (§4.2), or
 *     fragmented ICMP (§1.2)                                          -> drop
 *  3. unexpired source route option (§4.1 MUST drop)                  -> ICMPv4 3/5 back
 *  4. TTL would reach zero (§4.1)                                     -> ICMPv4 11/0 back
 *  5. UDP with zero checksum (§4.5, RFC 6146 §3.4): computed when the
 *     datagram is whole; a first fragment is dropped with code
 *     'needs-reassembly', since a stateful NAT64 must reassemble and then compute
 *  6. translate the header (§4.1) and transport (§4.2 / §4.5)
 *
 * Not done here (the packet is translated as one packet): fragmenting DF=0
 * packets to lowest-ipv6-mtu and Fragmentation Needed for DF=1 packets too
 * big for the IPv6 next hop; both need the MTU configuration of a later stage.
 */
import { isIPv6, parseIPv4, parseIPv6 } from '../../harness/packet/address';
import { encode, upperProtocolOf } from '../../harness/packet/codec';
import { FragmentHeader, IPv4Option, IPv6Header, Packet, PROTO } from '../../harness/packet/types';
import { illegalSource4 } from './address-rules';
import { pseudoHeader6 } from './checksum-adjust';
import { icmpError4, timeExceeded4 } from './icmp-errors';
import { rewriteQuery } from './icmp-query';
import { icmp4To6 } from './icmp-tables';
import { malformedNote } from './malformed';
import { translateTcp, translateUdp } from './transport';
import { XlatMap, XlatOptions, XlatResult, drop, hasFault } from './types';

const IGMP = 2;
/** RFC 791 option types, copied flag included. */
const LSRR = 131;
const SSRR = 137;

/**
 * An unexpired Loose or Strict Source and Record Route option: RFC 791 says
 * the route is exhausted once the pointer (first data octet) exceeds the
 * option length. An option too short to hold a pointer is counted as
 * unexpired, since nothing shows the route was completed.
 */
export function unexpiredSourceRoute(options: IPv4Option[] | undefined): IPv4Option | undefined {
  return options?.find((o) => {
    if (o.type !== LSRR && o.type !== SSRR) return false;
    const data = o.data ?? Buffer.alloc(0);
    if (data.length === 0) return true;
    const length = o.length ?? data.length + 2;
    return data[0] <= length;
  });
}

function outgoingTrafficClass(tos: number, opts: XlatOptions): number {
  if (hasFault(opts, 'wrong-traffic-class')) return 0;
  if (opts.trafficClass === 'zero' && !hasFault(opts, 'tos-knob-ignored')) return 0;
  return tos;
}

/** A deterministic non-zero 20-bit value, for the nonzero-flow-label fault only. */
function flowHash(...parts: (string | number)[]): number {
  let x = 0x811c9dc5;
  for (const c of parts.join('|')) x = Math.imul(x ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return (x & 0xfffff) || 1;
}

/**
 * Translate an IPv4 packet to IPv6 with the addresses, ports and ICMP
 * identifier of `map`. See the module comment for the order of checks.
 */
export function translate4to6(pkt: Packet, map: XlatMap, opts: XlatOptions): XlatResult {
  const h = pkt.ipv4;
  if (!h || pkt.ipv6) return drop('malformed', 'not an IPv4 packet');
  if (!isIPv6(map.src) || !isIPv6(map.dst)) throw new Error(`translate4to6: map addresses must be IPv6 (got ${map.src} -> ${map.dst})`);
  const bad = malformedNote(pkt);
  if (bad) return drop('malformed', bad);
  if (illegalSource4(h.src) && !hasFault(opts, 'illegal-source-translated')) {
    return drop('illegal-source', `RFC 7915 §4.1: illegal IPv4 source ${h.src}`);
  }
  const original = () => encode({ ...pkt, trailer: undefined, notes: undefined });
  const errorSrc = opts.errorSrc4 ?? h.dst;
  const errorOpts = (reason: string) => ({ faults: opts.faults, ipv4Id: map.ipv4Id, reason });
  const fragmented = h.mf === true || (h.fragOffset ?? 0) > 0;
  const protocol = h.protocol ?? upperProtocolOf(pkt);

  // FAULT igmp-translated: IGMP is forwarded like any other protocol.
  if (protocol === IGMP && !hasFault(opts, 'translate-icmp-info') && !hasFault(opts, 'igmp-translated')) {
    return drop('untranslatable-icmp', 'RFC 7915 §4.2: IGMP is single-hop (7915-4.2-igmp-drop)');
  }
  let outType: number | undefined;
  if (protocol === PROTO.ICMP) {
    if (fragmented) return drop('fragmented-icmp', 'RFC 7915 §1.2: fragmented ICMPv4 is not translated (reassemble first)');
    const icmp = pkt.icmpv4;
    if (!icmp) return drop('malformed', 'ICMPv4 header missing');
    const look = icmp4To6(icmp.type, icmp.code ?? 0);
    const label = `ICMPv4 ${icmp.type}/${icmp.code ?? 0}`;
    if (look.class === 'error' && look.to.action === 'translate') {
      return drop('icmp-error', `${label} error: needs the ICMP error translation (${look.requirement})`);
    }
    if (look.to.action === 'translate') {
      outType = hasFault(opts, 'echo-type-untranslated') ? icmp.type : look.to.type;
    } else if (look.class === 'query' && hasFault(opts, 'translate-icmp-info')) {
      outType = icmp.type;
    } else {
      return drop('untranslatable-icmp', `RFC 7915 §4.2: ${look.to.reason} (${look.requirement})`);
    }
  }

  if (unexpiredSourceRoute(h.options) && !hasFault(opts, 'source-route-ignored')) {
    return icmpError4(3, 5, {}, original(), errorSrc, errorOpts('RFC 7915 §4.1: unexpired source route option; Source Route Failed'));
  }
  if ((h.options ?? []).length > 0 && hasFault(opts, 'drop-ipv4-options')) {
    return drop('fault', 'IPv4 options present (fault drop-ipv4-options)');
  }

  const ttl = h.ttl ?? 64;
  if (ttl <= 1) {
    if (hasFault(opts, 'no-time-exceeded')) return drop('expired', `TTL ${ttl} expired, no error sent (fault)`);
    return timeExceeded4(original(), errorSrc, errorOpts(`RFC 7915 §4.1: TTL ${ttl} reaches zero at the translator`));
  }

  let zeroUdp: 'compute' | 'keep' | undefined;
  if (pkt.udp && pkt.udp.checksum === 0) {
    if (hasFault(opts, 'keep-zero-udp-checksum')) zeroUdp = 'keep';
    else if (fragmented) {
      return drop('needs-reassembly', 'RFC 6146 §3.4: IPv4 UDP fragment with zero checksum: reassemble, then compute the checksum');
    } else if (hasFault(opts, 'drop-zero-udp-checksum')) return drop('fault', 'zero UDP checksum (fault drop-zero-udp-checksum)');
    else zeroUdp = 'compute';
  }

  const nextHeader = protocol === PROTO.ICMP && !hasFault(opts, 'icmp-protocol-untranslated') ? PROTO.ICMPV6 : protocol;
  const id16 = (h.id ?? 0) & 0xffff;
  let fh: FragmentHeader | undefined;
  if (fragmented && !hasFault(opts, 'fragment-header-ignored')) {
    // §4.1: offset and M copied, Identification = IPv4 ID in the low-order 16 bits.
    fh = { kind: 'fragment', nextHeader, reserved: 0, offset: h.fragOffset ?? 0, res: 0, m: h.mf === true, id: id16 };
  } else if (!fragmented && !h.df && hasFault(opts, 'atomic-fragments')) {
    fh = { kind: 'fragment', nextHeader, reserved: 0, offset: 0, res: 0, m: false, id: id16 };
  }
  const ipv6: IPv6Header = {
    trafficClass: outgoingTrafficClass(h.tos ?? 0, opts),
    flowLabel: hasFault(opts, 'nonzero-flow-label') ? flowHash(h.src, h.dst, protocol, map.sport ?? 0, map.dport ?? 0) : 0,
    nextHeader: fh ? PROTO.IPV6_FRAG : nextHeader,
    hopLimit: hasFault(opts, 'no-hop-limit-decrement') ? ttl : ttl - 1,
    src: map.src,
    dst: map.dst,
    extensions: fh ? [fh] : [],
  };
  const out: Packet = { ipv6, payload: pkt.payload };

  const src6 = parseIPv6(map.src);
  const dst6 = parseIPv6(map.dst);
  const addrs = { before: Buffer.concat([parseIPv4(h.src), parseIPv4(h.dst)]), after: Buffer.concat([src6, dst6]) };
  if (pkt.udp) {
    const udp = translateUdp(pkt.udp, map, addrs, opts);
    // Undefined makes encode compute the full checksum over the IPv6 pseudo-header.
    if (zeroUdp === 'compute') udp.checksum = undefined;
    out.udp = udp;
  } else if (pkt.tcp) {
    out.tcp = translateTcp(pkt.tcp, map, addrs, opts);
  } else if (pkt.icmpv4 && outType !== undefined) {
    const length = 8 + (pkt.payload?.length ?? 0);
    out.icmpv6 = rewriteQuery({
      from: 4,
      header: pkt.icmpv4,
      payload: pkt.payload,
      outType,
      id: map.icmpId,
      pseudoAfter: pseudoHeader6(src6, dst6, PROTO.ICMPV6, length),
      opts,
    });
  }
  return { kind: 'ok', packet: out };
}
