/**
 * Input packets of the benchmark, built with the harness codec (`encode`)
 * before any timed loop. Addresses follow the lab plan
 * (harness/lab/addressing.ts): IPv6 clients in 2001:db8:6::/64, IPv4 servers
 * 198.18.100.x reached through Pref64 2001:db8:64::/96.
 *
 * Flow `i` gets its own client address / source port (or ICMP identifier)
 * so no two flows share a BIB entry, and the destinations rotate over the
 * lab servers and a few ports so the benchmark is not a single cached flow.
 */
import { encode } from '../harness/packet/codec';
import { embed } from '../harness/packet/rfc6052';
import { LAB } from '../harness/lab/addressing';
import { canonical } from '../harness/packet/address';

/** Source ports (or ICMP identifiers) per client before the next client address is used. */
export const PORTS_PER_CLIENT = 64;

/** One flow as the IPv6 client sees it. */
export interface Flow6 {
  client: string;
  sport: number;
  /** IPv4 server (Z) and its IPv6 representation (Y' = Pref64 + Z). */
  server4: string;
  server6: string;
  dport: number;
}

/**
 * Client address of flow `i` inside 2001:db8:6::/64 (canonical text, as the engine reports it). `space` separates the
 * flow sets of different phases (and warm-up) so they never share a host.
 */
export function clientOf(i: number, space: number): string {
  const host = Math.floor(i / PORTS_PER_CLIENT);
  return canonical(`2001:db8:6:0:${space.toString(16)}:0:${(host >>> 16).toString(16)}:${(host & 0xffff).toString(16)}`);
}

/** Y' of each lab server under each Pref64 used (3 servers: computed once). */
const server6Cache = new Map<string, string>();

function server6Of(pool6: string, server4: string): string {
  const key = `${pool6} ${server4}`;
  let v = server6Cache.get(key);
  if (v === undefined) server6Cache.set(key, (v = embed(pool6, server4)));
  return v;
}

export function flow6(i: number, space: number, pool6: string = LAB.pool6, client = clientOf(i, space)): Flow6 {
  const server4 = LAB.server4[i % LAB.server4.length];
  return {
    client,
    // High, non-privileged ports of both parities (RFC 6146 range/parity preservation is exercised as it would be).
    sport: 20000 + (i % PORTS_PER_CLIENT) * 7,
    server4,
    server6: server6Of(pool6, server4),
    dport: 5000 + (i % 11),
  };
}

/** A payload of `n` bytes with a recognisable pattern. */
export function payloadOf(n: number, seed = 0): Buffer {
  const b = Buffer.alloc(n);
  for (let k = 0; k < n; k++) b[k] = (seed + k) & 0xff;
  return b;
}

export function udp6(f: Flow6, payload: Buffer): Buffer {
  return encode({
    ipv6: { src: f.client, dst: f.server6, hopLimit: 64 },
    udp: { sport: f.sport, dport: f.dport },
    payload,
  });
}

/** The server's reply to a flow, addressed to the flow's IPv4 mapping (T,t). */
export function udp4Reply(f: Flow6, t: string, tport: number, payload: Buffer): Buffer {
  return encode({
    ipv4: { src: f.server4, dst: t, ttl: 64, df: true },
    udp: { sport: f.dport, dport: tport },
    payload,
  });
}

/** ICMPv6 Echo Request; the flow's `sport` is the identifier. */
export function echo6(f: Flow6, seq: number, payload: Buffer): Buffer {
  return encode({
    ipv6: { src: f.client, dst: f.server6, hopLimit: 64 },
    icmpv6: { type: 128, code: 0, id: f.sport, seq },
    payload,
  });
}

/** A bare TCP SYN (no options), as a client opening a connection would send. */
export function syn6(f: Flow6, seq: number): Buffer {
  return encode({
    ipv6: { src: f.client, dst: f.server6, hopLimit: 64 },
    tcp: { sport: f.sport, dport: f.dport, seq, ack: 0, flags: { syn: true }, window: 65535 },
  });
}

/** Pre-encodes `n` packets of flows `offset .. offset+n-1` of `space`. */
export function build(n: number, space: number, make: (f: Flow6, i: number) => Buffer, offset = 0): Buffer[] {
  const out = new Array<Buffer>(n);
  let client = '';
  let host = -1;
  for (let k = 0; k < n; k++) {
    const i = offset + k;
    const h = Math.floor(i / PORTS_PER_CLIENT);
    if (h !== host) {
      host = h;
      client = clientOf(i, space);
    }
    out[k] = make(flow6(i, space, LAB.pool6, client), i);
  }
  return out;
}
