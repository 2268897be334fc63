/**
 * Choice of the IPv4 transport address (T,t) of a new BIB entry:
 * RFC 6146 §3.5.1.1 (UDP), §3.5.2.3 (TCP), §3.5.3 (ICMP identifiers).
 *
 * - t stays in the range of the source port s: 0-1023 or 1024-65535 (SHOULD);
 *   when that range is full another range MAY be used (we do).
 * - UDP keeps the parity of s (SHOULD, RFC 4787 REQ-4). RFC 6146 asks parity
 *   only of UDP, so TCP ports keep their range but not their parity.
 * - ICMP identifiers: "any available value".
 * - Inside the preferred set the port is random: RFC 6056 Algorithm 1
 *   (random starting point, then linear probing), with the injected
 *   RandomInt, stepping by 2 when parity is kept.
 * - Relaxation order when a set is full: same range other parity, then other
 *   range same parity, then other range other parity.
 *
 * Which address T is tried is the caller's business (paired pooling); this
 * module walks the addresses it is given.
 */
import type { Protocol, RandomInt } from '../api';
import { Pool4 } from './pool4';

export interface AllocOptions {
  /** Keep t in the 0-1023 / 1024-65535 range of s (off only under fault no-port-preservation-range). */
  rangePreservation: boolean;
  /** Keep the parity of s for UDP (off only under fault no-port-parity). */
  parity: boolean;
  /** Sequential instead of random choice (fault predictable-ports). */
  sequential: boolean;
}

export interface Allocation {
  addr: number;
  port: number;
}

interface Attempt {
  lo: number;
  hi: number;
  /** 0 even, 1 odd, -1 any. */
  parity: number;
}

/** The ordered list of candidate port sets for a source port. */
export function attemptsFor(proto: Protocol, sport: number, min: number, max: number, opts: AllocOptions): Attempt[] {
  if (proto === 'icmp') return [{ lo: min, hi: max, parity: -1 }];
  const p = proto === 'udp' && opts.parity ? sport & 1 : -1;
  const parities = p < 0 ? [-1] : [p, 1 - p];
  if (!opts.rangePreservation) return parities.map((parity) => ({ lo: min, hi: max, parity }));
  const low = { lo: min, hi: Math.min(max, 1023) };
  const high = { lo: Math.max(min, 1024), hi: max };
  const [pref, other] = sport < 1024 ? [low, high] : [high, low];
  const out: Attempt[] = [];
  for (const r of [pref, other]) {
    if (r.lo > r.hi) continue;
    for (const parity of parities) out.push({ ...r, parity });
  }
  return out;
}

function firstOf(a: Attempt): number {
  if (a.parity < 0 || (a.lo & 1) === a.parity) return a.lo;
  return a.lo + 1;
}

function countOf(a: Attempt): number {
  const first = firstOf(a);
  if (first > a.hi) return 0;
  const step = a.parity < 0 ? 1 : 2;
  return Math.floor((a.hi - first) / step) + 1;
}

/** Ports of the attempt already used at an address (every used port lies inside the configured range). */
function usedIn(pool: Pool4, addr: number, proto: Protocol, a: Attempt): number {
  let n = 0;
  for (let cls = 0; cls < 4; cls++) {
    const highHalf = cls >= 2;
    const clsLo = highHalf ? 1024 : 0;
    const clsHi = highHalf ? 65535 : 1023;
    if (clsHi < a.lo || clsLo > a.hi) continue;
    if (a.parity >= 0 && (cls & 1) !== a.parity) continue;
    n += pool.usedInClass(addr, proto, cls);
  }
  return n;
}

function tryAttempt(pool: Pool4, addr: number, proto: Protocol, a: Attempt, random: RandomInt, opts: AllocOptions): number {
  const count = countOf(a);
  if (count === 0 || usedIn(pool, addr, proto, a) >= count) return -1;
  const first = firstOf(a);
  const step = a.parity < 0 ? 1 : 2;
  // FAULT predictable-ports: always start probing at the bottom of the set.
  const start = opts.sequential ? 0 : random(count);
  for (let i = 0; i < count; i++) {
    let k = start + i;
    if (k >= count) k -= count;
    const port = first + k * step;
    if (!pool.isUsed(addr, proto, port)) return port;
  }
  return -1;
}

/**
 * Allocate (T,t) for a new BIB entry of `proto` whose source port (or ICMPv6
 * identifier) is `sport`, trying `addrs` (pool indexes) in order at each
 * relaxation level. The port is marked used. Undefined when nothing is free.
 */
export function allocate(pool: Pool4, proto: Protocol, sport: number, addrs: number[], random: RandomInt, opts: AllocOptions): Allocation | undefined {
  if (addrs.length === 0) return undefined;
  // All addresses of a pool share nothing but their own ranges; levels are computed per address.
  const levels: Attempt[][] = new Array(addrs.length);
  const levelsOf = (i: number): Attempt[] => {
    if (!levels[i]) {
      const r = pool.addresses[addrs[i]].ranges[proto];
      levels[i] = attemptsFor(proto, sport, r.min, r.max, opts);
    }
    return levels[i];
  };
  for (let level = 0, more = true; more; level++) {
    more = false;
    for (let i = 0; i < addrs.length; i++) {
      const a = levelsOf(i)[level];
      if (!a) continue;
      more = true;
      const port = tryAttempt(pool, addrs[i], proto, a, random, opts);
      if (port >= 0) {
        pool.take(addrs[i], proto, port);
        return { addr: addrs[i], port };
      }
    }
  }
  return undefined;
}
