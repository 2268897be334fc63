/**
 * The IPv4 pool: its addresses, the configured port / identifier range of
 * each protocol per address, and which (T,t) are in use in each BIB
 * (RFC 6146 §3.5.1.1: a (T,t) appears in at most one entry of a BIB, but may
 * be in use in other BIBs, so usage is tracked per protocol).
 *
 * Usage is a lazily allocated bitmap per (address, protocol) plus a count
 * per port class, so "is this class full" is O(1).
 */
import type { Pool4Entry, PortRange, Protocol } from '../api';

/** Port classes: well-known range 0-1023 or 1024-65535, crossed with parity. */
export const LOW_EVEN = 0;
export const LOW_ODD = 1;
export const HIGH_EVEN = 2;
export const HIGH_ODD = 3;

export function classOf(port: number): number {
  return (port < 1024 ? 0 : 2) + (port & 1);
}

export const PROTO_INDEX: Readonly<Record<Protocol, number>> = { tcp: 0, udp: 1, icmp: 2 };

export interface PoolAddress {
  index: number;
  address: string;
  ranges: Record<Protocol, PortRange>;
}

export class Pool4 {
  readonly addresses: PoolAddress[];
  private readonly byText = new Map<string, number>();
  /** [addr * 3 + proto] -> bitmap of used ports (8 KiB) or undefined when none used yet. */
  private readonly used: (Uint8Array | undefined)[];
  /** [(addr * 3 + proto) * 4 + class] -> number of used ports in that class. */
  private readonly counts: Uint32Array;

  constructor(entries: Pool4Entry[]) {
    this.addresses = entries.map((e, index) => ({
      index,
      address: e.address,
      ranges: {
        tcp: e.ports?.tcp ?? { min: 1, max: 65535 },
        udp: e.ports?.udp ?? { min: 1, max: 65535 },
        icmp: e.ports?.icmp ?? { min: 0, max: 65535 },
      },
    }));
    this.addresses.forEach((a) => this.byText.set(a.address, a.index));
    this.used = new Array(entries.length * 3).fill(undefined);
    this.counts = new Uint32Array(entries.length * 12);
  }

  get size(): number {
    return this.addresses.length;
  }

  /** Index of a pool address, or -1 when the address is not ours. */
  indexOf(ipv4: string): number {
    const i = this.byText.get(ipv4);
    return i === undefined ? -1 : i;
  }

  isUsed(addr: number, proto: Protocol, port: number): boolean {
    const bm = this.used[addr * 3 + PROTO_INDEX[proto]];
    return bm !== undefined && (bm[port >> 3] & (1 << (port & 7))) !== 0;
  }

  /** Marks (T,t) as used in the protocol's BIB; false if it already was. */
  take(addr: number, proto: Protocol, port: number): boolean {
    const slot = addr * 3 + PROTO_INDEX[proto];
    let bm = this.used[slot];
    if (!bm) bm = this.used[slot] = new Uint8Array(8192);
    const bit = 1 << (port & 7);
    if (bm[port >> 3] & bit) return false;
    bm[port >> 3] |= bit;
    this.counts[slot * 4 + classOf(port)]++;
    return true;
  }

  release(addr: number, proto: Protocol, port: number): void {
    const slot = addr * 3 + PROTO_INDEX[proto];
    const bm = this.used[slot];
    if (!bm) return;
    const bit = 1 << (port & 7);
    if (!(bm[port >> 3] & bit)) return;
    bm[port >> 3] &= ~bit;
    this.counts[slot * 4 + classOf(port)]--;
  }

  /** Used ports of one class (range half x parity) at an address. */
  usedInClass(addr: number, proto: Protocol, cls: number): number {
    return this.counts[(addr * 3 + PROTO_INDEX[proto]) * 4 + cls];
  }
}
