/**
 * The RFC 6146 §3.5.4 address algorithm for the engine: RFC 6052 §2.3
 * embedding under the configured Pref64::/n, and the RFC 6052 §3.1 rule
 * that the Well-Known Prefix never carries a non-global IPv4 address.
 *
 * Works on canonical text (what the codec produces) with small caches, so a
 * busy flow does not re-parse its addresses on every packet.
 */
import { formatIPv4, formatIPv6, inPrefix, parseIPv4, parseIPv6 } from '../../harness/packet/address';
import { Pref64, embed, ipv4EmbeddingAllowed, isWellKnownPrefix, parsePref64 } from '../../harness/packet/rfc6052';
import type { FaultFlags } from './flags';

const CACHE_MAX = 4096;

function remember<K, V>(m: Map<K, V>, k: K, v: V): V {
  if (m.size >= CACHE_MAX) m.clear();
  m.set(k, v);
  return v;
}

/** Byte offsets of the four IPv4 octets for a prefix length (RFC 6052 §2.2 Figure 1, u-octet skipped). */
function offsets(length: number): number[] {
  if (length === 96) return [12, 13, 14, 15];
  const out: number[] = [];
  for (let i = length / 8; out.length < 4; i++) if (i !== 8) out.push(i);
  return out;
}

export class Pref64Map {
  readonly prefix: Pref64;
  readonly text: string;
  readonly wellKnown: boolean;
  private readonly off: number[];
  /** IPv6 text -> embedded IPv4 text, or '' when outside the prefix. */
  private readonly v6cache = new Map<string, string>();
  private readonly v4cache = new Map<string, string>();
  private readonly allowCache = new Map<string, boolean>();

  constructor(
    text: string,
    private readonly flags: Partial<FaultFlags> = {},
  ) {
    this.prefix = parsePref64(text);
    this.text = text;
    this.wellKnown = isWellKnownPrefix(this.prefix);
    this.off = offsets(this.prefix.length);
  }

  /** The IPv4 address embedded in `ipv6`, or undefined when `ipv6` is not inside Pref64::/n. */
  extract(ipv6: string): string | undefined {
    let v = this.v6cache.get(ipv6);
    if (v === undefined) {
      const a = parseIPv6(ipv6);
      v = inPrefix(a, this.prefix) ? formatIPv4(Buffer.from(this.off.map((o) => a[o]))) : '';
      // FAULT extract-octets-reversed: the IPv4 octets are read in reverse order (a missing byte swap).
      if (v && this.flags.extractOctetsReversed) v = v.split('.').reverse().join('.');
      // FAULT nonzero-suffix-rejected: an address with u octet or suffix bits set is not taken as ours (RFC 6052 §2.2 says ignore them).
      if (v && this.flags.nonzeroSuffixRejected && this.prefix.length < 96 && !a.subarray(8).every((b, i) => this.off.includes(i + 8) || b === 0)) v = '';
      remember(this.v6cache, ipv6, v);
    }
    return v === '' ? undefined : v;
  }

  contains(ipv6: string): boolean {
    return this.extract(ipv6) !== undefined;
  }

  /** The IPv6 representation of `ipv4` (RFC 6052 §2.3, zero suffix). */
  embed(ipv4: string): string {
    let v = this.v4cache.get(ipv4);
    if (v === undefined) v = remember(this.v4cache, ipv4, this.compose(ipv4));
    return v;
  }

  private compose(ipv4: string): string {
    // FAULT embed-octets-reversed: the IPv4 octets are written in reverse order (a missing byte swap).
    const v4 = this.flags.embedOctetsReversed ? ipv4.split('.').reverse().join('.') : ipv4;
    const text = embed(this.prefix, v4);
    if (!this.flags.embedReservedBitsSet || this.prefix.length === 96) return text;
    // FAULT embed-reserved-bits-set: the u octet and the suffix keep stale bits (an unzeroed buffer).
    const a = parseIPv6(text);
    for (let i = 8; i < 16; i++) if (!this.off.includes(i)) a[i] = 0x5a;
    return formatIPv6(a);
  }

  /** RFC 6052 §3.1: false when Pref64 is the WKP and `ipv4` is non-global (so the packet must be dropped). */
  allowed(ipv4: string): boolean {
    if (!this.wellKnown) return true;
    let v = this.allowCache.get(ipv4);
    if (v === undefined) v = remember(this.allowCache, ipv4, ipv4EmbeddingAllowed(this.prefix, ipv4));
    return v;
  }
}

/** IPv4 text as a 32-bit unsigned number. */
export function v4num(ipv4: string): number {
  return parseIPv4(ipv4).readUInt32BE(0);
}
