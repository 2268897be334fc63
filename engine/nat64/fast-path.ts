/**
 * A byte-level fast path for packets of established flows: the translation
 * the pipeline (pipeline.ts -> engine/xlat) would make, written straight
 * from the input octets into one output Buffer of the exact size, without
 * decoding the packet into a model and encoding it again.
 *
 * It takes only the common, unambiguous case and declines (returns
 * undefined) everything else, which then goes through the pipeline:
 *
 * - UDP with a non-zero checksum, TCP segments without SYN, FIN or RST in
 *   an ESTABLISHED session, and ICMP Echo Request / Reply with code 0;
 *   either direction; always in a session that already exists (nothing is
 *   created, so the limits of limits.ts, the event log and the allocator
 *   are never involved);
 * - a plain IPv6 header whose Next Header is UDP, TCP or ICMPv6 (no
 *   extension header, so no fragment), or an IPv4 header of 20 octets (no options)
 *   that is not a fragment (MF 0, offset 0) and carries a valid checksum;
 * - lengths that agree exactly: IP length = octets received (no trailer),
 *   UDP length = IP payload, TCP data offset within the segment;
 * - hop limit / TTL above 1 (no Time Exceeded);
 * - a translation that fits the next hop as the pipeline would send it
 *   whole (fragments.ts send4/send6: IPv4 MTU; IPv6 MTU for DF=1, the lower
 *   of it and lowest-ipv6-mtu for DF=0), so no fragmentation and no Packet
 *   Too Big / Fragmentation Needed applies;
 * - not hairpinned (the IPv4 destination of a 6->4 packet is not ours);
 * - no fault configured at all (createFastPath returns undefined), so every
 *   deliberate defect stays in the pipeline, in one place.
 *
 * What it writes matches the pipeline byte for byte (test/engine/
 * fast-path.test.ts compares both on random traffic): the IPv4
 * Identification comes from the pipeline's own generator (Ctx.nextIpv4Id),
 * DF is set above 1260 octets (RFC 7915 §5.1), TOS / Traffic Class follow
 * config.trafficClass, the flow label is 0, TTL / hop limit drop by one, the
 * IPv4 header checksum is computed and the transport checksum adjusted with
 * RFC 1624 eqn. 3 from the same sums engine/xlat/transport.ts and
 * icmp-query.ts use (a computed UDP zero sent as 0xffff; an ICMPv4 zero,
 * which icmp-query.ts may turn into 0xffff, is declined). The session is
 * refreshed as update6 / update4 refresh it: UDP to the UDP timeout and
 * ICMP to the ICMP timeout in both directions (RFC 6146 §3.5.1, §3.5.3;
 * inbound refresh being the pipeline's choice), an ESTABLISHED TCP session
 * to TCP_EST in both directions (§3.5.2.2).
 *
 * Lookups: a flow's 5-tuple octets hash to a small integer key (no string is
 * built per packet) of a cache holding the session and everything constant
 * per flow (output addresses and port, checksum sums). The cache is not a
 * second copy of the tables: an entry is only taken when its tuple octets
 * match and its session is still alive; a session leaves the tables only
 * through Tables.removeSession / removeBib, which mark it dead, and a live
 * session is the one the pipeline's lookup finds, since the BIB and session
 * maps never replace a live entry. A miss resolves the flow through the
 * tables with the pipeline's own keys and checks (addresses as the codec
 * formats them), once per flow. Entries of gone sessions are swept out as
 * the cache grows (sweep below), so it holds about as many entries as there
 * are live flows.
 */
import { parseIPv4, parseIPv6 } from '../../harness/packet/address';
import { onesSum } from '../../harness/packet/checksum';
import type { Emitted } from '../api';
import { DF_THRESHOLD } from '../xlat/six-to-four';
import { AddressCache } from './fast-path-addresses';
import { copyBytes, i32, put16, put32, u16 } from './fast-path-octets';
import type { Ctx } from './pipeline';
import { Session, bibKey6 } from './tables';
import { TcpState } from './tcp-state';

const TCP = 6;
const UDP = 17;
const ICMP = 1;
const ICMPV6 = 58;
/** TCP FIN, SYN and RST: segments carrying any of them move the state machine and take the pipeline. */
const FIN_SYN_RST = 0x07;
/** Cached flows per direction at most; past it (after a sweep) the cache starts over. */
const CACHE_MAX = 1 << 21;
/** The first sweep of entries whose session has gone comes at this size; later ones at twice the size left. */
const FIRST_SWEEP = 4096;

/** Hits and declines since creation, so tests can tell which path a packet took. */
export interface FastPathStats {
  /** Packets translated by the fast path. */
  readonly hits: number;
  /** Packets handed to the pipeline. */
  readonly declined: number;
  /** Flows in the lookup cache, both directions. */
  readonly cached: number;
}

/** One 6->4 flow: the input tuple it matches, its session, and the constant parts of its translation. */
interface Flow64 {
  s0: number;
  s1: number;
  s2: number;
  s3: number;
  d0: number;
  d1: number;
  d2: number;
  d3: number;
  /** Source and destination port (ICMP: the identifier). */
  ports: number;
  proto: number;
  session: Session;
  /** IPv4 source T and destination Z as 32-bit words, and t (ICMP: the identifier i2). */
  src4: number;
  dst4: number;
  port4: number;
  /** One's-complement sum of the IPv4 addresses (the constant part of the header checksum). */
  addrSum: number;
  /**
   * TCP/UDP: folded sums of what the transport checksum loses (IPv6 addresses, ports) and gains (IPv4
   * addresses, ports). ICMP: oldSum is the sum of the IPv6 addresses, the rest of the pseudo-header
   * (the length) being per packet.
   */
  oldSum: number;
  newSum: number;
}

/** One 4->6 flow, likewise. */
interface Flow46 {
  src: number;
  dst: number;
  ports: number;
  proto: number;
  session: Session;
  /** W as text, for the Address-Dependent Filtering check. */
  w: string;
  /** IPv6 source [Pref64::W] then destination X' (32 octets), and x (ICMP: the identifier i1). */
  addrs: Uint8Array;
  port6: number;
  /** As in Flow64; for ICMP newSum is the sum of the IPv6 addresses. */
  oldSum: number;
  newSum: number;
}

/** Folded one's-complement sum of byte strings (even lengths), as incrementalUpdate takes them. */
function sumOf(...parts: Uint8Array[]): number {
  return onesSum(Buffer.concat(parts));
}

function words(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => b.writeUInt16BE(v & 0xffff, i * 2));
  return b;
}

/** A one's-complement sum folded to 16 bits (end-around carry), as harness/packet/checksum.ts onesSum ends. */
function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** RFC 1624 eqn. 3 with the removed and added sums precomputed; the arithmetic of harness/packet/checksum.ts incrementalUpdate. */
function adjust(checksum: number, oldSum: number, newSum: number): number {
  return ~fold((~checksum & 0xffff) + (~oldSum & 0xffff) + newSum) & 0xffff;
}

/** A small non-negative integer (a V8 small integer, so Map lookups stay cheap) from the varying words of a tuple. */
function hashKey(a: number, b: number, ports: number, proto: number): number {
  return (Math.imul(a ^ Math.imul(b, 0x9e3779b1), 0x85ebca6b) ^ Math.imul(ports, 0xc2b2ae35) ^ proto) & 0x3fffffff;
}

export class FastPath implements FastPathStats {
  hits = 0;
  declined = 0;
  private readonly flows64 = new Map<number, Flow64>();
  private readonly flows46 = new Map<number, Flow46>();
  private sweep64 = FIRST_SWEEP;
  private sweep46 = FIRST_SWEEP;
  private readonly addrs: AddressCache;
  private readonly tosZero: boolean;
  private readonly mtu4: number;
  private readonly mtu6Df: number;
  private readonly mtu6NoDf: number;

  constructor(private readonly ctx: Ctx) {
    const c = ctx.config;
    this.addrs = new AddressCache(ctx.pref, ctx.pool);
    this.tosZero = c.trafficClass === 'zero';
    this.mtu4 = c.mtu.ipv4;
    this.mtu6Df = c.mtu.ipv6;
    this.mtu6NoDf = Math.min(c.mtu.lowestIpv6, c.mtu.ipv6);
  }

  get cached(): number {
    return this.flows64.size + this.flows46.size;
  }

  /** The translation of `bytes` arriving on `side`, or undefined when the pipeline must decide. */
  translate(side: 4 | 6, bytes: Buffer): Emitted | undefined {
    const out = side === 6 ? this.from6(bytes) : side === 4 ? this.from4(bytes) : undefined;
    if (out) this.hits++;
    else this.declined++;
    return out;
  }

  /** The session lifetime a packet of an existing session sets in update6 / update4 (RFC 6146 §3.5.1, §3.5.2.2, §3.5.3). */
  private lifetime(proto: number): number {
    const ms = this.ctx.ms;
    return proto === UDP ? ms.udp : proto === TCP ? ms.est : ms.icmp;
  }

  // ---------------------------------------------------------------- IPv6 -> IPv4

  private from6(b: Buffer): Emitted | undefined {
    const len = b.length;
    if (len < 48 || b[0] >> 4 !== 6) return undefined;
    const proto = b[6];
    const plen = len - 40;
    if (u16(b, 4) !== plen) return undefined;
    const hop = b[7];
    if (hop <= 1) return undefined;
    let ports: number;
    if (proto === UDP) {
      if (u16(b, 44) !== plen || u16(b, 46) === 0) return undefined;
      ports = i32(b, 40);
    } else if (proto === TCP) {
      if (plen < 20 || b[52] >> 4 < 5 || (b[52] >> 4) * 4 > plen || (b[53] & FIN_SYN_RST) !== 0) return undefined;
      ports = i32(b, 40);
    } else if (proto === ICMPV6) {
      // Echo Request / Reply with code 0 (RFC 7915 §5.2); the identifier stands in for the ports.
      if ((b[40] !== 128 && b[40] !== 129) || b[41] !== 0) return undefined;
      ports = u16(b, 44);
    } else return undefined;
    const outLen = len - 20;
    if (outLen > this.mtu4) return undefined;

    const s3 = i32(b, 20);
    const d3 = i32(b, 36);
    const key = hashKey(s3, d3, ports, proto);
    let f = this.flows64.get(key);
    if (
      f === undefined ||
      f.session.dead ||
      f.s3 !== s3 ||
      f.d3 !== d3 ||
      f.ports !== ports ||
      f.proto !== proto ||
      f.s0 !== i32(b, 8) ||
      f.s1 !== i32(b, 12) ||
      f.s2 !== i32(b, 16) ||
      f.d0 !== i32(b, 24) ||
      f.d1 !== i32(b, 28) ||
      f.d2 !== i32(b, 32)
    ) {
      f = this.resolve6(b, proto, ports);
      if (!f) return undefined;
      if (this.flows64.size >= this.sweep64) this.sweep64 = sweep(this.flows64);
      this.flows64.set(key, f);
    }
    const s = f.session;
    if (proto === TCP && s.state !== TcpState.ESTABLISHED) return undefined;

    // Transport checksum first: a case left to the pipeline must be declined before any state moves.
    let c: number;
    let outProto = proto;
    let icmpType = 0;
    if (proto === ICMPV6) {
      // engine/xlat/icmp-query.ts: out go the pseudo-header, type and identifier; in come the new type and identifier.
      outProto = ICMP;
      icmpType = b[40] === 128 ? 8 : 0;
      const seq = u16(b, 46);
      c = adjust(u16(b, 42), fold(f.oldSum + plen + ICMPV6 + (b[40] << 8) + ports + seq), fold((icmpType << 8) + f.port4 + seq));
      // icmp-query.ts turns this zero into 0xffff for an all-zero Echo Reply; rare enough to leave to it.
      if (c === 0) return undefined;
    } else {
      c = adjust(u16(b, proto === UDP ? 46 : 56), f.oldSum, f.newSum);
      if (c === 0 && proto === UDP) c = 0xffff; // RFC 768, transport.ts udpChecksumOnWire
    }

    const ctx = this.ctx;
    ctx.tables.setExpiry(s, ctx.clock.now() + this.lifetime(proto));
    // The pipeline's Identification generator (pipeline.ts nextId), so the sequence is the same whichever path a packet takes.
    const id = ctx.nextIpv4Id;
    ctx.nextIpv4Id = (id + 1) & 0xffff;

    const o = Buffer.allocUnsafe(outLen);
    const tos = this.tosZero ? 0 : ((b[0] & 0x0f) << 4) | (b[1] >> 4);
    const flags = outLen > DF_THRESHOLD ? 0x4000 : 0;
    const ttl = hop - 1;
    o[0] = 0x45;
    o[1] = tos;
    put16(o, 2, outLen);
    put16(o, 4, id);
    put16(o, 6, flags);
    o[8] = ttl;
    o[9] = outProto;
    put16(o, 10, ~fold(0x4500 + tos + outLen + id + flags + ((ttl << 8) | outProto) + f.addrSum) & 0xffff);
    put32(o, 12, f.src4);
    put32(o, 16, f.dst4);
    copyBytes(b, 40, len, o, 20);
    if (proto === ICMPV6) {
      o[20] = icmpType;
      put16(o, 22, c);
      put16(o, 24, f.port4);
    } else {
      put16(o, 20, f.port4);
      put16(o, proto === UDP ? 26 : 36, c);
    }
    return { side: 4, bytes: o };
  }

  /** The flow of a 6->4 packet through the tables with the pipeline's checks (incoming6, update6), or undefined. */
  private resolve6(b: Buffer, proto: number, ports: number): Flow64 | undefined {
    const tables = this.ctx.tables;
    // Not ours, a bad source, a non-global address under the WKP, or hairpinning (RFC 6146 §3.8): the pipeline's.
    const z4 = this.addrs.ipv6(b, 24).z4;
    const from = this.addrs.ipv6(b, 8);
    if (z4 === undefined || !from.source) return undefined;
    const src = from.text;
    const icmp = proto === ICMPV6;
    const sport = icmp ? ports : u16(b, 40);
    const dport = icmp ? 0 : u16(b, 42);
    const bib = tables.bib6(icmp ? 'icmp' : proto === UDP ? 'udp' : 'tcp', bibKey6(src, sport));
    const session = bib && tables.session(bib, z4, dport);
    if (!bib || !session) return undefined;
    const t = parseIPv4(bib.v4);
    const z = parseIPv4(z4);
    return {
      s0: i32(b, 8),
      s1: i32(b, 12),
      s2: i32(b, 16),
      s3: i32(b, 20),
      d0: i32(b, 24),
      d1: i32(b, 28),
      d2: i32(b, 32),
      d3: i32(b, 36),
      ports,
      proto,
      session,
      src4: t.readUInt32BE(0),
      dst4: z.readUInt32BE(0),
      port4: bib.v4port,
      addrSum: sumOf(t, z),
      oldSum: icmp ? sumOf(b.subarray(8, 40)) : sumOf(b.subarray(8, 40), words(sport, dport)),
      newSum: icmp ? 0 : sumOf(t, z, words(bib.v4port, dport)),
    };
  }

  // ---------------------------------------------------------------- IPv4 -> IPv6

  private from4(b: Buffer): Emitted | undefined {
    const len = b.length;
    if (len < 28 || b[0] !== 0x45 || u16(b, 2) !== len) return undefined;
    // MF and Fragment Offset zero; DF and the reserved flag do not matter here.
    if ((u16(b, 6) & 0x3fff) !== 0) return undefined;
    const ttl = b[8];
    if (ttl <= 1) return undefined;
    const proto = b[9];
    const plen = len - 20;
    let ports: number;
    if (proto === UDP) {
      if (u16(b, 24) !== plen || u16(b, 26) === 0) return undefined;
      ports = i32(b, 20);
    } else if (proto === TCP) {
      if (plen < 20 || b[32] >> 4 < 5 || (b[32] >> 4) * 4 > plen || (b[33] & FIN_SYN_RST) !== 0) return undefined;
      ports = i32(b, 20);
    } else if (proto === ICMP) {
      // Echo Request / Reply with code 0 (RFC 7915 §4.2).
      if ((b[20] !== 8 && b[20] !== 0) || b[21] !== 0) return undefined;
      ports = u16(b, 24);
    } else return undefined;
    const outLen = len + 20;
    if (outLen > ((b[6] & 0x40) !== 0 ? this.mtu6Df : this.mtu6NoDf)) return undefined;
    // The header checksum incoming4 verifies (RFC 1812 §5.2.2).
    let hs = 0;
    for (let i = 0; i < 20; i += 2) hs += (b[i] << 8) | b[i + 1];
    if (fold(hs) !== 0xffff) return undefined;

    const src = i32(b, 12);
    const dst = i32(b, 16);
    const key = hashKey(src, dst, ports, proto);
    let f = this.flows46.get(key);
    if (f === undefined || f.session.dead || f.src !== src || f.dst !== dst || f.ports !== ports || f.proto !== proto) {
      f = this.resolve4(b, proto, ports);
      if (!f) return undefined;
      if (this.flows46.size >= this.sweep46) this.sweep46 = sweep(this.flows46);
      this.flows46.set(key, f);
    }
    const s = f.session;
    const ctx = this.ctx;
    if (proto === TCP) {
      if (s.state !== TcpState.ESTABLISHED || s.stored) return undefined;
    } else if (ctx.adf && !s.bib!.remotes.has(f.w)) return undefined; // update4's filter check, kept for UDP and ICMP

    let c: number;
    let outProto = proto;
    let icmpType = 0;
    if (proto === ICMP) {
      outProto = ICMPV6;
      icmpType = b[20] === 8 ? 128 : 129;
      const seq = u16(b, 26);
      c = adjust(u16(b, 22), fold((b[20] << 8) + ports + seq), fold(f.newSum + plen + ICMPV6 + (icmpType << 8) + f.port6 + seq));
    } else {
      c = adjust(u16(b, proto === UDP ? 26 : 36), f.oldSum, f.newSum);
      if (c === 0 && proto === UDP) c = 0xffff; // RFC 768, transport.ts udpChecksumOnWire
    }

    ctx.tables.setExpiry(s, ctx.clock.now() + this.lifetime(proto));

    const o = Buffer.allocUnsafe(outLen);
    const tc = this.tosZero ? 0 : b[1];
    o[0] = 0x60 | (tc >>> 4);
    o[1] = (tc & 0x0f) << 4;
    o[2] = 0;
    o[3] = 0;
    put16(o, 4, plen);
    o[6] = outProto;
    o[7] = ttl - 1;
    o.set(f.addrs, 8);
    copyBytes(b, 20, len, o, 40);
    if (proto === ICMP) {
      o[40] = icmpType;
      put16(o, 42, c);
      put16(o, 44, f.port6);
    } else {
      put16(o, 42, f.port6);
      put16(o, proto === UDP ? 46 : 56, c);
    }
    return { side: 6, bytes: o };
  }

  /** The flow of a 4->6 packet through the tables with the pipeline's checks (incoming4, update4), or undefined. */
  private resolve4(b: Buffer, proto: number, ports: number): Flow46 | undefined {
    const { pref, tables } = this.ctx;
    const from = this.addrs.ipv4(b, 12);
    const addr = this.addrs.ipv4(b, 16).pool;
    if (addr < 0 || !from.source) return undefined;
    const w = from.text;
    const icmp = proto === ICMP;
    const sport = icmp ? 0 : u16(b, 20);
    const dport = icmp ? ports : u16(b, 22);
    const bib = tables.bib4(icmp ? 'icmp' : proto === UDP ? 'udp' : 'tcp', addr, dport);
    const session = bib && tables.session(bib, w, sport);
    if (!bib || !session) return undefined;
    const yb = parseIPv6(pref.embed(w));
    const xb = parseIPv6(bib.v6);
    return {
      src: i32(b, 12),
      dst: i32(b, 16),
      ports,
      proto,
      session,
      w,
      addrs: Uint8Array.from(Buffer.concat([yb, xb])),
      port6: bib.v6port,
      oldSum: icmp ? 0 : sumOf(b.subarray(12, 20), words(sport, dport)),
      newSum: icmp ? sumOf(yb, xb) : sumOf(yb, xb, words(sport, bib.v6port)),
    };
  }
}

/**
 * Drops the entries whose session has gone (they would otherwise keep it and
 * its BIB entry in memory until their key came up again) and returns the
 * size of the next sweep: twice what is left, so sweeping costs O(1) per
 * insertion (and at most CACHE_MAX). With more than half of CACHE_MAX
 * live entries left the cache starts over instead.
 */
function sweep(flows: Map<number, { session: Session }>): number {
  for (const [k, f] of flows) if (f.session.dead) flows.delete(k);
  if (flows.size > CACHE_MAX / 2) flows.clear();
  return Math.max(FIRST_SWEEP, 2 * flows.size);
}

/** The fast path for a translator, or undefined when it must stay off (any configured fault). */
export function createFastPath(ctx: Ctx): FastPath | undefined {
  if (ctx.config.faults.length > 0) return undefined;
  return new FastPath(ctx);
}
