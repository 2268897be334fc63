/**
 * The DNS64 case model: a case sends DNS queries to the DNS64 under test
 * through a Dns64Session, sees the upstream queries the harness authority
 * received, and records one check per requirement it verifies. Evidence is
 * the query/response pairs and the upstream queries, decoded, and a pcap.
 */
import type * as dnsPacket from 'dns-packet';
import type { Dns64EffectiveConfig, Dns64Needs, DnsTransport } from '../dns/types';

/** A DNS message the case sent or saw, with its place in the evidence. */
export interface DnsSeen {
  index: number;
  /** client→DNS64 query, DNS64→client response, DNS64→authority upstream query. */
  role: 'query' | 'response' | 'upstream';
  transport: DnsTransport;
  bytes: Buffer;
  /** Undefined when the bytes do not decode (the evidence shows the hex and the decode error). */
  message?: dnsPacket.Packet;
  decodeError?: string;
  timeUs: number;
}

export interface QueryOptions {
  /** Default 'udp'. */
  transport?: DnsTransport;
  /** Class; default IN. */
  class?: string;
  /** EDNS(0) OPT record: false for none; default: EDNS with 1232-octet payload, DO clear. */
  edns?: false | { udpPayloadSize?: number };
  /** DNSSEC OK (needs EDNS). */
  do?: boolean;
  /** Checking Disabled. */
  cd?: boolean;
  /** AD bit in the query (RFC 6840 §5.7). */
  ad?: boolean;
  /** Recursion Desired; default true. */
  rd?: boolean;
  /** Source address among the lab's clients. */
  client?: string;
  timeoutMs?: number;
}

export interface DnsExchange {
  query: DnsSeen;
  /** Undefined when the DNS64 did not answer in time. */
  response?: DnsSeen;
  /** Upstream queries the authority saw while this exchange ran. */
  upstream: DnsSeen[];
}

export interface DnsCaseContext {
  readonly config: Dns64EffectiveConfig;
  /** Ask the DNS64 one question and collect its answer and the upstream queries it caused. */
  query(name: string, type: string, opts?: QueryOptions): Promise<DnsExchange>;
  /** Send raw query bytes (malformed or unusual messages). */
  queryRaw(bytes: Buffer, opts?: Pick<QueryOptions, 'transport' | 'client' | 'timeoutMs'>): Promise<DnsExchange>;
  /**
   * Try a configuration on the target without running with it: requirements
   * such as "a prefix longer than /96 is refused" are checked by the refusal.
   * The case is na when the target cannot express the configuration at all.
   */
  attempt(needs: Dns64Needs): Promise<{ accepted: true; config: Dns64EffectiveConfig } | { accepted: false; reason: string }>;
  /** Let time pass: the virtual clock where there is one, else a real wait up to the limit, else na. */
  elapse(ms: number): Promise<void>;
  /** Record a yes/no check with a one-line detail. */
  expect(requirements: string | string[], label: string, ok: boolean, detail: string, seen?: DnsSeen[]): boolean;
  /** Record what the server does for a MAY requirement (reported, never scored). */
  behaviour(requirement: string, label: string, detail: string, seen?: DnsSeen[]): void;
  naCheck(requirements: string | string[], label: string, reason: string): void;
  na(reason: string): never;
  note(text: string): void;
}

export interface DnsCaseDef {
  kind: 'dns64';
  id: string;
  suite: string;
  title: string;
  requirements: string[];
  needs?: Dns64Needs;
  run(t: DnsCaseContext): Promise<void>;
}
