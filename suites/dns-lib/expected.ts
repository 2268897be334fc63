/**
 * What a correct DNS64 answers, computed from the configuration the case ran
 * with and the lab's test data: the Pref64 an IPv4 address is synthesised
 * with (RFC 6147 §5.1.7 range selection, §5.2 well-known-prefix fallback),
 * the AAAA it becomes (RFC 6052 §2.2), and the TTL it carries (§5.1.7).
 */
import { inPrefix, parseIPv4, parseIPv6, parsePrefix } from '../../harness/packet/address';
import { WELL_KNOWN_PREFIX, embed } from '../../harness/packet/rfc6052';
import type { Dns64EffectiveConfig, Dns64Prefix } from '../../harness/dns/types';
import { DNS } from '../../harness/dns/names';

/**
 * §5.1.7: the prefix whose IPv4 ranges hold `ipv4` (most specific range
 * first); else the prefix that serves everything else; with no prefix at all,
 * the Well-Known Prefix (§5.2). Undefined when only range prefixes exist and
 * none matches (the RFC does not say what to synthesise then).
 */
export function prefixFor(config: Dns64EffectiveConfig, ipv4: string): { prefix: string; why: string } | undefined {
  if (config.prefixes.length === 0) return { prefix: WELL_KNOWN_PREFIX, why: 'no prefix configured: the Well-Known Prefix' };
  const v4 = parseIPv4(ipv4);
  let best: { p: Dns64Prefix; range: string; len: number } | undefined;
  for (const p of config.prefixes) {
    for (const range of p.ipv4 ?? []) {
      const r = parsePrefix(range);
      if (inPrefix(v4, r) && (!best || r.length > best.len)) best = { p, range, len: r.length };
    }
  }
  if (best) return { prefix: best.p.prefix, why: `Pref64 ${best.p.prefix} serves ${best.range}` };
  const dflt = config.prefixes.find((p) => !p.ipv4 || p.ipv4.length === 0);
  return dflt ? { prefix: dflt.prefix, why: `Pref64 ${dflt.prefix}` } : undefined;
}

/** The synthetic AAAA for one A record, with the reason, e.g. "2001:db8:64::6400:a (Pref64 2001:db8:64::/96 + 100.0.0.10)". */
export function synthesized(config: Dns64EffectiveConfig, ipv4: string): { address: string; why: string } | undefined {
  const p = prefixFor(config, ipv4);
  if (!p) return undefined;
  return { address: embed(p.prefix, ipv4), why: `${p.why} + ${ipv4}` };
}

export function synthesizedAll(config: Dns64EffectiveConfig, ipv4s: readonly string[]): string[] {
  return ipv4s.map((a) => synthesized(config, a)?.address ?? `(no prefix for ${a})`);
}

/** Every prefix synthesis may use: the configured ones, or the WKP when none is. */
export function prefixesInUse(config: Dns64EffectiveConfig): string[] {
  return config.prefixes.length === 0 ? [WELL_KNOWN_PREFIX] : config.prefixes.map((p) => p.prefix);
}

/**
 * §5.1.7: TTL = min(A TTL, TTL of the SOA that came with the AAAA negative
 * answer); with no SOA there, min(A TTL, 600) (a SHOULD). The SOA in a
 * negative answer carries min(SOA TTL, MINIMUM) (RFC 2308 §3), which for the
 * lab's zones is DNS.soa.minimum.
 */
export function synthTtl(aTtl: number, soaTtl: number | undefined): { ttl: number; why: string } {
  if (soaTtl === undefined) return { ttl: Math.min(aTtl, 600), why: `min(A TTL ${aTtl}, 600 s for a NODATA without SOA)` };
  return { ttl: Math.min(aTtl, soaTtl), why: `min(A TTL ${aTtl}, SOA TTL ${soaTtl} of the AAAA negative answer)` };
}

/** The TTL of the SOA in the lab authority's negative answers for dns64.test and signed.test. */
export const NEGATIVE_SOA_TTL = Math.min(DNS.soa.ttl, DNS.soa.minimum);

/** Reverse name (RFC 3596 §2.5) of an IPv6 address. */
export function ip6ArpaName(address: string): string {
  const hex = parseIPv6(address).toString('hex');
  return `${hex.split('').reverse().join('.')}.ip6.arpa`;
}

/** Reverse name (RFC 1035 §3.5) of an IPv4 address. */
export function inAddrArpaName(ipv4: string): string {
  return `${ipv4.split('.').reverse().join('.')}.in-addr.arpa`;
}
