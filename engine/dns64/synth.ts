/**
 * Address synthesis (RFC 6147 §5.1.4, §5.1.7, §5.2, §5.3.1): exclusion
 * ranges, the choice of Pref64 per IPv4 range, RFC 6052 embedding and the
 * ip6.arpa name parsing for PTR synthesis.
 */
import { formatIPv4, formatIPv6, inPrefix, parseIPv4, parseIPv6, parsePrefix, Prefix } from '../../harness/packet/address';
import { embedBytes, extract, ipv4EmbeddingAllowed, parsePref64, Pref64, WELL_KNOWN_PREFIX } from '../../harness/packet/rfc6052';
import type { Dns64Config } from './api';
import { MAPPED_RANGE } from './config';

export interface PrefixRule {
  pref64: Pref64;
  /** IPv4 ranges served; empty = the default prefix. */
  ranges: Prefix[];
}

export interface Synthesizer {
  readonly rules: PrefixRule[];
  /** AAAA address excluded (§5.1.4)? */
  excluded(aaaa: string): boolean;
  /** The Pref64 an IPv4 address is synthesised under (§5.1.7 "MUST check each A RR against configured IPv4 ranges"). */
  prefixFor(ipv4: string): Pref64;
  /** RFC 6052 representation, or undefined when §3.1 of RFC 6052 forbids it (non-global under the WKP). */
  synthesize(ipv4: string, random: (n: number) => number): string | undefined;
  /** Every prefix in use (ipv4only.arpa answers one pair per prefix, RFC 8880 §7.1). */
  allPrefixes(): Pref64[];
  /** The IPv4 address embedded in `ipv6` when it lies under a prefix in use or the WKP (§5.3.1). */
  embeddedIpv4(ipv6: string): string | undefined;
}

/** A Pref64 parsed without the RFC 6052 length check (only reachable through the accept-long-prefix fault). */
function loosePref64(text: string): Pref64 {
  try {
    return parsePref64(text, 'dns64 prefix');
  } catch {
    const p = parsePrefix(text);
    return { family: 6, bytes: p.bytes, length: 96 } as Pref64;
  }
}

export function createSynthesizer(config: Dns64Config, faults: Set<string>): Synthesizer {
  // §5.2: with no prefix configured, the Well-Known Prefix.
  // FAULT dns64-no-wkp-fallback: a network-specific prefix instead.
  const fallback = faults.has('dns64-no-wkp-fallback') ? '2001:db8:64::/96' : WELL_KNOWN_PREFIX;
  const configured = config.prefixes.length ? config.prefixes : [{ prefix: fallback }];
  let rules: PrefixRule[] = configured.map((p) => ({ pref64: loosePref64(p.prefix), ranges: (p.ipv4 ?? []).map((r) => parsePrefix(r)) }));
  // FAULT wkp-always: 64:ff9b::/96 whatever is configured.
  if (faults.has('wkp-always')) rules = [{ pref64: parsePref64(WELL_KNOWN_PREFIX), ranges: [] }];
  const defaultRule = rules.find((r) => r.ranges.length === 0) ?? rules[0];
  // FAULT exclusion-config-ignored / no-default-exclusion.
  let exclude = config.exclude;
  if (faults.has('exclusion-config-ignored')) exclude = exclude.filter((e) => e === MAPPED_RANGE);
  if (faults.has('no-default-exclusion')) exclude = exclude.filter((e) => e !== MAPPED_RANGE);
  const excludes = exclude.map((e) => parsePrefix(e));
  // FAULT drop-pref64-aaaa: AAAA records under a prefix in use count as excluded.
  if (faults.has('drop-pref64-aaaa')) excludes.push(...rules.map((r) => r.pref64));

  const prefixFor = (ipv4: string): Pref64 => {
    // FAULT range-prefixes-ignored: the first prefix for every address.
    if (faults.has('range-prefixes-ignored')) return rules[0].pref64;
    const v4 = parseIPv4(ipv4);
    // Most specific range wins, so "10/8 under A, 10.1/16 under B" works as written.
    let best: { rule: PrefixRule; len: number } | undefined;
    for (const rule of rules) for (const r of rule.ranges) if (inPrefix(v4, r) && (!best || r.length > best.len)) best = { rule, len: r.length };
    return (best?.rule ?? defaultRule).pref64;
  };

  return {
    rules,
    excluded: (aaaa) => {
      const a = parseIPv6(aaaa);
      return excludes.some((p) => inPrefix(a, p));
    },
    prefixFor,
    synthesize(ipv4, random) {
      const p = prefixFor(ipv4);
      // RFC 6052 §3.1: no WKP representation of non-global IPv4 addresses.
      // FAULT wkp-nonglobal-synth: formed anyway.
      if (!faults.has('wkp-nonglobal-synth') && !ipv4EmbeddingAllowed(p, ipv4)) return undefined;
      // FAULT synth-octets-reversed: the octets go in backwards.
      const v4 = faults.has('synth-octets-reversed') ? formatIPv4(Buffer.from(parseIPv4(ipv4)).reverse()) : ipv4;
      const bytes = embedBytes(p, v4);
      // FAULT unstable-synthesis: a per-query random value where RFC 6052 has zeros or prefix bits.
      if (faults.has('unstable-synthesis')) {
        if (p.length === 96) bytes.writeUInt16BE(1 + random(65535), 10);
        else bytes[15] = 1 + random(255);
      }
      return formatIPv6(bytes);
    },
    allPrefixes: () => rules.map((r) => r.pref64),
    embeddedIpv4(ipv6) {
      const a = parseIPv6(ipv6);
      // §5.3.1: the local prefixes and the Well-Known Prefix.
      const candidates = [...rules.map((r) => r.pref64), parsePref64(WELL_KNOWN_PREFIX)];
      const hit = candidates.filter((p) => inPrefix(a, p)).sort((x, y) => y.length - x.length)[0];
      return hit ? extract(hit, ipv6) : undefined;
    },
  };
}

/**
 * The IPv6 address an ip6.arpa name spells (RFC 3596 §2.5: 32 nibble
 * labels, least significant first), or undefined for anything else.
 */
export function ip6ArpaAddress(qname: string): string | undefined {
  const l = qname.toLowerCase().replace(/\.$/, '').split('.');
  if (l.length !== 34 || l[32] !== 'ip6' || l[33] !== 'arpa') return undefined;
  if (!l.slice(0, 32).every((n) => /^[0-9a-f]$/.test(n))) return undefined;
  const hex = l.slice(0, 32).reverse().join('');
  return formatIPv6(Buffer.from(hex, 'hex'));
}

export function inAddrArpa(ipv4: string): string {
  return `${ipv4.split('.').reverse().join('.')}.in-addr.arpa`;
}
