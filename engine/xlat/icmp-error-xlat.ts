/**
 * RFC 7915 §4.2-§4.3 and §5.2-§5.3: translation of ICMP error messages, the
 * stage that icmp-tables.ts was written for.
 *
 *   translateIcmpError4to6(pkt, outer, inner, opts)   ICMPv4 error -> ICMPv6 error
 *   translateIcmpError6to4(pkt, outer, inner, opts)   ICMPv6 error -> ICMPv4 error
 *
 * `outer` is the outgoing tuple of the error itself (the NAT64 half decides
 * it: RFC 6146 §3.6, RFC 5508 REQ-4c/REQ-5c); `inner` is the outgoing tuple
 * of the quoted packet, already swapped (RFC 6146 §3.7: embedded source =
 * destination of the outgoing 5-tuple).
 *
 * Steps, in this order:
 *  1. not the expected family / malformed / fragmented (§1.2)        -> drop
 *  2. ICMP checksum of the error, then the IPv4 header checksum of the
 *     quoted packet (RFC 5508 REQ-3, REQ-3a SHOULD drop); the quoted
 *     transport checksum is never validated (REQ-3c)                 -> drop
 *  3. type/code per the §4.2/§5.2 tables, pointer per Figures 3/6,
 *     Packet Too Big / Fragmentation Needed MTU (ptbMtu4to6/6to4)    -> drop if the tables say so
 *  4. TTL / Hop Limit of the error itself would reach zero           -> drop (no error about an error)
 *  5. the quoted packet translated "just like a normal IP packet" with the
 *     inner tuple, its TTL / Hop Limit copied, not decremented (§4.3/§5.3),
 *     one level only: a quoted ICMP error is not translated further -> drop
 *  6. the body rebuilt: translated quote, cut so the error fits 1280 octets
 *     (ICMPv6, RFC 4443 §2.4(c)) or 576 (ICMPv4, RFC 1812 §4.3.2.3); an
 *     RFC 4884 extension structure is carried as opaque bytes after the
 *     quote, zero-padded to 128 octets and a 64-bit (ICMPv6) / 32-bit
 *     (ICMPv4) boundary, with the length attribute recomputed, and the
 *     extension itself truncated when it does not fit (§4.2 SHOULD)
 *  7. outer header: addresses from `outer`, Hop Limit / TTL decremented,
 *     TOS / Traffic Class as for any packet, lengths and the ICMP checksum
 *     computed over the new message (and the IPv6 pseudo-header)
 *
 * The result's ICMP body is raw octets (`payload`) with the length field
 * set explicitly, so `encode` writes exactly the message built here.
 */
import { isIPv4, isIPv6, parseIPv4, parseIPv6 } from '../../harness/packet/address';
import { onesSum, pseudoHeaderSum4, pseudoHeaderSum6 } from '../../harness/packet/checksum';
import { decode, encode } from '../../harness/packet/codec';
import { decodeSecondWord, encodeExtensions, encodeSecondWord, hasLengthField } from '../../harness/packet/icmp';
import { encodeIPv4Header } from '../../harness/packet/ipv4';
import { FragmentHeader, ICMPCommon, IPv4Header, IPv6Header, Packet, PROTO } from '../../harness/packet/types';
import { adjustChecksum, pseudoHeader6, words } from './checksum-adjust';
import { walkExtensions } from './ext-chain';
import { ICMPV4_ERROR_MAX, ICMPV6_ERROR_MAX, timeExceeded4, timeExceeded6 } from './icmp-errors';
import { rewriteQuery } from './icmp-query';
import { IcmpAction, icmp4To6, icmp6To4, pointer4To6, pointer6To4, ptbMtu4to6, ptbMtu6to4 } from './icmp-tables';
import { malformedNote } from './malformed';
import { DF_THRESHOLD } from './six-to-four';
import { AddressSwap, translateTcp, translateUdp } from './transport';
import { XlatMap, XlatOptions, XlatResult, drop, hasFault } from './types';

/** RFC 4884 §4: with extensions, the "original datagram" field holds at least this many octets. */
export const RFC4884_MIN_ORIGINAL = 128;
/** Next-hop MTUs when the caller gives none (RFC 7915 §4.2/§5.2 formulas). */
const DEFAULT_MTU = { ipv6: 1500, ipv4: 1500 };

/** The MTU settings the PTB arithmetic needs; `opts.mtu` when the NAT64 half passes its configuration. */
function mtuOf(opts: XlatOptions): { ipv6: number; ipv4: number } {
  return { ipv6: opts.mtu?.ipv6 ?? DEFAULT_MTU.ipv6, ipv4: opts.mtu?.ipv4 ?? DEFAULT_MTU.ipv4 };
}

// ---------------------------------------------------------------- checksums of what was received

/** RFC 5508 REQ-3: the ICMPv4 checksum covers the whole message. */
function icmp4ChecksumOk(pkt: Packet): boolean {
  const bytes = encode({ ...pkt, trailer: undefined, notes: undefined });
  const ihl = (pkt.ipv4!.ihl ?? 5) * 4;
  const end = Math.min(bytes.length, pkt.ipv4!.totalLength ?? bytes.length);
  return onesSum(bytes.subarray(ihl, end)) === 0xffff;
}

/** RFC 5508 REQ-3: the ICMPv6 checksum covers the message and the IPv6 pseudo-header. */
function icmp6ChecksumOk(pkt: Packet): boolean {
  const h = pkt.ipv6!;
  const bytes = encode({ ...pkt, trailer: undefined, notes: undefined });
  const chain = walkExtensions(pkt);
  const start = 40 + chain.skippedLength;
  const end = Math.min(bytes.length, 40 + (h.payloadLength ?? bytes.length - 40));
  const msg = bytes.subarray(start, end);
  return onesSum(msg, pseudoHeaderSum6(parseIPv6(h.src), parseIPv6(h.dst), PROTO.ICMPV6, msg.length)) === 0xffff;
}

/** RFC 5508 REQ-3a: the IPv4 header checksum of the quoted packet (undefined: the header is not all there). */
function innerIpv4ChecksumOk(q: Packet): boolean | undefined {
  const h = q.ipv4;
  if (!h || h.checksum === undefined) return undefined;
  if (q.notes?.some((n) => /^ipv4: header length .* exceeds/.test(n))) return undefined;
  const b = encodeIPv4Header({ ...h, checksum: undefined }, h.protocol ?? 0, 0);
  return b.readUInt16BE(10) === h.checksum;
}

/**
 * FAULT inner-l4-checksum-validated: the quoted transport checksum is
 * checked, over every octet after the quoted IP header (RFC 4884 padding
 * and extensions included). True when the (faulty) check passes.
 */
function faultyInnerL4Check(q: Packet, region: Buffer, family: 4 | 6): boolean {
  const proto = family === 4 ? q.ipv4?.protocol : q.udp ? PROTO.UDP : q.tcp ? PROTO.TCP : undefined;
  if (proto !== PROTO.UDP && proto !== PROTO.TCP) return true;
  if (proto === PROTO.UDP && q.udp?.checksum === 0) return true;
  const pseudo =
    family === 4
      ? pseudoHeaderSum4(parseIPv4(q.ipv4!.src), parseIPv4(q.ipv4!.dst), proto, region.length)
      : pseudoHeaderSum6(parseIPv6(q.ipv6!.src), parseIPv6(q.ipv6!.dst), proto, region.length);
  return onesSum(region, pseudo) === 0xffff;
}

// ---------------------------------------------------------------- the quoted packet

/** TOS -> Traffic Class as for any translated packet (RFC 7915 §4.1). */
function trafficClassOf(tos: number, opts: XlatOptions): number {
  if (hasFault(opts, 'wrong-traffic-class')) return 0;
  if (opts.trafficClass === 'zero' && !hasFault(opts, 'tos-knob-ignored')) return 0;
  return tos;
}

/** Traffic Class -> TOS as for any translated packet (RFC 7915 §5.1). */
function tosOf(trafficClass: number, opts: XlatOptions): number {
  if (hasFault(opts, 'wrong-traffic-class')) return 0;
  if (typeof opts.tos === 'number' && !hasFault(opts, 'tos-knob-ignored')) return opts.tos & 0xff;
  return trafficClass;
}

/**
 * Ports (and a TCP checksum at offset 16) of a transport header the quote
 * cuts short: RFC 792 quotes only 8 octets, which hold the TCP ports and
 * sequence number but not the checksum.
 */
function partialTransport(raw: Buffer, protocol: number, map: XlatMap, addrs: AddressSwap, opts: XlatOptions): Buffer {
  const out = Buffer.from(raw);
  if ((protocol !== PROTO.UDP && protocol !== PROTO.TCP) || out.length < 4) return out;
  const sport = map.sport !== undefined && map.sport >= 0 ? map.sport : out.readUInt16BE(0);
  const dport = map.dport !== undefined && map.dport >= 0 ? map.dport : out.readUInt16BE(2);
  const before = words(out.readUInt16BE(0), out.readUInt16BE(2));
  out.writeUInt16BE(sport, 0);
  out.writeUInt16BE(dport, 2);
  const at = protocol === PROTO.TCP ? 16 : 6;
  if (out.length >= at + 2 && !hasFault(opts, 'bad-transport-checksum')) {
    const c = adjustChecksum(out.readUInt16BE(at), Buffer.concat([addrs.before, before]), Buffer.concat([addrs.after, words(sport, dport)]));
    out.writeUInt16BE(c, at);
  }
  return out;
}

type Inner = { ok: true; bytes: Buffer } | { ok: false; reason: string };

/**
 * The quoted IPv4 packet as IPv6 (RFC 7915 §4.3): header per §4.1 with the
 * inner tuple's addresses and the TTL copied; Payload Length from the quoted
 * Total Length (the original packet's size, not the quote's); transport per
 * §4.5 with the inner ports and an adjusted checksum (RFC 6146 §3.7).
 */
function inner4to6(q: Packet, map: XlatMap, opts: XlatOptions, depth: number): Inner {
  const h = q.ipv4;
  if (!h) return { ok: false, reason: 'the quoted packet is not IPv4' };
  const ihl = (h.ihl ?? 5) * 4;
  const protocol = h.protocol ?? 0;
  const fragmented = h.mf === true || (h.fragOffset ?? 0) > 0;
  const nextHeader = protocol === PROTO.ICMP && !hasFault(opts, 'icmp-protocol-untranslated') ? PROTO.ICMPV6 : protocol;
  const l4Length = Math.max(0, (h.totalLength ?? ihl) - ihl);
  const fh: FragmentHeader | undefined = fragmented
    ? { kind: 'fragment', nextHeader, reserved: 0, offset: h.fragOffset ?? 0, res: 0, m: h.mf === true, id: (h.id ?? 0) & 0xffff }
    : undefined;
  const ttl = h.ttl ?? 0;
  const ipv6: IPv6Header = {
    trafficClass: trafficClassOf(h.tos ?? 0, opts),
    flowLabel: 0,
    payloadLength: (l4Length + (fh ? 8 : 0)) & 0xffff,
    nextHeader: fh ? PROTO.IPV6_FRAG : nextHeader,
    // §4.3: "except the TTL value of the inner IPv4/IPv6 packet": copied, not decremented.
    // FAULT inner-ttl-decremented: the quoted TTL is decremented like a forwarded packet's.
    hopLimit: hasFault(opts, 'inner-ttl-decremented') ? Math.max(0, ttl - 1) : ttl,
    src: map.src,
    dst: map.dst,
    extensions: fh ? [fh] : [],
  };
  const out: Packet = { ipv6, payload: q.payload };
  const src6 = parseIPv6(map.src);
  const dst6 = parseIPv6(map.dst);
  const addrs: AddressSwap = { before: Buffer.concat([parseIPv4(h.src), parseIPv4(h.dst)]), after: Buffer.concat([src6, dst6]) };
  if (q.udp) {
    const udp = translateUdp(q.udp, map, addrs, opts);
    // A zero checksum (legal in IPv4) is computed where the whole datagram is quoted, else left: it cannot be.
    if (udp.checksum === 0 && !fragmented && !q.notes?.some((n) => /truncated|cut short/.test(n)) && !hasFault(opts, 'bad-transport-checksum')) {
      udp.checksum = undefined;
    }
    out.udp = udp;
  } else if (q.tcp) {
    out.tcp = translateTcp(q.tcp, map, addrs, opts);
  } else if (q.icmpv4) {
    const icmp = q.icmpv4;
    if (icmp.type === 8 || icmp.type === 0) {
      out.icmpv6 = rewriteQuery({
        from: 4,
        header: icmp,
        payload: q.payload,
        outType: icmp.type === 8 ? 128 : 129,
        id: map.icmpId,
        pseudoAfter: pseudoHeader6(src6, dst6, PROTO.ICMPV6, l4Length),
        opts,
      });
    } else if (hasFault(opts, 'icmp-error-in-error-translated') && depth === 0) {
      // FAULT icmp-error-in-error-translated: the quoted error's header is translated too, its own quote carried raw.
      const look = icmp4To6(icmp.type, icmp.code ?? 0);
      const to = look.to.action === 'translate' ? look.to : { type: icmp.type, code: icmp.code ?? 0 };
      out.icmpv6 = { type: to.type, code: to.code === 'same' ? (icmp.code ?? 0) : to.code, rest: 0 };
      out.payload = Buffer.concat([icmp.quote ? encode(icmp.quote) : Buffer.alloc(0), q.payload ?? Buffer.alloc(0)]);
    } else {
      // §4.3: "This process MUST stop at the first embedded header and drop the packet if it contains more embedded headers."
      return { ok: false, reason: `RFC 7915 §4.3: the quoted packet is an ICMPv4 type ${icmp.type} message with a packet of its own (one level only)` };
    }
  } else if ((h.fragOffset ?? 0) === 0) {
    out.payload = partialTransport(q.payload ?? Buffer.alloc(0), protocol, map, addrs, opts);
  }
  if (fh) fh.nextHeader = nextHeader;
  else ipv6.nextHeader = nextHeader;
  return { ok: true, bytes: encode(out) };
}

/**
 * The quoted IPv6 packet as IPv4 (RFC 7915 §5.3): header per §5.1 with the
 * inner tuple's addresses and the Hop Limit copied; extension headers
 * skipped, a Fragment Header's fields carried over (§5.1.1); Total Length
 * from the quoted Payload Length; transport per §5.5.
 */
function inner6to4(q: Packet, map: XlatMap, opts: XlatOptions, depth: number): Inner {
  const h = q.ipv6;
  if (!h) return { ok: false, reason: 'the quoted packet is not IPv6' };
  const chain = walkExtensions(q);
  const frag = chain.fragment;
  const protocol = chain.protocol === PROTO.ICMPV6 && !hasFault(opts, 'icmp-protocol-untranslated') ? PROTO.ICMP : chain.protocol;
  const totalLength = Math.max(20, 20 + (h.payloadLength ?? 0) - chain.skippedLength);
  const hopLimit = h.hopLimit ?? 0;
  const ipv4: IPv4Header = {
    tos: tosOf(h.trafficClass ?? 0, opts),
    id: frag ? (frag.id ?? 0) & 0xffff : 0,
    reservedFlag: false,
    df: frag ? false : totalLength > DF_THRESHOLD,
    mf: frag ? frag.m === true : false,
    fragOffset: frag ? (frag.offset ?? 0) : 0,
    // §5.3: "the TTL/Hop Limit value of the inner IPv4/IPv6 packet are not decremented".
    // FAULT inner-ttl-decremented
    ttl: hasFault(opts, 'inner-ttl-decremented') ? Math.max(0, hopLimit - 1) : hopLimit,
    protocol,
    totalLength: totalLength & 0xffff,
    src: map.src,
    dst: map.dst,
  };
  const out: Packet = { ipv4, payload: q.payload };
  const src6 = parseIPv6(h.src);
  const dst6 = parseIPv6(h.dst);
  const addrs: AddressSwap = { before: Buffer.concat([src6, dst6]), after: Buffer.concat([parseIPv4(map.src), parseIPv4(map.dst)]) };
  if (q.udp) out.udp = translateUdp(q.udp, map, addrs, opts);
  else if (q.tcp) out.tcp = translateTcp(q.tcp, map, addrs, opts);
  else if (q.icmpv6) {
    const icmp = q.icmpv6;
    if (icmp.type === 128 || icmp.type === 129) {
      out.icmpv4 = rewriteQuery({
        from: 6,
        header: icmp,
        payload: q.payload,
        outType: icmp.type === 128 ? 8 : 0,
        id: map.icmpId,
        pseudoBefore: pseudoHeader6(src6, dst6, PROTO.ICMPV6, totalLength - 20),
        opts,
      });
    } else if (hasFault(opts, 'icmp-error-in-error-translated') && depth === 0) {
      // FAULT icmp-error-in-error-translated
      const look = icmp6To4(icmp.type, icmp.code ?? 0);
      const to = look.to.action === 'translate' ? look.to : { type: icmp.type, code: icmp.code ?? 0 };
      out.icmpv4 = { type: to.type, code: to.code === 'same' ? (icmp.code ?? 0) : to.code, rest: 0 };
      out.payload = Buffer.concat([icmp.quote ? encode(icmp.quote) : Buffer.alloc(0), q.payload ?? Buffer.alloc(0)]);
    } else {
      // §5.3: one level only.
      return { ok: false, reason: `RFC 7915 §5.3: the quoted packet is an ICMPv6 type ${icmp.type} message with a packet of its own (one level only)` };
    }
  } else if ((frag?.offset ?? 0) === 0) {
    // A later fragment's data holds no transport header: carried as it is.
    out.payload = partialTransport(q.payload ?? Buffer.alloc(0), chain.protocol, map, addrs, opts);
  }
  return { ok: true, bytes: encode(out) };
}

// ---------------------------------------------------------------- the message body

interface Body {
  bytes: Buffer;
  /** RFC 4884 length attribute to write (units of the outgoing family), 0 without extensions. */
  length: number;
}

/**
 * Quote plus RFC 4884 extension within `room` octets. `unit`: 8 (ICMPv6) or
 * 4 (ICMPv4). With no extension (or no room for one) the quote is cut to
 * the room and the length attribute is 0 (RFC 4884 §5: no padding, length 0).
 */
function buildBody(quote: Buffer, ext: Buffer | undefined, unit: number, room: number): Body {
  if (ext && ext.length >= 4) {
    const padded = Math.max(RFC4884_MIN_ORIGINAL, Math.ceil(quote.length / unit) * unit);
    const left = room - padded;
    // §4.2: an extension that does not fit "SHOULD be simply truncated"; with not even its
    // 4-octet header left, there is no extension structure any more.
    if (left >= 4) {
      const q = Buffer.concat([quote.subarray(0, padded), Buffer.alloc(Math.max(0, padded - quote.length))]);
      return { bytes: Buffer.concat([q, ext.subarray(0, left)]), length: padded / unit };
    }
  }
  return { bytes: quote.subarray(0, room), length: 0 };
}

/** The extension structure of a received error as octets, exactly as received (an opaque bit string, §4.2/§5.2). */
function extensionBytes(icmp: ICMPCommon): Buffer | undefined {
  return icmp.extensions ? encodeExtensions(icmp.extensions) : undefined;
}

/**
 * FAULT icmp-error-drop-rows-translated: the quote of an ICMPv4 type the
 * decoder does not treat as an error (6, Alternate Host Address) is in the payload.
 */
function quoteOf(pkt: Packet, icmp: ICMPCommon, opts: XlatOptions): Packet | undefined {
  if (icmp.quote) return icmp.quote;
  if (hasFault(opts, 'icmp-error-drop-rows-translated') && pkt.payload?.length) return decode(pkt.payload);
  return undefined;
}

/** What becomes of the error, or why nothing does. */
function actionFor(look: { class: string; to: IcmpAction; requirement: string }, type: number, code: number, opts: XlatOptions, rfc: string):
  | { ok: true; type: number; code: number; pointer?: number | 'figure'; mtu?: true; copied: boolean }
  | { ok: false; reason: string } {
  if (look.to.action === 'drop') {
    // FAULT icmp-error-drop-rows-translated: errors the tables drop are forwarded with type and code unchanged.
    if (look.class === 'error' && hasFault(opts, 'icmp-error-drop-rows-translated')) return { ok: true, type, code, copied: true };
    return { ok: false, reason: `RFC 7915 ${rfc}: ${look.to.reason} (${look.requirement})` };
  }
  if (look.class !== 'error') return { ok: false, reason: `type ${type} is not an error message` };
  // FAULT icmp-error-type-untranslated: type and code cross unchanged.
  if (hasFault(opts, 'icmp-error-type-untranslated')) return { ok: true, type, code, copied: true };
  const a = look.to;
  return { ok: true, type: a.type, code: a.code === 'same' ? code : a.code, pointer: a.pointer, mtu: a.mtu, copied: false };
}

// ---------------------------------------------------------------- IPv4 -> IPv6

/** RFC 7915 §4.2/§4.3: an ICMPv4 error becomes an ICMPv6 error. */
export function translateIcmpError4to6(pkt: Packet, outer: XlatMap, inner: XlatMap, opts: XlatOptions): XlatResult {
  const h = pkt.ipv4;
  const icmp = pkt.icmpv4;
  if (!h || !icmp || pkt.ipv6) return drop('malformed', 'not an ICMPv4 message');
  if (!isIPv6(outer.src) || !isIPv6(outer.dst) || !isIPv6(inner.src) || !isIPv6(inner.dst)) {
    throw new Error(`translateIcmpError4to6: map addresses must be IPv6 (got ${outer.src} -> ${outer.dst}, inner ${inner.src} -> ${inner.dst})`);
  }
  const bad = malformedNote(pkt);
  if (bad) return drop('malformed', bad);
  if (h.mf || (h.fragOffset ?? 0) > 0) return drop('fragmented-icmp', 'RFC 7915 §1.2: fragmented ICMPv4 is not translated');
  const checksumsChecked = !hasFault(opts, 'icmp-error-checksums-unchecked');
  // FAULT icmp-error-checksums-unchecked: neither the ICMP checksum nor the quoted IPv4 header checksum is checked.
  if (checksumsChecked && !icmp4ChecksumOk(pkt)) return drop('malformed', 'RFC 5508 REQ-3: ICMPv4 checksum does not validate');
  const code = icmp.code ?? 0;
  const act = actionFor(icmp4To6(icmp.type, code), icmp.type, code, opts, '§4.2');
  if (!act.ok) return drop('untranslatable-icmp', act.reason);
  const q = quoteOf(pkt, icmp, opts);
  if (!q?.ipv4) return drop('malformed', 'the ICMPv4 error quotes no IPv4 packet');
  if (checksumsChecked && innerIpv4ChecksumOk(q) !== true) {
    return drop('malformed', 'RFC 5508 REQ-3a: the quoted IPv4 header checksum does not validate (or the header is cut short)');
  }
  if (hasFault(opts, 'inner-l4-checksum-validated')) {
    const region = encode({ ...pkt, trailer: undefined, notes: undefined }).subarray((h.ihl ?? 5) * 4 + 8 + (q.ipv4.ihl ?? 5) * 4);
    if (!faultyInnerL4Check(q, region, 4)) return drop('malformed', 'quoted transport checksum does not validate (fault inner-l4-checksum-validated)');
  }

  const wordIn = encodeSecondWord(4, icmp);
  const fields: ICMPCommon = act.copied ? { type: act.type, code: act.code, ...decodeSecondWord(6, act.type, wordIn) } : { type: act.type, code: act.code };
  if (act.pointer !== undefined) {
    // FAULT icmp-pointer-untranslated: the IPv4 pointer is copied, "n/a" and unlisted ones included.
    const p = act.pointer === 'figure' ? (hasFault(opts, 'icmp-pointer-untranslated') ? icmp.pointer ?? 0 : pointer4To6(icmp.pointer ?? 0)) : act.pointer;
    if (p === undefined) return drop('untranslatable-icmp', `RFC 7915 §4.2 Figure 3: pointer ${icmp.pointer} has no IPv6 counterpart`);
    fields.pointer = p;
  }
  if (act.mtu) {
    const m = mtuOf(opts);
    // FAULT ptb-mtu-copied: the reported MTU is passed on as it is.
    fields.mtu = hasFault(opts, 'ptb-mtu-copied')
      ? (icmp.mtu ?? 0)
      : ptbMtu4to6({ reportedMtu: icmp.mtu ?? 0, quotedTotalLength: q.ipv4.totalLength ?? 0, ipv6NextHopMtu: m.ipv6, ipv4NextHopMtu: m.ipv4 });
  }

  const ttl = h.ttl ?? 64;
  if (ttl <= 1 && !hasFault(opts, 'no-hop-limit-decrement')) {
    // Expires here; the Time Exceeded it would deserve is forbidden about an ICMP error (RFC 1812 §4.3.2.7).
    const te = timeExceeded4(encode({ ...pkt, trailer: undefined, notes: undefined }), opts.errorSrc4 ?? h.dst, { faults: opts.faults, ipv4Id: outer.ipv4Id });
    return te.kind === 'icmp-error' ? te : drop('expired', `ICMPv4 error with TTL ${ttl} expires at the translator; no error about an error`);
  }

  // FAULT icmp-error-untranslated-inner: the quote crosses as the IPv4 packet it was.
  const innerBytes: Inner = hasFault(opts, 'icmp-error-untranslated-inner')
    ? { ok: true, bytes: encode({ ...q, trailer: undefined, notes: undefined }) }
    : inner4to6(q, inner, opts, 0);
  if (!innerBytes.ok) return drop('untranslatable-icmp', innerBytes.reason);
  // FAULT icmp-error-no-truncate: no 1280-octet limit.
  const room = hasFault(opts, 'icmp-error-no-truncate') ? Infinity : ICMPV6_ERROR_MAX - 40 - 8;
  const ext = hasLengthField(6, fields.type) ? extensionBytes(icmp) : undefined;
  const body = buildBody(innerBytes.bytes, ext, 8, room);
  if (hasLengthField(6, fields.type)) {
    // FAULT icmp-ext-length-copied: the RFC 4884 length attribute keeps the ICMPv4 value (32-bit words).
    fields.length = hasFault(opts, 'icmp-ext-length-copied') && body.length ? (icmp.length ?? 0) : body.length;
    if (!act.copied) fields.unused = 0;
  }
  const ipv6: IPv6Header = {
    trafficClass: trafficClassOf(h.tos ?? 0, opts),
    flowLabel: 0,
    nextHeader: hasFault(opts, 'icmp-protocol-untranslated') ? PROTO.ICMP : PROTO.ICMPV6,
    hopLimit: hasFault(opts, 'no-hop-limit-decrement') ? ttl : ttl - 1,
    src: outer.src,
    dst: outer.dst,
    extensions: [],
  };
  // FAULT icmp-error-outer-length-stale: Payload Length is the received ICMPv4 message's length.
  if (hasFault(opts, 'icmp-error-outer-length-stale')) ipv6.payloadLength = (h.totalLength ?? 0) - (h.ihl ?? 5) * 4;
  // FAULT bad-transport-checksum: the ICMP checksum is left as received.
  const checksum = hasFault(opts, 'bad-transport-checksum') ? icmp.checksum : undefined;
  return { kind: 'ok', packet: { ipv6, icmpv6: { ...fields, checksum }, payload: body.bytes } };
}

// ---------------------------------------------------------------- IPv6 -> IPv4

/** RFC 7915 §5.2/§5.3: an ICMPv6 error becomes an ICMPv4 error. */
export function translateIcmpError6to4(pkt: Packet, outer: XlatMap, inner: XlatMap, opts: XlatOptions): XlatResult {
  const h = pkt.ipv6;
  const icmp = pkt.icmpv6;
  if (!h || !icmp || pkt.ipv4) return drop('malformed', 'not an ICMPv6 message');
  if (!isIPv4(outer.src) || !isIPv4(outer.dst) || !isIPv4(inner.src) || !isIPv4(inner.dst)) {
    throw new Error(`translateIcmpError6to4: map addresses must be IPv4 (got ${outer.src} -> ${outer.dst}, inner ${inner.src} -> ${inner.dst})`);
  }
  const bad = malformedNote(pkt);
  if (bad) return drop('malformed', bad);
  const chain = walkExtensions(pkt);
  if (chain.fragment && (chain.fragment.m || (chain.fragment.offset ?? 0) > 0)) {
    return drop('fragmented-icmp', 'RFC 7915 §1.2: fragmented ICMPv6 is not translated');
  }
  const checksumsChecked = !hasFault(opts, 'icmp-error-checksums-unchecked');
  if (checksumsChecked && !icmp6ChecksumOk(pkt)) return drop('malformed', 'RFC 5508 REQ-3: ICMPv6 checksum does not validate');
  const code = icmp.code ?? 0;
  const act = actionFor(icmp6To4(icmp.type, code), icmp.type, code, opts, '§5.2');
  if (!act.ok) return drop('untranslatable-icmp', act.reason);
  const q = icmp.quote;
  if (!q?.ipv6) return drop('malformed', 'the ICMPv6 error quotes no IPv6 packet');
  if (hasFault(opts, 'inner-l4-checksum-validated')) {
    const all = encode({ ...pkt, trailer: undefined, notes: undefined });
    const qc = walkExtensions(q);
    const region = all.subarray(40 + chain.skippedLength + 8 + 40 + qc.skippedLength);
    if (!faultyInnerL4Check(q, region, 6)) return drop('malformed', 'quoted transport checksum does not validate (fault inner-l4-checksum-validated)');
  }

  const wordIn = encodeSecondWord(6, icmp);
  const fields: ICMPCommon = act.copied ? { type: act.type, code: act.code, ...decodeSecondWord(4, act.type, wordIn) } : { type: act.type, code: act.code };
  if (act.pointer !== undefined) {
    // FAULT icmp-pointer-untranslated
    const p = act.pointer === 'figure' ? (hasFault(opts, 'icmp-pointer-untranslated') ? icmp.pointer ?? 0 : pointer6To4(icmp.pointer ?? 0)) : act.pointer;
    if (p === undefined) return drop('untranslatable-icmp', `RFC 7915 §5.2 Figure 6: pointer ${icmp.pointer} has no IPv4 counterpart`);
    fields.pointer = p & 0xff;
  }
  if (act.mtu) {
    const m = mtuOf(opts);
    const computed = ptbMtu6to4({
      reportedMtu: icmp.mtu ?? 0,
      ipv4NextHopMtu: m.ipv4,
      ipv6NextHopMtu: m.ipv6,
      quotedHasFragmentHeader: (q.ipv6.extensions ?? []).some((e) => e.kind === 'fragment'),
    });
    // FAULT ptb-mtu-copied
    fields.mtu = (hasFault(opts, 'ptb-mtu-copied') ? (icmp.mtu ?? 0) : Math.max(0, computed)) & 0xffff;
  } else if (!act.copied && fields.type === 3) {
    fields.mtu = 0;
  }

  const hopLimit = h.hopLimit ?? 64;
  if (hopLimit <= 1 && !hasFault(opts, 'no-hop-limit-decrement')) {
    const te = timeExceeded6(encode({ ...pkt, trailer: undefined, notes: undefined }), opts.errorSrc6 ?? h.dst, { faults: opts.faults });
    return te.kind === 'icmp-error' ? te : drop('expired', `ICMPv6 error with Hop Limit ${hopLimit} expires at the translator; no error about an error`);
  }

  // FAULT icmp-error-untranslated-inner
  const innerBytes: Inner = hasFault(opts, 'icmp-error-untranslated-inner')
    ? { ok: true, bytes: encode({ ...q, trailer: undefined, notes: undefined }) }
    : inner6to4(q, inner, opts, 0);
  if (!innerBytes.ok) return drop('untranslatable-icmp', innerBytes.reason);
  // FAULT icmp-error-no-truncate: no 576-octet limit.
  const room = hasFault(opts, 'icmp-error-no-truncate') ? Infinity : ICMPV4_ERROR_MAX - 20 - 8;
  const ext = hasLengthField(4, fields.type) ? extensionBytes(icmp) : undefined;
  const body = buildBody(innerBytes.bytes, ext, 4, room);
  if (hasLengthField(4, fields.type)) {
    // FAULT icmp-ext-length-copied: the ICMPv6 value (64-bit words) is kept.
    fields.length = hasFault(opts, 'icmp-ext-length-copied') && body.length ? (icmp.length ?? 0) : body.length;
    if (!act.copied) fields.unused = 0;
  }
  const size = 20 + 8 + body.bytes.length;
  const ipv4: IPv4Header = {
    tos: tosOf(h.trafficClass ?? 0, opts),
    id: outer.ipv4Id ?? 0,
    reservedFlag: false,
    // §5.1: DF clear up to 1260 octets (always, once the error is cut to 576).
    df: size > DF_THRESHOLD,
    mf: false,
    fragOffset: 0,
    ttl: hasFault(opts, 'no-hop-limit-decrement') ? hopLimit : hopLimit - 1,
    protocol: hasFault(opts, 'icmp-protocol-untranslated') ? PROTO.ICMPV6 : PROTO.ICMP,
    src: outer.src,
    dst: outer.dst,
  };
  // FAULT icmp-error-outer-length-stale: Total Length from the received Payload Length.
  if (hasFault(opts, 'icmp-error-outer-length-stale')) ipv4.totalLength = 20 + (h.payloadLength ?? 0) - chain.skippedLength;
  const checksum = hasFault(opts, 'bad-transport-checksum') ? icmp.checksum : undefined;
  return { kind: 'ok', packet: { ipv4, icmpv4: { ...fields, checksum }, payload: body.bytes } };
}
