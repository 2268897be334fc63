/**
 * Helpers of the icmp-query suite: echo flows from IPv6 clients, the IPv4
 * server's replies, and the ICMP query mapping (T,i2) a translated echo shows.
 */
import { LAB } from '../../harness/lab/addressing';
import { T, Tolerance } from '../../harness/packet/compare';
import type { Packet } from '../../harness/packet/types';
import type { CaseContext, Exchange, Seen } from '../../harness/runner/case';
import { echo6, only } from '../lib/flows';
import { emitted, whatCameOut } from '../udp/lib';

export { emitted, whatCameOut };

export const SUITE = 'icmp-query';

export interface EchoFlow {
  client: string;
  server: string;
  id: number;
  seq: number;
  payload: Buffer;
}

export interface Echoed {
  flow: EchoFlow;
  sent: Packet;
  ex: Exchange;
  /** The translated echo request on side 4 (undefined when none or several came out). */
  out?: Seen;
}

/** An ICMPv6 Echo Request from an IPv6 client to [Pref64::server]. */
export async function echoOut(t: CaseContext, f: Partial<EchoFlow> = {}): Promise<Echoed> {
  const flow: EchoFlow = {
    client: f.client ?? LAB.client6[0],
    server: f.server ?? LAB.server4[0],
    id: f.id ?? 0x1234,
    seq: f.seq ?? 1,
    payload: f.payload ?? Buffer.from('nat64lab echo'),
  };
  const sent = echo6(t, flow);
  const ex = await t.send(6, sent);
  return { flow, sent, ex, out: only(ex.out4) };
}

/** The ICMP query mapping (T,i2) of a translated echo request. */
export function mappingOf(out: Seen): { addr: string; id: number } {
  return { addr: out.packet.ipv4!.src, id: out.packet.icmpv4!.id ?? -1 };
}

/** The server's Echo Reply to a translated echo request (same identifier, sequence and data). */
export function echoReply4(out: Seen, payload?: Buffer): Packet {
  const p = out.packet;
  return {
    ipv4: { src: p.ipv4!.dst, dst: p.ipv4!.src, ttl: 64 },
    icmpv4: { type: 0, code: 0, id: p.icmpv4!.id, seq: p.icmpv4!.seq },
    payload: payload ?? p.payload,
  };
}

/** An ICMPv4 message from `src` to the pool address `dst` (types with an identifier carry `id`). */
export function icmp4(src: string, dst: string, icmp: Packet['icmpv4'], payload?: Buffer): Packet {
  return { ipv4: { src, dst, ttl: 64 }, icmpv4: icmp, ...(payload ? { payload } : {}) };
}

/** Whether an exchange delivered exactly one ICMPv6 message to the client with identifier `id`. */
export function reached(ex: Exchange, client: string, id: number): boolean {
  const p = only(ex.out6)?.packet;
  return !!p && p.ipv6?.dst === client && p.icmpv6?.id === id && ex.out4.length === 0;
}

/** Payload expectation: decode leaves an empty payload out. */
export function samePayload(b: Buffer): Buffer | Tolerance {
  return b.length ? b : T.absent();
}

export const s = (seconds: number): number => Math.round(seconds * 1000);
