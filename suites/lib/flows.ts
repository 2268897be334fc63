/**
 * Building blocks shared by the suites: lab endpoints resolved against the
 * session's configuration, and packets for the usual flows (IPv6 client to
 * IPv4 server through Pref64, and the replies).
 */
import { LAB } from '../../harness/lab/addressing';
import { embed, extract } from '../../harness/packet/rfc6052';
import { summary } from '../../harness/packet/dissect';
import type { Packet } from '../../harness/packet/types';
import type { CaseContext, Seen } from '../../harness/runner/case';
import { expandPool4 } from '../../harness/lab/pool4';

/** An IPv4 server's address as the IPv6 client sees it (embedded in the session's Pref64). */
export function v6(t: CaseContext, ipv4: string): string {
  return embed(t.config.pool6, ipv4);
}

/** The IPv4 address embedded in an IPv6 address of the session's Pref64. */
export function v4of(t: CaseContext, ipv6: string): string {
  return extract(t.config.pool6, ipv6);
}

/** Every IPv4 address of the session's pool. */
export function pool4Addresses(t: CaseContext): string[] {
  return expandPool4(t.config.pool4);
}

export interface UdpFlow {
  client?: string;
  server?: string;
  sport?: number;
  dport?: number;
  payload?: Buffer;
  hopLimit?: number;
}

/** UDP from an IPv6 client to an IPv4 server through Pref64. */
export function udp6(t: CaseContext, f: UdpFlow = {}): Packet {
  return {
    ipv6: { src: f.client ?? LAB.client6[0], dst: v6(t, f.server ?? LAB.server4[0]), hopLimit: f.hopLimit ?? 64 },
    udp: { sport: f.sport ?? 40000, dport: f.dport ?? 7 },
    payload: f.payload ?? Buffer.from('nat64lab udp probe'),
  };
}

/** The IPv4 server's reply to a translated packet seen on side 4 (addresses and ports swapped). */
export function udpReply4(seen: Seen, payload = Buffer.from('nat64lab udp reply')): Packet {
  const p = seen.packet;
  return {
    ipv4: { src: p.ipv4!.dst, dst: p.ipv4!.src, ttl: 64 },
    udp: { sport: p.udp!.dport, dport: p.udp!.sport },
    payload,
  };
}

export interface TcpFlow extends UdpFlow {
  seq?: number;
}

/** A TCP SYN from an IPv6 client to an IPv4 server through Pref64. */
export function tcpSyn6(t: CaseContext, f: TcpFlow = {}): Packet {
  return {
    ipv6: { src: f.client ?? LAB.client6[0], dst: v6(t, f.server ?? LAB.server4[0]), hopLimit: f.hopLimit ?? 64 },
    tcp: { sport: f.sport ?? 40000, dport: f.dport ?? 80, seq: f.seq ?? 1000, flags: { syn: true } },
  };
}

/** ICMPv6 echo request from an IPv6 client to an IPv4 server through Pref64. */
export function echo6(t: CaseContext, f: { client?: string; server?: string; id?: number; seq?: number; payload?: Buffer } = {}): Packet {
  return {
    ipv6: { src: f.client ?? LAB.client6[0], dst: v6(t, f.server ?? LAB.server4[0]), hopLimit: 64 },
    icmpv6: { type: 128, code: 0, id: f.id ?? 0x1234, seq: f.seq ?? 1 },
    payload: f.payload ?? Buffer.from('nat64lab echo'),
  };
}

/** The single packet that came out on a side, or undefined (several packets count as none: the check says so). */
export function only(list: Seen[]): Seen | undefined {
  return list.length === 1 ? list[0] : undefined;
}

/** Everything that came out of an exchange (or of several, collected), both sides. */
export function emitted(ex: { out4: Seen[]; out6: Seen[] }): Seen[] {
  return [...ex.out4, ...ex.out6];
}

/** One line naming what came out, for check details (the first four packets, then a count). */
export function whatCameOut(ex: { out4: Seen[]; out6: Seen[] }): string {
  const all = emitted(ex);
  if (!all.length) return 'nothing came out on either side';
  const shown = all.slice(0, 4).map((s) => `side ${s.side}: ${summary(s.packet)}`);
  return `${all.length} packet(s): ${shown.join('; ')}${all.length > 4 ? '; …' : ''}`;
}
