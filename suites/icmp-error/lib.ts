/**
 * Helpers of the icmp-error suite: a UDP flow through the NAT64 (outbound
 * C6:x -> [P::S4]:y, seen on side 4 as T:t -> S4:y, and the server's reply
 * seen on side 6), forged ICMP errors about it from routers on the far side,
 * and the field-by-field checks of a translated error.
 *
 * The quoted packet carries a TTL / Hop Limit of 37, a value no hop of the
 * lab produces, so a decrement of the quote (RFC 7915 §4.3/§5.3 forbid it)
 * shows as 36.
 */
import { LAB } from '../../harness/lab/addressing';
import { T } from '../../harness/packet/compare';
import type { Expectation } from '../../harness/packet/compare';
import { encode } from '../../harness/packet/codec';
import type { ICMPCommon, Packet } from '../../harness/packet/types';
import type { CaseContext, Exchange, Seen } from '../../harness/runner/case';
import { only, udp6, udpReply4, v6 } from '../lib/flows';
import { emitted, whatCameOut } from '../lib/flows';

export const SUITE = 'icmp-error';
export const C6: string = LAB.client6[0];
export const S4: string = LAB.server4[0];
export const R4: string = LAB.router4;
export const R6: string = LAB.router6;
/** TTL / Hop Limit of quoted packets: a value the lab never produces, so a decrement shows. */
export const QUOTE_TTL = 37;


/** A UDP flow that crossed the NAT64 outbound: both views of it. */
export interface Flow {
  client: string;
  sport: number;
  server: string;
  dport: number;
  /** [Pref64::server] as the client addresses it. */
  server6: string;
  /** The translated outbound datagram on side 4. */
  out: Seen;
  /** The pool transport address (T,t). */
  T: string;
  t: number;
  payload: Buffer;
}

/** Record a failing check per id: the flow an error is about could not be set up (no answer where one was required). */
export function setupFailed(t: CaseContext, ids: string[], what: string, ex?: Exchange): void {
  t.expect(ids, `setup: ${what}`, false, ex ? whatCameOut(ex) : 'not attempted');
}

/** C6:sport -> [P::server]:dport, and its translation. */
export async function openUdp(t: CaseContext, o: { client?: string; sport?: number; server?: string; dport?: number; payload?: Buffer } = {}): Promise<{ ex: Exchange; flow?: Flow }> {
  const client = o.client ?? C6;
  const sport = o.sport ?? 40000;
  const server = o.server ?? S4;
  const dport = o.dport ?? 7;
  const payload = o.payload ?? Buffer.from('nat64lab icmp-error probe');
  const ex = await t.send(6, udp6(t, { client, sport, server, dport, payload }));
  const out = only(ex.out4);
  const p = out?.packet;
  if (!out || !p?.ipv4 || !p.udp) return { ex };
  return { ex, flow: { client, sport, server, dport, server6: v6(t, server), out, T: p.ipv4.src, t: p.udp.sport, payload } };
}

/** The server answers the flow; returns what the client received (side 6), if one packet. */
export async function replyIn(t: CaseContext, f: Flow, payload = Buffer.from('nat64lab icmp-error reply')): Promise<{ ex: Exchange; in6?: Seen }> {
  const ex = await t.send(4, udpReply4(f.out, payload));
  return { ex, in6: only(ex.out6) };
}

/** A decoded packet made fit to quote: decode artefacts removed. */
function clean(p: Packet): Packet {
  return { ...p, notes: undefined, trailer: undefined };
}

/** The outbound datagram as a router beyond the NAT64 quotes it: TTL 37, header checksum recomputed. */
export function quote4(f: Flow, ipv4: Partial<NonNullable<Packet['ipv4']>> = {}): Packet {
  const p = clean(f.out.packet);
  return { ...p, ipv4: { ...p.ipv4!, ttl: QUOTE_TTL, checksum: undefined, ...ipv4 } };
}

/** The inbound datagram as the client (or a router before it) quotes it: Hop Limit 37. */
export function quote6(in6: Seen, ipv6: Partial<NonNullable<Packet['ipv6']>> = {}): Packet {
  const p = clean(in6.packet);
  return { ...p, ipv6: { ...p.ipv6!, hopLimit: QUOTE_TTL, ...ipv6 } };
}

/** An ICMPv4 error to T (from a router R4 by default) quoting `quote`. */
export function err4(f: Flow, icmp: ICMPCommon & { gateway?: string }, quote: Packet, from = R4, ttl = 64): Packet {
  return { ipv4: { src: from, dst: f.T, ttl }, icmpv4: { ...icmp, quote } };
}

/** An ICMPv6 error to [P::S4] (from a router R6 by default) quoting `quote`. */
export function err6(f: Flow, icmp: ICMPCommon, quote: Packet, from = R6, hopLimit = 64): Packet {
  return { ipv6: { src: from, dst: f.server6, hopLimit }, icmpv6: { ...icmp, quote } };
}

/** The requirement ids every translated-error check of one direction records. */
export const CHECKS_46 = [
  '7915-4.2-type-translated',
  '5508-4.2-req4b-type-code',
  '7915-4.2-checksum',
  '5508-4.2-req4c-outer-dst',
  '7915-4.3-outer-len',
  '7915-4.3-inner',
  '6146-3.7-icmperr-inner-rewrite',
  '5508-4.2-req4a-revert',
];
export const CHECKS_64 = [
  '7915-5.2-type-translated',
  '5508-4.2-req5b-type-code',
  '7915-5.2-checksum',
  '5508-4.2-req5c-outer-src',
  '7915-5.3-outer-len',
  '7915-5.3-inner',
  '6146-3.7-icmperr-inner-rewrite',
  '5508-4.2-req5a-revert',
];

/** Fields of the second word to expect (pointer, MTU). */
export interface Want {
  type: number;
  code: number;
  pointer?: number;
  mtu?: number;
}

/**
 * ICMPv4 error -> ICMPv6 error, field by field: type/code (+ pointer/MTU)
 * under `rowIds`, then checksum, outer addresses and length, and the quoted
 * packet (RFC 7915 §4.3: translated like any packet, TTL copied; RFC 6146
 * §3.7: addresses and ports of the IPv6 view). `quoted` is the IPv4 packet
 * the error quoted, whole.
 */
export function check46(t: CaseContext, rowIds: string[], label: string, e: Seen | undefined, want: Want, f: Flow, quoted: Packet, from = R4): void {
  const q4 = quoted.ipv4!;
  const l4 = (q4.totalLength ?? 0) - (q4.ihl ?? 5) * 4;
  const extra: Partial<ICMPCommon> = {};
  if (want.pointer !== undefined) extra.pointer = want.pointer;
  if (want.mtu !== undefined) extra.mtu = want.mtu;
  t.expectPacket([...rowIds, '7915-4.2-type-translated', '5508-4.2-req4b-type-code'], `${label}: ICMPv6 ${want.type}/${want.code}${want.pointer !== undefined ? ` pointer ${want.pointer}` : ''}${want.mtu !== undefined ? ` MTU ${want.mtu}` : ''}, quoting an IPv6 packet`, e, {
    ipv6: { nextHeader: 58 },
    icmpv6: { type: want.type, code: want.code, ...extra, quote: { ipv6: { version: 6 } } },
  });
  t.expectPacket('7915-4.2-checksum', `${label}: ICMPv6 checksum valid over the new message and pseudo-header`, e, { icmpv6: { checksum: T.validChecksum() } });
  t.expectPacket('5508-4.2-req4c-outer-dst', `${label}: outer destination is the client (the quote's source after translation), source [Pref64::${from}]`, e, {
    ipv6: { src: v6(t, from), dst: f.client },
  });
  // The quote is whole here: 8 octets of ICMPv6 header, 40 of IPv6 header, the transport data.
  t.expectPacket('7915-4.3-outer-len', `${label}: Payload Length = 8 + 40 + ${l4} (the quote grew by 20 octets)`, e, { ipv6: { payloadLength: 8 + 40 + l4 } });
  const inner: Expectation = {
    icmpv6: {
      quote: {
        ipv6: { version: 6, trafficClass: q4.tos ?? 0, flowLabel: 0, payloadLength: l4, nextHeader: q4.protocol, hopLimit: q4.ttl },
        ...(quoted.udp ? { udp: { length: quoted.udp.length, checksum: T.validChecksum() } } : {}),
        ...(quoted.payload ? { payload: quoted.payload } : {}),
      },
    },
  };
  t.expectPacket('7915-4.3-inner', `${label}: quoted header translated, Hop Limit ${q4.ttl} copied (not decremented), transport checksum valid`, e, inner);
  t.expectPacket(['6146-3.7-icmperr-inner-rewrite', '5508-4.2-req4a-revert'], `${label}: quote reverted to ${f.client}:${f.sport} -> [${f.server6}]:${f.dport}`, e, {
    icmpv6: { quote: { ipv6: { src: f.client, dst: f.server6 }, udp: { sport: f.sport, dport: f.dport } } },
  });
}

/**
 * ICMPv6 error -> ICMPv4 error, field by field (the mirror of check46):
 * outer source T and destination S4 (RFC 5508 REQ-5c), quote S4:y -> T:t
 * with the Hop Limit copied into the TTL. `quoted` is the IPv6 packet the
 * error quoted, whole.
 */
export function check64(t: CaseContext, rowIds: string[], label: string, e: Seen | undefined, want: Want, f: Flow, quoted: Packet): void {
  const q6 = quoted.ipv6!;
  const l4 = q6.payloadLength ?? 0;
  const extra: Partial<ICMPCommon> = {};
  if (want.pointer !== undefined) extra.pointer = want.pointer;
  if (want.mtu !== undefined) extra.mtu = want.mtu;
  t.expectPacket([...rowIds, '7915-5.2-type-translated', '5508-4.2-req5b-type-code'], `${label}: ICMPv4 ${want.type}/${want.code}${want.pointer !== undefined ? ` pointer ${want.pointer}` : ''}${want.mtu !== undefined ? ` MTU ${want.mtu}` : ''}, quoting an IPv4 packet`, e, {
    ipv4: { protocol: 1 },
    icmpv4: { type: want.type, code: want.code, ...extra, quote: { ipv4: { version: 4 } } },
  });
  t.expectPacket('7915-5.2-checksum', `${label}: ICMPv4 checksum valid (pseudo-header removed, new message)`, e, { icmpv4: { checksum: T.validChecksum() } });
  t.expectPacket('5508-4.2-req5c-outer-src', `${label}: outer source is the mapping's pool address ${f.T}, destination the server`, e, { ipv4: { src: f.T, dst: f.server } });
  t.expectPacket('7915-5.3-outer-len', `${label}: Total Length = 20 + 8 + 20 + ${l4} (the quote shrank by 20 octets), header checksum valid`, e, {
    ipv4: { totalLength: 20 + 8 + 20 + l4, checksum: T.validChecksum() },
  });
  t.expectPacket('7915-5.3-inner', `${label}: quoted header translated, TTL ${q6.hopLimit} copied (not decremented), checksums valid`, e, {
    icmpv4: {
      quote: {
        ipv4: { version: 4, ihl: 5, tos: q6.trafficClass ?? 0, totalLength: 20 + l4, mf: false, fragOffset: 0, ttl: q6.hopLimit, protocol: quoted.udp ? 17 : quoted.tcp ? 6 : 1, checksum: T.validChecksum() },
        ...(quoted.udp ? { udp: { length: quoted.udp.length, checksum: T.validChecksum() } } : {}),
        ...(quoted.payload ? { payload: quoted.payload } : {}),
      },
    },
  });
  t.expectPacket(['6146-3.7-icmperr-inner-rewrite', '5508-4.2-req5a-revert'], `${label}: quote reverted to ${f.server}:${f.dport} -> ${f.T}:${f.t}`, e, {
    icmpv4: { quote: { ipv4: { src: f.server, dst: f.T }, udp: { sport: f.dport, dport: f.t } } },
  });
}

/** A yes/no check that nothing at all came out (a silent drop, no ICMP reply either). */
export function expectNothing(t: CaseContext, ids: string | string[], label: string, ex: Exchange): boolean {
  return t.expect(ids, label, emitted(ex).length === 0, whatCameOut(ex), emitted(ex));
}

/** Bytes of a packet, for sizes. */
export function size(p: Packet): number {
  return encode(p).length;
}

/** RFC 7915 §4.2 Fragmentation Needed -> Packet Too Big MTU, reported MTU non-zero (the suite's own arithmetic). */
export function ptb4to6(t: CaseContext, reported: number): number {
  const m = t.config.mtu ?? { ipv6: 1500, ipv4: 1500 };
  return Math.max(1280, Math.min(reported + 20, m.ipv6, m.ipv4 + 20));
}

/** RFC 7915 §5.2 Packet Too Big -> Fragmentation Needed MTU for a packet without a Fragment Header. */
export function ptb6to4(t: CaseContext, reported: number): number {
  const m = t.config.mtu ?? { ipv6: 1500, ipv4: 1500 };
  return Math.min(reported - 20, m.ipv4, m.ipv6 - 20);
}

/** Open a flow and get the server's reply to the client: the setup of every IPv6-side error. */
export async function openBoth(t: CaseContext, ids: string[], o: Parameters<typeof openUdp>[1] = {}): Promise<{ f: Flow; in6: Seen } | undefined> {
  const { ex, flow } = await openUdp(t, o);
  if (!flow) {
    setupFailed(t, ids, 'the outbound UDP datagram is translated', ex);
    return undefined;
  }
  const r = await replyIn(t, flow);
  if (!r.in6) {
    setupFailed(t, ids, "the server's reply reaches the client", r.ex);
    return undefined;
  }
  return { f: flow, in6: r.in6 };
}

/** Open a flow: the setup of every IPv4-side error. */
export async function openOut(t: CaseContext, ids: string[], o: Parameters<typeof openUdp>[1] = {}): Promise<Flow | undefined> {
  const { ex, flow } = await openUdp(t, o);
  if (!flow) setupFailed(t, ids, 'the outbound UDP datagram is translated', ex);
  return flow;
}

export { emitted, whatCameOut };
