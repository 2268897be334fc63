/**
 * Helpers of the fragments suite: cutting a packet into IPv6 or IPv4
 * fragments the way a sender (or an IPv4 router) would, putting the
 * fragments a target emits back together (independently of any engine
 * code), opening the flows the fragments travel on, and describing outputs.
 */
import { LAB } from '../../harness/lab/addressing';
import { internetChecksum } from '../../harness/packet/checksum';
import { decode, encode } from '../../harness/packet/codec';
import type { ExtensionHeader, FragmentHeader, IPv4Header, Packet } from '../../harness/packet/types';
import { PROTO } from '../../harness/packet/types';
import type { CaseContext, Exchange, Seen } from '../../harness/runner/case';
import { only, v6 } from '../lib/flows';
import { emitted, whatCameOut } from '../lib/flows';

export const SUITE = 'fragments';
export const CLIENT = LAB.client6[0];
export const S4 = LAB.server4[0];

/** Orders in which a train of fragments is sent (indexes into the train, offset order). */
export type Order = 'in-order' | 'reverse' | 'first-last';

export const ORDERS: Order[] = ['in-order', 'reverse', 'first-last'];

export function ordered<T>(list: T[], order: Order): T[] {
  if (order === 'reverse') return [...list].reverse();
  // The offset-0 fragment (the one with the transport header) comes last.
  if (order === 'first-last') return [...list.slice(1), list[0]];
  return list;
}

export function describeOrder(order: Order): string {
  return order === 'in-order' ? 'in offset order' : order === 'reverse' ? 'last fragment first (reverse order)' : 'offset-0 fragment last';
}

/** Data lengths that cut `total` octets into pieces of at most `max` (a multiple of 8). */
export function chunks(total: number, max: number): number[] {
  const out: number[] = [];
  for (let at = 0; at < total; at += max) out.push(Math.min(max, total - at));
  return out;
}

const UNFRAGMENTABLE = new Set<ExtensionHeader['kind']>(['hop-by-hop', 'routing', 'destination']);

/**
 * IPv6 fragments of `p` (RFC 8200 §4.5): the extension headers of `p` stay
 * in every fragment as the unfragmentable part, the rest (from the upper-
 * layer header on) is cut into pieces of `sizes` octets (all but the last a
 * multiple of 8); `after` puts extension headers after the Fragment Header
 * (in the fragmentable part), for the RFC 7915 §5.1.1 drop rule.
 */
export function fragment6(p: Packet, sizes: number[], id: number, after: ExtensionHeader[] = []): Packet[] {
  const h = p.ipv6!;
  const before = (h.extensions ?? []).filter((e) => UNFRAGMENTABLE.has(e.kind)).map((e) => ({ ...e, nextHeader: undefined }));
  // Encode the upper layer with the real pseudo-header, behind the `after` headers, then cut it.
  const whole = encode({ ...p, ipv6: { ...h, extensions: after.map((e) => ({ ...e, nextHeader: undefined })), nextHeader: undefined } });
  const firstNext = after.length ? extProto(after[0]) : upperProto(p);
  const data = whole.subarray(40);
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total !== data.length) throw new Error(`fragment6: sizes add up to ${total}, the fragmentable part is ${data.length}`);
  const out: Packet[] = [];
  let at = 0;
  sizes.forEach((n, i) => {
    const fh: FragmentHeader = { kind: 'fragment', nextHeader: firstNext, reserved: 0, offset: at / 8, res: 0, m: i < sizes.length - 1, id };
    out.push({
      ipv6: { src: h.src, dst: h.dst, hopLimit: h.hopLimit ?? 64, trafficClass: h.trafficClass ?? 0, flowLabel: h.flowLabel ?? 0, extensions: [...before, fh] },
      payload: Buffer.from(data.subarray(at, at + n)),
    });
    at += n;
  });
  return out;
}

function extProto(e: ExtensionHeader): number {
  return { 'hop-by-hop': PROTO.HOPOPT, routing: PROTO.IPV6_ROUTE, fragment: PROTO.IPV6_FRAG, destination: PROTO.IPV6_OPTS }[e.kind];
}

function upperProto(p: Packet): number {
  return p.udp ? PROTO.UDP : p.tcp ? PROTO.TCP : p.icmpv6 ? PROTO.ICMPV6 : p.icmpv4 ? PROTO.ICMP : PROTO.IPV6_NONXT;
}

/** IPv4 fragments of `p` (RFC 791 §3.2): the header (options in the first only) and data pieces of `sizes` octets. */
export function fragment4(p: Packet, sizes: number[], id: number): Packet[] {
  const h = p.ipv4!;
  const whole = encode(p);
  const ihl = (whole[0] & 0x0f) * 4;
  const data = whole.subarray(ihl);
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total !== data.length) throw new Error(`fragment4: sizes add up to ${total}, the data is ${data.length}`);
  const out: Packet[] = [];
  let at = 0;
  sizes.forEach((n, i) => {
    const hdr: IPv4Header = { ...h, totalLength: undefined, checksum: undefined, ihl: undefined, id, mf: i < sizes.length - 1, fragOffset: at / 8, protocol: whole[9] };
    if (i > 0) hdr.options = undefined;
    out.push({ ipv4: hdr, payload: Buffer.from(data.subarray(at, at + n)) });
    at += n;
  });
  return out;
}

export interface Whole {
  /** The datagram put back together, decoded. */
  packet?: Packet;
  /** Why it could not be put together. */
  problem?: string;
  /** A Seen to hand to t.expectPacket: the offset-0 fragment's evidence with the whole datagram as its packet. */
  seen?: Seen;
}

function offset6(p: Packet): { fh?: FragmentHeader } {
  const fh = p.ipv6?.extensions?.find((e): e is FragmentHeader => e.kind === 'fragment');
  return { fh };
}

/**
 * The datagram that IPv6 fragments (or a single unfragmented packet) carry,
 * rebuilt as a receiver would (RFC 8200 §4.5): unfragmentable part of the
 * offset-0 fragment, then the data in offset order. Fragments must share one
 * Identification and cover the datagram without gaps or overlaps.
 */
export function reassemble6(list: Seen[]): Whole {
  if (!list.length) return { problem: 'no packet' };
  const frags = list.filter((s) => s.packet.ipv6);
  if (frags.length !== list.length) return { problem: 'not all packets are IPv6' };
  if (frags.length === 1 && !offset6(frags[0].packet).fh) return { packet: frags[0].packet, seen: frags[0] };
  const parts: { off: number; data: Buffer; more: boolean; s: Seen; head: Buffer; next: number; nhPos: number }[] = [];
  const ids = new Set<number>();
  for (const s of frags) {
    const b = s.bytes;
    let off = 40;
    let nhPos = 6;
    let next = b[6];
    while (next === 0 || next === 43 || next === 60) {
      nhPos = off;
      next = b[off];
      off += (b[off + 1] + 1) * 8;
    }
    if (next !== 44) return { problem: `packet #${s.index} has no Fragment Header` };
    const w = b.readUInt16BE(off + 2);
    ids.add(b.readUInt32BE(off + 4));
    const end = 40 + b.readUInt16BE(4);
    parts.push({ off: (w >> 3) * 8, data: b.subarray(off + 8, end), more: (w & 1) === 1, s, head: b.subarray(0, off), next: b[off], nhPos });
  }
  if (ids.size !== 1) return { problem: `fragments carry ${ids.size} different Identifications` };
  return join(parts, (first, data) => {
    const head = Buffer.from(first.head);
    head[first.nhPos] = first.next;
    const whole = Buffer.concat([head, data]);
    whole.writeUInt16BE(whole.length - 40, 4);
    return whole;
  });
}

/** The datagram that IPv4 fragments (or one unfragmented packet) carry, rebuilt as RFC 791 §3.2 does. */
export function reassemble4(list: Seen[]): Whole {
  if (!list.length) return { problem: 'no packet' };
  if (list.some((s) => !s.packet.ipv4)) return { problem: 'not all packets are IPv4' };
  if (list.length === 1 && !list[0].packet.ipv4!.mf && !list[0].packet.ipv4!.fragOffset) return { packet: list[0].packet, seen: list[0] };
  const keys = new Set(list.map((s) => `${s.packet.ipv4!.src}|${s.packet.ipv4!.dst}|${s.packet.ipv4!.protocol}|${s.packet.ipv4!.id}`));
  if (keys.size !== 1) return { problem: `fragments differ in source, destination, protocol or Identification (${keys.size} combinations)` };
  const parts = list.map((s) => {
    const b = s.bytes;
    const ihl = (b[0] & 0x0f) * 4;
    const h = s.packet.ipv4!;
    return { off: (h.fragOffset ?? 0) * 8, data: b.subarray(ihl, b.readUInt16BE(2)), more: !!h.mf, s, head: b.subarray(0, ihl), next: 0, nhPos: 0 };
  });
  return join(parts, (first, data) => {
    const head = Buffer.from(first.head);
    head.writeUInt16BE(head.length + data.length, 2);
    head.writeUInt16BE(head.readUInt16BE(6) & 0xc000, 6);
    head.writeUInt16BE(0, 10);
    head.writeUInt16BE(internetChecksum(head), 10);
    return Buffer.concat([head, data]);
  });
}

function join<P extends { off: number; data: Buffer; more: boolean; s: Seen }>(parts: P[], build: (first: P, data: Buffer) => Buffer): Whole {
  const sorted = [...parts].sort((a, b) => a.off - b.off);
  let at = 0;
  for (const p of sorted) {
    if (p.off !== at) return { problem: p.off < at ? `fragments overlap at offset ${p.off}` : `gap: nothing covers offsets ${at}-${p.off}` };
    at += p.data.length;
  }
  const last = sorted[sorted.length - 1];
  if (last.more) return { problem: 'the last fragment has More Fragments set' };
  if (sorted.slice(0, -1).some((p) => !p.more)) return { problem: 'a fragment before the last has More Fragments clear' };
  const bytes = build(sorted[0], Buffer.concat(sorted.map((p) => p.data)));
  const packet = decode(bytes);
  return { packet, seen: { ...sorted[0].s, packet, bytes } };
}

/** Octets of fragment data a packet carries: after the IPv4 header, or after every IPv6 extension header. */
export function dataLength(s: Seen): number {
  const b = s.bytes;
  if (s.packet.ipv4) return Math.min(b.length, b.readUInt16BE(2)) - (b[0] & 0x0f) * 4;
  const end = Math.min(b.length, 40 + b.readUInt16BE(4));
  let off = 40;
  let next = b[6];
  while ((next === 0 || next === 43 || next === 60 || next === 44) && off + 8 <= end) {
    const len = next === 44 ? 8 : (b[off + 1] + 1) * 8;
    next = b[off];
    off += len;
  }
  return end - off;
}

/** Every packet that came out of a list of exchanges, by side. */
export function collected(exs: Exchange[]): { out4: Seen[]; out6: Seen[] } {
  return { out4: exs.flatMap((e) => e.out4), out6: exs.flatMap((e) => e.out6) };
}


/** Fragments in offset order (IPv4 fragOffset or IPv6 Fragment Header offset; unfragmented packets count as offset 0). */
export function byOffset(list: Seen[]): Seen[] {
  const off = (s: Seen) => s.packet.ipv4?.fragOffset ?? offset6(s.packet).fh?.offset ?? 0;
  return [...list].sort((a, b) => off(a) - off(b));
}

/** A UDP datagram from the IPv6 client to [Pref64::S4]. */
export function udp6(t: CaseContext, sport: number, payload: Buffer, dport = 7): Packet {
  return { ipv6: { src: CLIENT, dst: v6(t, S4), hopLimit: 64 }, udp: { sport, dport }, payload };
}

/** A flow opened from the IPv6 side: the pool transport address (T,t) and the server's view. */
export interface Mapping {
  T: string;
  t: number;
  sport: number;
  out: Seen;
}

/** Opens a UDP mapping with a small datagram and returns (T,t), or undefined when nothing single came out. */
export async function openUdp(t: CaseContext, sport: number): Promise<{ ex: Exchange; m?: Mapping }> {
  const ex = await t.send(6, udp6(t, sport, Buffer.from('nat64lab fragments: open')));
  const o = only(ex.out4);
  if (!o?.packet.ipv4 || !o.packet.udp) return { ex };
  return { ex, m: { T: o.packet.ipv4.src, t: o.packet.udp.sport, sport, out: o } };
}

/** A UDP datagram from S4 to the mapping's (T,t). */
export function udp4(m: Mapping, payload: Buffer, ipv4: Partial<IPv4Header> = {}, checksum?: number): Packet {
  return {
    ipv4: { src: S4, dst: m.T, ttl: 64, ...ipv4 },
    udp: { sport: 7, dport: m.t, ...(checksum !== undefined ? { checksum } : {}) },
    payload,
  };
}

const BASE = Buffer.from(Array.from({ length: 65536 + 256 }, (_, i) => (i * 7 + (i >> 8)) & 0xff));

/** `n` bytes of a fixed non-repeating-looking pattern (shifted by `seed`), so misplaced fragments change the data. */
export function pattern(n: number, seed = 0): Buffer {
  const at = ((seed % 251) + 251) % 251;
  return Buffer.from(BASE.subarray(at, at + n));
}

/** Sends the packets one by one and returns every exchange. */
export async function sendAll(t: CaseContext, side: 4 | 6, packets: Packet[]): Promise<Exchange[]> {
  const out: Exchange[] = [];
  for (const p of packets) out.push(await t.send(side, p));
  return out;
}

/** Records one failing check per id when the flow the case needs could not be opened. */
export function setupFailed(t: CaseContext, ids: string[], what: string, ex?: Exchange): void {
  t.expect(ids, `setup: ${what}`, false, ex ? whatCameOut(ex) : 'not attempted');
}

export { emitted, whatCameOut };
