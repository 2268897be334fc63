/**
 * Shared pieces of the header-translation suite: opening a UDP or TCP flow
 * through the NAT64 so the IPv4 side can answer, building the answers with
 * chosen IPv4 header fields, and crafting payloads whose translated UDP
 * checksum computes to zero (RFC 768: then sent as 0xffff).
 */
import { LAB } from '../../harness/lab/addressing';
import { parseIPv4, parseIPv6 } from '../../harness/packet/address';
import { onesSum, pseudoHeaderSum4, pseudoHeaderSum6 } from '../../harness/packet/checksum';
import type { IPv4Header, IPv4Option, IPv6Header, Packet } from '../../harness/packet/types';
import { PROTO } from '../../harness/packet/types';
import type { CaseContext, Exchange, Seen } from '../../harness/runner/case';
import { only, v6 } from '../lib/flows';

export const CLIENT = LAB.client6[0];
export const S4 = LAB.server4[0];

/** A flow that crossed the NAT64 once outbound: both views of its addresses and ports. */
export interface Flow {
  /** The translated outbound packet as seen on the IPv4 side. */
  out: Seen;
  client: string;
  sport: number;
  /** [Pref64::S4] as the client addressed it. */
  server6: string;
  server: string;
  dport: number;
  /** The pool transport address (T, t) of the mapping. */
  T: string;
  t: number;
}

/** A one-line account of what came out, for yes/no checks. */
export function outputs(ex: Exchange): string {
  const n4 = ex.out4.length;
  const n6 = ex.out6.length;
  return n4 + n6 === 0 ? 'nothing came out on either side' : `${n4} packet(s) on the IPv4 side, ${n6} on the IPv6 side`;
}

/** Record one failing check per id when a flow could not even be opened (no answer where one was required). */
export function setupFailed(t: CaseContext, ids: string[], what: string, ex?: Exchange): void {
  t.expect(ids, `setup: ${what}`, false, ex ? outputs(ex) : 'not attempted');
}

export interface Open6 {
  client?: string;
  sport?: number;
  server?: string;
  dport?: number;
  payload?: Buffer;
  ipv6?: Partial<IPv6Header>;
}

/** UDP from the IPv6 client to [Pref64::server]. */
export function udpOut(t: CaseContext, o: Open6 = {}): Packet {
  return {
    ipv6: { src: o.client ?? CLIENT, dst: v6(t, o.server ?? S4), hopLimit: 64, ...o.ipv6 },
    udp: { sport: o.sport ?? 40000, dport: o.dport ?? 7 },
    payload: o.payload ?? Buffer.from('nat64lab header-translation probe'),
  };
}

/** Send `p` (UDP or TCP from the IPv6 side) and describe the mapping it got, or undefined if nothing single came out. */
export async function open(t: CaseContext, p: Packet): Promise<{ ex: Exchange; flow?: Flow }> {
  const ex = await t.send(6, p);
  const o = only(ex.out4);
  const l4 = o?.packet.udp ?? o?.packet.tcp;
  const in4 = p.udp ?? p.tcp;
  if (!o || !o.packet.ipv4 || !l4 || !in4) return { ex };
  return {
    ex,
    flow: {
      out: o,
      client: p.ipv6!.src,
      sport: in4.sport,
      server6: p.ipv6!.dst,
      server: o.packet.ipv4.dst,
      dport: l4.dport,
      T: o.packet.ipv4.src,
      t: l4.sport,
    },
  };
}

/** A UDP datagram from the flow's IPv4 server to its pool transport address, with chosen IPv4 header fields. */
export function udpIn(f: Flow, payload: Buffer, ipv4: Partial<IPv4Header> = {}, checksum?: number): Packet {
  return {
    ipv4: { src: f.server, dst: f.T, ttl: 64, ...ipv4 },
    udp: { sport: f.dport, dport: f.t, ...(checksum !== undefined ? { checksum } : {}) },
    payload,
  };
}

/** IPv4 Record Route (7) with room for two addresses, and Timestamp (68) with room for two stamps (RFC 791). */
export const RECORD_ROUTE: IPv4Option = { type: 7, data: Buffer.from([4, 0, 0, 0, 0, 0, 0, 0, 0]) };
export const TIMESTAMP: IPv4Option = { type: 68, data: Buffer.from([5, 0, 0, 0, 0, 0, 0, 0, 0, 0]) };

/** Loose (131) or Strict (137) Source and Record Route with one hop; `expired` puts the pointer past the end. */
export function sourceRoute(type: 131 | 137, hop: string, expired: boolean): IPv4Option {
  // Length 7: type, length, pointer, one address. RFC 791: the route is over once the pointer exceeds the length.
  return { type, data: Buffer.concat([Buffer.from([expired ? 8 : 4]), parseIPv4(hop)]) };
}

/**
 * `base` plus two octets chosen so that a UDP datagram with these addresses
 * and ports computes to checksum 0 — which RFC 768 sends as 0xffff, since 0
 * means "no checksum" (and is not allowed at all over IPv6).
 */
export function zeroSumPayload(family: 4 | 6, src: string, dst: string, sport: number, dport: number, base: Buffer): Buffer {
  const body = base.length % 2 ? Buffer.concat([base, Buffer.from([0x20])]) : base;
  const payload = Buffer.concat([body, Buffer.alloc(2)]);
  const len = 8 + payload.length;
  const header = Buffer.alloc(8);
  header.writeUInt16BE(sport, 0);
  header.writeUInt16BE(dport, 2);
  header.writeUInt16BE(len, 4);
  const pseudo =
    family === 4
      ? pseudoHeaderSum4(parseIPv4(src), parseIPv4(dst), PROTO.UDP, len)
      : pseudoHeaderSum6(parseIPv6(src), parseIPv6(dst), PROTO.UDP, len);
  const s = onesSum(Buffer.concat([header, payload]), pseudo);
  // One's complement: s + ~s = 0xffff, whose complement (the checksum) is 0.
  payload.writeUInt16BE(~s & 0xffff, payload.length - 2);
  return payload;
}

/** Bytes of `n` with a running number at the front, so reordering is visible in the payload. */
export function numbered(i: number, size: number): Buffer {
  const b = Buffer.alloc(size, 0x61 + (i % 26));
  b.writeUInt32BE(i, 0);
  return b;
}

export function seqOf(s: Seen): number | undefined {
  const p = s.packet.payload;
  return p && p.length >= 4 ? p.readUInt32BE(0) : undefined;
}
