/**
 * Helpers of the udp suite: open a UDP mapping from an IPv6 client, answer
 * it from the IPv4 server, and describe what came out of the target.
 */
import { LAB } from '../../harness/lab/addressing';
import type { Packet } from '../../harness/packet/types';
import type { CaseContext, Exchange, Seen } from '../../harness/runner/case';
import { only, udp6, udpReply4 } from '../lib/flows';
import type { UdpFlow } from '../lib/flows';
import { emitted, whatCameOut } from '../lib/flows';

export const SUITE = 'udp';


/** An outbound flow and its translation on side 4 (undefined when none or several came out). */
export interface Opened {
  flow: Required<Pick<UdpFlow, 'client' | 'server' | 'sport' | 'dport'>>;
  sent: Packet;
  ex: Exchange;
  out?: Seen;
}

/** Send the first packet of a flow from an IPv6 client and keep its translation. */
export async function openFlow(t: CaseContext, f: UdpFlow = {}): Promise<Opened> {
  const flow = { client: f.client ?? LAB.client6[0], server: f.server ?? LAB.server4[0], sport: f.sport ?? 40000, dport: f.dport ?? 7 };
  const sent = udp6(t, { ...f, ...flow });
  const ex = await t.send(6, sent);
  return { flow, sent, ex, out: only(ex.out4) };
}

/** The mapping (T,t) a translated outbound packet shows. */
export function mappingOf(out: Seen): { addr: string; port: number } {
  return { addr: out.packet.ipv4!.src, port: out.packet.udp!.sport };
}

/** The server answers the translated packet (to T:t from S:s). */
export async function answer(t: CaseContext, out: Seen, payload = Buffer.from('nat64lab udp reply')): Promise<Exchange> {
  return t.send(4, udpReply4(out, payload));
}

/** Whether an exchange delivered exactly one packet to the client's (X',x). */
export function reachedClient(ex: Exchange, o: Opened): boolean {
  const p = only(ex.out6)?.packet;
  return !!p && p.ipv6?.dst === o.flow.client && p.udp?.dport === o.flow.sport && ex.out4.length === 0;
}

/** Seconds to milliseconds, for t.advance. */
export const s = (seconds: number): number => Math.round(seconds * 1000);

export { emitted, whatCameOut };
