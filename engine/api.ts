/**
 * The in-process interface of the project's own stateful NAT64 (RFC 6146).
 * A translator is created from a validated config, an injected clock and an
 * injected random source; packets are pushed in on side 6 or side 4 and the
 * packets that come out (on either side) are returned.
 */
import { Side } from '../harness/packet/types';

export type Protocol = 'tcp' | 'udp' | 'icmp';

export type FilteringMode = 'endpoint-independent' | 'address-dependent';

/** An inclusive port (or ICMP identifier) range. */
export interface PortRange {
  min: number;
  max: number;
}

export interface Pool4Entry {
  /** One IPv4 address or a prefix such as "198.18.0.0/30". */
  address: string;
  /** Per-protocol ranges; default 1-65535 for TCP/UDP, 0-65535 for ICMP identifiers. */
  ports?: Partial<Record<Protocol, PortRange>>;
}

export interface StaticBibEntry {
  protocol: Protocol;
  v6: { address: string; port: number };
  v4: { address: string; port: number };
}

/** Timeouts in seconds (RFC 6146 §4 names and bounds). */
export interface Timeouts {
  udp: number; // UDP_DEFAULT 300, minimum UDP_MIN 120
  tcpEstablished: number; // TCP_EST 7200, minimum 7200 (+ TCP_TRANS after the probe = RFC 5382's 2 h 4 min)
  tcpTransitory: number; // TCP_TRANS 240, minimum 240
  tcpIncomingSyn: number; // TCP_INCOMING_SYN 6
  icmp: number; // ICMP_DEFAULT 60
  fragment: number; // FRAGMENT_MIN 2
}

export interface EngineConfig {
  /** Pref64::/n: the well-known prefix or a network-specific one of an RFC 6052 length. */
  pool6: string;
  pool4: Pool4Entry[];
  staticBib: StaticBibEntry[];
  filtering: FilteringMode;
  timeouts: Timeouts;
  /**
   * RFC 7915 §4.1 / §5.1: the TOS / Traffic Class octet is copied by default;
   * 'zero' is the administrator's option to clear it.
   */
  trafficClass: 'copy' | 'zero';
  /** Next-hop MTUs of the two interfaces and lowest-ipv6-mtu (RFC 7915 §4, default 1280). */
  mtu: { ipv6: number; ipv4: number; lowestIpv6: number };
  /** Deliberate defects, to prove that conformance cases can fail (see engine/faults.ts). */
  faults: string[];
}

/** A BIB entry as the engine reports it (RFC 6146 §3.1). */
export interface BibEntry {
  protocol: Protocol;
  v6: { address: string; port: number };
  v4: { address: string; port: number };
  static: boolean;
}

/** A session table entry (RFC 6146 §3.2); `expires` is on the engine clock, in ms. */
export interface SessionEntry {
  protocol: Protocol;
  v6: { src: string; sport: number; dst: string; dport: number };
  v4: { src: string; sport: number; dst: string; dport: number };
  state?: string;
  expires: number;
}

/** A packet that leaves the translator. */
export interface Emitted {
  side: Side;
  bytes: Buffer;
}

/** Milliseconds on the engine's clock; virtual in tests, Date.now() in the daemon. */
export interface Clock {
  now(): number;
}

/** Uniform random integer in [0, n); injected so port choice is reproducible in tests. */
export type RandomInt = (n: number) => number;

export interface Translator {
  /** Push one packet in on a side; returns what comes out, in order. Never throws on bad input. */
  push(side: Side, bytes: Buffer): Emitted[];
  bib(): BibEntry[];
  sessions(): SessionEntry[];
  /** Drops expired state as of the clock's now; returns packets emitted on expiry (e.g. held SYNs answered). */
  expire(): Emitted[];
  readonly config: EngineConfig;
}
