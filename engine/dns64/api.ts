/**
 * The in-process interface of the project's own DNS64 (RFC 6147, with
 * RFC 8880 ipv4only.arpa). It is a forwarding resolver: it sends queries to
 * configured upstream servers through an injected transport, synthesises
 * AAAA and PTR answers, validates DNSSEC when configured, and caches. Clock,
 * randomness and transport are injected, so the same core runs in-process on
 * a virtual clock and as a daemon on sockets.
 */
import type { Clock, RandomInt } from '../api';

export interface Dns64PrefixConfig {
  /** Pref64::/n of an RFC 6052 length. */
  prefix: string;
  /** IPv4 ranges this prefix serves (RFC 6147 §5.2); absent = the default prefix. */
  ipv4?: string[];
}

export interface Dns64Config {
  /** At least one; with none configured the well-known prefix 64:ff9b::/96 is used (RFC 6147 §5.2). */
  prefixes: Dns64PrefixConfig[];
  /** AAAA ranges treated as absent (§5.1.4); ::ffff:0:0/96 always, configured ranges added to it. */
  exclude: string[];
  /** Upstream servers, tried in order ("127.0.0.2", port 53 by default). */
  upstream: { address: string; port: number }[];
  /** Per-try timeout and number of tries per upstream query. */
  upstreamTimeoutMs: number;
  upstreamTries: number;
  /** Validate DNSSEC before synthesising (§5.5), with these trust anchors (DS records in presentation format). */
  dnssec: { validate: boolean; trustAnchors: string[] };
  /** Client prefixes allowed to query (IPv4 or IPv6 CIDR); others get REFUSED. Default: everyone (the daemon listens on loopback by default). */
  acl: string[];
  /** Cache entries at most; 0 disables the cache. */
  cacheEntries: number;
  /** Daemon only: where to listen (UDP and TCP). */
  listen: { address: string; port: number }[];
  /** Named faults (engine/dns64/faults.ts), for proving that each DNS64 case can fail. */
  faults: string[];
  /**
   * 'dns64' (default) or 'forwarder': a plain forwarding resolver with no
   * synthesis and no special names (RFC 8880 §7.1 item 4 "traditional"
   * resolvers), for the cases that compare the two.
   */
  mode?: 'dns64' | 'forwarder';
}

export type DnsTransport = 'udp' | 'tcp';

/** How the DNS64 reaches its upstream servers: one query, one response (or none in time). */
export interface UpstreamTransport {
  /**
   * Send `bytes` to `server` from `sourcePort` (chosen by the DNS64, random per
   * query) and resolve with the response bytes, or undefined after `timeoutMs`.
   */
  exchange(
    server: { address: string; port: number },
    bytes: Buffer,
    opts: { transport: DnsTransport; sourcePort: number; timeoutMs: number },
  ): Promise<Buffer | undefined>;
}

export interface Dns64Deps {
  clock: Clock;
  random: RandomInt;
  upstream: UpstreamTransport;
  /**
   * Wall-clock milliseconds since 1970, for RRSIG validity periods only
   * (the cache runs on `clock`). Default: the real time at creation plus
   * whatever `clock` advanced since, so a virtual clock still moves it.
   */
  wallTime?: () => number;
}

export interface ClientInfo {
  address: string;
  port: number;
  transport: DnsTransport;
}

export interface Dns64Server {
  /** Answer one client query; undefined = no answer at all (dropped). */
  handle(query: Buffer, client: ClientInfo): Promise<Buffer | undefined>;
  /** Drop the cache (between cases). */
  flush(): void;
}
