/**
 * RFC 6052: IPv4-embedded IPv6 addresses (Pref64::/n), the Well-Known
 * Prefix, and the §3.1 rule that the Well-Known Prefix must not carry
 * non-global IPv4 addresses.
 *
 * Every function returns canonical RFC 5952 text, the same text the codec
 * produces, so results can be compared with decoded packets by `===`.
 * `formatMixed` gives the dotted form RFC 6052 §2.4 uses for /96 prefixes.
 */

import {
  AddressError,
  Prefix,
  formatIPv4,
  formatIPv6,
  formatPrefix,
  inPrefix,
  ipv4ToNumber,
  parseIPv4,
  parseIPv6,
  parsePrefix,
} from './address';

export const WELL_KNOWN_PREFIX = '64:ff9b::/96';

/** The only prefix lengths RFC 6052 §2.2 defines a layout for. */
export const PREF64_LENGTHS = [32, 40, 48, 56, 64, 96] as const;
export type Pref64Length = (typeof PREF64_LENGTHS)[number];

/** A prefix that passed `parsePref64`: IPv6, a §2.2 length, u-octet and host bits zero. */
export interface Pref64 extends Prefix {
  readonly family: 6;
  readonly length: Pref64Length;
}

/** Bits 64-71 of the address (RFC 6052 §2.2). */
const U_OCTET = 8;

/**
 * Parse and validate a NAT64/DNS64 prefix. `label` names the setting in
 * error messages (e.g. "pool6", "dns64 prefix").
 */
export function parsePref64(text: string, label = 'pool6'): Pref64 {
  const where = `${label} "${text}"`;
  let p: Prefix;
  try {
    p = parsePrefix(text);
  } catch (e) {
    throw new AddressError(`${where}: not an IPv6 prefix (${(e as Error).message}); write it as address/length, e.g. ${WELL_KNOWN_PREFIX}`);
  }
  if (p.family !== 6) {
    throw new AddressError(`${where}: an IPv4 prefix; Pref64::/n must be an IPv6 prefix, e.g. ${WELL_KNOWN_PREFIX}`);
  }
  if (!(PREF64_LENGTHS as readonly number[]).includes(p.length)) {
    throw new AddressError(`${where}: RFC 6052 allows prefix lengths 32, 40, 48, 56, 64 or 96`);
  }
  // Checked before host bits: for /32-/64 the u-octet is also a host bit,
  // but naming it is the more useful message; for /96 it lies inside the
  // prefix and is the administrator's MUST in §2.2.
  if (p.bytes[U_OCTET] !== 0) {
    const fixed = Buffer.from(p.bytes);
    fixed[U_OCTET] = 0;
    throw new AddressError(
      `${where}: bits 64-71 (the u-octet) must be zero (RFC 6052 §2.2); use ${formatIPv6(fixed)}/${p.length}`,
    );
  }
  const masked = maskBytes(p.bytes, p.length);
  if (!masked.equals(p.bytes)) {
    throw new AddressError(`${where}: bits set beyond the /${p.length} prefix length; use ${formatIPv6(masked)}/${p.length}`);
  }
  return { family: 6, bytes: p.bytes, length: p.length as Pref64Length };
}

function maskBytes(bytes: Buffer, length: number): Buffer {
  const out = Buffer.alloc(bytes.length);
  for (let bit = 0; bit < length; bit++) out[bit >> 3] |= bytes[bit >> 3] & (0x80 >> (bit & 7));
  return out;
}

function asPref64(prefix: Pref64 | string): Pref64 {
  return typeof prefix === 'string' ? parsePref64(prefix) : prefix;
}

/** True only for exactly 64:ff9b::/96; 64:ff9b:1::/48 (RFC 8215) is a network-specific prefix. */
export function isWellKnownPrefix(prefix: Prefix | string): boolean {
  let p: Prefix;
  try {
    p = typeof prefix === 'string' ? parsePrefix(prefix) : prefix;
  } catch {
    return false;
  }
  return p.family === 6 && p.length === 96 && formatPrefix(p) === WELL_KNOWN_PREFIX;
}

/**
 * Byte offsets (into the 16-byte address) that hold the 4 IPv4 octets, in
 * order, for each prefix length: Figure 1, with octet 8 (u) skipped.
 */
function ipv4Offsets(length: Pref64Length): number[] {
  if (length === 96) return [12, 13, 14, 15];
  const offsets: number[] = [];
  for (let i = length / 8; offsets.length < 4; i++) if (i !== U_OCTET) offsets.push(i);
  return offsets;
}

/** Suffix size in bytes: what is left after prefix, IPv4 and u-octet (0 for /96). */
export function suffixLength(length: Pref64Length): number {
  return length === 96 ? 0 : 16 - length / 8 - 4 - 1;
}

/** Byte offset where the suffix starts: right after the last IPv4 octet. */
function suffixOffset(length: Pref64Length): number {
  return ipv4Offsets(length)[3] + 1;
}

/** RFC 6052 §2.3 composition, as bytes. */
export function embedBytes(prefix: Pref64 | string, ipv4: string, suffix?: Buffer): Buffer {
  const p = asPref64(prefix);
  const v4 = parseIPv4(ipv4);
  const need = suffixLength(p.length);
  if (suffix !== undefined && suffix.length !== need) {
    throw new AddressError(`suffix for a /${p.length} prefix is ${need} bytes, got ${suffix.length}`);
  }
  const out = Buffer.alloc(16); // u-octet and default suffix stay zero
  p.bytes.copy(out, 0, 0, p.length / 8);
  ipv4Offsets(p.length).forEach((off, i) => (out[off] = v4[i]));
  if (suffix) suffix.copy(out, suffixOffset(p.length));
  return out;
}

/**
 * IPv4-embedded IPv6 address for `ipv4` under `prefix`, canonical RFC 5952
 * text. The suffix defaults to zero (§2.2 SHOULD); pass one to build
 * addresses that test whether a translator ignores it.
 */
export function embed(prefix: Pref64 | string, ipv4: string, suffix?: Buffer): string {
  return formatIPv6(embedBytes(prefix, ipv4, suffix));
}

/** What an IPv4-embedded IPv6 address holds besides the IPv4 address. */
export interface Extracted {
  ipv4: string;
  /** Bits 64-71; always 0 for /96, where they are part of the prefix. */
  uOctet: number;
  /** Bits after the IPv4 address; empty for /96. */
  suffix: Buffer;
  /** Both u-octet and suffix are zero, as §2.2 requires of senders. */
  clean: boolean;
}

/**
 * Like `extract`, but reports the u-octet and suffix so a check can flag a
 * peer that sent them non-zero. Throws if `ipv6` is not inside `prefix`.
 */
export function extractDetailed(prefix: Pref64 | string, ipv6: string): Extracted {
  const p = asPref64(prefix);
  const a = parseIPv6(ipv6);
  if (!inPrefix(a, p)) throw new AddressError(`"${ipv6}" is not inside ${formatPrefix(p)}`);
  const v4 = Buffer.from(ipv4Offsets(p.length).map((off) => a[off]));
  const uOctet = p.length === 96 ? 0 : a[U_OCTET];
  const suffix = Buffer.from(a.subarray(suffixOffset(p.length)));
  return { ipv4: formatIPv4(v4), uOctet, suffix, clean: uOctet === 0 && suffix.every((b) => b === 0) };
}

/**
 * RFC 6052 §2.3 extraction. The u-octet and suffix are ignored, as §2.2
 * tells translators to do.
 */
export function extract(prefix: Pref64 | string, ipv6: string): string {
  return extractDetailed(prefix, ipv6).ipv4;
}

/**
 * RFC 4291 §2.2 alternative form ("x:x:x:x:x:x:d.d.d.d"), the way RFC 6052
 * §2.4 writes /96 addresses (e.g. 64:ff9b::192.0.2.33). Zero compression
 * follows RFC 5952 over the six hex groups only.
 */
export function formatMixed(ipv6: string | Uint8Array): string {
  const a = Buffer.from(typeof ipv6 === 'string' ? parseIPv6(ipv6) : ipv6);
  const v4 = formatIPv4(a, 12);
  // Non-zero stand-ins for the last two groups keep them out of the zero
  // run, so formatIPv6 compresses exactly as it would the six hex groups.
  a.writeUInt32BE(0xffffffff, 12);
  return formatIPv6(a).slice(0, -'ffff:ffff'.length) + v4;
}

/** An IPv4 range that is not globally reachable. */
export interface NonGlobalRange {
  prefix: string;
  name: string;
  rfc: string;
}

/*
 * What RFC 6052 §3.1 names, exactly: no literal prefix. It says "non-global
 * IPv4 addresses, such as those defined in [RFC1918] or listed in Section 3
 * of [RFC5735]". RFC 1918 gives 10/8, 172.16/12, 192.168/16. RFC 5735 §3
 * (not in /work/shared/rfc; list taken from the published RFC, not checked
 * against a local copy) lists 0/8, 10/8, 127/8, 169.254/16, 172.16/12,
 * 192.0.0/24, 192.0.2/24, 192.88.99/24, 192.168/16, 198.18/15,
 * 198.51.100/24, 203.0.113/24, 224/4, 240/4 and 255.255.255.255/32.
 *
 * Beyond that, from later documents and the IANA IPv4 Special-Purpose
 * Address Registry (RFC 6890, the successor of RFC 5735):
 * - 100.64/10 (RFC 6598, 2012; it updates RFC 5735 but postdates RFC 6052).
 * - 192.0.0.170/32 and 192.0.0.171/32 (RFC 7050), listed Global=False
 *   in the registry but inside 192.0.0/24 anyway; kept as their own rows for
 *   the name and for the exception in `ipv4EmbeddingAllowed`.
 * - The registry's Global flag for the ranges above, which it sets False
 *   for all of them. 224/4 is not in the special-purpose registry at all (it
 *   is in the multicast registry); it is here because RFC 5735 §3 lists it
 *   and a multicast address cannot be translated as unicast.
 *
 * Left out on purpose because the registry marks them globally reachable:
 * 192.88.99/24 (6to4 relay anycast, RFC 5735 §3 lists it, RFC 6890 says
 * Global=True, RFC 7526 deprecated it), and inside 192.0.0/24 (Global=False)
 * the two registry exceptions 192.0.0.9/32 (PCP anycast, RFC 7723) and
 * 192.0.0.10/32 (TURN anycast, RFC 8155), which are Global=True.
 */
export const NON_GLOBAL_IPV4: readonly NonGlobalRange[] = [
  { prefix: '0.0.0.0/8', name: '"This network"', rfc: 'RFC 791' },
  { prefix: '10.0.0.0/8', name: 'Private-Use', rfc: 'RFC 1918' },
  { prefix: '100.64.0.0/10', name: 'Shared Address Space', rfc: 'RFC 6598' },
  { prefix: '127.0.0.0/8', name: 'Loopback', rfc: 'RFC 1122' },
  { prefix: '169.254.0.0/16', name: 'Link Local', rfc: 'RFC 3927' },
  { prefix: '172.16.0.0/12', name: 'Private-Use', rfc: 'RFC 1918' },
  { prefix: '192.0.0.0/24', name: 'IETF Protocol Assignments', rfc: 'RFC 6890' },
  { prefix: '192.0.0.170/32', name: 'NAT64/DNS64 Discovery', rfc: 'RFC 7050' },
  { prefix: '192.0.0.171/32', name: 'NAT64/DNS64 Discovery', rfc: 'RFC 7050' },
  { prefix: '192.0.2.0/24', name: 'Documentation (TEST-NET-1)', rfc: 'RFC 5737' },
  { prefix: '192.168.0.0/16', name: 'Private-Use', rfc: 'RFC 1918' },
  { prefix: '198.18.0.0/15', name: 'Benchmarking', rfc: 'RFC 2544' },
  { prefix: '198.51.100.0/24', name: 'Documentation (TEST-NET-2)', rfc: 'RFC 5737' },
  { prefix: '203.0.113.0/24', name: 'Documentation (TEST-NET-3)', rfc: 'RFC 5737' },
  { prefix: '224.0.0.0/4', name: 'Multicast', rfc: 'RFC 5771' },
  { prefix: '240.0.0.0/4', name: 'Reserved', rfc: 'RFC 1112' },
  { prefix: '255.255.255.255/32', name: 'Limited Broadcast', rfc: 'RFC 919' },
];

/** Registry Global=True entries nested inside a Global=False block. */
export const GLOBAL_IPV4_EXCEPTIONS: readonly NonGlobalRange[] = [
  { prefix: '192.0.0.9/32', name: 'Port Control Protocol Anycast', rfc: 'RFC 7723' },
  { prefix: '192.0.0.10/32', name: 'Traversal Using Relays around NAT Anycast', rfc: 'RFC 8155' },
];

/** The RFC 7050 well-known IPv4 addresses of ipv4only.arpa. */
export const PREF64_DISCOVERY_IPV4 = ['192.0.0.170', '192.0.0.171'] as const;

interface Compiled {
  range: NonGlobalRange;
  base: number;
  mask: number;
  length: number;
}

function compile(range: NonGlobalRange): Compiled {
  const [addr, len] = range.prefix.split('/');
  const length = Number(len);
  const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
  return { range, base: ipv4ToNumber(addr), mask, length };
}

const NON_GLOBAL = NON_GLOBAL_IPV4.map(compile);
const EXCEPTIONS = GLOBAL_IPV4_EXCEPTIONS.map(compile);

function longestMatch(table: Compiled[], n: number): Compiled | undefined {
  let best: Compiled | undefined;
  for (const c of table) if (((n & c.mask) >>> 0) === c.base && (!best || c.length > best.length)) best = c;
  return best;
}

/**
 * The most specific non-global range holding `ipv4`, or undefined when the
 * address is global (including the 192.0.0.9 and 192.0.0.10 exceptions).
 */
export function nonGlobalRange(ipv4: string): NonGlobalRange | undefined {
  const n = ipv4ToNumber(ipv4);
  if (longestMatch(EXCEPTIONS, n)) return undefined;
  return longestMatch(NON_GLOBAL, n)?.range;
}

export function isGlobalIPv4(ipv4: string): boolean {
  return nonGlobalRange(ipv4) === undefined;
}

/**
 * RFC 6052 §3.1: may `ipv4` be represented under `prefix`? Only the
 * Well-Known Prefix is restricted; network-specific prefixes may carry any
 * address.
 *
 * Exception: 192.0.0.170 and 192.0.0.171 are allowed under the WKP although
 * the registry lists them Global=False, because RFC 7050 Appendix B chose
 * them so that DNS64 would synthesize them with the WKP, and RFC 8880 §7.1
 * requires DNS64 to answer ipv4only.arpa AAAA with them (its Appendix A
 * zone has 64:ff9b::192.0.0.170). Without this, a correct DNS64 would fail.
 */
export function ipv4EmbeddingAllowed(prefix: Prefix | string, ipv4: string): boolean {
  if (!isWellKnownPrefix(prefix)) return true;
  const canon = formatIPv4(parseIPv4(ipv4));
  if ((PREF64_DISCOVERY_IPV4 as readonly string[]).includes(canon)) return true;
  return isGlobalIPv4(canon);
}
