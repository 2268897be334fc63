/**
 * IPv4 and IPv6 addresses: parsing to bytes and canonical text.
 * IPv6 text follows RFC 5952 (lower case, longest run of zero groups
 * compressed, leftmost on a tie, a single zero group never compressed).
 */

export class AddressError extends Error {}

/**
 * Parsed addresses by text. The translator's hot path turns the same few
 * thousand addresses into bytes over and over; parsing is regex work, a copy
 * of 4 or 16 bytes is not. Bounded: cleared when it grows past the limit.
 */
const CACHE_LIMIT = 16384;
const cache4 = new Map<string, Buffer>();
const cache6 = new Map<string, Buffer>();

function cached(cache: Map<string, Buffer>, text: string, parse: (t: string) => Buffer): Buffer {
  let b = cache.get(text);
  if (!b) {
    b = parse(text);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(text, b);
  }
  // A copy, so a caller that writes into the result cannot corrupt the cache.
  return Buffer.from(b);
}

export function parseIPv4(text: string): Buffer {
  return cached(cache4, text, parseIPv4Text);
}

export function parseIPv6(text: string): Buffer {
  return cached(cache6, text, parseIPv6Text);
}

function parseIPv4Text(text: string): Buffer {
  const parts = text.split('.');
  if (parts.length !== 4) throw new AddressError(`not an IPv4 address: "${text}"`);
  const out = Buffer.alloc(4);
  parts.forEach((p, i) => {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw new AddressError(`not an IPv4 address: "${text}"`);
    out[i] = Number(p);
  });
  return out;
}

export function formatIPv4(bytes: Uint8Array, offset = 0): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

function parseIPv6Text(text: string): Buffer {
  const bad = () => new AddressError(`not an IPv6 address: "${text}"`);
  let s = text;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const groups: number[] = [];
  // A trailing dotted quad stands for the last two groups.
  const lastColon = s.lastIndexOf(':');
  if (lastColon >= 0 && s.indexOf('.', lastColon) > lastColon) {
    const v4 = parseIPv4(s.slice(lastColon + 1));
    s = s.slice(0, lastColon + 1) + ((v4[0] << 8) | v4[1]).toString(16) + ':' + ((v4[2] << 8) | v4[3]).toString(16);
  }
  const halves = s.split('::');
  if (halves.length > 2) throw bad();
  const parseHalf = (h: string): number[] => {
    if (h === '') return [];
    return h.split(':').map((g) => {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw bad();
      return parseInt(g, 16);
    });
  };
  const head = parseHalf(halves[0]);
  if (halves.length === 2) {
    const tail = parseHalf(halves[1]);
    const fill = 8 - head.length - tail.length;
    if (fill < 1) throw bad();
    groups.push(...head, ...new Array<number>(fill).fill(0), ...tail);
  } else {
    groups.push(...head);
  }
  if (groups.length !== 8) throw bad();
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

export function formatIPv6(bytes: Uint8Array, offset = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[offset + 2 * i] << 8) | bytes[offset + 2 * i + 1]);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: number) => g.toString(16);
  if (bestLen < 2) return groups.map(hex).join(':');
  const head = groups.slice(0, bestStart).map(hex).join(':');
  const tail = groups.slice(bestStart + bestLen).map(hex).join(':');
  return `${head}::${tail}`;
}

export function isIPv4(text: string): boolean {
  if (cache4.has(text)) return true;
  try {
    parseIPv4(text);
    return true;
  } catch {
    return false;
  }
}

export function isIPv6(text: string): boolean {
  if (cache6.has(text)) return true;
  try {
    parseIPv6(text);
    return true;
  } catch {
    return false;
  }
}

/** Canonical text of either family. */
export function canonical(text: string): string {
  return text.includes(':') ? formatIPv6(parseIPv6(text)) : formatIPv4(parseIPv4(text));
}

/** A prefix such as "64:ff9b::/96" or "10.0.0.0/8". */
export interface Prefix {
  family: 4 | 6;
  bytes: Buffer;
  length: number;
}

export function parsePrefix(text: string): Prefix {
  const slash = text.indexOf('/');
  if (slash < 0) throw new AddressError(`not a prefix (missing "/length"): "${text}"`);
  const addr = text.slice(0, slash);
  const lenText = text.slice(slash + 1);
  const family = addr.includes(':') ? 6 : 4;
  const bytes = family === 6 ? parseIPv6(addr) : parseIPv4(addr);
  if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > bytes.length * 8) {
    throw new AddressError(`bad prefix length in "${text}" (0-${bytes.length * 8})`);
  }
  return { family, bytes, length: Number(lenText) };
}

export function formatPrefix(p: Prefix): string {
  return `${p.family === 6 ? formatIPv6(p.bytes) : formatIPv4(p.bytes)}/${p.length}`;
}

/** True when the first `length` bits of `addr` equal those of the prefix. */
export function inPrefix(addr: Uint8Array, prefix: Prefix): boolean {
  if (addr.length !== prefix.bytes.length) return false;
  const full = prefix.length >> 3;
  for (let i = 0; i < full; i++) if (addr[i] !== prefix.bytes[i]) return false;
  const rem = prefix.length & 7;
  if (rem === 0) return true;
  const mask = (0xff << (8 - rem)) & 0xff;
  return (addr[full] & mask) === (prefix.bytes[full] & mask);
}

/** Host bits beyond the prefix length are zero. */
export function prefixHostBitsZero(p: Prefix): boolean {
  for (let bit = p.length; bit < p.bytes.length * 8; bit++) {
    if (p.bytes[bit >> 3] & (0x80 >> (bit & 7))) return false;
  }
  return true;
}

export function ipv4ToNumber(text: string): number {
  return parseIPv4(text).readUInt32BE(0);
}

export function numberToIPv4(n: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return formatIPv4(b);
}
