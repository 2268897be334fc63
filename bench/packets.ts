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
import { decode, encode } from '../harness/packet/codec';
import { embed } from '../harness/packet/rfc6052';
import { LAB } from '../harness/lab/addressing';
import { canonical, parseIPv4, parseIPv6 } from '../harness/packet/address';
import { internetChecksum } from '../harness/packet/checksum';
import type { ExtensionHeader, ICMPCommon, ICMPExtensions, ICMPv4Header, IPv4Option, IPv6Option, Packet, Side, TCPFlags, TCPHeader } from '../harness/packet/types';
import type { Emitted } from '../engine/api';
import { Rng, UpperKind, generateBrokenPacket, generatePacket, generateValidPacket } from '../test/packet/generate';

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

// ---------------------------------------------------------------------------
// Fuzz inputs: random and mutated packets from both sides, for
// test/engine/fuzz.test.ts and `node dist/bench/run.js --fuzz N`.
//
// Packets start as valid ones from the project's seeded generator
// (test/packet/generate.ts, its PRNG and PACKET_SEED convention), aimed at the
// translator's addresses (Pref64 on side 6, pool4 on side 4) and at the flows it
// has already opened (replies, ICMP errors quoting what it sent), then some are
// broken: truncated, lengths that lie, checksums corrupted, fragmented and
// reordered, option soup, raw random bytes.

/** Addresses and ports the fuzzer aims at (they must match the translator's config). */
export interface FuzzWorld {
  /** Pref64::/n of the translator. */
  pool6: string;
  /** Its pool4 addresses (destinations of side-4 input). */
  pool4: readonly string[];
  /** IPv6 hosts (sources of side-6 input). */
  clients6: readonly string[];
  /** IPv4 hosts reached through Pref64 (and sources of side-4 input). */
  servers4: readonly string[];
  /** Routers that send ICMP errors on each side. */
  routers4: readonly string[];
  routers6: readonly string[];
  /** Ports (and ICMP identifiers) drawn by aimed packets, so flows meet again. */
  ports: readonly number[];
}

export interface FuzzInput {
  side: Side;
  bytes: Buffer;
  /** How it was made (for failure messages and counts). */
  kind: string;
  /** For a fragment: the datagram it was cut from (what reassembly would give). */
  origin?: Buffer;
  /**
   * Built valid: lengths and checksums right (fragments of a valid packet,
   * in any order, count as valid). Whatever the engine emits for it must
   * have right checksums too.
   */
  valid: boolean;
}

/** IPv4 header checksum recomputed in place (when the header is all there). */
export function fixIPv4HeaderChecksum(b: Buffer): Buffer {
  if (b.length < 20 || b[0] >> 4 !== 4) return b;
  const ihl = (b[0] & 0x0f) * 4;
  if (ihl < 20 || ihl > b.length) return b;
  b.writeUInt16BE(0, 10);
  b.writeUInt16BE(internetChecksum(b.subarray(0, ihl)), 10);
  return b;
}

/**
 * An IPv4 datagram cut into fragments of `size` data octets (a multiple of
 * 8; the last may be shorter), Identification `id`. Options stay in the first
 * fragment only. A datagram that is already a fragment is returned as is.
 */
export function fragment4(bytes: Buffer, size: number, id: number): Buffer[] {
  const ihl = (bytes[0] & 0x0f) * 4;
  const total = bytes.readUInt16BE(2);
  if (bytes.readUInt16BE(6) & 0x3fff || ihl < 20 || total > bytes.length || total <= ihl) return [bytes];
  const data = bytes.subarray(ihl, total);
  const out: Buffer[] = [];
  for (let off = 0; off < data.length; off += size) {
    const chunk = data.subarray(off, Math.min(data.length, off + size));
    const hl = off === 0 ? ihl : 20;
    const f = Buffer.alloc(hl + chunk.length);
    bytes.copy(f, 0, 0, hl);
    f[0] = 0x40 | (hl / 4);
    f.writeUInt16BE(f.length, 2);
    f.writeUInt16BE(id & 0xffff, 4);
    const more = off + size < data.length;
    f.writeUInt16BE((more ? 0x2000 : 0) | ((off / 8) & 0x1fff), 6);
    chunk.copy(f, hl);
    out.push(fixIPv4HeaderChecksum(f));
  }
  return out;
}

/**
 * An IPv6 packet without extension headers cut into fragments of `size`
 * data octets (a multiple of 8) behind a Fragment Header with `id`.
 */
export function fragment6(bytes: Buffer, size: number, id: number): Buffer[] {
  const plen = bytes.readUInt16BE(4);
  if (bytes.length < 40 + plen || plen === 0) return [bytes];
  const nh = bytes[6];
  const data = bytes.subarray(40, 40 + plen);
  const out: Buffer[] = [];
  for (let off = 0; off < data.length; off += size) {
    const chunk = data.subarray(off, Math.min(data.length, off + size));
    const f = Buffer.alloc(48 + chunk.length);
    bytes.copy(f, 0, 0, 40);
    f.writeUInt16BE(8 + chunk.length, 4);
    f[6] = 44;
    f[40] = nh;
    f.writeUInt16BE(((off / 8) << 3) | (off + size < data.length ? 1 : 0), 42);
    f.writeUInt32BE(id >>> 0, 44);
    chunk.copy(f, 48);
    out.push(f);
  }
  return out;
}

/** Offset of the upper-layer header of an IP packet (IPv4 IHL; IPv6 40 when no extension header follows), or -1. */
function upperOffset(b: Buffer): { off: number; proto: number } | undefined {
  if (b.length >= 20 && b[0] >> 4 === 4) return { off: (b[0] & 0x0f) * 4, proto: b[9] };
  if (b.length >= 40 && b[0] >> 4 === 6) return { off: 40, proto: b[6] };
  return undefined;
}

/** One to three byte-level defects: truncation, bit flips, lying length fields, corrupt checksums, trailing junk. */
export function mutateBytes(rng: Rng, input: Buffer): { bytes: Buffer; how: string } {
  let b = Buffer.from(input);
  const how: string[] = [];
  const n = rng.int(1, 3);
  for (let k = 0; k < n; k++) {
    const up = upperOffset(b);
    switch (rng.int(0, 8)) {
      case 0: {
        const cut = rng.int(0, b.length);
        b = b.subarray(0, cut);
        how.push(`truncate@${cut}`);
        break;
      }
      case 1:
        for (let i = rng.int(1, 4); i > 0 && b.length; i--) b[rng.int(0, b.length - 1)] ^= 1 << rng.int(0, 7);
        how.push('bitflip');
        break;
      case 2:
        if (b.length) b[rng.int(0, b.length - 1)] = rng.int(0, 255);
        how.push('byte');
        break;
      case 3: // IP length fields
        if (up && b[0] >> 4 === 4) {
          if (rng.bool()) b.writeUInt16BE(rng.bool() ? rng.int(0, 0xffff) : Math.max(0, b.length + rng.int(-24, 24)) & 0xffff, 2);
          else b[0] = 0x40 | rng.int(0, 15);
          how.push('ipv4-length');
        } else if (up) {
          b.writeUInt16BE(rng.bool() ? rng.int(0, 0xffff) : Math.max(0, b.length - 40 + rng.int(-24, 24)) & 0xffff, 4);
          how.push('ipv6-length');
        }
        break;
      case 4: // transport length fields
        if (up && up.proto === 17 && b.length >= up.off + 8) {
          b.writeUInt16BE(rng.bool() ? rng.int(0, 0xffff) : Math.max(0, b.length - up.off + rng.int(-16, 16)) & 0xffff, up.off + 4);
          how.push('udp-length');
        } else if (up && up.proto === 6 && b.length >= up.off + 13) {
          b[up.off + 12] = (rng.int(0, 15) << 4) | (b[up.off + 12] & 0x0f);
          how.push('tcp-offset');
        } else if (up && (up.proto === 1 || up.proto === 58) && b.length >= up.off + 8) {
          b[up.off + 5] = rng.int(0, 255); // RFC 4884 length octet of errors, identifier byte of queries
          how.push('icmp-length');
        }
        break;
      case 5: // checksums
        if (up) {
          const at = up.proto === 17 ? up.off + 6 : up.proto === 6 ? up.off + 16 : up.proto === 1 || up.proto === 58 ? up.off + 2 : -1;
          if (at >= 0 && b.length >= at + 2) {
            b.writeUInt16BE(rng.bool(0.2) ? 0 : rng.int(0, 0xffff), at);
            how.push('checksum');
          }
        }
        break;
      case 6:
        b = Buffer.concat([b, rng.bytes(rng.int(1, 64))]);
        how.push('trailer');
        break;
      case 7: // protocol / next header
        if (up && b[0] >> 4 === 4) b[9] = rng.pick([1, 6, 17, 58, 0, 2, 4, 41, 44, 47, 50, 132, rng.int(0, 255)]);
        else if (up) b[6] = rng.pick([0, 1, 6, 17, 43, 44, 58, 59, 60, 4, 41, rng.int(0, 255)]);
        how.push('protocol');
        break;
      default: // flags and fragment offset
        if (up && b[0] >> 4 === 4) b.writeUInt16BE(rng.int(0, 0xffff), 6);
        else if (b.length >= 4) b[rng.int(0, 3)] = rng.int(0, 255); // version, traffic class, flow label
        how.push('flags');
        break;
    }
  }
  // Most mutations keep a right IPv4 header checksum, or the packet would stop at the first check.
  if (rng.bool(0.7)) fixIPv4HeaderChecksum(b);
  return { bytes: Buffer.from(b), how: how.join('+') };
}

const TCP_FLAG_SETS: readonly TCPFlags[] = [
  { syn: true },
  { syn: true, ack: true },
  { ack: true },
  { ack: true, psh: true },
  { fin: true, ack: true },
  { rst: true },
  { rst: true, ack: true },
  { fin: true, syn: true, rst: true, ack: true },
  {},
];

/** Weighted choice of what to build next. */
const FUZZ_KINDS: readonly [string, number][] = [
  ['valid6', 14],
  ['valid4', 7],
  ['reply4', 12],
  ['reply6', 7],
  ['error4', 6],
  ['error6', 5],
  ['fragments', 4],
  ['fragment-flood', 1],
  ['soup4', 3],
  ['soup6', 4],
  ['broken', 5],
  ['wild', 6],
  ['mutated', 14],
  ['random', 3],
];
const FUZZ_WEIGHT = FUZZ_KINDS.reduce((s, [, w]) => s + w, 0);

/** How many recent outputs and valid inputs the fuzzer keeps to answer, quote and mutate. */
const FUZZ_MEMORY = 256;

/**
 * Seeded source of fuzz inputs. Call `learn` with what the translator
 * emitted so that later inputs answer those flows and quote those packets.
 */
export class PacketFuzzer {
  private readonly out4: Buffer[] = [];
  private readonly out6: Buffer[] = [];
  private readonly recent: FuzzInput[] = [];
  private readonly queue: FuzzInput[] = [];
  private nextFragId = 1;
  readonly counts: Record<string, number> = {};

  constructor(
    readonly rng: Rng,
    readonly world: FuzzWorld,
  ) {}

  /** Remember emitted packets (a bounded window). */
  learn(out: readonly Emitted[]): void {
    for (const e of out) {
      const ring = e.side === 4 ? this.out4 : this.out6;
      if (ring.length < FUZZ_MEMORY) ring.push(e.bytes);
      else ring[this.rng.int(0, FUZZ_MEMORY - 1)] = e.bytes;
    }
  }

  next(): FuzzInput {
    const input = this.queue.shift() ?? this.make();
    this.counts[input.kind] = (this.counts[input.kind] ?? 0) + 1;
    if (input.valid && !input.kind.startsWith('frag')) {
      if (this.recent.length < FUZZ_MEMORY) this.recent.push(input);
      else this.recent[this.rng.int(0, FUZZ_MEMORY - 1)] = input;
    }
    return input;
  }

  private make(): FuzzInput {
    let r = this.rng.int(0, FUZZ_WEIGHT - 1);
    let kind = FUZZ_KINDS[0][0];
    for (const [k, w] of FUZZ_KINDS) {
      if (r < w) {
        kind = k;
        break;
      }
      r -= w;
    }
    switch (kind) {
      case 'valid6':
        return this.valid6();
      case 'valid4':
        return this.valid4();
      case 'reply4':
        return this.reply4() ?? this.valid4();
      case 'reply6':
        return this.reply6() ?? this.valid6();
      case 'error4':
        return this.error4() ?? this.valid4();
      case 'error6':
        return this.error6() ?? this.valid6();
      case 'fragments':
        return this.fragments();
      case 'fragment-flood':
        return this.fragmentFlood();
      case 'soup4':
        return this.soup4();
      case 'soup6':
        return this.soup6();
      case 'broken':
        return this.broken();
      case 'wild':
        return this.wild();
      case 'mutated':
        return this.mutated();
      default:
        return this.random();
    }
  }

  // ------------------------------------------------------------ aiming

  private port(): number {
    return this.rng.bool(0.85) ? this.rng.pick(this.world.ports) : this.rng.int(0, 0xffff);
  }

  /** A remote IPv4 host for side-6 traffic: mostly servers, sometimes our own pool (hairpinning) or anything. */
  private remote4(): string {
    const r = this.rng.float();
    if (r < 0.86) return this.rng.pick(this.world.servers4);
    if (r < 0.95) return this.rng.pick(this.world.pool4);
    return `${this.rng.int(1, 223)}.${this.rng.int(0, 255)}.${this.rng.int(0, 255)}.${this.rng.int(1, 254)}`;
  }

  private client6(): string {
    return this.rng.bool(0.97) ? this.rng.pick(this.world.clients6) : this.rng.pick(['::1', '::', 'ff02::1', 'fe80::1', embed(this.world.pool6, this.remote4())]);
  }

  private source4(): string {
    const r = this.rng.float();
    if (r < 0.9) return this.rng.pick(this.world.servers4);
    if (r < 0.94) return this.rng.pick(this.world.routers4);
    if (r < 0.97) return this.rng.pick(this.world.pool4);
    return this.rng.pick(['0.0.0.0', '127.0.0.1', '224.0.0.1', '255.255.255.255', '10.0.0.1', '192.0.2.1']);
  }

  /** Ports (or identifiers) of the upper layer, drawn from the small shared set. */
  private aimPorts(p: Packet, sport = this.port(), dport = this.port()): void {
    if (p.udp) Object.assign(p.udp, { sport, dport });
    if (p.tcp) Object.assign(p.tcp, { sport, dport });
    const icmp = p.icmpv4 ?? p.icmpv6;
    if (icmp && (icmp.id !== undefined || [0, 8, 128, 129].includes(icmp.type))) icmp.id = sport;
  }

  private aim6(p: Packet): Packet {
    const h = p.ipv6!;
    h.src = this.client6();
    h.dst = embed(this.world.pool6, this.remote4());
    if (this.rng.bool(0.03)) h.hopLimit = this.rng.int(0, 1);
    this.aimPorts(p);
    return p;
  }

  private aim4(p: Packet): Packet {
    const h = p.ipv4!;
    h.src = this.source4();
    h.dst = this.rng.pick(this.world.pool4);
    if (this.rng.bool(0.03)) h.ttl = this.rng.int(0, 1);
    // Often at a (T,t) the translator has handed out for the same protocol, so the packet meets a BIB entry.
    let mapped: number | undefined;
    for (let tries = this.rng.bool(0.7) ? 4 : 0; tries > 0 && this.out4.length; tries--) {
      const m = decode(this.rng.pick(this.out4));
      const t = p.udp ? m.udp?.sport : p.tcp ? m.tcp?.sport : m.icmpv4 && [0, 8].includes(m.icmpv4.type) ? m.icmpv4.id : undefined;
      if (t === undefined || !m.ipv4) continue;
      h.dst = m.ipv4.src;
      mapped = t;
      break;
    }
    this.aimPorts(p, this.port(), mapped ?? this.port());
    return p;
  }

  private upper(): UpperKind {
    return this.rng.pick(['udp', 'udp', 'tcp', 'tcp', 'icmp-echo', 'icmp-echo', 'icmp-error', 'icmp-other', 'raw'] as const);
  }

  private big(p: Packet): void {
    // Now and then a large datagram (DF/MTU handling, fragmentation on the way out, the IPv4 Total Length limit).
    if (this.rng.bool(0.01) && (p.udp || p.tcp || p.icmpv4?.type === 8 || p.icmpv6?.type === 128)) {
      p.payload = this.rng.bytes(this.rng.pick([1232, 1253, 1254, 1400, 1473, 2000, this.rng.int(1200, 9000), this.rng.int(60000, 65400)]));
    }
  }

  private valid6(): FuzzInput {
    const p = this.aim6(generateValidPacket(this.rng, { family: 6, upper: this.upper() }));
    this.big(p);
    return { side: 6, bytes: encode(p), kind: 'valid6', valid: true };
  }

  private valid4(): FuzzInput {
    const p = this.aim4(generateValidPacket(this.rng, { family: 4, upper: this.upper() }));
    this.big(p);
    return { side: 4, bytes: encode(p), kind: 'valid4', valid: true };
  }

  // ------------------------------------------------------------ answers to what the translator sent

  private tcpAnswer(t: TCPHeader): TCPHeader {
    return {
      sport: t.dport,
      dport: t.sport,
      seq: this.rng.u32(),
      ack: ((t.seq ?? 0) + 1) >>> 0,
      flags: { ...this.rng.pick(TCP_FLAG_SETS) },
      window: this.rng.int(0, 0xffff),
      ...(this.rng.bool(0.3) ? { options: [{ kind: 2, data: Buffer.from([5, 0xb4]) }, { kind: 1 }, { kind: 3, data: Buffer.from([7]) }] } : {}),
    };
  }

  private payload(): Buffer | undefined {
    return this.rng.bool(0.2) ? undefined : this.rng.bytes(this.rng.int(1, 120));
  }

  /** The IPv4 host's answer to a packet the translator sent it (or a new query to the same mapping). */
  private reply4(): FuzzInput | undefined {
    if (!this.out4.length) return undefined;
    const o = decode(this.rng.pick(this.out4));
    if (!o.ipv4 || o.notes) return undefined;
    const ip = { src: o.ipv4.dst, dst: o.ipv4.src, ttl: this.rng.int(2, 255), df: this.rng.bool(), id: this.rng.int(0, 0xffff) };
    let p: Packet | undefined;
    if (o.udp) p = { ipv4: ip, udp: { sport: o.udp.dport, dport: o.udp.sport }, payload: this.payload() };
    else if (o.tcp) p = { ipv4: ip, tcp: this.tcpAnswer(o.tcp) };
    else if (o.icmpv4 && (o.icmpv4.type === 8 || o.icmpv4.type === 0)) {
      p = { ipv4: ip, icmpv4: { type: o.icmpv4.type === 8 ? 0 : 8, code: 0, id: o.icmpv4.id, seq: this.rng.bool() ? o.icmpv4.seq : this.rng.int(0, 0xffff) }, payload: o.payload };
    }
    if (!p) return undefined;
    if (this.rng.bool(0.1)) p.ipv4!.src = this.rng.pick(this.world.servers4); // another remote: filtering
    return { side: 4, bytes: encode(p), kind: 'reply4', valid: true };
  }

  /** The IPv6 host's answer to a packet the translator delivered to it. */
  private reply6(): FuzzInput | undefined {
    if (!this.out6.length) return undefined;
    const o = decode(this.rng.pick(this.out6));
    if (!o.ipv6 || o.notes || o.ipv6.extensions?.length) return undefined;
    const ip = { src: o.ipv6.dst, dst: o.ipv6.src, hopLimit: this.rng.int(2, 255), trafficClass: this.rng.int(0, 255), flowLabel: this.rng.int(0, 0xfffff) };
    let p: Packet | undefined;
    if (o.udp) p = { ipv6: ip, udp: { sport: o.udp.dport, dport: o.udp.sport }, payload: this.payload() };
    else if (o.tcp) p = { ipv6: ip, tcp: this.tcpAnswer(o.tcp) };
    else if (o.icmpv6 && (o.icmpv6.type === 128 || o.icmpv6.type === 129)) {
      p = { ipv6: ip, icmpv6: { type: o.icmpv6.type === 128 ? 129 : 128, code: 0, id: o.icmpv6.id, seq: o.icmpv6.seq }, payload: o.payload };
    }
    if (!p) return undefined;
    return { side: 6, bytes: encode(p), kind: 'reply6', valid: true };
  }

  /** How much of `b` an ICMP error quotes: the header and 8 octets, all of it, or a random cut past the IP header. */
  private cut(b: Buffer, ipHeader: number): Buffer {
    const r = this.rng.float();
    if (r < 0.35) return b.subarray(0, Math.min(b.length, ipHeader + 8));
    if (r < 0.75) return b;
    return b.subarray(0, this.rng.int(Math.min(b.length, ipHeader), b.length));
  }

  /** A packet the translator emitted on `side`, mostly not an ICMP error (errors about errors are dropped early). */
  private quotable(side: Side): Buffer | undefined {
    const ring = side === 4 ? this.out4 : this.out6;
    if (!ring.length) return undefined;
    let b = this.rng.pick(ring);
    for (let tries = this.rng.bool(0.85) ? 6 : 0; tries > 0; tries--) {
      const type = b.length > 41 && b[0] >> 4 === 6 && b[6] === 58 ? b[40] : b.length > 20 && b[0] >> 4 === 4 && b[9] === 1 ? b[(b[0] & 0x0f) * 4] : -1;
      if (!(side === 6 ? type >= 0 && type < 128 : [3, 4, 5, 11, 12].includes(type))) break;
      b = this.rng.pick(ring);
    }
    return b;
  }

  /** An ICMPv4 error about a packet the translator sent to the IPv4 side. */
  private error4(): FuzzInput | undefined {
    const b = this.quotable(4);
    if (!b) return undefined;
    const o = decode(b);
    if (!o.ipv4) return undefined;
    const [type, code] = this.rng.pick([
      [3, this.rng.int(0, 15)],
      [3, 3],
      [3, 4],
      [11, this.rng.int(0, 1)],
      [12, this.rng.pick([0, 1, 2])],
      [this.rng.pick([4, 5]), this.rng.int(0, 3)],
    ] as const);
    const quote = this.cut(b, (b[0] & 0x0f) * 4);
    const icmp: ICMPv4Header = { type, code };
    if (type === 3 && code === 4) icmp.mtu = this.rng.pick([0, 68, 576, 1280, 1400, 1500, this.rng.int(0, 0xffff)]);
    if (type === 12) icmp.pointer = this.rng.int(0, 40);
    if (type === 5) icmp.gateway = this.rng.pick(this.world.routers4);
    const p: Packet = { ipv4: { src: this.rng.bool(0.6) ? this.rng.pick(this.world.routers4) : o.ipv4.dst, dst: o.ipv4.src, ttl: this.rng.int(2, 255), tos: this.rng.int(0, 255) } };
    if ((type === 3 || type === 11 || type === 12) && this.rng.bool(0.15)) {
      icmp.quote = this.extensionQuote(quote, 4);
      icmp.extensions = this.extensions();
    } else p.payload = Buffer.from(quote);
    p.icmpv4 = icmp;
    return { side: 4, bytes: encode(p), kind: 'error4', valid: true };
  }

  /** An ICMPv6 error about a packet the translator delivered to the IPv6 side. */
  private error6(): FuzzInput | undefined {
    const b = this.quotable(6);
    if (!b) return undefined;
    const o = decode(b);
    if (!o.ipv6) return undefined;
    const [type, code] = this.rng.pick([
      [1, this.rng.int(0, 6)],
      [1, 4],
      [2, 0],
      [3, this.rng.int(0, 1)],
      [4, this.rng.int(0, 2)],
      [4, 0],
    ] as const);
    const icmp: ICMPCommon = { type, code };
    if (type === 2) icmp.mtu = this.rng.pick([0, 1280, 1400, 1500, 9000, this.rng.int(0, 0xffffff)]);
    if (type === 4) icmp.pointer = this.rng.pick([0, 4, 6, 7, 8, 24, 40, this.rng.int(0, 2000)]);
    const p: Packet = {
      ipv6: { src: this.rng.bool(0.6) ? this.rng.pick(this.world.routers6) : o.ipv6.dst, dst: o.ipv6.src, hopLimit: this.rng.int(2, 255), trafficClass: this.rng.int(0, 255) },
      icmpv6: icmp,
    };
    const quote = this.cut(b, 40);
    if ((type === 1 || type === 3) && this.rng.bool(0.15)) {
      icmp.quote = this.extensionQuote(quote, 8);
      icmp.extensions = this.extensions();
    } else p.payload = Buffer.from(quote);
    return { side: 6, bytes: encode(p), kind: 'error6', valid: true };
  }

  /**
   * RFC 4884: the quote of an error with extensions, cut to what the length
   * octet can describe (mostly the 128 octets routers send, at most 255
   * units) and zero-padded to whole units of 4 (ICMPv4) or 8 (ICMPv6) octets.
   */
  private extensionQuote(quote: Buffer, unit: 4 | 8): Packet {
    const max = this.rng.bool(0.7) ? 128 : Math.min(255 * unit, unit === 8 ? 1280 - 48 - 16 : 576 - 28 - 16);
    const cut = quote.subarray(0, Math.min(quote.length, max));
    const padded = Buffer.concat([cut, Buffer.alloc(Math.max(128, Math.ceil(cut.length / unit) * unit) - cut.length)]);
    const q = decode(padded);
    delete q.notes;
    return q;
  }

  /** An RFC 4884 extension structure: an RFC 4950 MPLS label stack, sometimes an unassigned class too. */
  private extensions(): ICMPExtensions {
    const objects: ICMPExtensions['objects'] = [{ classNum: 1, cType: 1, data: Buffer.from([0, 1, 0x11, 0x40]) }];
    if (this.rng.bool(0.3)) objects.push({ classNum: this.rng.int(200, 246), cType: this.rng.int(0, 255), data: this.rng.bytes(4 * this.rng.int(0, 3)) });
    return { objects };
  }

  // ------------------------------------------------------------ fragments

  /** A valid datagram cut into fragments, queued in order, shuffled or reversed, sometimes with a duplicate, a lost piece or an overlap. */
  private fragments(): FuzzInput {
    const side: Side = this.rng.bool(0.55) ? 6 : 4;
    const upper = this.rng.pick(['udp', 'udp', 'tcp', 'icmp-echo'] as const);
    const p = side === 6 ? this.aim6(generateValidPacket(this.rng, { family: 6, upper })) : this.aim4(generateValidPacket(this.rng, { family: 4, upper }));
    if (p.ipv6) delete p.ipv6.extensions;
    if (p.ipv4) p.ipv4.df = false;
    p.payload = this.rng.bytes(this.rng.int(0, this.rng.bool(0.1) ? 3000 : 300));
    const bytes = encode(p);
    const size = 8 * this.rng.int(this.rng.bool(0.2) ? 1 : 4, 64);
    const id = this.nextFragId++;
    let frags = side === 6 ? fragment6(bytes, size, id) : fragment4(bytes, size, id);
    let valid = true;
    const r = this.rng.float();
    if (r < 0.25) this.rng.shuffle(frags);
    else if (r < 0.4) frags.reverse();
    if (this.rng.bool(0.1)) frags.push(this.rng.pick(frags)); // duplicate
    if (frags.length > 1 && this.rng.bool(0.1)) frags.splice(this.rng.int(0, frags.length - 1), 1); // lost: never completes
    if (frags.length > 1 && this.rng.bool(0.08)) {
      // Overlap: one fragment again, moved back by 8 octets (RFC 5722 / RFC 1858 territory).
      const f = Buffer.from(this.rng.pick(frags));
      if (side === 6 && f.readUInt16BE(42) >> 3 > 0) f.writeUInt16BE(f.readUInt16BE(42) - 8, 42);
      if (side === 4 && (f.readUInt16BE(6) & 0x1fff) > 0) fixIPv4HeaderChecksum((f.writeUInt16BE(f.readUInt16BE(6) - 1, 6), f));
      frags.push(f);
      valid = false;
    }
    if (this.rng.bool(0.1)) {
      // One piece damaged on the way.
      const i = this.rng.int(0, frags.length - 1);
      frags[i] = mutateBytes(this.rng, frags[i]).bytes;
      valid = false;
    }
    frags = frags.slice(0, 400);
    const kind = `fragments${side}`;
    for (const f of frags.slice(1)) this.queue.push({ side, bytes: f, kind, valid, origin: bytes });
    return { side, bytes: frags[0], kind, valid, origin: bytes };
  }

  /** Many fragments that never complete: first pieces, middle pieces, distinct identifications. */
  private fragmentFlood(): FuzzInput {
    const side: Side = this.rng.bool() ? 6 : 4;
    const n = this.rng.int(10, 40);
    // Random data behind the header: not valid (a piece that happens to be whole is a garbage datagram).
    for (let i = 0; i < n; i++) this.queue.push({ side, bytes: this.strayFragment(side), kind: `fragment-flood${side}`, valid: false });
    return this.queue.shift()!;
  }

  /** One fragment of a datagram whose other pieces never come, with 8 to 8 * `maxUnits` octets of data. */
  strayFragment(side: Side, minUnits = 1, maxUnits = 60): Buffer {
    const id = this.nextFragId++;
    const offset = this.rng.bool(0.4) ? 0 : this.rng.int(1, 8000);
    const data = this.rng.bytes(8 * this.rng.int(minUnits, maxUnits));
    if (side === 6) {
      const upper = this.rng.pick([17, 6, 58, 59, 253]);
      return encode({
        ipv6: {
          src: this.rng.pick(this.world.clients6),
          dst: embed(this.world.pool6, this.rng.pick(this.world.servers4)),
          hopLimit: 64,
          extensions: [{ kind: 'fragment', nextHeader: upper, offset, m: this.rng.bool(0.8), id: this.rng.bool(0.9) ? id : this.rng.u32() }],
        },
        payload: data,
      });
    }
    return encode({
      ipv4: {
        src: this.rng.pick(this.world.servers4),
        dst: this.rng.pick(this.world.pool4),
        ttl: 64,
        id: id & 0xffff,
        mf: this.rng.bool(0.8),
        fragOffset: offset,
        protocol: this.rng.pick([17, 6, 1, 253]),
      },
      payload: data,
    });
  }

  // ------------------------------------------------------------ option soup

  private soup4(): FuzzInput {
    const p = this.aim4(generateValidPacket(this.rng, { family: 4, upper: this.rng.pick(['udp', 'tcp', 'icmp-echo'] as const) }));
    const options: IPv4Option[] = [];
    let room = 40;
    while (room > 0 && this.rng.bool(0.8)) {
      const type = this.rng.pick([0, 1, 1, 7, 68, 130, 131, 133, 134, 136, 137, 148, this.rng.int(0, 255)]);
      if (type <= 1) {
        options.push({ type });
        room--;
        continue;
      }
      const len = Math.min(room - 2, this.rng.int(0, 12));
      if (len < 0) break;
      const o: IPv4Option = { type, data: this.rng.bytes(len) };
      if ((type === 131 || type === 137 || type === 7) && len > 0) o.data![0] = this.rng.pick([4, len + 3, 255]); // pointer before, at or past the end
      if (this.rng.bool(0.15)) o.length = this.rng.int(0, 255);
      options.push(o);
      room -= 2 + len;
    }
    p.ipv4!.options = options;
    return { side: 4, bytes: encode(p), kind: 'soup4', valid: false };
  }

  private soup6(): FuzzInput {
    const p = this.aim6(generateValidPacket(this.rng, { family: 6, upper: this.rng.pick(['udp', 'tcp', 'icmp-echo', 'raw'] as const) }));
    const exts: ExtensionHeader[] = [];
    const tlv = (): IPv6Option[] => {
      const out: IPv6Option[] = [];
      for (let i = this.rng.int(0, 5); i > 0; i--) {
        const type = this.rng.pick([0, 1, 4, 5, 0x1e, 0x3e, 0x7e, 0xbe, 0xc2, 0xc9, 0xfe, this.rng.int(0, 255)]);
        if (type === 0) out.push({ type });
        else {
          const o: IPv6Option = { type, data: this.rng.bytes(this.rng.int(0, 10)) };
          if (this.rng.bool(0.1)) o.length = this.rng.int(0, 255);
          out.push(o);
        }
      }
      return out;
    };
    for (let i = this.rng.int(1, 8); i > 0; i--) {
      switch (this.rng.int(0, 4)) {
        case 0:
          exts.push({ kind: 'hop-by-hop', options: tlv() });
          break;
        case 1:
        case 2:
          exts.push({ kind: 'destination', options: tlv() });
          break;
        case 3: {
          const routingType = this.rng.pick([0, 2, 3, 4, this.rng.int(0, 255)]);
          const n = this.rng.int(0, 3);
          const data = Buffer.concat([Buffer.alloc(4), ...Array.from({ length: n }, () => Buffer.from(this.rng.bytes(16)))]);
          exts.push({ kind: 'routing', routingType, segmentsLeft: this.rng.bool(0.8) ? 0 : this.rng.int(1, n + 1), data });
          break;
        }
        default:
          exts.push({ kind: 'fragment', offset: 0, m: false, id: this.rng.u32() });
          break;
      }
    }
    if (exts[0]?.kind !== 'hop-by-hop' && this.rng.bool(0.3)) exts.unshift({ kind: 'hop-by-hop', options: tlv() });
    p.ipv6!.extensions = exts;
    return { side: 6, bytes: encode(p), kind: 'soup6', valid: false };
  }

  // ------------------------------------------------------------ broken, wild, mutated, random

  private broken(): FuzzInput {
    const b = generateBrokenPacket(this.rng);
    const p = b.packet;
    const side: Side = p.ipv6 ? 6 : 4;
    if (p.ipv6) this.aim6(p);
    else this.aim4(p);
    return { side, bytes: encode(p), kind: `broken:${b.defect}`, valid: false };
  }

  private wild(): FuzzInput {
    const family: Side = this.rng.bool() ? 6 : 4;
    const p = generatePacket(this.rng, { mode: this.rng.pick(['wild', 'consistent'] as const), family });
    if (p.ipv6) this.aim6(p);
    else if (p.ipv4) this.aim4(p);
    let bytes: Buffer;
    try {
      bytes = encode(p);
    } catch {
      return this.random();
    }
    return { side: family, bytes, kind: 'wild', valid: false };
  }

  private mutated(): FuzzInput {
    let base: { side: Side; bytes: Buffer } | undefined;
    const r = this.rng.float();
    if (r < 0.6 && this.recent.length) base = this.rng.pick(this.recent);
    else if (r < 0.8 && this.out4.length) base = this.reply4();
    else if (this.out6.length) base = this.reply6();
    base ??= this.rng.bool() ? this.valid6() : this.valid4();
    const m = mutateBytes(this.rng, base.bytes);
    return { side: base.side, bytes: m.bytes, kind: `mutated:${m.how}`, valid: false };
  }

  private random(): FuzzInput {
    const side: Side = this.rng.bool() ? 6 : 4;
    const b = this.rng.bytes(this.rng.int(0, 140));
    if (b.length && this.rng.bool(0.7)) {
      b[0] = ((this.rng.bool(0.9) ? side : this.rng.int(0, 15)) << 4) | (b[0] & 0x0f);
      if (side === 4 && b.length >= 20) {
        b[0] = 0x45;
        parseIPv4(this.rng.pick(this.world.pool4)).copy(b, 16);
        fixIPv4HeaderChecksum(b);
      }
      if (side === 6 && b.length >= 40) Buffer.from(parseIPv6(embed(this.world.pool6, this.remote4()))).copy(b, 24);
    }
    return { side, bytes: b, kind: 'random', valid: false };
  }
}
