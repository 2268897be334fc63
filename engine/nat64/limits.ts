/**
 * Resource limits of the NAT64 (config key `limits`, engine/api.ts Limits):
 *
 * - per subscriber (RFC 6888 REQ-4, REQ-5): a subscriber is the IPv6 source
 *   address cut to `subscriberPrefix` bits; its dynamic mappings (external
 *   ports / ICMP identifiers) are capped per protocol, its sessions in all,
 *   the sessions of each mapping, and the rate at which it creates mappings
 *   and sessions (token buckets holding one second's worth, REQ-4c, REQ-5b);
 * - global caps on BIB entries, sessions and held IPv4 SYNs, so floods
 *   cannot exhaust memory (RFC 6146 §5.3);
 * - port quarantine (RFC 6888 REQ-8): a port freed by a dynamic mapping
 *   stays out of allocation for `quarantine.seconds` (default 120), at most
 *   `quarantine.maxPorts` at once (the longest-held go back first). None of
 *   the MAY exceptions of REQ-8 (a-c) is taken: TCP ports and ports of
 *   address-dependent filtering are held back too.
 *
 * State beyond a limit is refused the way RFC 6146 refuses a BIB entry it
 * cannot create (§3.5.1.1, §3.5.2.3): the packet is dropped (RFC 6888
 * REQ-11a) and ICMPv6 Destination Unreachable code 3 goes to the sender.
 * RFC 5508 REQ-8 (code 13, ICMPv6 1/1) and RFC 6888 REQ-11b (code 1, ICMPv6
 * 1/0) name other codes; the project scores against RFC 6146, the NAT64
 * specification (requirements-summary.md, conflict 1). Inbound packets that
 * would add a session beyond a limit are dropped silently (the IPv4 side is
 * not told, as for other inbound drops). Existing state is never evicted to
 * make room (RFC 6888 REQ-11d, RFC 5508 §6). Sessions created from the IPv4
 * side count against the subscriber whose mapping they use: an outside flood
 * aimed at one mapping then exhausts that subscriber's share, not everyone's
 * (RFC 6888 REQ-5's fairness argument).
 *
 * Counting hangs off the tables (LimitedTables overrides the insert and
 * remove methods of Tables), so every path that creates or deletes state is
 * counted; the admission checks are called by the pipeline before a packet
 * creates state (refuse6 / refuse4).
 */
import type { EventLog } from './events';
import { encode } from '../../harness/packet/codec';
import { parseIPv6 } from '../../harness/packet/address';
import type { Clock, EngineConfig, Limits, Protocol } from '../api';
import { icmpError6 } from '../xlat';
import type { XlatMap } from '../xlat';
import { allocate } from './allocate';
import { Pool4 } from './pool4';
import { Bib, Session, Tables } from './tables';
import type { Tuple } from './incoming';

const PROTOS: readonly Protocol[] = ['tcp', 'udp', 'icmp'];

/** A token bucket holding at most one second's worth of `rate` tokens (at least one). */
class Bucket {
  private tokens: number;
  private at: number;
  private readonly cap: number;

  constructor(
    private readonly rate: number,
    now: number,
  ) {
    this.cap = Math.max(1, rate);
    this.tokens = this.cap;
    this.at = now;
  }

  /** Refill to `now`; true when a token is available. */
  ready(now: number): boolean {
    if (now > this.at) {
      this.tokens = Math.min(this.cap, this.tokens + ((now - this.at) / 1000) * this.rate);
      this.at = now;
    }
    return this.tokens >= 1;
  }

  take(): void {
    this.tokens -= 1;
  }
}

interface Subscriber {
  key: string;
  /** Dynamic BIB entries per protocol, oldest first. */
  bibs: Record<Protocol, Set<Bib>>;
  /** Sessions (with a BIB entry), oldest first. */
  sessions: Set<Session>;
  mapRate?: Bucket;
  sessRate?: Bucket;
}

/**
 * The IPv4 pool with port quarantine: `release` (called when a BIB entry
 * goes) holds the port back instead of freeing it; `releaseDue` frees the
 * ones whose time is up.
 */
export class QuarantinedPool extends Pool4 {
  private readonly queue: { addr: number; proto: Protocol; port: number; until: number }[] = [];
  private head = 0;
  private readonly ms: number;
  private readonly maxPorts: number;

  constructor(
    config: EngineConfig,
    private readonly clock: Clock,
    private readonly faults: ReadonlySet<string>,
  ) {
    super(
      // FAULT pool4-contiguous-only: addresses after the first gap in pool4 are configured but never used.
      faults.has('pool4-contiguous-only') ? contiguousHead(config.pool4) : config.pool4,
    );
    const q = config.limits.quarantine;
    // FAULT quarantine-not-configurable: the configured time and size are ignored (always 120 s, no cap).
    const fixed = faults.has('quarantine-not-configurable');
    this.ms = (fixed ? 120 : q.seconds) * 1000;
    this.maxPorts = fixed ? Infinity : q.maxPorts;
  }

  /** Ports currently held back. */
  get quarantined(): number {
    return this.queue.length - this.head;
  }

  override release(addr: number, proto: Protocol, port: number): void {
    // FAULT no-port-quarantine: a freed port can be reallocated at once.
    if (this.ms <= 0 || this.maxPorts <= 0 || this.faults.has('no-port-quarantine')) {
      super.release(addr, proto, port);
      return;
    }
    this.queue.push({ addr, proto, port, until: this.clock.now() + this.ms });
    // Over the cap: the port held longest goes back first.
    while (this.quarantined > this.maxPorts) this.free(this.queue[this.head++]);
    this.compact();
  }

  /** Free every quarantined port whose time is up. */
  releaseDue(now: number): void {
    while (this.head < this.queue.length && this.queue[this.head].until <= now) this.free(this.queue[this.head++]);
    this.compact();
  }

  /** Free a port at once (dry runs, quarantine ends). */
  freeNow(addr: number, proto: Protocol, port: number): void {
    super.release(addr, proto, port);
  }

  private free(e: { addr: number; proto: Protocol; port: number }): void {
    super.release(e.addr, e.proto, e.port);
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }
}

/** The pool4 entries up to the first address that does not follow its predecessor. */
function contiguousHead(entries: EngineConfig['pool4']): EngineConfig['pool4'] {
  const num = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  let n = 1;
  while (n < entries.length && num(entries[n].address) === num(entries[n - 1].address) + 1) n++;
  return entries.slice(0, n);
}

/** The tables, counting what each subscriber (and everyone) holds. */
export class LimitedTables extends Tables {
  /** The event log (events.ts): dynamic mappings created and deleted. */
  events?: EventLog;

  constructor(
    pool: Pool4,
    private readonly limiter: Limiter,
  ) {
    super(pool);
  }

  override addBib(proto: Protocol, v6: string, v6port: number, addr: number, v4port: number, isStatic: boolean, key6?: string): Bib {
    const b = super.addBib(proto, v6, v6port, addr, v4port, isStatic, key6);
    this.limiter.bibAdded(b);
    this.events?.mapping('created', b);
    return b;
  }

  override removeBib(b: Bib): void {
    for (const s of b.sessions.values()) this.limiter.sessionGone(s);
    this.limiter.bibGone(b);
    super.removeBib(b);
    this.events?.mapping('deleted', b);
  }

  override addSession(bib: Bib, y6: string, z4: string, rport: number, state: Session['state'], expires: number, counted = true): Session {
    const s = super.addSession(bib, y6, z4, rport, state, expires, counted);
    this.limiter.sessionAdded(s);
    this.events?.session(s);
    return s;
  }

  override removeSession(s: Session, keepBib = false): void {
    this.limiter.sessionGone(s);
    super.removeSession(s, keepBib);
  }

  override adopt(s: Session, bib: Bib): void {
    super.adopt(s, bib);
    this.limiter.sessionAdded(s);
  }
}

export class Limiter {
  tables!: LimitedTables;
  private readonly subs = new Map<string, Subscriber>();
  /** Subscriber key of each IPv6 address seen (only when the subscriber prefix is shorter than /128). */
  private readonly keyCache = new Map<string, string>();
  private readonly liveBibs = new Set<Bib>();
  private readonly liveSessions = new Set<Session>();
  private readonly prefix: number;
  private readonly l: Limits;

  constructor(
    config: EngineConfig,
    private readonly pool: QuarantinedPool,
    private readonly clock: Clock,
    private readonly faults: ReadonlySet<string>,
  ) {
    this.l = config.limits;
    // FAULT subscriber-per-address: limits are counted per IPv6 address whatever subscriber prefix is configured.
    this.prefix = faults.has('subscriber-per-address') ? 128 : config.limits.subscriberPrefix;
  }

  /** The cap on held IPv4 SYNs (RFC 6146 §5.3). */
  get maxHeldSyns(): number {
    // FAULT unbounded-state: no global cap on BIB entries, sessions or held SYNs.
    return this.faults.has('unbounded-state') ? Infinity : this.l.maxHeldSyns;
  }

  /** BIB entries and sessions in the tables. */
  get counts(): { bib: number; sessions: number; quarantined: number } {
    return { bib: this.liveBibs.size, sessions: this.liveSessions.size, quarantined: this.pool.quarantined };
  }

  /**
   * Admission of an outbound packet that creates state: a new mapping when
   * `bib` is undefined, and a new session. Undefined when admitted, else
   * why not (the pipeline drops the packet and sends ICMPv6 1/3).
   */
  refuse6(t: Tuple, bib: Bib | undefined): string | undefined {
    const now = this.clock.now();
    const sub = this.subscriber(t.src, true)!;
    if (!bib) this.pool.releaseDue(now);
    const why = (!bib ? this.mappingRoom(t, sub) : undefined) ?? this.sessionRoom(sub, bib) ?? this.rates(sub, !bib, now);
    if (why) this.prune(sub); // a refused subscriber without state is not remembered
    return why;
  }

  /** Admission of an inbound packet that would add a session to `bib` (dropped silently when refused). */
  refuse4(bib: Bib): string | undefined {
    const sub = this.subscriber(bib.v6, true)!;
    return this.sessionRoom(sub, bib) ?? this.rates(sub, false, this.clock.now());
  }

  // ---------------------------------------------------------------- checks

  private mappingRoom(t: Tuple, sub: Subscriber): string | undefined {
    const evict = this.faults.has('limit-evicts-existing');
    const limit = this.l.ports[t.proto];
    // FAULT no-per-subscriber-limit: the configured port limit is not applied.
    if (limit !== undefined && !this.faults.has('no-per-subscriber-limit') && sub.bibs[t.proto].size >= limit) {
      // FAULT limit-evicts-existing: the subscriber's oldest mapping is deleted to make room (RFC 6888 REQ-11d forbids it).
      if (evict) this.tables.removeBib(first(sub.bibs[t.proto])!);
      else return `subscriber ${sub.key} holds ${limit} ${t.proto} ports, its limit (RFC 6888 REQ-4)`;
    }
    if (this.liveBibs.size >= this.l.maxBib && !this.faults.has('unbounded-state')) {
      const oldest = evict ? [...this.liveBibs].find((b) => !b.isStatic) : undefined;
      if (oldest) this.tables.removeBib(oldest); // FAULT limit-evicts-existing
      else return `the BIBs hold ${this.l.maxBib} entries, the global cap (RFC 6146 §5.3)`;
    }
    if (evict) this.evictForPort(t);
    return undefined;
  }

  private sessionRoom(sub: Subscriber, bib: Bib | undefined): string | undefined {
    const evict = this.faults.has('limit-evicts-existing');
    // FAULT no-session-limit: the per-subscriber and per-mapping session limits are not applied.
    const apply = !this.faults.has('no-session-limit');
    if (apply && this.l.sessions !== undefined && sub.sessions.size >= this.l.sessions) {
      if (evict) this.evictSession(first(sub.sessions)!, bib); // FAULT limit-evicts-existing
      else return `subscriber ${sub.key} holds ${this.l.sessions} sessions, its limit (RFC 6888 REQ-5)`;
    }
    if (apply && bib && this.l.sessionsPerMapping !== undefined && bib.sessions.size >= this.l.sessionsPerMapping) {
      if (evict) this.evictSession(first(bib.sessions.values())!, bib); // FAULT limit-evicts-existing
      else return `the mapping ${bib.v4}:${bib.v4port} holds ${this.l.sessionsPerMapping} sessions, its limit (RFC 6888 REQ-5)`;
    }
    if (this.liveSessions.size >= this.l.maxSessions && !this.faults.has('unbounded-state')) {
      if (evict) this.evictSession(first(this.liveSessions)!, bib); // FAULT limit-evicts-existing
      else return `the session tables hold ${this.l.maxSessions} entries, the global cap (RFC 6146 §5.3)`;
    }
    return undefined;
  }

  /** Takes a token from each bucket that applies, or none when one is empty. */
  private rates(sub: Subscriber, mapping: boolean, now: number): string | undefined {
    // FAULT no-rate-limit: the configured mapping and session rates are not applied.
    if (this.faults.has('no-rate-limit')) return undefined;
    if (mapping && this.l.mappingRate !== undefined) sub.mapRate ??= new Bucket(this.l.mappingRate, now);
    if (this.l.sessionRate !== undefined) sub.sessRate ??= new Bucket(this.l.sessionRate, now);
    const m = mapping ? sub.mapRate : undefined;
    if (m && !m.ready(now)) return `subscriber ${sub.key} creates mappings faster than ${this.l.mappingRate}/s (RFC 6888 REQ-4c)`;
    if (sub.sessRate && !sub.sessRate.ready(now)) return `subscriber ${sub.key} creates sessions faster than ${this.l.sessionRate}/s (RFC 6888 REQ-5b)`;
    m?.take();
    sub.sessRate?.take();
    return undefined;
  }

  /** FAULT limit-evicts-existing: when the pool has no port for the new mapping, the oldest mapping on a usable address goes. */
  private evictForPort(t: Tuple): void {
    const paired = this.tables.pairedAddr(t.src);
    const addrs = paired >= 0 ? [paired] : Array.from({ length: this.pool.size }, (_, i) => i);
    const opts = { rangePreservation: true, parity: true, sequential: true };
    const a = allocate(this.pool, t.proto, t.sport, addrs, () => 0, opts);
    if (a) {
      this.pool.freeNow(a.addr, t.proto, a.port); // a dry run
      return;
    }
    const victim = [...this.liveBibs].find((b) => !b.isStatic && b.proto === t.proto && addrs.includes(b.addr));
    if (!victim) return;
    this.tables.removeBib(victim);
    this.pool.freeNow(victim.addr, victim.proto, victim.v4port); // straight back, past the quarantine
  }

  private evictSession(s: Session, keep: Bib | undefined): void {
    this.tables.removeSession(s, s.bib === keep);
  }

  // ---------------------------------------------------------------- counting (LimitedTables)

  bibAdded(b: Bib): void {
    this.liveBibs.add(b);
    if (!b.isStatic) this.subscriber(b.v6, true)!.bibs[b.proto].add(b);
  }

  bibGone(b: Bib): void {
    if (!this.liveBibs.delete(b)) return;
    const sub = this.subscriber(b.v6, false);
    if (!sub) return;
    sub.bibs[b.proto].delete(b);
    this.prune(sub);
  }

  sessionAdded(s: Session): void {
    if (!s.bib || this.liveSessions.has(s)) return;
    this.liveSessions.add(s);
    this.subscriber(s.bib.v6, true)!.sessions.add(s);
  }

  sessionGone(s: Session): void {
    if (!this.liveSessions.delete(s) || !s.bib) return;
    const sub = this.subscriber(s.bib.v6, false);
    if (!sub) return;
    sub.sessions.delete(s);
    this.prune(sub);
  }

  // ---------------------------------------------------------------- subscribers

  private keyOf(v6: string): string {
    if (this.prefix >= 128) return v6;
    let k = this.keyCache.get(v6);
    if (k === undefined) {
      const b = parseIPv6(v6);
      const full = this.prefix >> 3;
      const rest = this.prefix & 7;
      if (rest) b[full] &= (0xff << (8 - rest)) & 0xff;
      b.fill(0, full + (rest ? 1 : 0));
      k = `${b.toString('hex')}/${this.prefix}`;
      if (this.keyCache.size >= 65536) this.keyCache.clear();
      this.keyCache.set(v6, k);
    }
    return k;
  }

  private subscriber(v6: string, create: boolean): Subscriber | undefined {
    const key = this.keyOf(v6);
    let sub = this.subs.get(key);
    if (!sub && create) {
      sub = { key, bibs: { tcp: new Set(), udp: new Set(), icmp: new Set() }, sessions: new Set() };
      this.subs.set(key, sub);
    }
    return sub;
  }

  /** A subscriber without state is forgotten, unless a rate limit still remembers it (bounded by the table size). */
  private prune(sub: Subscriber): void {
    if (sub.sessions.size || PROTOS.some((p) => sub.bibs[p].size)) return;
    if ((sub.mapRate || sub.sessRate) && this.subs.size < 65536) return;
    this.subs.delete(sub.key);
  }
}

function first<T>(it: Iterable<T>): T | undefined {
  for (const x of it) return x;
  return undefined;
}

/** The pool, tables and limiter of a translator, wired together. */
export function limitedState(config: EngineConfig, clock: Clock): { pool: QuarantinedPool; tables: LimitedTables; limits: Limiter } {
  const faults: ReadonlySet<string> = new Set(config.faults);
  const pool = new QuarantinedPool(config, clock, faults);
  const limits = new Limiter(config, pool, clock, faults);
  const tables = new LimitedTables(pool, limits);
  limits.tables = tables;
  return { pool, tables, limits };
}

/**
 * The ICMPv6 error for an outbound packet refused for lack of resources:
 * Destination Unreachable code 3 (RFC 6146 §3.5.1.1, §3.5.2.3), from the
 * destination the packet was sent to. Undefined when suppressed.
 */
export function refusalError(orig: Buffer, src: string, faults: ReadonlySet<string>): Buffer | undefined {
  // FAULT exhaustion-silent: no ICMP error when a mapping cannot be created.
  if (faults.has('exhaustion-silent')) return undefined;
  // FAULT exhaustion-wrong-icmp-code: code 4 (port unreachable, a hard error for TCP) instead of 3.
  const code = faults.has('exhaustion-wrong-icmp-code') ? 4 : 3;
  const r = icmpError6(1, code, {}, orig, src, { faults });
  return r.kind === 'icmp-error' ? encode(r.packet) : undefined;
}

/**
 * FAULT exhaustion-forwarded only: the outgoing tuple of a packet that got
 * no mapping, translated anyway from the host's (or the first) pool address
 * with its own source port, no BIB entry.
 */
export function forwardedAnyway(tables: Tables, pool: Pool4, t: Tuple, z4: string): XlatMap {
  const paired = tables.pairedAddr(t.src);
  const src = pool.addresses[paired >= 0 ? paired : 0].address;
  return t.proto === 'icmp' ? { src, dst: z4, icmpId: t.sport } : { src, sport: t.sport, dst: z4, dport: t.dport };
}
