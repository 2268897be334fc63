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
  tcpTransitory: number; // TCP_TRANS 240, minimum 240: closing phase, after a RST, after the probe
  /** Partially open (V6 INIT, forwarded V4 INIT): "at least TCP_TRANS", a setting apart from the closing one (RFC 7857 §2.1); default and minimum 240. */
  tcpInit: number;
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
  /** Octets of fragments held for reassembly at most (RFC 6146 §3.4 MUST limit; engine/nat64/fragments.ts, default 4 MiB). */
  fragmentMemory: number;
  /** Resource limits and port quarantine (RFC 6888 REQ-4/5/8, RFC 6146 §5.3); engine/nat64/limits.ts. */
  limits: Limits;
  /** ICMP errors the translator originates: sent toward each side or not, and rate-limited (engine/nat64/icmp-policy.ts). */
  icmpErrors: IcmpErrorPolicy;
  /** RFC 7422 deterministic port blocks per subscriber (engine/nat64/deterministic.ts); absent = off. */
  deterministic?: DeterministicConfig;
  /** Deliberate defects, to prove that conformance cases can fail (see engine/faults.ts). */
  faults: string[];
}

/**
 * RFC 7422 §2 deterministic mode, algorithm A = 0 (sequential): subscriber
 * number s of the inside range I gets global block s, block g lying on pool4
 * address floor(g / K) at ports firstPort + (g mod K) * portsPerSubscriber,
 * K = floor((65536 - firstPort) / portsPerSubscriber). Blocks N..N+D-1
 * (N = subscribers in I) form the dynamic overflow pool.
 */
export interface DeterministicConfig {
  /** Inside range I (IPv6 prefix). */
  inside: string;
  /** Prefix length that makes one subscriber (RFC 7422 §2: an IPv6 address or prefix). */
  subscriberPrefix: number;
  /** Ports of each subscriber's block (the 1/(C+D) share). */
  portsPerSubscriber: number;
  /** Ports below this are the reserved list R; at least 1024 (system ports). */
  firstPort: number;
  /** D: blocks kept for dynamic overflow; 0 disables the dynamic pool. */
  dynamicBlocks: number;
  /** M: maximum ports per subscriber and protocol (its block plus dynamic blocks). */
  maxPorts: number;
}

/** One answer of the RFC 7422 §2 test function: a subscriber and its external address + port range. */
export interface DeterministicBlock {
  /** The subscriber's IPv6 prefix (address/length). */
  subscriber: string;
  address: string;
  min: number;
  max: number;
}

/**
 * An entry of the engine's event log (engine/nat64/events.ts): mapping
 * creation/deletion, refusals (RFC 6888 REQ-11c notification), RFC 7422
 * configuration records and dynamic port blocks.
 */
export interface EngineEvent {
  /** Engine clock, ms since the Unix epoch. */
  time: number;
  type: 'mapping-created' | 'mapping-deleted' | 'mapping-refused' | 'deterministic-config' | 'dynamic-block' | 'session-created';
  fields: Record<string, string | number>;
  /** The log line as an operator would read it. */
  text: string;
}

/**
 * Resource limits (engine/nat64/limits.ts). A limit left out is not applied.
 * State beyond a limit is refused like an allocation failure: the packet is
 * dropped with ICMPv6 1/3 and existing state is never evicted (RFC 6888 REQ-11).
 */
export interface Limits {
  /** Prefix length that makes one subscriber (RFC 6888 REQ-4): 128 = each IPv6 address, 56 or 64 = a customer prefix. */
  subscriberPrefix: number;
  /** External ports (ICMP identifiers) per subscriber, per protocol (RFC 6888 REQ-4, 4a, 4b). */
  ports: Partial<Record<Protocol, number>>;
  /** Sessions per subscriber (RFC 6888 REQ-5). */
  sessions?: number;
  /** Sessions per mapping (BIB entry) (RFC 6888 REQ-5). */
  sessionsPerMapping?: number;
  /** New mappings per second per subscriber, bursts of one second's worth (RFC 6888 REQ-4c). */
  mappingRate?: number;
  /** New sessions per second per subscriber, bursts of one second's worth (RFC 6888 REQ-5b). */
  sessionRate?: number;
  /** Global caps on BIB entries, sessions and held IPv4 SYNs (RFC 6146 §5.3). */
  maxBib: number;
  maxSessions: number;
  maxHeldSyns: number;
  /** A port freed by a dynamic mapping is not reused for `seconds`; at most `maxPorts` are held back (RFC 6888 REQ-8). */
  quarantine: { seconds: number; maxPorts: number };
}

/**
 * ICMP errors the translator originates itself (RFC 7915 §4.4/§5.4 "sent,
 * rate-limited, or not sent"; RFC 5508 REQ-9 per-interface policy, REQ-10f
 * rate limiting). Translated errors are not affected.
 */
export interface IcmpErrorPolicy {
  /** Send originated ICMPv4 errors (toward the IPv4 side). Default true. */
  send4: boolean;
  /** Send originated ICMPv6 errors (toward the IPv6 side). Default true. */
  send6: boolean;
  /** Token bucket per side: errors per second, 0 for no limit. Default 100. */
  ratePerSecond: number;
  /** Errors that may leave at once. Default 10. */
  burst: number;
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
  /** The event log so far (mapping events, refusals, RFC 7422 records). */
  events?(): EngineEvent[];
  /** RFC 7422 §2 test function, both directions; only in deterministic mode. */
  deterministic?: {
    forward(v6: string): DeterministicBlock | undefined;
    reverse(address: string, port: number): DeterministicBlock | undefined;
  };
  readonly config: EngineConfig;
}
