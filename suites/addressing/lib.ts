/**
 * Shared pieces of the addressing suite: the RFC 6052 vectors for the lab
 * server, written out by hand so the cases do not check the engine against
 * the harness's own embedding code, and small predicates on address bytes.
 */
import { LAB } from '../../harness/lab/addressing';
import { parseIPv6 } from '../../harness/packet/address';
import { T } from '../../harness/packet/compare';
import type { Tolerance } from '../../harness/packet/compare';
import type { Packet } from '../../harness/packet/types';
import type { Exchange, Seen } from '../../harness/runner/case';

/** The IPv4 server every vector embeds: 198.18.100.10 = c6.12.64.0a. */
export const S4 = LAB.server4[0];
export const CLIENT = LAB.client6[0];

export interface Pref64Vector {
  length: 32 | 40 | 48 | 56 | 64 | 96;
  /** The Pref64 the target is configured with. */
  prefix: string;
  /** S4 embedded under `prefix` (RFC 6052 §2.2 Figure 1), canonical RFC 5952 text. */
  embedded: string;
  /** The same address with non-zero suffix bits (prefixes shorter than /96 only). */
  withSuffix?: string;
}

/*
 * The prefixes are those of RFC 6052 §2.4 Table 1, except /32: 2001:db8::/32
 * would contain the lab clients (2001:db8:6::/64), whose packets a NAT64 must
 * then drop (RFC 6146 §3.5), so /32 uses 3fff:64::/32 from the RFC 9637
 * documentation block. Table 1's own column (192.0.2.33) checks the layout of
 * these literals: the same octet positions hold c6 12 64 0a here.
 *
 *   /32  prefix 0-31,  v4 32-63,            u 64-71, suffix 72-127
 *   /40  prefix 0-39,  v4 40-63 + 72-79,    u 64-71, suffix 80-127
 *   /48  prefix 0-47,  v4 48-63 + 72-87,    u 64-71, suffix 88-127
 *   /56  prefix 0-55,  v4 56-63 + 72-95,    u 64-71, suffix 96-127
 *   /64  prefix 0-63,  u 64-71, v4 72-103,           suffix 104-127
 *   /96  prefix 0-95,  v4 96-127 (no u octet or suffix of its own)
 */
export const VECTORS: Pref64Vector[] = [
  { length: 32, prefix: '3fff:64::/32', embedded: '3fff:64:c612:640a::', withSuffix: '3fff:64:c612:640a:ab:cdef:1234:5678' },
  { length: 40, prefix: '2001:db8:100::/40', embedded: '2001:db8:1c6:1264:a::', withSuffix: '2001:db8:1c6:1264:a:abcd:ef12:3456' },
  { length: 48, prefix: '2001:db8:122::/48', embedded: '2001:db8:122:c612:64:a00::', withSuffix: '2001:db8:122:c612:64:aab:cdef:1234' },
  { length: 56, prefix: '2001:db8:122:300::/56', embedded: '2001:db8:122:3c6:12:640a::', withSuffix: '2001:db8:122:3c6:12:640a:abcd:ef12' },
  { length: 64, prefix: '2001:db8:122:344::/64', embedded: '2001:db8:122:344:c6:1264:a00:0', withSuffix: '2001:db8:122:344:c6:1264:a00:abcd' },
  { length: 96, prefix: '2001:db8:122:344::/96', embedded: '2001:db8:122:344::c612:640a' },
];

/** The configured network-specific prefix of the lab and S4 under it (2001:db8:64::/96). */
export const LAB_NSP = LAB.pool6;
export const S4_UNDER_LAB_NSP = '2001:db8:64::c612:640a';

/** The Well-Known Prefix and a global lab IPv4 server under it: 100.0.0.10 = 64.00.00.0a. */
export const WKP = LAB.wellKnownPrefix;
export const S4_GLOBAL = LAB.server4Global[0];
export const S4_GLOBAL_UNDER_WKP = '64:ff9b::6400:a';
export const S4_GLOBAL2 = LAB.server4Global[1];
export const S4_GLOBAL2_UNDER_WKP = '64:ff9b::6400:b';

/** Byte offset where the suffix starts for a prefix length shorter than 96. */
export function suffixStart(length: number): number {
  return length === 64 ? 13 : length / 8 + 5;
}

/** Bits 64-71 of an IPv6 address (RFC 6052 §2.2 "u" octet) are zero. */
export function uOctetZero(): Tolerance {
  return T.matches<string>((a) => typeof a === 'string' && parseIPv6(a)[8] === 0, 'bits 64-71 (the u octet, byte 8) all zero (RFC 6052 §2.2)');
}

/** The suffix bits after the embedded IPv4 address are all zero. */
export function suffixZero(length: number): Tolerance {
  const from = suffixStart(length);
  return T.matches<string>(
    (a) => typeof a === 'string' && parseIPv6(a).subarray(from).every((b) => b === 0),
    `suffix bytes ${from}-15 (bits ${from * 8}-127) all zero (RFC 6052 §2.2)`,
  );
}

/** UDP from an IPv6 client to an explicit IPv6 destination. */
export function udpTo(dst: string, opts: { src?: string; sport?: number; dport?: number; payload?: string } = {}): Packet {
  return {
    ipv6: { src: opts.src ?? CLIENT, dst, hopLimit: 64 },
    udp: { sport: opts.sport ?? 40000, dport: opts.dport ?? 7 },
    payload: Buffer.from(opts.payload ?? 'nat64lab addressing probe'),
  };
}

/** UDP from an IPv4 host to a pool address and port. */
export function udpFrom4(src: string, dst: string, sport: number, dport: number, payload = 'nat64lab addressing reply'): Packet {
  return { ipv4: { src, dst, ttl: 64 }, udp: { sport, dport }, payload: Buffer.from(payload) };
}

/** Everything that came out, for "nothing was translated" checks, as one line. */
export function outputs(ex: Exchange): string {
  const n4 = ex.out4.length;
  const n6 = ex.out6.length;
  return n4 + n6 === 0 ? 'nothing came out on either side' : `${n4} packet(s) on the IPv4 side, ${n6} on the IPv6 side`;
}

/** The single translated packet of an exchange on a side, or undefined. */
export function single(list: Seen[]): Seen | undefined {
  return list.length === 1 ? list[0] : undefined;
}
