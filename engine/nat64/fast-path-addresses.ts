/**
 * What engine/nat64/fast-path.ts needs to know about an address, worked out
 * once per address rather than once per new flow: its text as the codec
 * formats it (the tables are keyed by that text) and the address checks of
 * incoming6 / incoming4 that depend on the address alone. Formatting an IPv6
 * address costs about a microsecond, which every packet the fast path
 * declines would otherwise pay on top of the pipeline.
 *
 * Entries are keyed by a hash of the address octets and compared in full;
 * the configuration they depend on (Pref64, pool4) never changes.
 */
import { formatIPv4, formatIPv6 } from '../../harness/packet/address';
import { illegalSource4, illegalSource6 } from '../xlat/address-rules';
import { i32 } from './fast-path-octets';
import type { Pool4 } from './pool4';
import type { Pref64Map } from './pref64';

/** Addresses remembered per family before the cache starts over. */
const MAX = 1 << 16;

export interface Addr6 {
  w0: number;
  w1: number;
  w2: number;
  w3: number;
  text: string;
  /** Acceptable as a source: outside Pref64::/n (RFC 6146 §3.5) and not illegal (RFC 7915 §5.1). */
  source: boolean;
  /** As a destination: the embedded IPv4 address when inside Pref64::/n, allowed (RFC 6052 §3.1) and not ours (hairpinning). */
  z4: string | undefined;
}

export interface Addr4 {
  v: number;
  text: string;
  /** Acceptable as a source: not illegal (RFC 7915 §4.1) and representable under Pref64::/n (RFC 6052 §3.1). */
  source: boolean;
  /** Pool index as a destination, or -1. */
  pool: number;
}

export class AddressCache {
  private readonly v6 = new Map<number, Addr6>();
  private readonly v4 = new Map<number, Addr4>();

  constructor(
    private readonly pref: Pref64Map,
    private readonly pool: Pool4,
  ) {}

  /** The IPv6 address at octet `at` of `b`. */
  ipv6(b: Uint8Array, at: number): Addr6 {
    const w0 = i32(b, at);
    const w1 = i32(b, at + 4);
    const w2 = i32(b, at + 8);
    const w3 = i32(b, at + 12);
    const key = (Math.imul(w0 ^ Math.imul(w1, 0x9e3779b1) ^ Math.imul(w2, 0x85ebca6b), 0xc2b2ae35) ^ w3) & 0x3fffffff;
    const hit = this.v6.get(key);
    if (hit !== undefined && hit.w3 === w3 && hit.w2 === w2 && hit.w1 === w1 && hit.w0 === w0) return hit;
    const text = formatIPv6(b, at);
    const ext = this.pref.extract(text);
    const a: Addr6 = {
      w0,
      w1,
      w2,
      w3,
      text,
      source: ext === undefined && !illegalSource6(text),
      z4: ext !== undefined && this.pref.allowed(ext) && this.pool.indexOf(ext) < 0 ? ext : undefined,
    };
    if (this.v6.size >= MAX) this.v6.clear();
    this.v6.set(key, a);
    return a;
  }

  /** The IPv4 address at octet `at` of `b`. */
  ipv4(b: Uint8Array, at: number): Addr4 {
    const v = i32(b, at);
    const key = v & 0x3fffffff;
    const hit = this.v4.get(key);
    if (hit !== undefined && hit.v === v) return hit;
    const text = formatIPv4(b, at);
    const a: Addr4 = { v, text, source: !illegalSource4(text) && this.pref.allowed(text), pool: this.pool.indexOf(text) };
    if (this.v4.size >= MAX) this.v4.clear();
    this.v4.set(key, a);
    return a;
  }
}
