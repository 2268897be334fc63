/**
 * RFC 7915 §5: an IPv6 packet becomes an IPv4 packet.
 *
 * Steps, in this order (the first that applies decides):
 *  1. not IPv6 / malformed / illegal source (§5.1 SHOULD drop)      -> drop
 *  2. Routing header with Segments Left != 0 (§5.1)                  -> ICMPv6 4/0 back
 *  3. Fragment Header followed by an extension header (§5.1.1 SHOULD) -> drop
 *  4. ICMPv6 that is not Echo (§5.2), or is fragmented (§1.2)         -> drop
 *  5. Hop Limit would reach zero (§5.1)                               -> ICMPv6 3/0 back
 *  6. translate the header (§5.1 / §5.1.1) and transport (§5.2 / §5.5)
 * Structural problems come before the hop limit: a packet the translator
 * could never forward gets the error that says why, not a Time Exceeded.
 */
import { isIPv4, parseIPv4, parseIPv6 } from '../../harness/packet/address';
import { encode } from '../../harness/packet/codec';
import { EXT_PROTO } from '../../harness/packet/ipv6';
import { IPv4Header, Packet, PROTO } from '../../harness/packet/types';
import { illegalSource6 } from './address-rules';
import { pseudoHeader6 } from './checksum-adjust';
import { walkExtensions } from './ext-chain';
import { icmpError6, timeExceeded6 } from './icmp-errors';
import { rewriteQuery } from './icmp-query';
import { icmp6To4 } from './icmp-tables';
import { malformedNote } from './malformed';
import { translateTcp, translateUdp } from './transport';
import { XlatMap, XlatOptions, XlatResult, drop, hasFault } from './types';

/** §5 / §5.1: an IPv4 packet of at most this many octets is sent with DF clear, larger ones with DF set. */
export const DF_THRESHOLD = 1260;
const MAX_IPV4_TOTAL_LENGTH = 0xffff;

function outgoingTos(trafficClass: number, opts: XlatOptions): number {
  if (hasFault(opts, 'wrong-traffic-class')) return 0;
  if (typeof opts.tos === 'number' && !hasFault(opts, 'tos-knob-ignored')) return opts.tos & 0xff;
  return trafficClass;
}

/**
 * Translate an IPv6 packet to IPv4 with the addresses, ports and ICMP
 * identifier of `map`. See the module comment for the order of checks.
 */
export function translate6to4(pkt: Packet, map: XlatMap, opts: XlatOptions): XlatResult {
  const h = pkt.ipv6;
  if (!h || pkt.ipv4) return drop('malformed', 'not an IPv6 packet');
  if (!isIPv4(map.src) || !isIPv4(map.dst)) throw new Error(`translate6to4: map addresses must be IPv4 (got ${map.src} -> ${map.dst})`);
  const bad = malformedNote(pkt);
  if (bad) return drop('malformed', bad);
  if (illegalSource6(h.src) && !hasFault(opts, 'illegal-source-translated')) {
    return drop('illegal-source', `RFC 7915 §5.1: illegal IPv6 source ${h.src}`);
  }
  // What the sender sent, without link-layer padding: the quote of any error.
  const original = () => encode({ ...pkt, trailer: undefined, notes: undefined });
  const errorSrc = opts.errorSrc6 ?? h.dst;

  const chain = walkExtensions(pkt);
  if (chain.segmentsLeftPointer !== undefined && !hasFault(opts, 'routing-header-ignored')) {
    return icmpError6(4, 0, { pointer: chain.segmentsLeftPointer }, original(), errorSrc, {
      faults: opts.faults,
      reason: `RFC 7915 §5.1: Routing header with Segments Left != 0; Parameter Problem pointer ${chain.segmentsLeftPointer}`,
    });
  }
  if (chain.extensionAfterFragment !== undefined && !hasFault(opts, 'fragment-ext-chain-translated')) {
    return drop('fragment-extension-chain', `RFC 7915 §5.1.1: Fragment Header followed by extension header ${chain.extensionAfterFragment}`);
  }
  const fragmented = !!chain.fragment && (chain.fragment.m === true || (chain.fragment.offset ?? 0) > 0);

  let outType: number | undefined;
  if (chain.protocol === PROTO.ICMPV6) {
    if (fragmented) return drop('fragmented-icmp', 'RFC 7915 §1.2: fragmented ICMPv6 is not translated (reassemble first)');
    const icmp = pkt.icmpv6;
    if (!icmp) return drop('malformed', 'ICMPv6 header missing');
    const look = icmp6To4(icmp.type, icmp.code ?? 0);
    if (look.class === 'error' && look.to.action === 'translate') {
      return drop('icmp-error', `ICMPv6 ${icmp.type}/${icmp.code ?? 0} error: needs the ICMP error translation (${look.requirement})`);
    }
    if (look.to.action === 'translate') {
      outType = hasFault(opts, 'echo-type-untranslated') ? icmp.type : look.to.type;
    } else if (look.class === 'query' && hasFault(opts, 'translate-icmp-info')) {
      outType = icmp.type;
    } else {
      return drop('untranslatable-icmp', `RFC 7915 §5.2: ${look.to.reason} (${look.requirement})`);
    }
  }

  const hopLimit = h.hopLimit ?? 64;
  if (hopLimit <= 1) {
    if (hasFault(opts, 'no-time-exceeded')) return drop('expired', `hop limit ${hopLimit} expired, no error sent (fault)`);
    return timeExceeded6(original(), errorSrc, {
      faults: opts.faults,
      reason: `RFC 7915 §5.1: hop limit ${hopLimit} reaches zero at the translator`,
    });
  }

  const frag = hasFault(opts, 'fragment-header-ignored') ? undefined : chain.fragment;
  let protocol = chain.protocol === PROTO.ICMPV6 && !hasFault(opts, 'icmp-protocol-untranslated') ? PROTO.ICMP : chain.protocol;
  const exts = h.extensions ?? [];
  if (hasFault(opts, 'ext-headers-not-skipped') && exts.length) protocol = h.nextHeader ?? EXT_PROTO[exts[0].kind];

  const ipv4: IPv4Header = {
    tos: outgoingTos(h.trafficClass ?? 0, opts),
    // §5.1.1: the low-order 16 bits of the Fragment Header's Identification.
    id: frag ? (frag.id ?? 0) & 0xffff : (map.ipv4Id ?? 0),
    reservedFlag: false,
    df: false, // decided below, once the size is known
    mf: frag ? frag.m === true : false,
    fragOffset: frag ? (frag.offset ?? 0) : 0,
    ttl: hasFault(opts, 'no-hop-limit-decrement') ? hopLimit : hopLimit - 1,
    protocol,
    src: map.src,
    dst: map.dst,
  };
  const out: Packet = { ipv4, payload: pkt.payload };

  const addrs = {
    before: Buffer.concat([parseIPv6(h.src), parseIPv6(h.dst)]),
    after: Buffer.concat([parseIPv4(map.src), parseIPv4(map.dst)]),
  };
  if (pkt.udp) out.udp = translateUdp(pkt.udp, map, addrs, opts);
  else if (pkt.tcp) out.tcp = translateTcp(pkt.tcp, map, addrs, opts);
  else if (pkt.icmpv6 && outType !== undefined) {
    const length = 8 + (pkt.payload?.length ?? 0);
    out.icmpv4 = rewriteQuery({
      from: 6,
      header: pkt.icmpv6,
      payload: pkt.payload,
      outType,
      id: map.icmpId,
      pseudoBefore: pseudoHeader6(addrs.before.subarray(0, 16), addrs.before.subarray(16), PROTO.ICMPV6, length),
      opts,
    });
  }

  const size = encode(out).length;
  if (size > MAX_IPV4_TOTAL_LENGTH) return drop('too-big', `translated packet of ${size} octets exceeds the IPv4 Total Length range`);
  // §5.1 (unfragmented: DF iff larger than 1260) and §5.1.1 (fragments: DF clear).
  ipv4.df = frag ? false : size > DF_THRESHOLD;
  if (hasFault(opts, 'df-always-set')) ipv4.df = true;
  if (hasFault(opts, 'df-never-set')) ipv4.df = false;
  if (hasFault(opts, 'ext-headers-not-skipped') && exts.length) ipv4.totalLength = size + chain.skippedLength;
  // FAULT total-length-counts-ipv6-header: Total Length = Payload Length + 40 (the IPv6 header size) instead of + 20.
  if (hasFault(opts, 'total-length-counts-ipv6-header')) ipv4.totalLength = (h.payloadLength ?? size - 20) + 40;
  return { kind: 'ok', packet: out };
}
