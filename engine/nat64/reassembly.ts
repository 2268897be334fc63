/**
 * The fragment buffer of the stateful NAT64 (RFC 6146 §3.4): fragments are
 * held per datagram until the datagram is whole, then handed back as one
 * block of data together with the original fragment boundaries.
 *
 * Pure state over an injected "now"; no packet parsing (engine/nat64/
 * fragments.ts cuts packets into fragment data and glues headers back on).
 *
 * Rules, with where they come from:
 * - Fragments may arrive in any order (RFC 6146 §3.4 MUST, RFC 4787 REQ-14).
 * - A datagram may take `timeoutMs` from its first-arriving fragment to
 *   complete (RFC 6146 §3.4: configurable, default at least FRAGMENT_MIN =
 *   2 s; the clock starts at the first-arriving fragment as in RFC 8200 §4.5
 *   and RFC 791). Expired datagrams are discarded; `expire` reports them so
 *   the caller may send Time Exceeded (code 1) when the offset-0 fragment was
 *   there (RFC 792, RFC 8200 §4.5).
 * - Memory is capped (RFC 6146 §3.4 MUST, RFC 4787 REQ-14a): at most
 *   `maxBytes` octets of fragments (counted as their size on the wire), at
 *   most `maxDatagrams` datagrams, at most `maxFragments` fragments in one
 *   datagram. When a new fragment does not fit, the OLDEST other datagrams
 *   are evicted to make room: a flood of never-completed trains then only
 *   delays itself, and a train that arrives back to back (in order or not)
 *   still completes, which is what REQ-14a asks ("fragmentation-based DoS
 *   attacks do not compromise the NAT's ability to process in-order and
 *   unfragmented IP packets"). A datagram that alone exceeds `maxBytes`
 *   cannot be reassembled and is discarded (RFC 6146 §3.4: without resources,
 *   zero-checksum UDP MUST be discarded silently; so is everything else).
 * - Overlapping fragments discard the whole datagram, fragments still to
 *   come included (RFC 5722 §4 for IPv6; applied to IPv4 as well, where RFC
 *   1858 §4 and RFC 3128 show how overlaps defeat filtering). An exact
 *   duplicate (same offset, same octets) is dropped alone (RFC 8200 §4.5
 *   allows it), so a duplicated packet does not kill its datagram.
 * - A non-last fragment whose data is not a multiple of 8 octets is dropped
 *   (its successor's offset could not line up, RFC 791 / RFC 8200 §4.5); data
 *   beyond 65535 octets, two different ends, or data past the end discard
 *   the datagram.
 */
import { unpooledCopy } from './buffers';

/** Where one fragment's data sat in its datagram (octets). */
export interface Piece {
  offset: number;
  length: number;
  /** More fragments follow (IPv4 MF, IPv6 M). */
  more: boolean;
}

export interface ReassemblyLimits {
  timeoutMs: number;
  maxBytes: number;
  maxDatagrams: number;
  maxFragments: number;
}

/** Deliberate defects (engine/faults.ts) the buffer honours. */
export interface ReassemblyFaults {
  /** FAULT reassembly-unbounded: no memory or datagram limit. */
  unbounded?: boolean;
  /** FAULT reassembly-full-drops-new: when full, new fragments are refused instead of evicting the oldest datagrams. */
  fullDropsNew?: boolean;
  /** FAULT out-of-order-dropped: a fragment that comes before the offset-0 fragment of its datagram is discarded. */
  outOfOrderDropped?: boolean;
  /** FAULT reassembly-no-timeout: datagrams never expire. */
  noTimeout?: boolean;
}

export type AddResult<F> =
  | { kind: 'held' }
  | { kind: 'complete'; data: Buffer; pieces: Piece[]; first: F }
  | { kind: 'dropped'; reason: string };

export interface Expired<F> {
  key: string;
  /** What the caller stored with the offset-0 fragment, when it arrived. */
  first?: F;
}

interface Stored {
  offset: number;
  data: Buffer;
  more: boolean;
  size: number;
}

interface Datagram<F> {
  key: string;
  created: number;
  pieces: Stored[];
  bytes: number;
  /** End of the data, once the last fragment (more = false) arrived. */
  end?: number;
  first?: F;
  /** Discarded (overlap, too big): later fragments of it are dropped until it expires. */
  dead?: string;
}

/** Largest end of fragment data: an IPv4 Total Length or IPv6 Payload Length cannot describe more. */
export const MAX_DATAGRAM_DATA = 65535;

export class Reassembly<F> {
  /** In creation order, which is also expiry order (one timeout for all, monotonic clock). */
  private readonly datagrams = new Map<string, Datagram<F>>();
  private held = 0;

  constructor(
    readonly limits: ReassemblyLimits,
    private readonly faults: ReassemblyFaults = {},
  ) {}

  /** Octets of fragments held right now. */
  get bytes(): number {
    return this.held;
  }

  /** Datagrams being reassembled (or discarded and waiting for their timeout). */
  get count(): number {
    return this.datagrams.size;
  }

  /**
   * One fragment of datagram `key`: `offset` and `data` locate its data,
   * `more` is its MF/M bit, `size` the octets it occupies (its wire size),
   * `first` what to keep of the offset-0 fragment (headers to rebuild the
   * datagram, the packet to quote in an error).
   */
  add(now: number, key: string, offset: number, data: Buffer, more: boolean, size: number, first?: F): AddResult<F> {
    const end = offset + data.length;
    if (more && data.length % 8 !== 0) return { kind: 'dropped', reason: `non-last fragment of ${data.length} octets (not a multiple of 8)` };
    if (more && data.length === 0) return { kind: 'dropped', reason: 'empty non-last fragment' };
    let d = this.datagrams.get(key);
    if (!d) {
      if (this.faults.outOfOrderDropped && offset > 0) {
        // FAULT out-of-order-dropped: only trains whose offset-0 fragment comes first are reassembled.
        return { kind: 'dropped', reason: 'fragment before the offset-0 fragment of its datagram (fault out-of-order-dropped)' };
      }
      if (!this.room(key, size, true)) return { kind: 'dropped', reason: 'fragment buffer full' };
      d = { key, created: now, pieces: [], bytes: 0 };
      this.datagrams.set(key, d);
    }
    if (d.dead) return { kind: 'dropped', reason: `datagram already discarded: ${d.dead}` };

    const kill = (reason: string): AddResult<F> => {
      this.release(d!);
      d!.dead = reason;
      return { kind: 'dropped', reason };
    };
    if (end > MAX_DATAGRAM_DATA) return kill(`fragment data ends at ${end}, beyond ${MAX_DATAGRAM_DATA} octets`);
    for (const p of d.pieces) {
      const pEnd = p.offset + p.data.length;
      if (offset < pEnd && p.offset < end) {
        if (p.offset === offset && p.data.equals(data) && p.more === more) return { kind: 'dropped', reason: 'exact duplicate fragment' };
        return kill(`fragment ${offset}-${end} overlaps ${p.offset}-${pEnd} (RFC 5722: the datagram is discarded)`);
      }
    }
    if (!more) {
      if (d.end !== undefined && d.end !== end) return kill(`two last fragments end at ${d.end} and ${end}`);
      if (d.pieces.some((p) => p.offset + p.data.length > end)) return kill(`data lies beyond the end ${end} set by the last fragment`);
    } else if (d.end !== undefined && end > d.end) {
      return kill(`fragment ${offset}-${end} lies beyond the end ${d.end}`);
    }
    if (!this.faults.unbounded && d.pieces.length + 1 > this.limits.maxFragments) return kill(`more than ${this.limits.maxFragments} fragments`);
    if (!this.room(key, size, false)) {
      if (this.faults.fullDropsNew) return { kind: 'dropped', reason: 'fragment buffer full (fault reassembly-full-drops-new)' };
      return kill(`the datagram needs more than the ${this.limits.maxBytes} octets of fragment memory`);
    }

    d.pieces.push({ offset, data: unpooledCopy(data), more, size });
    d.bytes += size;
    this.held += size;
    if (!more) d.end = end;
    if (offset === 0 && first !== undefined) d.first = first;
    return this.complete(d);
  }

  /** Datagrams whose time is up at `now`, removed from the buffer (live ones only; discarded ones go silently). */
  expire(now: number): Expired<F>[] {
    const out: Expired<F>[] = [];
    if (this.faults.noTimeout) return out; // FAULT reassembly-no-timeout
    for (const d of this.datagrams.values()) {
      if (now - d.created < this.limits.timeoutMs) break;
      this.datagrams.delete(d.key);
      this.release(d);
      if (!d.dead) out.push({ key: d.key, first: d.first });
    }
    return out;
  }

  /**
   * Makes room for `size` more octets (and, for a new datagram, one more
   * datagram) by evicting the oldest datagrams other than `key`. False when
   * that is not possible (or not allowed: fault reassembly-full-drops-new).
   */
  private room(key: string, size: number, newDatagram: boolean): boolean {
    if (this.faults.unbounded) return true;
    const fits = () => (newDatagram ? this.datagrams.size < this.limits.maxDatagrams : this.held + size <= this.limits.maxBytes);
    if (fits()) return true;
    if (this.faults.fullDropsNew) return false;
    if (!newDatagram && (this.datagrams.get(key)?.bytes ?? 0) + size > this.limits.maxBytes) return false; // could never fit
    for (const d of this.datagrams.values()) {
      if (fits()) break;
      if (d.key === key) continue;
      this.datagrams.delete(d.key);
      this.release(d);
    }
    return fits();
  }

  private release(d: Datagram<F>): void {
    this.held -= d.bytes;
    d.bytes = 0;
    d.pieces = [];
  }

  private complete(d: Datagram<F>): AddResult<F> {
    if (d.end === undefined || d.first === undefined) return { kind: 'held' };
    const sorted = [...d.pieces].sort((a, b) => a.offset - b.offset);
    let at = 0;
    for (const p of sorted) {
      if (p.offset !== at) return { kind: 'held' };
      at += p.data.length;
    }
    if (at !== d.end) return { kind: 'held' };
    this.datagrams.delete(d.key);
    this.release(d);
    return {
      kind: 'complete',
      data: Buffer.concat(sorted.map((p) => p.data)),
      pieces: sorted.map((p) => ({ offset: p.offset, length: p.data.length, more: p.more })),
      first: d.first,
    };
  }
}
