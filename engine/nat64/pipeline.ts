/**
 * The RFC 6146 §3.3 pipeline over explicit state:
 *
 *   1. determine the incoming tuple     (incoming.ts)
 *   2. filtering and updating BIB/session (update6 / update4 below)
 *   3. computing the outgoing tuple      (the XlatMap built in step 2's result)
 *   4. translating the packet            (xlat.ts -> engine/xlat, RFC 7915)
 *   5. handling hairpinning              (hairpin below)
 *
 * Everything a step needs is in `Ctx`; the functions never read globals.
 *
 * Choices where RFC 6146 leaves room (MAY / "if policy permits"):
 * - Inbound UDP without a BIB entry, inbound ICMP queries without one, and
 *   packets refused by Address-Dependent Filtering are dropped silently: the
 *   optional ICMPv4 errors (type 3, 3/1, 3/13) are not sent, which keeps the
 *   pool addresses quiet to scans. The SHOULD errors are sent: ICMPv6 1/3 on
 *   allocation failure, ICMPv6 1/4 and ICMPv4 3/2 for other protocols, and
 *   ICMPv4 3/3 with the stored SYN when a V4 INIT session expires.
 * - Inbound packets refresh sessions (§3.5.1 "sets (or resets)"); the §5.3
 *   option not to is not taken.
 * - Paired pooling spans all three BIBs; when the host's address has no
 *   free port the packet is dropped (RFC 7857 §4) rather than spilling over.
 * - Under ADF an inbound SYN from an address the host has a session with is
 *   not "unsolicited": it is forwarded like under EIF (V4 INIT, TCP_TRANS).
 * - ICMP errors from the IPv4 side keep their sender visible: the outer
 *   source is the Pref64 representation of the router (RFC 7915 §4, RFC
 *   5508 REQ-4c fixes only the destination), not the session's remote.
 * - Strict RFC 6052 §3.1 under the Well-Known Prefix, also for the outer
 *   source of ICMP errors from non-global routers (RFC 7915 §4.1's MAY for
 *   troubleshooting is not taken); 192.0.0.170/171 stay allowed (RFC 7050).
 *
 * Fragments (RFC 6146 §3.4) and next-hop MTUs (RFC 7915) are in
 * fragments.ts. Resource limits (per subscriber, global caps, port quarantine) are
 * limits.ts. Not implemented yet: ICMP error rate limiting, the "drop externally
 * initiated TCP" policy.
 */
import { decode, encode } from '../../harness/packet/codec';
import type { Packet, Side } from '../../harness/packet/types';
import type { Clock, EngineConfig, Emitted, Protocol, RandomInt } from '../api';
import type { XlatOptions } from '../xlat';
import { allocate } from './allocate';
import type { Deterministic } from './deterministic';
import type { EventLog } from './events';
import type { FaultFlags } from './flags';
import { unreachable4, unreachable6 } from './icmp-gen';
import { Incoming, IncomingEnv, Tuple, incoming4, incoming6 } from './incoming';
import { Pool4 } from './pool4';
import { Pref64Map } from './pref64';
import { Bib, Session, Tables, bibKey6 } from './tables';
import { Lifetime, OnExpiry, TcpState, tcpOnExpiry } from './tcp-state';
import { tcpStepUnderFaults } from './tcp-faults';
import { XlatMap, XlatResult, to4, to6 } from './xlat';
import { algRewrite } from './alg-fault';
import { expireFragments, reassemble4, reassemble6, send4, send6 } from './fragments';
import { Limiter, forwardedAnyway, refusalError } from './limits';
import { formatIPv4, parseIPv6 } from '../../harness/packet/address';
import { prohibited4, prohibited6 } from './icmp-policy';
import { unpooledCopy } from './buffers';

/** Held IPv4 SYNs (TCP_INCOMING_SYN) are capped so SYN floods cannot exhaust memory (RFC 6146 §5.3); the cap in force is config limits.maxHeldSyns, default this. */
export const MAX_HELD_SYNS = 4096;

export interface Ctx {
  config: EngineConfig;
  pref: Pref64Map;
  pool: Pool4;
  tables: Tables;
  /** Per-subscriber limits, global caps, port quarantine (limits.ts). */
  limits: Limiter;
  flags: FaultFlags;
  env: IncomingEnv;
  clock: Clock;
  random: RandomInt;
  xopts: XlatOptions;
  /** Effective filtering after faults: true = Address-Dependent Filtering. */
  adf: boolean;
  /** Timeouts in ms; `init` is the partially-open TCP timeout (V6 INIT, forwarded V4 INIT), `trans` the closing one. */
  ms: { udp: number; est: number; trans: number; init: number; syn: number; icmp: number };
  /** Next IPv4 Identification for 6->4 packets (RFC 7915 §5.1, RFC 6864). */
  nextIpv4Id: number;
  /** Round-robin cursor (fault no-paired-pooling). */
  rr: number;
  /** Stored SYNs currently held. */
  held: number;
  /** Why the last packet produced nothing (for tests and logs). */
  lastDrop: string | undefined;
  /** FAULT unknown-protocol-forwarded only: the last IPv6 host that sent such a packet, per pool address. */
  faultHosts: Map<number, string>;
  /** RFC 7422 deterministic port blocks (deterministic.ts), when configured. */
  det?: Deterministic;
  /** The event log (events.ts): refusals are notified there (RFC 6888 REQ-11c). */
  events?: EventLog;
}

type Out = Emitted[];

function dropped(ctx: Ctx, reason: string): void {
  ctx.lastDrop = reason;
}

function emit(out: Out, side: Side, packet: Packet): void {
  out.push({ side, bytes: encode(packet) });
}

/**
 * Acts on an RFC 7915 result: hand back the translated packet, send the
 * error it asks for, or record the drop. An ICMPv4 error addressed to one of
 * our pool addresses (about a hairpinned packet) goes back through the IPv4
 * side of the pipeline to reach the IPv6 sender.
 */
function deliver(ctx: Ctx, out: Out, r: XlatResult): Packet | undefined {
  if (r.kind === 'ok') return r.packet;
  if (r.kind === 'icmp-error') {
    const dst4 = r.packet.ipv4?.dst;
    if (r.side === 4 && dst4 !== undefined && ctx.pool.indexOf(dst4) >= 0) process4(ctx, encode(r.packet), out);
    else emit(out, r.side, r.packet);
  }
  dropped(ctx, `translation: ${r.reason}`);
  return undefined;
}

// ---------------------------------------------------------------- allocation

/** Step 2 helper: a new dynamic BIB entry for (X',x), (T,t) chosen per §3.5.1.1 / §3.5.2.3 / §3.5.3. */
function newBib(ctx: Ctx, proto: Protocol, v6: string, v6port: number, key6: string): Bib | undefined {
  const { pool, tables, flags } = ctx;
  if (flags.portOverloading && proto !== 'icmp') {
    // FAULT port-overloading: the source port is kept on the host's (or the first) pool address even when another IPv6 source holds that (T,t).
    const paired = tables.pairedAddr(v6);
    const addr = paired >= 0 ? paired : 0;
    pool.take(addr, proto, v6port);
    return tables.addBib(proto, v6, v6port, addr, v6port, false, key6);
  }
  if (flags.protocolIndependentEim && proto !== 'icmp') {
    // FAULT protocol-independent-eim: a new TCP (UDP) entry takes the (T,t) of the same (X',x) in the UDP (TCP) BIB.
    const twin = tables.bib6(proto === 'tcp' ? 'udp' : 'tcp', key6);
    if (twin && pool.take(twin.addr, proto, twin.v4port)) return tables.addBib(proto, v6, v6port, twin.addr, twin.v4port, false, key6);
  }
  // RFC 7422 §2 step 3: in deterministic mode the port comes from the subscriber's block (deterministic.ts).
  // FAULT deterministic-ignored: the deterministic configuration is accepted but ports are allocated as without it.
  if (ctx.det && !ctx.xopts.faults.has('deterministic-ignored')) {
    const d = ctx.det.allocate(proto, v6, v6port);
    return d ? tables.addBib(proto, v6, v6port, d.addr, d.port, false, key6) : undefined;
  }
  let addrs: number[];
  if (flags.noPairedPooling) {
    // FAULT no-paired-pooling: each new entry takes the next address round robin, whatever the host already has.
    const first = ctx.rr++ % pool.size;
    addrs = Array.from({ length: pool.size }, (_, i) => (first + i) % pool.size);
  } else {
    const paired = tables.pairedAddr(v6);
    if (paired >= 0) {
      // Paired pooling: the host keeps its address; if that address is full the packet is dropped (RFC 7857 §4 REQ).
      addrs = [paired];
      // FAULT soft-app: when the host's address is full, the other pool addresses are tried too (RFC 7857 §4 "soft-APP" by default).
      if (ctx.xopts.faults.has('soft-app')) addrs = Array.from({ length: pool.size }, (_, i) => (paired + i) % pool.size);
    } else {
      const first = flags.predictablePorts ? 0 : ctx.random(pool.size);
      addrs = Array.from({ length: pool.size }, (_, i) => (first + i) % pool.size);
    }
  }
  const a = allocate(pool, proto, v6port, addrs, ctx.random, {
    rangePreservation: !flags.noPortPreservationRange, // FAULT no-port-preservation-range
    parity: !flags.noPortParity, // FAULT no-port-parity
    sequential: flags.predictablePorts, // FAULT predictable-ports
  });
  if (!a) return undefined;
  return tables.addBib(proto, v6, v6port, a.addr, a.port, false, key6);
}

/** The IPv6-side BIB key; FAULT address-dependent-mapping adds the destination, making a mapping per destination. */
function key6Of(ctx: Ctx, t: Tuple): string {
  return ctx.flags.addressDependentMapping ? `${t.src}|${t.sport}|${t.dst}` : bibKey6(t.src, t.sport);
}

function lifetimeOf(ctx: Ctx, proto: Protocol): number {
  // FAULT udp-short-lifetime / icmp-short-lifetime: a fixed 60 s / 30 s whatever the configured timeout.
  if (proto === 'udp' && ctx.flags.udpShortLifetime) return 60_000;
  if (proto === 'icmp' && ctx.flags.icmpShortLifetime) return 30_000;
  // FAULT no-tcp-state-machine: TCP is handled like UDP, every segment setting the one lifetime to TCP_EST.
  if (proto === 'tcp' && ctx.flags.noTcpStateMachine) return ctx.ms.est;
  return proto === 'udp' ? ctx.ms.udp : proto === 'icmp' ? ctx.ms.icmp : ctx.ms.trans;
}

/** FAULT nondeterministic-collision helper: another IPv6 host has a BIB entry with the same source port. */
function portHeldByOther(ctx: Ctx, t: Tuple): boolean {
  for (const b of ctx.tables.bibs(t.proto)) if (b.v6port === t.sport && b.v6 !== t.src) return true;
  return false;
}

/** FAULT protocol-independent-eim helper: the same (X',x) has a live session in the other of the TCP/UDP BIBs. */
function twinAlive(ctx: Ctx, s: Session, now: number): boolean {
  const b = s.bib;
  if (!b || b.proto === 'icmp') return false;
  const twin = ctx.tables.bib6(b.proto === 'tcp' ? 'udp' : 'tcp', b.key6);
  return !!twin && [...twin.sessions.values()].some((x) => !x.dead && x.expires > now);
}

/** Whether inbound traffic from W to `bib` passes the filter (RFC 6146 §3.5.1 / §3.5.3, RFC 4787 §5). */
function filterAllows(ctx: Ctx, bib: Bib, w: string): boolean {
  if (!ctx.adf) return true; // Endpoint-Independent Filtering: the BIB entry is enough
  // FAULT adf-per-host: a session of any mapping of the same IPv6 host toward W opens this mapping too.
  if (ctx.flags.adfPerHost) return (['tcp', 'udp', 'icmp'] as Protocol[]).some((p) => [...ctx.tables.bibs(p)].some((b) => b.v6 === bib.v6 && b.remotes.has(w)));
  return bib.remotes.has(w); // Address-Dependent Filtering: a session towards W must exist
}

function refresh(ctx: Ctx, s: Session, ms: number): void {
  ctx.tables.setExpiry(s, ctx.clock.now() + ms);
}

function applyTcpLifetime(ctx: Ctx, s: Session, l: Lifetime): void {
  if (l === Lifetime.TRANS) refresh(ctx, s, ctx.ms.trans);
  else if (l === Lifetime.EST) refresh(ctx, s, ctx.ms.est);
  else if (l === Lifetime.INIT) refresh(ctx, s, ctx.ms.init);
  else if (l === Lifetime.NOW) refresh(ctx, s, 0); // fault rst-not-transitory: removed at the next step
}

function releaseHeld(ctx: Ctx, s: Session): void {
  if (s.stored) {
    s.stored = undefined;
    ctx.held--;
  }
}

// ---------------------------------------------------------------- step 2 + 3, IPv6 side

interface Forward {
  outer: XlatMap;
  inner?: XlatMap;
  /** For hairpinning: the flow's BIB entry on the IPv6 side (source of the hairpinned packet). */
  bib?: Bib;
}

/** Steps 2 and 3 for TCP, UDP and ICMP queries arriving on the IPv6 side. */
function update6(ctx: Ctx, inc: Extract<Incoming, { kind: 'flow' }>, bytes: Buffer, out: Out): Forward | undefined {
  const { tables } = ctx;
  const t = inc.tuple;
  const z4 = inc.z4;
  let key6 = key6Of(ctx, t);
  let bib = tables.bib6(t.proto, key6);
  if (!bib && ctx.flags.nondeterministicCollision) {
    // FAULT nondeterministic-collision: once another host holds the source port, this host's mappings become per destination.
    const perDst = `${key6}|${t.dst}`;
    bib = tables.bib6(t.proto, perDst);
    if (bib || portHeldByOther(ctx, t)) key6 = perDst;
  }
  const rport = t.proto === 'icmp' ? 0 : t.dport;
  let session = bib ? tables.session(bib, z4, rport) : undefined;
  const now = ctx.clock.now();

  const allocFail = () => {
    dropped(ctx, `no IPv4 transport address available for ${t.proto} [${t.src}]:${t.sport} (RFC 6146 §3.5.1.1/§3.5.2.3)`);
    ctx.events?.refused(t.proto, t.src, t.sport, 'no IPv4 transport address available');
    // FAULT exhaustion-forwarded: translated anyway, source port kept, no BIB entry.
    if (ctx.xopts.faults.has('exhaustion-forwarded')) return { outer: forwardedAnyway(ctx.tables, ctx.pool, t, z4) };
    // SHOULD: ICMPv6 Destination Unreachable, code 3 (address unreachable); limits.ts builds it.
    const err = refusalError(bytes, t.dst, ctx.xopts.faults);
    if (err) out.push({ side: 6, bytes: err });
    return undefined;
  };
  // Resource limits (limits.ts, RFC 6888 REQ-4/5/11, RFC 6146 §5.3): state beyond a limit is refused like a failed allocation.
  const refused = !session && (t.proto !== 'tcp' || inc.tcp!.syn) ? ctx.limits.refuse6(t, bib) : undefined;
  if (refused) {
    dropped(ctx, refused);
    ctx.events?.refused(t.proto, t.src, t.sport, refused);
    const err = refusalError(bytes, t.dst, ctx.xopts.faults);
    if (err) out.push({ side: 6, bytes: err });
    return undefined;
  }

  // FAULT no-tcp-state-machine: TCP takes the UDP path below (any segment opens the mapping; flags ignored).
  if (t.proto === 'tcp' && !ctx.flags.noTcpStateMachine) {
    const f = inc.tcp!;
    if (!session) {
      if (!f.syn) {
        // CLOSED, non-SYN: translated if a BIB entry exists (SHOULD), no session; otherwise dropped silently.
        if (!bib) {
          dropped(ctx, 'TCP non-SYN without a BIB entry (RFC 6146 §3.5.2.2 CLOSED)');
          return undefined;
        }
      } else {
        // CLOSED, V6 SYN: BIB entry (create if needed), session in V6 INIT for TCP_TRANS.
        if (!bib) bib = newBib(ctx, 'tcp', t.src, t.sport, key6);
        if (!bib) return allocFail();
        const orphan = tables.orphan(bib.addr, bib.v4port, z4, rport);
        if (orphan) {
          // A V4 INIT session was waiting for this (T,t): simultaneous open, the held SYN is never delivered.
          tables.adopt(orphan, bib);
          session = orphan;
        } else {
          // Lifetime "at least TCP_TRANS": the partially-open timeout (RFC 7857 §2.1 keeps it apart from the closing one).
          session = tables.addSession(bib, t.dst, z4, rport, TcpState.V6_INIT, now + ctx.ms.init);
        }
      }
    }
    if (session) {
      const step = tcpStepUnderFaults(ctx.flags, session.state as TcpState, 6, f, !!inc.pkt.tcp?.flags?.ack);
      if (!step) {
        dropped(ctx, 'TCP segment dropped by a fault of the state machine');
        return undefined;
      }
      if (session.state === TcpState.V4_INIT && step.state !== TcpState.V4_INIT) {
        releaseHeld(ctx, session);
        tables.countRemote(session);
      }
      session.state = step.state;
      applyTcpLifetime(ctx, session, step.lifetime);
    }
  } else {
    if (!bib) bib = newBib(ctx, t.proto, t.src, t.sport, key6);
    if (!bib) return allocFail();
    if (!session) session = tables.addSession(bib, t.dst, z4, rport, 0, now + lifetimeOf(ctx, t.proto));
    // FAULT udp-no-refresh: outbound UDP packets do not reset the lifetime.
    else if (!(t.proto === 'udp' && ctx.flags.udpNoRefresh)) refresh(ctx, session, lifetimeOf(ctx, t.proto));
  }

  const b = bib!;
  if (t.proto === 'icmp') {
    // FAULT icmp-id-not-translated: the identifier is left as the IPv6 host chose it.
    const outer: XlatMap = { src: b.v4, dst: z4, ...(ctx.flags.icmpIdNotTranslated ? {} : { icmpId: b.v4port }) };
    return { outer, bib: b };
  }
  return { outer: { src: b.v4, sport: b.v4port, dst: z4, dport: t.dport }, bib: b };
}

/** Step 3 for an ICMP error from the IPv6 side; errors never touch the tables (§3.5). */
function error6(ctx: Ctx, inc: Extract<Incoming, { kind: 'error' }>): Forward | undefined {
  const t = inc.tuple; // (X',x) -> (Y',y), from the embedded packet swapped
  let bib = ctx.tables.bib6(t.proto, key6Of(ctx, t));
  if (!bib && ctx.flags.icmpErrorWithoutMapping) {
    // FAULT icmp-error-without-mapping: the error opens a mapping and a session like outbound traffic from (X',x).
    bib = newBib(ctx, t.proto, t.src, t.sport, key6Of(ctx, t));
    if (bib) ctx.tables.addSession(bib, t.dst, inc.z4, t.proto === 'icmp' ? 0 : t.dport, 0, ctx.clock.now() + lifetimeOf(ctx, t.proto));
  }
  if (!bib) {
    dropped(ctx, `ICMPv6 error about ${t.proto} [${t.src}]:${t.sport} with no BIB entry (RFC 5508 REQ-5)`);
    return undefined;
  }
  const w = inc.z4;
  if (ctx.flags.icmpErrorRefresh) {
    // FAULT icmp-error-refresh: the error refreshes the session it matches.
    const s = ctx.tables.session(bib, w, t.proto === 'icmp' ? 0 : t.dport);
    if (s) refresh(ctx, s, t.proto === 'tcp' ? ctx.ms.est : lifetimeOf(ctx, t.proto));
  }
  if (ctx.flags.icmpErrorDeletesMapping) {
    // FAULT icmp-error-deletes-mapping: the session the error is about goes (its dynamic BIB entry with its last session).
    const s = ctx.tables.session(bib, w, t.proto === 'icmp' ? 0 : t.dport);
    if (s) ctx.tables.removeSession(s);
  }
  // Outgoing 5-tuple (T,t) -> (W,y); the outer header takes it, the embedded packet the swap (§3.7).
  // FAULT icmp-error-outer-algorithmic: the outer source is the last 32 bits of the error's IPv6 source.
  const outer: XlatMap = { src: ctx.flags.icmpErrorOuterAlgorithmic ? formatIPv4(parseIPv6(inc.pkt.ipv6!.src), 12) : bib.v4, dst: w };
  const inner: XlatMap =
    t.proto === 'icmp' ? { src: w, dst: bib.v4, icmpId: bib.v4port } : { src: w, sport: t.dport, dst: bib.v4, dport: bib.v4port };
  return { outer, inner };
}

// ---------------------------------------------------------------- step 2 + 3, IPv4 side

/** The IPv6 host bound to a pool address, for FAULT accept-inbound-without-bib only (a scan, never on the normal path). */
function anyHostOf(ctx: Ctx, addr: number): string | undefined {
  for (const [v6, h] of ctx.tables.hosts) if (h.addr === addr) return v6;
  return undefined;
}

/** Steps 2 and 3 for TCP, UDP and ICMP queries arriving on the IPv4 side (or hairpinned). */
function update4(ctx: Ctx, inc: Extract<Incoming, { kind: 'flow' }>, bytes: Buffer | undefined): Forward | undefined {
  const { tables } = ctx;
  const t = inc.tuple; // (W,w) -> (T,t)
  let addr = ctx.pool.indexOf(t.dst);
  // FAULT pool4-destination-unchecked: a destination outside pool4 is matched by port alone.
  if (addr < 0 && ctx.flags.poolDestinationUnchecked) addr = ctx.pool.addresses.findIndex((_, i) => !!tables.bib4(t.proto, i, t.dport));
  // FAULT udp-bib-outbound-only: dynamic UDP BIB entries are never found from the IPv4 side.
  const found = tables.bib4(t.proto, addr, t.dport);
  const bib = ctx.flags.udpBibOutboundOnly && found && t.proto === 'udp' && !found.isStatic ? undefined : found;
  const w = t.src;
  const rport = t.proto === 'icmp' ? 0 : t.sport;
  const y6 = ctx.pref.embed(w);
  const now = ctx.clock.now();

  if (!bib) {
    if (ctx.flags.protocolIndependentEif && t.proto !== 'icmp') {
      // FAULT protocol-independent-eif: a (T,t) held only in the other protocol's BIB admits this protocol too.
      const twin = tables.bib4(t.proto === 'tcp' ? 'udp' : 'tcp', addr, t.dport);
      if (twin) return { outer: { src: y6, sport: t.sport, dst: twin.v6, dport: twin.v6port } };
    }
    if (ctx.flags.acceptInboundWithoutBib && t.proto !== 'tcp') {
      // FAULT accept-inbound-without-bib: deliver to some host bound to T, port/identifier unchanged.
      const host = anyHostOf(ctx, addr);
      if (host) return { outer: t.proto === 'icmp' ? { src: y6, dst: host } : { src: y6, sport: t.sport, dst: host, dport: t.dport } };
    }
    // FAULT no-tcp-state-machine: like UDP, inbound TCP without a BIB entry is dropped at once (no V4 INIT hold).
    if (t.proto === 'tcp' && !ctx.flags.noTcpStateMachine) {
      const f = inc.tcp!;
      const orphan = tables.orphan(addr, t.dport, w, rport);
      if (orphan) {
        dropped(ctx, 'TCP segment for a V4 INIT session without BIB entry: held, not forwarded');
        return undefined;
      }
      if (f.syn && bytes) {
        // CLOSED, V4 SYN, (T,t) not in the BIB: V4 INIT session for TCP_INCOMING_SYN, SYN stored, no BIB entry.
        if (ctx.held >= ctx.limits.maxHeldSyns) {
          dropped(ctx, 'V4 SYN dropped: too many held SYNs (RFC 6146 §5.3)');
          return undefined;
        }
        tables.addOrphan(addr, t.dport, y6, w, rport, now + ctx.ms.syn, Buffer.from(bytes));
        ctx.held++;
        dropped(ctx, 'V4 SYN to a (T,t) without BIB entry: held for TCP_INCOMING_SYN (RFC 6146 §3.5.2.2)');
        return undefined;
      }
      dropped(ctx, 'TCP non-SYN without a BIB entry (RFC 6146 §3.5.2.2 CLOSED)');
      return undefined;
    }
    // UDP: MUST drop; the optional ICMP error is not sent. ICMP query: dropped, the optional 3/1 is not sent.
    dropped(ctx, `inbound ${t.proto} to ${t.dst}:${t.dport} without a BIB entry (RFC 6146 §3.5.1/§3.5.3)`);
    return undefined;
  }

  let session = tables.session(bib, w, rport);
  // Resource limits (limits.ts): an inbound packet that would add a session beyond a limit is dropped, nothing evicted.
  const refused = !session && (t.proto !== 'tcp' || inc.tcp!.syn) ? ctx.limits.refuse4(bib) : undefined;
  if (refused) {
    dropped(ctx, refused);
    // Named by the subscriber's side of the mapping: the remote peer is a destination, not logged (RFC 6888 REQ-12).
    ctx.events?.refused(t.proto, bib.v6, bib.v6port, refused);
    return undefined;
  }
  // FAULT port-dependent-filtering: without a session to exactly (W,w) the packet is filtered, in either mode.
  const allowed = filterAllows(ctx, bib, w) && !(ctx.flags.portDependentFiltering && !session);

  // FAULT no-tcp-state-machine: TCP takes the UDP path below.
  if (t.proto === 'tcp' && !ctx.flags.noTcpStateMachine) {
    const f = inc.tcp!;
    if (!session) {
      if (f.syn) {
        if (!allowed) {
          // ADF, V4 SYN from an address the host has not contacted: V4 INIT, SYN held for TCP_INCOMING_SYN.
          if (ctx.held >= ctx.limits.maxHeldSyns || !bytes) {
            dropped(ctx, 'V4 SYN dropped: too many held SYNs (RFC 6146 §5.3)');
            return undefined;
          }
          session = tables.addSession(bib, y6, w, rport, TcpState.V4_INIT, now + ctx.ms.syn, false);
          session.stored = unpooledCopy(bytes);
          ctx.held++;
          dropped(ctx, 'V4 SYN held for TCP_INCOMING_SYN (address-dependent filtering, RFC 6146 §3.5.2.2)');
          return undefined;
        }
        // V4 SYN with a BIB entry and the filter passing: V4 INIT for "at least TCP_TRANS" (the partially-open timeout), translated.
        session = tables.addSession(bib, y6, w, rport, TcpState.V4_INIT, now + ctx.ms.init);
      } else if (!allowed) {
        if (ctx.flags.inboundRefresh) refreshAll(ctx, bib); // FAULT inbound-refresh
        dropped(ctx, `TCP from ${w} filtered (address-dependent filtering)`);
        return undefined;
      }
      // Otherwise a non-SYN with a BIB entry: translated, no session, state unchanged (SHOULD).
    } else {
      if (session.stored) {
        dropped(ctx, 'TCP segment for a V4 INIT session holding a SYN: not forwarded');
        return undefined;
      }
      const step = tcpStepUnderFaults(ctx.flags, session.state as TcpState, 4, f, !!inc.pkt.tcp?.flags?.ack);
      if (!step) {
        dropped(ctx, 'TCP segment dropped by a fault of the state machine');
        return undefined;
      }
      session.state = step.state;
      applyTcpLifetime(ctx, session, step.lifetime);
    }
  } else {
    if (!allowed) {
      if (ctx.flags.inboundRefresh) refreshAll(ctx, bib); // FAULT inbound-refresh
      dropped(ctx, `${t.proto} from ${w} filtered (address-dependent filtering, RFC 6146 §3.5.1/§3.5.3)`);
      return undefined;
    }
    if (!session) session = tables.addSession(bib, y6, w, rport, 0, now + lifetimeOf(ctx, t.proto));
    else refresh(ctx, session, lifetimeOf(ctx, t.proto));
  }

  if (t.proto === 'icmp') {
    return { outer: { src: y6, dst: bib.v6, ...(ctx.flags.icmpIdNotTranslated ? {} : { icmpId: bib.v6port }) }, bib };
  }
  // FAULT reply-source-from-session: the source is the address the host once sent to (suffix and all), not one computed from W.
  const src = ctx.flags.replySourceFromSession && session ? session.y6 : y6;
  return { outer: { src, sport: t.sport, dst: bib.v6, dport: bib.v6port }, bib };
}

/** FAULT inbound-refresh: a filtered packet still extends every session of the mapping. */
function refreshAll(ctx: Ctx, bib: Bib): void {
  for (const s of bib.sessions.values()) refresh(ctx, s, s.proto === 'tcp' ? ctx.ms.est : lifetimeOf(ctx, s.proto));
}

/** Step 3 for an ICMP error from the IPv4 side. */
function error4(ctx: Ctx, inc: Extract<Incoming, { kind: 'error' }>, outerSrc: string): Forward | undefined {
  const t = inc.tuple; // (W,w) -> (T,t), from the embedded packet swapped
  const addr = ctx.pool.indexOf(t.dst);
  let bib = ctx.tables.bib4(t.proto, addr, t.dport);
  // FAULT short-quote-matched: a quote without ports (-1 from incoming.ts) matches any mapping of T.
  if (!bib && ctx.flags.shortQuoteMatched && t.dport < 0) bib = [...ctx.tables.bibs(t.proto)].find((b) => b.addr === addr);
  if (!bib && ctx.flags.icmpErrorWithoutMapping) {
    // FAULT icmp-error-without-mapping: delivered to an IPv6 host holding another mapping on T, (T,t) as it is.
    const host = anyHostOf(ctx, addr);
    const y6 = ctx.pref.embed(t.src);
    if (host) {
      const inner: XlatMap = t.proto === 'icmp' ? { src: host, dst: y6, icmpId: t.dport } : { src: host, sport: t.dport, dst: y6, dport: t.sport };
      return { outer: { src: ctx.pref.embed(outerSrc), dst: host }, inner };
    }
  }
  if (!bib) {
    dropped(ctx, `ICMPv4 error about ${t.proto} ${t.dst}:${t.dport} with no BIB entry (RFC 5508 REQ-4)`);
    return undefined;
  }
  if (ctx.flags.icmpErrorRefresh) {
    // FAULT icmp-error-refresh
    const s = ctx.tables.session(bib, t.src, t.proto === 'icmp' ? 0 : t.sport);
    if (s) refresh(ctx, s, t.proto === 'tcp' ? ctx.ms.est : lifetimeOf(ctx, t.proto));
  }
  if (ctx.flags.icmpErrorFiltered && ctx.adf && !bib.remotes.has(outerSrc)) {
    // FAULT icmp-error-filtered: under ADF an error from an address without a session is filtered like a packet.
    dropped(ctx, `ICMPv4 error from ${outerSrc} filtered (fault icmp-error-filtered)`);
    return undefined;
  }
  if (ctx.flags.icmpErrorDeletesMapping) {
    // FAULT icmp-error-deletes-mapping
    const s = ctx.tables.session(bib, t.src, t.proto === 'icmp' ? 0 : t.sport);
    if (s) ctx.tables.removeSession(s);
  }
  const y6 = ctx.pref.embed(t.src);
  // Outer source: the IPv6 representation of whoever sent the error (a router's hops stay visible, RFC 7915 §4);
  // outer destination: X' from the BIB (RFC 5508 REQ-4c).
  // FAULT icmp-error-outer-algorithmic: the destination is [Pref64::T], converted like any IPv4 address.
  const outer: XlatMap = { src: ctx.pref.embed(outerSrc), dst: ctx.flags.icmpErrorOuterAlgorithmic ? ctx.pref.embed(t.dst) : bib.v6 };
  const inner: XlatMap =
    t.proto === 'icmp' ? { src: bib.v6, dst: y6, icmpId: bib.v6port } : { src: bib.v6, sport: bib.v6port, dst: y6, dport: t.sport };
  return { outer, inner };
}

// ---------------------------------------------------------------- unknown protocols

function unknown6(ctx: Ctx, inc: Extract<Incoming, { kind: 'unknown-protocol' }>, bytes: Buffer, out: Out): void {
  if (ctx.flags.unknownProtocolForwarded) {
    // FAULT unknown-protocol-forwarded: sent on with the host's pool address, no BIB.
    const paired = ctx.tables.pairedAddr(inc.pkt.ipv6!.src);
    const src = ctx.pool.addresses[paired >= 0 ? paired : 0].address;
    ctx.faultHosts.set(paired >= 0 ? paired : 0, inc.pkt.ipv6!.src);
    const r = to4(inc.pkt, { src, dst: inc.z4, ipv4Id: nextId(ctx) }, undefined, ctx.xopts);
    const p = deliver(ctx, out, r);
    if (p) emit(out, 4, p);
    return;
  }
  // §3.4: SHOULD drop, and SHOULD send ICMPv6 Destination Unreachable code 4 (port unreachable).
  dropped(ctx, `IPv6 protocol ${inc.protocol} is not TCP, UDP or ICMPv6 (RFC 6146 §3.4)`);
  const err = unreachable6(bytes, 4, inc.pkt.ipv6!.dst, ctx.xopts.faults);
  if (err) out.push({ side: 6, bytes: err });
}

function unknown4(ctx: Ctx, inc: Extract<Incoming, { kind: 'unknown-protocol' }>, bytes: Buffer, out: Out): void {
  const h = inc.pkt.ipv4!;
  // FAULT igmp-translated: IGMP takes the forwarding path below like any other protocol.
  if (ctx.flags.unknownProtocolForwarded || (ctx.flags.igmpTranslated && inc.protocol === 2)) {
    // FAULT unknown-protocol-forwarded: delivered to some host bound to the pool address.
    const addr = ctx.pool.indexOf(h.dst);
    const host = ctx.faultHosts.get(addr) ?? anyHostOf(ctx, addr);
    if (host) {
      const p = deliver(ctx, out, to6(inc.pkt, { src: ctx.pref.embed(h.src), dst: host }, undefined, ctx.xopts));
      if (p) emit(out, 6, p);
      return;
    }
  }
  // §3.4: SHOULD drop, and SHOULD send ICMPv4 Destination Unreachable code 2 (protocol unreachable).
  dropped(ctx, `IPv4 protocol ${inc.protocol} is not TCP, UDP or ICMP (RFC 6146 §3.4)`);
  const err = unreachable4(bytes, 2, h.dst, ctx.xopts.faults, nextId(ctx));
  if (err) out.push({ side: 4, bytes: err });
}

function nextId(ctx: Ctx): number {
  const id = ctx.nextIpv4Id;
  ctx.nextIpv4Id = (id + 1) & 0xffff;
  return id;
}

// ---------------------------------------------------------------- the pipeline

/** A packet that arrived on the IPv6 interface. */
export function process6(ctx: Ctx, bytes: Buffer, out: Out): void {
  const pkt = decode(bytes);
  if (reassemble6(ctx, pkt, bytes, out, process6)) return; // RFC 6146 §3.4 fragments (fragments.ts)
  const inc = incoming6(ctx.env, pkt); // step 1
  switch (inc.kind) {
    case 'not-ours':
    case 'drop':
      dropped(ctx, inc.reason);
      if (inc.kind === 'drop' && inc.prohibited) {
        // RFC 7915 §5.4: ICMPv6 1/1 where no other error is prescribed (icmp-policy.ts), from [Pref64::first pool4 address].
        const err = prohibited6(bytes, ctx.pref.embed(ctx.pool.addresses[0].address), ctx.xopts.faults);
        if (err) out.push({ side: 6, bytes: err });
      }
      return;
    case 'unknown-protocol':
      unknown6(ctx, inc, bytes, out);
      return;
    case 'flow':
    case 'error': {
      const fwd = inc.kind === 'flow' ? update6(ctx, inc, bytes, out) : error6(ctx, inc); // steps 2-3
      if (!fwd) return;
      // FAULT source-outside-pool4: the translated packet leaves from an address that is not in pool4.
      if (ctx.flags.sourceOutsidePool4 && inc.kind === 'flow') fwd.outer.src = '203.0.113.254';
      // FAULT ipv4-id-zero: every translated packet gets Identification 0, DF or not.
      fwd.outer.ipv4Id = ctx.flags.ipv4IdZero ? 0 : nextId(ctx);
      const p4 = deliver(ctx, out, to4(pkt, fwd.outer, fwd.inner, ctx.xopts)); // step 4
      if (!p4) return;
      if (ctx.pool.indexOf(p4.ipv4!.dst) >= 0) {
        hairpin(ctx, p4, inc, fwd, out); // step 5
        return;
      }
      // FAULT payload-alg: an ALG rewrites address literals in the payload.
      send4(ctx, out, ctx.flags.payloadAlg ? algRewrite(pkt, p4, (a) => ctx.pref.embed(a)) : p4, bytes); // MTU, fragments (fragments.ts)
    }
  }
}

/**
 * Step 5 (§3.8): the translated packet is addressed to one of our pool
 * addresses. Its outgoing tuple becomes the incoming tuple and processing
 * continues at step 2 as if it had arrived on the IPv4 interface, so the
 * IPv4-side filtering applies.
 */
function hairpin(ctx: Ctx, p4: Packet, from: Incoming, fwd: Forward, out: Out): void {
  // FAULT no-hairpin: packets to our own pool addresses are dropped.
  if (ctx.flags.noHairpin) {
    dropped(ctx, 'hairpin packet dropped');
    return;
  }
  // §3.8: the packet is processed as if it had arrived on the IPv4 interface, so the second pass reads it
  // as it would be on the wire (a translation result may leave computed fields such as Protocol unset).
  const bytes4 = encode(p4);
  p4 = decode(bytes4);
  const inc = incoming4(ctx.env, p4, undefined);
  if (inc.kind !== 'flow' && inc.kind !== 'error') {
    dropped(ctx, `hairpin: ${'reason' in inc ? inc.reason : inc.kind}`);
    return;
  }
  const fwd6 = inc.kind === 'flow' ? update4(ctx, inc, bytes4) : error4(ctx, inc, p4.ipv4!.src);
  if (!fwd6) return;
  if (ctx.flags.hairpinWrongSource && from.kind === 'flow' && fwd.bib) {
    // FAULT hairpin-wrong-source: the receiver sees the sender's IPv6 transport address instead of [P::T]:t.
    fwd6.outer.src = fwd.bib.v6;
    if (fwd6.outer.sport !== undefined) fwd6.outer.sport = fwd.bib.v6port;
  }
  const p6 = deliver(ctx, out, to6(p4, fwd6.outer, fwd6.inner, ctx.xopts));
  if (p6) send6(ctx, out, p6); // a reassembled datagram leaves in fragments again (fragments.ts)
}

/** A packet that arrived on the IPv4 interface. */
export function process4(ctx: Ctx, bytes: Buffer, out: Out): void {
  const pkt = decode(bytes);
  if (reassemble4(ctx, pkt, bytes, out, process4)) return; // RFC 6146 §3.4 fragments (fragments.ts)
  const inc = incoming4(ctx.env, pkt, bytes); // step 1
  switch (inc.kind) {
    case 'not-ours':
    case 'drop':
      dropped(ctx, inc.reason);
      if (inc.kind === 'drop' && inc.prohibited) {
        // RFC 7915 §4.4: ICMPv4 3/13 where no other error is prescribed (icmp-policy.ts), from the pool address.
        const err = prohibited4(bytes, pkt.ipv4!.dst, ctx.xopts.faults, nextId(ctx));
        if (err) out.push({ side: 4, bytes: err });
      }
      return;
    case 'unknown-protocol':
      unknown4(ctx, inc, bytes, out);
      return;
    case 'flow':
    case 'error': {
      const fwd = inc.kind === 'flow' ? update4(ctx, inc, bytes) : error4(ctx, inc, pkt.ipv4!.src); // steps 2-3
      if (!fwd) return;
      const p6 = deliver(ctx, out, to6(pkt, fwd.outer, fwd.inner, ctx.xopts)); // step 4
      // FAULT payload-alg: an ALG rewrites address literals (and DNS A records) in the payload.
      if (p6) send6(ctx, out, ctx.flags.payloadAlg ? algRewrite(pkt, p6, (a) => ctx.pref.embed(a)) : p6, { pkt, bytes }); // MTU, fragments (fragments.ts)
    }
  }
}

// ---------------------------------------------------------------- expiry

/** The empty ACK probe of §3.5.2.2 (seq 0, ack 0, only ACK), sent to the IPv6 endpoint. */
function probe(s: Session): Buffer | undefined {
  const b = s.bib;
  if (!b) return undefined;
  return encode({
    ipv6: { src: s.y6, dst: b.v6, hopLimit: 64 },
    tcp: { sport: s.rport, dport: b.v6port, seq: 0, ack: 0, flags: { ack: true }, window: 0 },
  });
}

/** Drops expired state as of `now`, returning what expiry sends (probes, port unreachables for held SYNs). */
export function expireDue(ctx: Ctx, out: Out): void {
  expireFragments(ctx, out); // reassembly timeouts (fragments.ts)
  const now = ctx.clock.now();
  // Runs before every packet: when the earliest deadline is still ahead, due() would find nothing, so skip its array.
  if (ctx.tables.timers.peek() > now) return;
  const due: Session[] = [];
  for (let rounds = 0; rounds < 4; rounds++) {
    due.length = 0;
    ctx.tables.timers.due(now, due);
    if (!due.length) return;
    for (const s of due) {
      if (s.dead) continue;
      if (ctx.flags.protocolIndependentEim && twinAlive(ctx, s, now)) {
        // FAULT protocol-independent-eim: one mapping for TCP and UDP: a session lives on while the other protocol still uses (X',x).
        ctx.tables.setExpiry(s, now + lifetimeOf(ctx, s.proto));
        continue;
      }
      if (s.proto !== 'tcp') {
        // FAULT dynamic-bib-kept: the dynamic BIB entry outlives its last session.
        ctx.tables.removeSession(s, ctx.flags.dynamicBibKept);
        // FAULT static-bib-expires: a manual entry goes with its last session like a dynamic one.
        if (ctx.flags.staticBibExpires && s.bib?.isStatic && s.bib.sessions.size === 0) ctx.tables.removeBib(s.bib);
        continue;
      }
      switch (tcpOnExpiry(s.state as TcpState)) {
        case OnExpiry.PROBE_THEN_TRANS: {
          // FAULT no-est-probe: the session moves to TRANS without the probe.
          const p = ctx.flags.noEstProbe ? undefined : probe(s);
          if (p) out.push({ side: 6, bytes: p });
          s.state = TcpState.TRANS;
          ctx.tables.setExpiry(s, s.expires + ctx.ms.trans); // may already be due: the next round takes it
          break;
        }
        case OnExpiry.ICMP_THEN_DELETE: {
          if (s.stored) {
            // §3.5.2.2 V4 INIT expiry: ICMPv4 port unreachable carrying the stored SYN, to the SYN's source, from T.
            // FAULT held-syn-no-icmp: the session goes silently.
            const err = ctx.flags.heldSynNoIcmp ? undefined : unreachable4(s.stored, 3, s.v4, ctx.xopts.faults, nextId(ctx));
            releaseHeld(ctx, s);
            ctx.tables.removeSession(s);
            // A hairpinned SYN came from one of our own pool addresses: its error goes back through the IPv4 side.
            if (err && ctx.pool.indexOf(s.z4) >= 0) process4(ctx, err, out);
            else if (err) out.push({ side: 4, bytes: err });
            break;
          }
          ctx.tables.removeSession(s);
          break;
        }
        default:
          ctx.tables.removeSession(s);
      }
    }
  }
}

/** Install the static BIB entries of the config (never expire, RFC 6146 §3.1). */
export function installStaticBib(ctx: Ctx): void {
  // FAULT no-static-bib: configured entries are ignored.
  if (ctx.flags.noStaticBib) return;
  for (const e of ctx.config.staticBib) {
    const addr = ctx.pool.indexOf(e.v4.address);
    if (addr < 0 || !ctx.pool.take(addr, e.protocol, e.v4.port)) continue; // validated by parseEngineConfig
    ctx.tables.addBib(e.protocol, e.v6.address, e.v6.port, addr, e.v4.port, true);
  }
}
