/**
 * The DNS side of the lab: what a DNS64 case needs from a DNS64 under test,
 * the session it talks through, and what the harness's authoritative server
 * saw. A DNS64 case never talks to a server directly.
 *
 * Messages travel as wire bytes; decoding (dns-packet) is the harness's job,
 * so a malformed answer from a target is evidence, not a crash.
 */

/** One Pref64 and, optionally, the IPv4 ranges it serves (RFC 6147 §5.2 per-range prefixes). */
export interface Dns64Prefix {
  /** Pref64::/n, an RFC 6052 length (32, 40, 48, 56, 64, 96). */
  prefix: string;
  /** IPv4 prefixes ("100.0.0.0/8") whose A records are synthesised with this Pref64; absent = every address not claimed by another prefix. */
  ipv4?: string[];
}

/** Settings a DNS64 case asks for; anything left out is the target's lab default. */
export interface Dns64Needs {
  /** Default: one prefix, LAB.pool6 (2001:db8:64::/96). */
  prefixes?: Dns64Prefix[];
  /** Configure no prefix at all (to see the well-known-prefix fallback). */
  unsetPrefix?: boolean;
  /** AAAA ranges excluded from answers (RFC 6147 §5.1.4); default ::ffff:0:0/96 only. */
  exclude?: string[];
  /** Act as a validating resolver with the lab's trust anchor for signed.dns64.test (RFC 6147 §5.5). Default true. */
  validate?: boolean;
  /** The case advances time instantly (virtual clock) instead of waiting (cache TTL cases). */
  virtualClock?: boolean;
  /** Clients allowed to query; default the lab's networks. Cases about the ACL set this. */
  acl?: string[];
}

export interface Dns64Capabilities {
  /** RFC 6052 lengths the server can be configured with. */
  prefixLengths: number[];
  /** Several prefixes chosen by IPv4 range (§5.2). */
  perRangePrefixes: boolean;
  /** The exclusion list can be configured beyond the default. */
  exclusionConfig: boolean;
  /** Can run without validation / with the lab trust anchor. */
  validation: boolean;
  virtualClock: boolean;
  /** The server can start with no prefix configured. */
  unsetPrefix: boolean;
}

export interface Dns64EffectiveConfig {
  prefixes: Dns64Prefix[];
  exclude: string[];
  validate: boolean;
  /** Where the server listens ("127.0.0.1#5301", or "in-process"). */
  listen: string;
  /** Where its upstream (the harness authoritative server) is. */
  upstream: string;
  /** The server's configuration as generated for this case, for the report (text of named.conf, unbound.conf, ...). */
  generated?: string;
}

export type DnsTransport = 'udp' | 'tcp';

/** A query the harness's authoritative server received (from the DNS64 under test). */
export interface UpstreamQuery {
  timeUs: number;
  transport: DnsTransport;
  /** Source address and port the query came from. */
  from: { address: string; port: number };
  bytes: Buffer;
}

/** A response the session got back for one client query; `bytes` undefined when none came in time. */
export interface DnsReply {
  bytes?: Buffer;
  timeUs: number;
  transport: DnsTransport;
}

export interface Dns64Session {
  readonly config: Dns64EffectiveConfig;
  /**
   * Send a query (wire bytes) to the DNS64 and wait for its answer, up to
   * `timeoutMs` (default 3000 on real servers; in-process answers at once).
   * `client` picks the source address among the lab's client addresses
   * (default the first); an address outside the ACL tests refusal.
   */
  query(bytes: Buffer, opts: { transport: DnsTransport; client?: string; timeoutMs?: number }): Promise<DnsReply>;
  /** Upstream queries the harness authority received since the previous call (in arrival order). */
  upstream(): Promise<UpstreamQuery[]>;
  /** Microseconds on the session's clock (virtual or real). */
  nowUs(): number;
  /** Move a virtual clock forward; only when capabilities.virtualClock. */
  advance?(ms: number): Promise<void>;
  close(): Promise<void>;
}

export interface Dns64TargetDescription {
  name: string;
  version: string;
  config: Record<string, unknown>;
}

export interface Dns64Target {
  readonly name: string;
  readonly capabilities: Dns64Capabilities;
  describe(): Promise<Dns64TargetDescription>;
  /** Bring the lab up before the first case; throws LabUnavailable when this machine cannot (not root, a package missing). */
  start?(): Promise<void>;
  /**
   * Try a configuration without running a case with it: the effective
   * configuration when the server takes it, ConfigRefused (with the server's
   * own one-line complaint) when it refuses it, NotApplicable when the
   * server's configuration cannot even express it. Leaves an open session alone.
   */
  validate?(needs: Dns64Needs): Promise<Dns64EffectiveConfig>;
  /** Configure for one case and return a session; throws NotApplicable (harness/lab/target) when needs cannot be met. */
  open(needs: Dns64Needs): Promise<Dns64Session>;
  /** Release everything (processes, namespaces). Safe to call twice. */
  shutdown(): Promise<void>;
}
