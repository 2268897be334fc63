/**
 * Helpers of the hairpinning suite. Two IPv6 clients, a (LAB.client6[0]) and
 * b (LAB.client6[1]), each learn their own mapping by talking to an IPv4
 * server first; then a talks to b's outside address [Pref64::T_b]:t_b.
 */
import { LAB } from '../../harness/lab/addressing';
import type { Packet } from '../../harness/packet/types';
import type { CaseContext, Seen } from '../../harness/runner/case';
import { only, tcpSyn6, udp6, v6 } from '../lib/flows';
import { emitted, whatCameOut } from '../udp/lib';

export { emitted, whatCameOut };

export const SUITE = 'hairpinning';

export const A = { client: LAB.client6[0], port: 40000 };
export const B = { client: LAB.client6[1], port: 40001 };

/** An outside transport address (T,t) and its IPv6 form [Pref64::T]:t. */
export interface Outside {
  addr: string;
  port: number;
  v6: string;
}

export function outsideOf(t: CaseContext, seen: Seen): Outside {
  const p = seen.packet;
  const port = (p.udp ?? p.tcp)!.sport;
  return { addr: p.ipv4!.src, port, v6: v6(t, p.ipv4!.src) };
}

/** Learn a host's UDP or TCP mapping by sending to an IPv4 server; undefined (and a failed check) when nothing came out. */
export async function learn(
  t: CaseContext,
  proto: 'udp' | 'tcp',
  host: { client: string; port: number },
  server: string,
  ids: string[],
): Promise<Outside | undefined> {
  const pkt = proto === 'udp' ? udp6(t, { client: host.client, sport: host.port, server }) : tcpSyn6(t, { client: host.client, sport: host.port, server });
  const ex = await t.send(6, pkt);
  const out = only(ex.out4);
  if (!out) {
    t.expect(ids, `${host.client} gets a ${proto.toUpperCase()} mapping`, false, `its packet to ${server} was not translated: ${whatCameOut(ex)}`);
    return undefined;
  }
  return outsideOf(t, out);
}

/** UDP from a host to another host's outside address. */
export function udpTo(from: { client: string; port: number }, to: Outside, payload: Buffer): Packet {
  return {
    ipv6: { src: from.client, dst: to.v6, hopLimit: 64 },
    udp: { sport: from.port, dport: to.port },
    payload,
  };
}
