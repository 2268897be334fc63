/**
 * Helpers of the tcp-state-machine suite: a TCP connection between an IPv6
 * client and an IPv4 server through the NAT64, with correct sequence and
 * acknowledgement numbers on both sides (a target may track them, RFC 6146
 * §5.2), the expectation of each segment after translation, and the timeline
 * of a case on the target's clock (t.elapse: virtual where the target has
 * one, real waits otherwise).
 *
 * The session state is observed black-box: a session is alive when a
 * segment of its connection is still translated, and each lifetime question
 * gets its own connection because every probe is itself traffic.
 */
import { LAB } from '../../harness/lab/addressing';
import { T } from '../../harness/packet/compare';
import type { Expectation } from '../../harness/packet/compare';
import type { Packet, TCPFlags } from '../../harness/packet/types';
import type { CaseContext, Exchange, Seen } from '../../harness/runner/case';
import { only, pool4Addresses, v6 } from '../lib/flows';
import { emitted, whatCameOut } from '../lib/flows';

export const SUITE = 'tcp-state-machine';

export const [C6A, C6B] = LAB.client6;
export const [S4, S4B, S4C] = LAB.server4;

/** Seconds to milliseconds. */
export const sec = (s: number): number => Math.round(s * 1000);

/** Initial sequence numbers of the two ends (arbitrary, distinct, far from 0 so the probe's seq 0 stands out). */
const CLIENT_ISS = 100_000;
const SERVER_ISS = 700_000;

/** The external transport address (T,t) of a mapping. */
export interface Mapping {
  addr: string;
  port: number;
}

/** One TCP connection through the translator, as both ends see it. */
export interface Conn {
  client: string;
  cport: number;
  server: string;
  sport: number;
  /** The server as the client addresses it: [Pref64::server]. */
  server6: string;
  /** (T,t), once the translator has shown it (or when the case knows it in advance). */
  map?: Mapping;
  ciss: number;
  siss: number;
  /** Next sequence number each end sends. */
  cnext: number;
  snext: number;
}

export interface ConnSpec {
  client?: string;
  cport: number;
  server?: string;
  sport?: number;
  map?: Mapping;
  ciss?: number;
  siss?: number;
}

export function conn(t: CaseContext, s: ConnSpec): Conn {
  const server = s.server ?? S4;
  const ciss = s.ciss ?? CLIENT_ISS + s.cport;
  const siss = s.siss ?? SERVER_ISS + s.cport;
  return {
    client: s.client ?? C6A,
    cport: s.cport,
    server,
    sport: s.sport ?? 80,
    server6: v6(t, server),
    map: s.map,
    ciss,
    siss,
    cnext: ciss,
    snext: siss,
  };
}

/** Sequence-space length of a segment: data plus one for SYN and for FIN. */
function seqLen(flags: TCPFlags, payload?: Buffer): number {
  return (payload?.length ?? 0) + (flags.syn ? 1 : 0) + (flags.fin ? 1 : 0);
}

/**
 * The next segment from the client. A SYN always carries the initial
 * sequence number (a retransmission or the SYN+ACK of a simultaneous open);
 * the ACK field acknowledges everything the server has sent so far.
 */
export function seg6(c: Conn, flags: TCPFlags, payload?: Buffer): Packet {
  const seq = flags.syn ? c.ciss : c.cnext;
  c.cnext = Math.max(c.cnext, seq + seqLen(flags, payload));
  return {
    ipv6: { src: c.client, dst: c.server6, hopLimit: 64 },
    tcp: { sport: c.cport, dport: c.sport, seq, ack: flags.ack ? c.snext : 0, flags, window: 65535 },
    ...(payload ? { payload } : {}),
  };
}

/** The next segment from the server, to the connection's (T,t). */
export function seg4(c: Conn, flags: TCPFlags, payload?: Buffer): Packet {
  if (!c.map) throw new Error('seg4: the connection has no known mapping (T,t)');
  const seq = flags.syn ? c.siss : c.snext;
  c.snext = Math.max(c.snext, seq + seqLen(flags, payload));
  return {
    ipv4: { src: c.server, dst: c.map.addr, ttl: 64 },
    tcp: { sport: c.sport, dport: c.map.port, seq, ack: flags.ack ? c.cnext : 0, flags, window: 65535 },
    ...(payload ? { payload } : {}),
  };
}

/** A segment sent and what came out. */
export interface Sent {
  packet: Packet;
  ex: Exchange;
}

export async function from6(t: CaseContext, c: Conn, flags: TCPFlags, payload?: Buffer): Promise<Sent> {
  const packet = seg6(c, flags, payload);
  return { packet, ex: await t.send(6, packet) };
}

export async function from4(t: CaseContext, c: Conn, flags: TCPFlags, payload?: Buffer): Promise<Sent> {
  const packet = seg4(c, flags, payload);
  return { packet, ex: await t.send(4, packet) };
}

/** The flags RFC 6146 §3.5.2.2 reacts to, plus ACK; all of them are compared exactly. */
function flagsOf(p: Packet): TCPFlags {
  const f = p.tcp!.flags ?? {};
  return { syn: !!f.syn, ack: !!f.ack, fin: !!f.fin, rst: !!f.rst };
}

/**
 * The client's segment as the server must receive it (RFC 6146 §3.7 with
 * RFC 7915 §5): from (T,t) to the server, sequence numbers, flags and data
 * unchanged, checksum recomputed. (T,t) is the connection's mapping when it
 * is known, otherwise any pool transport address.
 */
export function expect4(t: CaseContext, c: Conn, sent: Packet): Expectation {
  const tcp = sent.tcp!;
  return {
    ipv4: { src: c.map ? c.map.addr : T.oneOf(pool4Addresses(t)), dst: c.server, protocol: 6 },
    tcp: {
      sport: c.map ? c.map.port : T.range(1, 65535),
      dport: c.sport,
      seq: tcp.seq,
      ack: tcp.ack,
      flags: flagsOf(sent),
      checksum: T.validChecksum(),
    },
    payload: sent.payload ?? T.absent(),
  };
}

/** The server's segment as the client must receive it: from [Pref64::server], to (X',x). */
export function expect6(c: Conn, sent: Packet): Expectation {
  const tcp = sent.tcp!;
  return {
    ipv6: { src: c.server6, dst: c.client, nextHeader: 6 },
    tcp: { sport: c.sport, dport: c.cport, seq: tcp.seq, ack: tcp.ack, flags: flagsOf(sent), checksum: T.validChecksum() },
    payload: sent.payload ?? T.absent(),
  };
}

/** The single packet of a side, for expectPacket (several or none count as none). */
export const out4 = (s: Sent): Seen | undefined => only(s.ex.out4);
export const out6 = (s: Sent): Seen | undefined => only(s.ex.out6);

/** Whether a client segment reached the server (one TCP packet from (T,t) to the server's port, nothing back to the client). */
export function reached4(s: Sent, c: Conn): boolean {
  const p = only(s.ex.out4)?.packet;
  const ok = !!p?.tcp && p.ipv4?.dst === c.server && p.tcp.dport === c.sport && (!c.map || (p.ipv4.src === c.map.addr && p.tcp.sport === c.map.port));
  return ok && s.ex.out6.length === 0;
}

/** Whether a server segment reached the client's (X',x). */
export function reached6(s: Sent, c: Conn): boolean {
  const p = only(s.ex.out6)?.packet;
  return !!p?.tcp && p.ipv6?.dst === c.client && p.tcp.dport === c.cport && p.ipv6.src === c.server6 && s.ex.out4.length === 0;
}


/** Nothing at all came out. */
export const silent = (ex: Exchange): boolean => ex.out4.length === 0 && ex.out6.length === 0;

/**
 * The client opens the connection: its SYN, and the mapping (T,t) read from
 * the translated SYN. Undefined when no single TCP segment to the server
 * came out.
 */
export async function open(t: CaseContext, c: Conn, payload?: Buffer): Promise<Sent | undefined> {
  const s = await from6(t, c, { syn: true }, payload);
  const p = only(s.ex.out4)?.packet;
  if (!p?.tcp || !p.ipv4 || p.ipv4.dst !== c.server || p.tcp.dport !== c.sport) return undefined;
  if (!c.map) c.map = { addr: p.ipv4.src, port: p.tcp.sport };
  return s;
}

/** A three-way handshake from the client; false when any of its segments did not get through. */
export async function establish(t: CaseContext, c: Conn): Promise<boolean> {
  const syn = await open(t, c);
  if (!syn) return false;
  const synack = await from4(t, c, { syn: true, ack: true });
  if (!reached6(synack, c)) return false;
  const ack = await from6(t, c, { ack: true });
  return reached4(ack, c);
}

/**
 * Establish every connection, or record one failing check for `ids` naming
 * the first one that could not be established (the case then stops).
 */
export async function establishAll(t: CaseContext, ids: string[], conns: Conn[]): Promise<boolean> {
  for (const c of conns) {
    if (!(await establish(t, c))) {
      t.expect(ids, `the connection from [${c.client}]:${c.cport} to ${c.server}:${c.sport} is established through the translator`, false, 'the three-way handshake did not get through');
      return false;
    }
  }
  return true;
}

/**
 * The case's clock: `at(s)` lets the target's time reach `s` seconds after
 * the timeline started (never backwards) and returns what the target sent
 * meanwhile (probes, ICMP errors).
 */
export function timeline(t: CaseContext): { at(s: number): Promise<Exchange>; now(): number } {
  let now = 0;
  return {
    async at(s: number): Promise<Exchange> {
      const step = s - now;
      now = Math.max(now, s);
      if (step <= 0) return { out4: [], out6: [] };
      return t.elapse(sec(step));
    },
    now: () => now,
  };
}

/** Data from one end, distinct per call (so evidence shows which probe is which). */
export function data(label: string): Buffer {
  return Buffer.from(`nat64lab tcp ${label}`);
}

export { emitted, whatCameOut };
