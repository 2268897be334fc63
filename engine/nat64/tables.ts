/**
 * The BIBs (RFC 6146 §3.1) and session tables (§3.2) of the three
 * protocols, with O(1) lookups in both directions:
 *
 * - BIB by IPv6 side: key "X'|x" (plus "|Y'" under fault
 *   address-dependent-mapping, which makes the mapping per destination);
 * - BIB by IPv4 side: numeric key poolIndex * 65536 + t;
 * - sessions hang off their BIB entry keyed by the remote IPv4 transport
 *   address "Z|z" (for ICMP "Z"), since (X',x) <-> (T,t) is the BIB and
 *   Y' <-> Z is algorithmic; each BIB entry also counts its sessions per
 *   remote address Z, which is the Address-Dependent Filtering lookup;
 * - TCP V4 INIT sessions for a (T,t) absent from the BIB (§3.5.2.2, the
 *   simultaneous-open case) live in `orphans` keyed "poolIndex|t|Z|z" until
 *   an IPv6 SYN creates the BIB entry or they expire.
 *
 * Paired pooling: `hosts` maps each IPv6 address with any BIB entry (any
 * protocol, static ones included) to its pool address and entry count.
 */
import type { BibEntry, Protocol, SessionEntry } from '../api';
import { Pool4 } from './pool4';
import { TCP_STATE_NAME, TcpState } from './tcp-state';
import { TimerHeap, Timed } from './timers';

export interface Bib {
  proto: Protocol;
  /** X' and x (ICMP: i1). */
  v6: string;
  v6port: number;
  /** T, its pool index, and t (ICMP: i2). */
  v4: string;
  addr: number;
  v4port: number;
  isStatic: boolean;
  key6: string;
  key4: number;
  sessions: Map<string, Session>;
  /** Remote IPv4 address Z -> number of sessions with it (ADF). */
  remotes: Map<string, number>;
}

export interface Session extends Timed {
  proto: Protocol;
  /** Undefined only for a TCP V4 INIT session whose (T,t) is not in the BIB. */
  bib: Bib | undefined;
  /** (T,t) of the session (copied from the BIB; needed for orphans). */
  addr: number;
  v4: string;
  v4port: number;
  /** Y' and Z; y == z is `rport` (ICMP: unused, 0). */
  y6: string;
  z4: string;
  rport: number;
  /** Key inside the BIB's session map (or the orphan map). */
  key: string;
  state: TcpState | 0;
  /** TCP V4 INIT: the held IPv4 SYN (bytes as received). */
  stored?: Buffer;
  /** Counted in the BIB's `remotes` (ADF). A session holding an unsolicited SYN is not: it must not open the filter. */
  counted: boolean;
}

export function bibKey6(v6: string, port: number): string {
  return `${v6}|${port}`;
}

export function bibKey4(addr: number, port: number): number {
  return addr * 65536 + port;
}

export function sessionKey(proto: Protocol, z4: string, rport: number): string {
  return proto === 'icmp' ? z4 : `${z4}|${rport}`;
}

function orphanKey(addr: number, port: number, z4: string, rport: number): string {
  return `${addr}|${port}|${z4}|${rport}`;
}

class ProtoTable {
  readonly by6 = new Map<string, Bib>();
  readonly by4 = new Map<number, Bib>();
}

interface HostBinding {
  addr: number;
  entries: number;
}

export class Tables {
  private readonly t: Record<Protocol, ProtoTable> = { tcp: new ProtoTable(), udp: new ProtoTable(), icmp: new ProtoTable() };
  readonly hosts = new Map<string, HostBinding>();
  /** TCP V4 INIT sessions whose (T,t) has no BIB entry, keyed "poolIndex|t|Z|z". */
  readonly orphans = new Map<string, Session>();
  readonly timers = new TimerHeap<Session>();

  constructor(readonly pool: Pool4) {}

  bib6(proto: Protocol, key6: string): Bib | undefined {
    return this.t[proto].by6.get(key6);
  }

  bib4(proto: Protocol, addr: number, port: number): Bib | undefined {
    return this.t[proto].by4.get(bibKey4(addr, port));
  }

  /** The pool address already bound to an IPv6 host, or -1. */
  pairedAddr(v6: string): number {
    const h = this.hosts.get(v6);
    return h ? h.addr : -1;
  }

  /** Insert a BIB entry whose (T,t) the caller has already taken in the pool. */
  addBib(proto: Protocol, v6: string, v6port: number, addr: number, v4port: number, isStatic: boolean, key6 = bibKey6(v6, v6port)): Bib {
    const b: Bib = {
      proto,
      v6,
      v6port,
      v4: this.pool.addresses[addr].address,
      addr,
      v4port,
      isStatic,
      key6,
      key4: bibKey4(addr, v4port),
      sessions: new Map(),
      remotes: new Map(),
    };
    const tab = this.t[proto];
    tab.by6.set(key6, b);
    tab.by4.set(b.key4, b);
    const h = this.hosts.get(v6);
    if (h) h.entries++;
    else this.hosts.set(v6, { addr, entries: 1 });
    return b;
  }

  removeBib(b: Bib): void {
    const tab = this.t[b.proto];
    if (tab.by6.get(b.key6) === b) tab.by6.delete(b.key6);
    if (tab.by4.get(b.key4) === b) tab.by4.delete(b.key4);
    this.pool.release(b.addr, b.proto, b.v4port);
    for (const s of b.sessions.values()) s.dead = true;
    b.sessions.clear();
    b.remotes.clear();
    const h = this.hosts.get(b.v6);
    if (h && --h.entries <= 0) this.hosts.delete(b.v6);
  }

  /** A session of `bib` with remote (Z,z), or undefined. */
  session(bib: Bib, z4: string, rport: number): Session | undefined {
    return bib.sessions.get(sessionKey(bib.proto, z4, rport));
  }

  addSession(bib: Bib, y6: string, z4: string, rport: number, state: TcpState | 0, expires: number, counted = true): Session {
    const key = sessionKey(bib.proto, z4, rport);
    const s: Session = {
      proto: bib.proto,
      bib,
      addr: bib.addr,
      v4: bib.v4,
      v4port: bib.v4port,
      y6,
      z4,
      rport,
      key,
      state,
      expires,
      scheduled: 0,
      dead: false,
      counted: false,
    };
    bib.sessions.set(key, s);
    if (counted) this.countRemote(s);
    this.timers.schedule(s);
    return s;
  }

  /** Let a session's remote address pass Address-Dependent Filtering (idempotent). */
  countRemote(s: Session): void {
    const b = s.bib;
    if (!b || s.counted) return;
    s.counted = true;
    b.remotes.set(s.z4, (b.remotes.get(s.z4) ?? 0) + 1);
  }

  /**
   * Remove a session; a dynamic BIB entry left without sessions goes with it (RFC 6146 §3.1).
   * `keepBib` only for FAULT dynamic-bib-kept.
   */
  removeSession(s: Session, keepBib = false): void {
    s.dead = true;
    const b = s.bib;
    if (!b) {
      const k = orphanKey(s.addr, s.v4port, s.z4, s.rport);
      if (this.orphans.get(k) === s) this.orphans.delete(k);
      return;
    }
    if (b.sessions.get(s.key) === s) {
      b.sessions.delete(s.key);
    }
    if (s.counted) {
      s.counted = false;
      const n = (b.remotes.get(s.z4) ?? 1) - 1;
      if (n <= 0) b.remotes.delete(s.z4);
      else b.remotes.set(s.z4, n);
    }
    if (b.sessions.size === 0 && !b.isStatic && !keepBib) this.removeBib(b);
  }

  /** Set a session's lifetime to `expires` (ms on the engine clock). */
  setExpiry(s: Session, expires: number): void {
    s.expires = expires;
    this.timers.schedule(s);
  }

  orphan(addr: number, port: number, z4: string, rport: number): Session | undefined {
    return this.orphans.get(orphanKey(addr, port, z4, rport));
  }

  addOrphan(addr: number, port: number, y6: string, z4: string, rport: number, expires: number, stored: Buffer): Session {
    const key = orphanKey(addr, port, z4, rport);
    const s: Session = {
      proto: 'tcp',
      bib: undefined,
      addr,
      v4: this.pool.addresses[addr].address,
      v4port: port,
      y6,
      z4,
      rport,
      key,
      state: TcpState.V4_INIT,
      expires,
      scheduled: 0,
      dead: false,
      stored,
      counted: false,
    };
    this.orphans.set(key, s);
    this.timers.schedule(s);
    return s;
  }

  /** Attach an orphan V4 INIT session to the BIB entry that now owns its (T,t). */
  adopt(s: Session, bib: Bib): void {
    const k = orphanKey(s.addr, s.v4port, s.z4, s.rport);
    if (this.orphans.get(k) === s) this.orphans.delete(k);
    s.bib = bib;
    s.key = sessionKey(bib.proto, s.z4, s.rport);
    bib.sessions.set(s.key, s);
  }

  bibSnapshot(): BibEntry[] {
    const out: BibEntry[] = [];
    for (const proto of ['tcp', 'udp', 'icmp'] as Protocol[]) {
      for (const b of this.t[proto].by4.values()) {
        out.push({ protocol: proto, v6: { address: b.v6, port: b.v6port }, v4: { address: b.v4, port: b.v4port }, static: b.isStatic });
      }
    }
    return out;
  }

  sessionSnapshot(): SessionEntry[] {
    const out: SessionEntry[] = [];
    const add = (s: Session) => {
      const b = s.bib;
      // ICMP: the identifiers stand in for the ports (i1 on the IPv6 side, i2 on the IPv4 side).
      const p6 = b ? b.v6port : 0;
      const icmp = s.proto === 'icmp';
      out.push({
        protocol: s.proto,
        v6: { src: b ? b.v6 : '', sport: p6, dst: s.y6, dport: icmp ? p6 : s.rport },
        v4: { src: s.v4, sport: s.v4port, dst: s.z4, dport: icmp ? s.v4port : s.rport },
        ...(s.proto === 'tcp' ? { state: TCP_STATE_NAME[s.state] } : {}),
        expires: s.expires,
      });
    };
    for (const proto of ['tcp', 'udp', 'icmp'] as Protocol[]) {
      for (const b of this.t[proto].by4.values()) for (const s of b.sessions.values()) add(s);
    }
    for (const s of this.orphans.values()) add(s);
    return out;
  }

  /** Every live BIB entry of a protocol (for scans that are not per packet). */
  bibs(proto: Protocol): IterableIterator<Bib> {
    return this.t[proto].by4.values();
  }
}
