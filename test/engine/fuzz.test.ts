/**
 * Fuzzing the engine (engine/index.ts createTranslator) from both sides with
 * seeded random and mutated packets (bench/packets.ts PacketFuzzer, built on
 * test/packet/generate.ts): valid UDP / TCP / ICMP echo / ICMP errors quoting
 * what the translator sent, IPv6 extension headers and IPv4 options (valid and
 * soup), fragment trains (IPv4 MF/offset, IPv6 Fragment Header) in and out of
 * order, fragment floods, truncation, lying length fields, corrupt checksums,
 * random bytes. The seed is a fixed default; `PACKET_SEED=<n>` replays a run,
 * `PACKET_SEED=random` explores (the seed is in the suite title and in every
 * failure): `PACKET_SEED=<n> npx mocha --no-config dist/test/engine/fuzz.test.js`.
 *
 * Invariants:
 *  - no exception escapes `push`/`expire`, and none is caught inside
 *    (onInternalError records; an internal error is a bug);
 *  - every emitted packet decodes with no notes, has the family of its side,
 *    a right IPv4 header checksum, right transport checksums whenever the
 *    input's were right (RFC 7915 adjusts checksums incrementally, so a
 *    corrupt datagram may stay corrupt; a valid one must stay valid), and
 *    fits the next-hop MTU of its side. Two exceptions, both the sender's own
 *    transport-layer oddities passed on end to end, never made by the engine:
 *    a UDP length that disagrees with the datagram and TCP options that do
 *    not parse, when the input carried the same; and an RFC 4884 extension
 *    structure that does not parse, when the input's did not either;
 *  - emitted fragments of one datagram leave together, without holes or
 *    overlaps, and put back together they pass the checks above;
 *  - emitted packets never leak the other side: side-4 sources are pool4
 *    addresses, side-6 sources lie in Pref64::/n;
 *  - the tables stay consistent and bounded: BIB entries in pool4 and its
 *    port ranges, unique in both directions, paired pooling kept, every
 *    dynamic entry with a session and every session with its entry, no
 *    session past its lifetime after a push, no more entries than flows that
 *    could open them or than the configured caps, held SYNs within their cap;
 *  - once the virtual clock passes every timeout, dynamic state is gone (and
 *    the heap with it, which covers the fragment buffer).
 */
import { expect } from 'chai';
import * as v8 from 'v8';
import * as vm from 'vm';
import { inPrefix, parseIPv6, parsePrefix } from '../../harness/packet/address';
import { checksumsValid, decode, encode, upperLayerComplete } from '../../harness/packet/codec';
import { embed } from '../../harness/packet/rfc6052';
import { LAB } from '../../harness/lab/addressing';
import type { Packet, Side } from '../../harness/packet/types';
import type { Emitted, EngineConfig } from '../../engine/api';
import { parseEngineConfig } from '../../engine/config';
import { FAULTS } from '../../engine/faults';
import { Nat64Translator, VirtualClock, createTranslator, seededRandom, virtualClock } from '../../engine';
import { FuzzInput, FuzzWorld, PacketFuzzer, fixIPv4HeaderChecksum } from '../../bench/packets';
import { makeRng, seedFromEnv } from '../packet/generate';

const SEED = seedFromEnv();
const REPLAY = `replay: PACKET_SEED=${SEED} npx mocha --no-config dist/test/engine/fuzz.test.js`;

/** Packets per configuration (the whole file stays within a few seconds). */
const PACKETS = Number(process.env.FUZZ_PACKETS ?? 20000);
/** Packets per deliberate fault (131 of them), where only "nothing thrown" is checked. */
const FAULT_PACKETS = Number(process.env.FUZZ_FAULT_PACKETS ?? 300);
/** Table invariants are checked every this many packets (snapshots cost O(state)). */
const CHECK_EVERY = 250;
/** Far past every timeout (TCP established 2 h + transitory, UDP, ICMP, held SYNs, fragments). */
const PAST_ALL_TIMEOUTS_MS = 10 * 86_400_000;

/** The global caps of a config (engine/nat64/limits.ts, RFC 6146 §5.3). */
function caps(c: EngineConfig): { bib: number; sessions: number; heldSyns: number } {
  return { bib: c.limits.maxBib, sessions: c.limits.maxSessions, heldSyns: c.limits.maxHeldSyns };
}

// ---------------------------------------------------------------------------
// Worlds: a config and the addresses the fuzzer aims at

interface Setup {
  name: string;
  raw: Record<string, unknown>;
  world: Omit<FuzzWorld, 'pool6' | 'pool4'>;
}

const PORTS = [0, 7, 53, 80, 443, 1023, 1024, 1025, 5000, 5001, 5353, 8080, 40000, 40001, 65535];
const CLIENTS = [...LAB.client6, '2001:db8:6::99'];

const SETUPS: Setup[] = [
  {
    name: 'lab defaults, endpoint-independent filtering, static BIB entries',
    raw: {
      pool6: LAB.pool6,
      pool4: ['198.18.0.1', '198.18.0.2'],
      staticBib: [
        { protocol: 'udp', v6: { address: '2001:db8:6::13', port: 5353 }, v4: { address: '198.18.0.2', port: 5353 } },
        { protocol: 'tcp', v6: { address: '2001:db8:6::13', port: 8080 }, v4: { address: '198.18.0.2', port: 80 } },
        { protocol: 'icmp', v6: { address: '2001:db8:6::13', port: 7 }, v4: { address: '198.18.0.2', port: 7 } },
      ],
    },
    world: { clients6: CLIENTS, servers4: [...LAB.server4, ...LAB.server4Global], routers4: [LAB.router4], routers6: [LAB.router6], ports: PORTS },
  },
  {
    name: 'address-dependent filtering, /40 Pref64, one pool4 address with narrow ranges, small MTUs and tight limits',
    raw: {
      pool6: '2001:db8:100::/40',
      pool4: [{ address: '198.18.0.8', ports: { udp: { min: 1020, max: 1030 }, tcp: { min: 1020, max: 1027 }, icmp: { min: 0, max: 7 } } }],
      filtering: 'address-dependent',
      mtu: { ipv6: 1280, ipv4: 576, lowestIpv6: 1280 },
      fragmentMemory: 65536,
      limits: { maxBib: 24, maxSessions: 64, maxHeldSyns: 16, ports: { udp: 4 }, sessionsPerMapping: 6, mappingRate: 40, quarantine: { seconds: 30, maxPorts: 8 } },
    },
    world: { clients6: CLIENTS, servers4: [...LAB.server4], routers4: [LAB.router4], routers6: [LAB.router6], ports: PORTS },
  },
  {
    name: 'well-known prefix (global and non-global servers), traffic class zeroed, shortest timeouts',
    raw: {
      pool6: LAB.wellKnownPrefix,
      pool4: ['198.18.0.1', '198.18.0.2', '198.18.0.3'],
      trafficClass: 'zero',
      timeouts: { udp: 120, tcpTransitory: 240, icmp: 60 },
    },
    world: { clients6: CLIENTS, servers4: [...LAB.server4Global, '100.0.0.12'], routers4: ['100.0.0.1'], routers6: [LAB.router6], ports: PORTS },
  },
];

// ---------------------------------------------------------------------------
// The run

interface Run {
  setup: Setup;
  config: EngineConfig;
  world: FuzzWorld;
  x: Nat64Translator;
  clock: VirtualClock;
  internal: string[];
  problems: string[];
  /** Distinct (protocol, X', x) of side-6 input: the most dynamic BIB entries there can be. */
  bibFlows: Set<string>;
  /** Distinct 5-tuples of input on either side: the most sessions there can be (twice the side-6 ones, for hairpinning). */
  sessionFlows6: Set<string>;
  sessionFlows4: Set<string>;
  /** Pushes of fragments whose datagram is unknown (a damaged train could open a flow no tuple above names). */
  fragmentSlack: number;
  pushes: number;
  emitted: number;
  /** Emitted packets that carry a transport-layer oddity of their input (see carriedNotes). */
  carried: number;
}

function newRun(setup: Setup, seed: number): Run {
  const config = parseEngineConfig(setup.raw, setup.name);
  const clock = virtualClock(1_000_000);
  const internal: string[] = [];
  const x = createTranslator(config, {
    clock,
    random: seededRandom(seed),
    onInternalError: (err, side, bytes) => internal.push(`side ${side} ${bytes.toString('hex').slice(0, 400)}: ${(err as Error)?.stack ?? String(err)}`),
  });
  const world: FuzzWorld = { ...setup.world, pool6: config.pool6, pool4: config.pool4.map((e) => e.address) };
  return { setup, config, world, x, clock, internal, problems: [], bibFlows: new Set(), sessionFlows6: new Set(), sessionFlows4: new Set(), fragmentSlack: 0, pushes: 0, emitted: 0, carried: 0 };
}

function describeInput(i: number, inp: FuzzInput | undefined): string {
  if (!inp) return `expiry after packet ${i}`;
  return `packet ${i} (${inp.kind}, side ${inp.side}${inp.valid ? ', valid' : ''}) ${inp.bytes.toString('hex').slice(0, 240)}${inp.bytes.length > 120 ? '…' : ''}`;
}

function problem(r: Run, where: string, what: string): void {
  if (r.problems.length < 12) r.problems.push(`${where}: ${what}`);
}

/** Upper-layer checksums of the input that were wrong or could not be checked (a fragment, a cut header). */
function inputChecksumsSuspect(p: Packet): boolean {
  if (!upperLayerComplete(p)) return true;
  const c = checksumsValid(p);
  return c.udp === false || c.tcp === false || c.icmpv4 === false || c.icmpv6 === false || !!(p.ipv4 && p.udp && p.udp.checksum === 0);
}

function fragmentOf(p: Packet): boolean {
  if (p.ipv4) return !!p.ipv4.mf || (p.ipv4.fragOffset ?? 0) > 0;
  return !!p.ipv6?.extensions?.some((e) => e.kind === 'fragment' && (e.m || (e.offset ?? 0) > 0));
}

/** The flows an input could open (from the datagram it belongs to). */
function noteFlows(r: Run, inp: FuzzInput, p: Packet): void {
  if (fragmentOf(p) && !inp.origin) r.fragmentSlack++;
  if (inp.valid === false && inp.kind.startsWith('fragments')) r.fragmentSlack++;
  const d = inp.origin ? decode(inp.origin) : p;
  for (const q of inp.origin ? [d, p] : [d]) {
    const ip = q.ipv6 ?? q.ipv4;
    if (!ip) continue;
    const icmp = q.icmpv6 ?? q.icmpv4;
    const proto = q.udp ? 'udp' : q.tcp ? 'tcp' : icmp && [0, 8, 128, 129].includes(icmp.type) ? 'icmp' : undefined;
    if (!proto) continue;
    const sport = q.udp?.sport ?? q.tcp?.sport ?? icmp?.id ?? 0;
    const dport = q.udp?.dport ?? q.tcp?.dport ?? icmp?.id ?? 0;
    if (q.ipv6) {
      r.bibFlows.add(`${proto} ${q.ipv6.src} ${sport}`);
      r.sessionFlows6.add(`${proto} ${q.ipv6.src} ${sport} ${q.ipv6.dst} ${dport}`);
    } else if (q.ipv4) {
      r.sessionFlows4.add(`${proto} ${q.ipv4.src} ${sport} ${q.ipv4.dst} ${dport}`);
    }
  }
}

/**
 * Notes an emitted packet may show: only transport-layer oddities the input
 * itself carried (a UDP length that disagrees with the datagram, TCP options
 * that do not parse), which RFC 7915 translation passes on end to end
 * (engine/xlat/malformed.ts). Anything else on an emitted packet was made by the engine.
 */
function carriedNotes(inp: FuzzInput | undefined, inPkt: Packet | undefined, whole: boolean): (n: string) => boolean {
  const out = new Set<string>();
  const from = [...(inPkt?.notes ?? []), ...(inp?.origin ? decode(inp.origin).notes ?? [] : [])];
  for (const n of from) if (CARRIED.test(n)) out.add(n);
  // A datagram put together from fragments that were not all valid: the damage may sit in a piece pushed earlier.
  const fromDamagedPieces = whole && !!inp && !inp.valid && (!!inp.origin || fragmentOf(inPkt ?? {}));
  // An RFC 4884 length or extension structure that did not add up: the translated error inherits the muddle
  // (the length octet is rescaled, the bytes after the quote are copied as the sender framed them).
  const badExtensions = from.some((n) => EXTENSION.test(n));
  return (n) => out.has(n) || (fromDamagedPieces && CARRIED.test(n)) || (badExtensions && EXTENSION.test(n));
}

const CARRIED = /^(udp: length|tcp: option)/;
const EXTENSION = /^icmp(v4|v6)?: (extension|RFC 4884 length|\d+ bytes after the quote)/;

/** One emitted fragment: where its data goes in the datagram and the header to rebuild the datagram with. */
interface Piece {
  key: string;
  offset: number;
  more: boolean;
  data: Buffer;
  /** Header of the datagram (IPv4 header; IPv6 header and extension headers before the Fragment Header, Next Header fixed). */
  head: Buffer;
}

/** The fragment an emitted packet is (IPv4 MF / offset, IPv6 Fragment Header with M / offset), if it is one. */
function pieceOf(side: Side, b: Buffer): Piece | undefined {
  if (side === 4) {
    if (b.length < 20) return undefined;
    const word = b.readUInt16BE(6);
    if (!(word & 0x2000) && !(word & 0x1fff)) return undefined;
    const ihl = (b[0] & 0x0f) * 4;
    const total = Math.min(b.length, b.readUInt16BE(2));
    const key = `4|${b.subarray(12, 20).toString('hex')}|${b[9]}|${b.readUInt16BE(4)}`;
    return { key, offset: (word & 0x1fff) * 8, more: (word & 0x2000) !== 0, data: b.subarray(ihl, total), head: Buffer.from(b.subarray(0, ihl)) };
  }
  if (b.length < 40) return undefined;
  const end = Math.min(b.length, 40 + b.readUInt16BE(4));
  let nhPos = 6;
  let off = 40;
  while ([0, 43, 60].includes(b[nhPos]) && off + 8 <= end) {
    nhPos = off;
    off += (b[off + 1] + 1) * 8;
  }
  if (b[nhPos] !== 44 || off + 8 > end) return undefined;
  const word = b.readUInt16BE(off + 2);
  if (!(word & 1) && word >> 3 === 0) return undefined; // atomic
  const head = Buffer.from(b.subarray(0, off));
  head[nhPos] = b[off];
  const key = `6|${b.subarray(8, 40).toString('hex')}|${b.readUInt32BE(off + 4)}`;
  return { key, offset: (word >> 3) * 8, more: (word & 1) === 1, data: b.subarray(off + 8, end), head };
}

/** The datagram a complete set of pieces makes, or why they do not make one. */
function reassembled(side: Side, pieces: Piece[]): Buffer | string {
  const sorted = [...pieces].sort((a, b) => a.offset - b.offset);
  let at = 0;
  for (const p of sorted) {
    if (p.offset !== at) return `fragments leave a hole or overlap at octet ${at} (next piece at ${p.offset})`;
    if (p.more && p.data.length % 8) return `a non-last fragment carries ${p.data.length} octets, not a multiple of 8`;
    at += p.data.length;
  }
  const last = sorted[sorted.length - 1];
  if (last.more || sorted.slice(0, -1).some((p) => !p.more)) return 'the fragments do not end with exactly one last fragment';
  const head = Buffer.from(sorted[0].head);
  const whole = Buffer.concat([head, ...sorted.map((p) => p.data)]);
  if (side === 4) {
    whole.writeUInt16BE(whole.length, 2);
    whole.writeUInt16BE(whole.readUInt16BE(6) & 0x4000, 6);
    return fixIPv4HeaderChecksum(whole);
  }
  whole.writeUInt16BE(whole.length - 40, 4);
  return whole;
}

/** Checks what one push emitted: each packet, and each fragmented datagram once put back together. */
function checkOutput(r: Run, where: string, inp: FuzzInput | undefined, inPkt: Packet | undefined, out: Emitted[]): void {
  const groups = new Map<string, { side: Side; pieces: Piece[] }>();
  for (const e of out) {
    const piece = Buffer.isBuffer(e.bytes) && (e.side === 4 || e.side === 6) ? pieceOf(e.side, e.bytes) : undefined;
    checkEmitted(r, where, inp, inPkt, e, !!piece);
    if (!piece) continue;
    const g = groups.get(`${e.side}|${piece.key}`) ?? { side: e.side, pieces: [] };
    g.pieces.push(piece);
    groups.set(`${e.side}|${piece.key}`, g);
  }
  // Every fragment of a datagram leaves in the push that completed it (reassembly happens before translation).
  for (const g of groups.values()) {
    const whole = reassembled(g.side, g.pieces);
    if (typeof whole === 'string') problem(r, where, `${g.pieces.length} fragments emitted on side ${g.side}: ${whole}`);
    else checkEmitted(r, `${where} (the emitted fragments put back together)`, inp, inPkt, { side: g.side, bytes: whole }, false, true);
  }
}

function checkEmitted(r: Run, where: string, inp: FuzzInput | undefined, inPkt: Packet | undefined, e: Emitted, fragment = false, whole = false): void {
  if (!whole) r.emitted++;
  if (e.side !== 4 && e.side !== 6) return problem(r, where, `emitted on side ${String(e.side)}`);
  if (!Buffer.isBuffer(e.bytes)) return problem(r, where, 'emitted bytes are not a Buffer');
  const p = decode(e.bytes);
  const show = `${whole ? 'reassembled' : 'emitted'} on side ${e.side}: ${e.bytes.toString('hex').slice(0, 240)}`;
  const carried = carriedNotes(inp, inPkt, whole);
  // A fragment holds part of a datagram: what the decoder says about its upper layer is checked on the whole datagram.
  const made = (p.notes ?? []).filter((n) => !carried(n) && !(fragment && /^(udp|tcp|icmpv4|icmpv6):/.test(n)));
  if (made.length) return problem(r, where, `${show} decodes with notes: ${made.join('; ')}`);
  if (p.notes?.length) r.carried++;
  if (e.side === 4 && !p.ipv4) return problem(r, where, `${show} is not IPv4`);
  if (e.side === 6 && !p.ipv6) return problem(r, where, `${show} is not IPv6`);
  const sums = checksumsValid(p);
  if (sums.ipv4 === false) problem(r, where, `${show} has a wrong IPv4 header checksum`);
  const badUpper = (['udp', 'tcp', 'icmpv4', 'icmpv6'] as const).filter((l) => sums[l] === false);
  if (badUpper.length) {
    // A wrong checksum out is only allowed when one came in (incremental update carries it) or could not be checked.
    const excused = inp !== undefined && !inp.valid && inPkt !== undefined && inputChecksumsSuspect(inPkt);
    if (!excused) problem(r, where, `${show} has a wrong ${badUpper.join(', ')} checksum${inp?.valid ? ' (the input was valid)' : ''}`);
  }
  // No packet larger than the next hop takes (RFC 7915 §1.4, §4, §5), unless the input already broke its own link's MTU.
  const mtu = e.side === 4 ? r.config.mtu.ipv4 : r.config.mtu.ipv6;
  const inMtu = inp ? (inp.side === 4 ? r.config.mtu.ipv4 : r.config.mtu.ipv6) : Infinity;
  if (!whole && e.bytes.length > mtu && !(inp && inp.bytes.length > inMtu)) problem(r, where, `${show} is ${e.bytes.length} octets, over the side-${e.side} MTU of ${mtu}`);
  if (p.ipv4 && !r.world.pool4.includes(p.ipv4.src)) problem(r, where, `${show} leaves with source ${p.ipv4.src}, not a pool4 address`);
  if (p.ipv6 && !inPrefix(parseIPv6(p.ipv6.src), parsePrefix(r.world.pool6))) problem(r, where, `${show} leaves with source ${p.ipv6.src}, outside ${r.world.pool6}`);
}

function push(r: Run, i: number, inp: FuzzInput): Emitted[] {
  const where = describeInput(i, inp);
  const inPkt = decode(inp.bytes);
  noteFlows(r, inp, inPkt);
  let out: Emitted[] = [];
  const before = r.internal.length;
  try {
    out = r.x.push(inp.side, inp.bytes);
  } catch (err) {
    problem(r, where, `push threw: ${(err as Error)?.stack ?? String(err)}`);
  }
  r.pushes++;
  if (r.internal.length > before) problem(r, where, `internal error: ${r.internal[r.internal.length - 1]}`);
  if (!Array.isArray(out)) {
    problem(r, where, 'push did not return an array');
    return [];
  }
  checkOutput(r, where, inp, inPkt, out);
  return out;
}

function expireAll(r: Run, where: string): void {
  let out: Emitted[] = [];
  try {
    out = r.x.expire();
  } catch (err) {
    problem(r, where, `expire threw: ${(err as Error)?.stack ?? String(err)}`);
  }
  if (r.internal.length) problem(r, where, `internal error: ${r.internal[r.internal.length - 1]}`);
  checkOutput(r, where, undefined, undefined, out);
}

/** Table invariants, from the snapshots. */
function checkTables(r: Run, where: string): void {
  const bib = r.x.bib();
  const sessions = r.x.sessions();
  const key6 = new Set<string>();
  const key4 = new Set<string>();
  const hostAddr = new Map<string, string>();
  const byV6 = new Map<string, (typeof bib)[number]>();
  for (const b of bib) {
    const k6 = `${b.protocol} ${b.v6.address} ${b.v6.port}`;
    const k4 = `${b.protocol} ${b.v4.address} ${b.v4.port}`;
    if (key6.has(k6)) problem(r, where, `two BIB entries for ${k6}`);
    if (key4.has(k4)) problem(r, where, `two BIB entries for ${k4}`);
    key6.add(k6);
    key4.add(k4);
    byV6.set(k6, b);
    const pe = r.config.pool4.find((e) => e.address === b.v4.address);
    if (!pe) problem(r, where, `BIB entry ${k6} -> ${k4}: address outside pool4`);
    else {
      const range = pe.ports?.[b.protocol] ?? { min: b.protocol === 'icmp' ? 0 : 1, max: 65535 };
      if (b.v4.port < range.min || b.v4.port > range.max) problem(r, where, `BIB entry ${k4}: port outside ${range.min}-${range.max}`);
    }
    if (!b.static) {
      const a = hostAddr.get(b.v6.address);
      if (a !== undefined && a !== b.v4.address) problem(r, where, `paired pooling broken: ${b.v6.address} holds ${a} and ${b.v4.address}`);
      hostAddr.set(b.v6.address, b.v4.address);
    }
  }
  const withSession = new Set<string>();
  let orphans = 0;
  for (const s of sessions) {
    if (s.v6.src === '') {
      orphans++;
      continue;
    }
    const k6 = `${s.protocol} ${s.v6.src} ${s.v6.sport}`;
    const b = byV6.get(k6);
    if (!b) problem(r, where, `session ${JSON.stringify(s)} has no BIB entry`);
    else if (b.v4.address !== s.v4.src || b.v4.port !== s.v4.sport) problem(r, where, `session ${JSON.stringify(s)} disagrees with its BIB entry ${JSON.stringify(b)}`);
    withSession.add(k6);
    if (!(s.expires > r.clock.now())) problem(r, where, `session ${JSON.stringify(s)} outlived its lifetime (now ${r.clock.now()})`);
  }
  for (const b of bib) {
    const k6 = `${b.protocol} ${b.v6.address} ${b.v6.port}`;
    if (!b.static && !withSession.has(k6)) problem(r, where, `dynamic BIB entry ${k6} has no session`);
  }
  const cap = caps(r.config);
  const held = sessions.filter((s) => s.state === 'V4 INIT' && (s.v6.src === '' || r.config.filtering === 'address-dependent')).length;
  if (orphans > cap.heldSyns) problem(r, where, `${orphans} held SYNs without a BIB entry, more than the cap of ${cap.heldSyns}`);
  if (r.config.filtering === 'endpoint-independent' && held > cap.heldSyns) problem(r, where, `${held} held SYNs, more than the cap of ${cap.heldSyns}`);
  const dynamic = bib.filter((b) => !b.static).length;
  const bibFlows = r.bibFlows.size + r.fragmentSlack;
  if (dynamic > Math.min(bibFlows, cap.bib)) problem(r, where, `${dynamic} dynamic BIB entries; ${bibFlows} flows could have opened one, the cap is ${cap.bib}`);
  const sessionFlows = 2 * r.sessionFlows6.size + r.sessionFlows4.size + r.fragmentSlack;
  if (sessions.length > sessionFlows) problem(r, where, `${sessions.length} sessions but only ${sessionFlows} flows could have opened one`);
  if (sessions.length - orphans > cap.sessions) problem(r, where, `${sessions.length - orphans} sessions, more than the cap of ${cap.sessions}`);
}

/** Everything dynamic is gone once the clock is past every timeout. */
function checkDrained(r: Run, where: string): void {
  const left = r.x.sessions();
  if (left.length) problem(r, where, `${left.length} sessions left past every timeout, e.g. ${JSON.stringify(left[0])}`);
  const dyn = r.x.bib().filter((b) => !b.static);
  if (dyn.length) problem(r, where, `${dyn.length} dynamic BIB entries left past every timeout, e.g. ${JSON.stringify(dyn[0])}`);
  const statics = r.x.bib().filter((b) => b.static).length;
  if (statics !== r.config.staticBib.length) problem(r, where, `${statics} static BIB entries, configured ${r.config.staticBib.length}`);
}

function fuzz(setup: Setup, seed: number, packets: number): Run {
  const r = newRun(setup, seed);
  const rng = makeRng(seed);
  const fz = new PacketFuzzer(rng, r.world);
  for (let i = 0; i < packets; i++) {
    const inp = fz.next();
    fz.learn(push(r, i, inp));
    // Checked before the clock moves: a push first expires what is due, so no session may be past its lifetime.
    if ((i + 1) % CHECK_EVERY === 0) checkTables(r, `after packet ${i}`);
    // The clock moves a little per packet, now and then a lot (expiry in the middle of traffic).
    const jump = rng.float();
    r.clock.advance(jump < 0.003 ? rng.int(1_000, 400_000) : jump < 0.01 ? rng.int(5_000, 8_000) : rng.int(0, 40));
    if (r.problems.length >= 12) break;
  }
  expireAll(r, 'expiry at the end of the run');
  checkTables(r, 'at the end of the run');
  r.clock.advance(PAST_ALL_TIMEOUTS_MS);
  expireAll(r, 'expiry past every timeout');
  // A second call with nothing due: idempotent, emits nothing.
  const again = r.x.expire();
  if (again.length) problem(r, 'second expiry', `${again.length} packets emitted with nothing left to expire`);
  checkDrained(r, 'past every timeout');
  return r;
}

function report(r: Run, seed: number): string {
  return [`${r.setup.name} (seed ${seed}; ${REPLAY})`, ...r.problems].join('\n  ');
}

// ---------------------------------------------------------------------------
// Heap (a fragment queue or any other table that forgets to drop its state shows here)

let gcFn: (() => void) | undefined;
function gc(): void {
  if (!gcFn) {
    v8.setFlagsFromString('--expose-gc');
    gcFn = vm.runInNewContext('gc') as () => void;
  }
  for (let i = 0; i < 3; i++) gcFn();
}
function heapUsed(): number {
  gc();
  return process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
}

// ---------------------------------------------------------------------------

describe(`engine fuzz (seed ${SEED}; PACKET_SEED=<n> replays, =random explores)`, function () {
  // Generous: a loaded machine (or FUZZ_PACKETS=1000000) must not turn into a timeout.
  this.timeout(60_000 + PACKETS * 10);
  const master = makeRng(SEED);
  const seeds = SETUPS.map(() => master.u32());

  SETUPS.forEach((setup, k) => {
    it(`${setup.name}: ${PACKETS} packets from both sides`, () => {
      const r = fuzz(setup, seeds[k], PACKETS);
      expect(r.problems, report(r, seeds[k])).to.deep.equal([]);
      expect(r.x.internalErrors, 'internal errors').to.equal(0);
      // The run did reach the engine's insides, not just its front door.
      expect(r.emitted, 'packets emitted').to.be.greaterThan(PACKETS / 10);
      expect(r.bibFlows.size, 'flows offered').to.be.greaterThan(10);
    });
  });

  it(`every deliberate fault (engine/faults.ts): ${FAULT_PACKETS} packets each, nothing thrown`, () => {
    // A fault changes what is emitted on purpose, so only the crash-freedom invariant applies here.
    const failures: string[] = [];
    FAULTS.forEach(({ name }, k) => {
      const seed = (seeds[0] + k) >>> 0;
      let r: Run;
      try {
        r = newRun({ ...SETUPS[k % 2], name: `fault ${name}`, raw: { ...SETUPS[k % 2].raw, faults: [name] } }, seed);
      } catch (e) {
        failures.push(`fault ${name}: config refused: ${(e as Error).message}`);
        return;
      }
      const rng = makeRng(seed);
      const fz = new PacketFuzzer(rng, r.world);
      let thrown: string | undefined;
      const step = (what: string, f: () => Emitted[]) => {
        try {
          return f();
        } catch (err) {
          thrown ??= `${what} threw: ${(err as Error)?.stack ?? String(err)}`;
          return [];
        }
      };
      for (let i = 0; i < FAULT_PACKETS && !thrown; i++) {
        const inp = fz.next();
        fz.learn(step(describeInput(i, inp), () => r.x.push(inp.side, inp.bytes)));
        r.clock.advance(rng.float() < 0.01 ? rng.int(1_000, 400_000) : rng.int(0, 40));
      }
      r.clock.advance(PAST_ALL_TIMEOUTS_MS);
      step('expire', () => r.x.expire());
      const problems = [thrown, ...r.internal.slice(0, 1).map((e) => `internal error: ${e}`)].filter((x) => x);
      if (problems.length) failures.push(`fault ${name} (seed ${seed}): ${problems.join('; ').slice(0, 1500)}`);
    });
    expect(failures, `${REPLAY}\n  ${failures.join('\n  ')}`).to.deep.equal([]);
  });

  it('held SYNs stay within their cap under a SYN flood, and expire into valid ICMP errors', () => {
    for (const filtering of ['endpoint-independent', 'address-dependent'] as const) {
      const setup: Setup = { ...SETUPS[0], name: `SYN flood, ${filtering}`, raw: { pool6: LAB.pool6, pool4: ['198.18.0.1'], filtering } };
      const r = newRun(setup, SEED);
      const cap = caps(r.config).heldSyns;
      const rng = makeRng(SEED);
      // Under ADF, SYNs to a mapping from addresses the host never contacted are held too.
      if (filtering === 'address-dependent') {
        push(r, -1, { side: 6, bytes: encode({ ipv6: { src: CLIENTS[0], dst: embed(r.world.pool6, LAB.server4[0]), hopLimit: 64 }, udp: { sport: 4000, dport: 53 } }), kind: 'open', valid: true });
      }
      const mapped = r.x.bib()[0]?.v4.port;
      const total = cap + 600;
      for (let i = 0; i < total; i++) {
        const toMapping = mapped !== undefined && i % 2 === 0;
        const bytes = encode({
          ipv4: { src: `198.18.${100 + (i % 50)}.${1 + ((i >> 6) % 250)}`, dst: '198.18.0.1', ttl: 64 },
          tcp: { sport: rng.int(1024, 65535), dport: toMapping ? mapped : rng.int(1, 65535), seq: rng.u32(), ack: 0, flags: { syn: true }, window: 1024 },
        });
        push(r, i, { side: 4, bytes, kind: 'syn-flood', valid: true });
        if (i % 1000 === 999) checkTables(r, `after SYN ${i}`);
      }
      checkTables(r, 'after the flood');
      const held = r.x.sessions().filter((s) => s.state === 'V4 INIT');
      expect(held.length, 'held SYNs').to.be.at.most(cap);
      expect(held.length, 'the flood did fill the store').to.be.at.least(cap / 2);
      const emitted = r.emitted;
      r.clock.advance(r.config.timeouts.tcpIncomingSyn * 1000 + 1);
      expireAll(r, 'expiry of held SYNs');
      expect(r.emitted - emitted, 'one ICMP error per held SYN at most').to.be.at.most(held.length);
      r.clock.advance(PAST_ALL_TIMEOUTS_MS);
      expireAll(r, 'expiry past every timeout');
      checkDrained(r, 'past every timeout');
      expect(r.problems, report(r, SEED)).to.deep.equal([]);
    }
  });

  it('a fragment flood stays within the fragment memory, and leaves nothing behind once the fragment timeout has passed', () => {
    const r = newRun(SETUPS[0], SEED);
    const rng = makeRng(SEED ^ 0x5eed);
    const fz = new PacketFuzzer(rng, r.world);
    const MB = 1024 * 1024;
    // Fragments of about 1 KB that never complete, all within the reassembly timeout: ~25 MB on the wire, six times the buffer.
    const FLOOD = 24_000;
    const flood = (from: number) => {
      for (let i = 0; i < FLOOD; i++) {
        const side: Side = i % 2 ? 6 : 4;
        const bytes = fz.strayFragment(side, 100, 160);
        const inp: FuzzInput = { side, bytes, kind: `fragment-flood${side}`, valid: false };
        let out: Emitted[] = [];
        try {
          out = r.x.push(side, bytes);
        } catch (err) {
          problem(r, describeInput(from + i, inp), `push threw: ${(err as Error)?.stack ?? String(err)}`);
        }
        checkOutput(r, describeInput(from + i, inp), inp, decode(bytes), out);
      }
      if (r.internal.length) problem(r, 'fragment flood', `internal error: ${r.internal[0]}`);
    };
    const settle = () => {
      r.clock.advance(PAST_ALL_TIMEOUTS_MS);
      expireAll(r, 'expiry after the flood');
      // Expiry also runs at the start of every push: one harmless packet from outside the pool.
      r.x.push(4, encode({ ipv4: { src: LAB.server4[0], dst: LAB.router4, ttl: 64 }, udp: { sport: 1, dport: 1 } }));
    };
    flood(0); // warm-up: code compiled and optimised, caches filled
    settle();
    const base = heapUsed();
    flood(FLOOD);
    const during = (heapUsed() - base) / MB;
    settle();
    const after = (heapUsed() - base) / MB;
    checkDrained(r, 'past every timeout');
    expect(r.problems, report(r, SEED)).to.deep.equal([]);
    // The buffer counts wire octets; its copies and bookkeeping may take a few times that, an unbounded one ~25 MB and more.
    const cap = r.config.fragmentMemory / MB;
    expect(during, `MB held during the flood (fragment memory ${cap} MB)`).to.be.below(3 * cap + 6);
    expect(after, `MB still held after the fragment timeout (${during.toFixed(1)} MB during the flood)`).to.be.below(1.5);
  });
});
