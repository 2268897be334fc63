/**
 * ICMP errors the NAT64 originates itself, as opposed to the ones it
 * translates (config key `icmpErrors`, engine/api.ts IcmpErrorPolicy):
 *
 * - whether they are sent toward each side at all (RFC 7915 §4.4 / §5.4
 *   "SHOULD allow an administrator to configure whether the ICMPv4 /
 *   ICMPv6 error messages are sent, rate-limited, or not sent"; RFC 5508
 *   REQ-9 per-interface policy);
 * - a token bucket per side (RFC 5508 REQ-10f, RFC 1812 §4.3.2.8, RFC 4443
 *   §2.4(f)): `ratePerSecond` tokens per second, at most `burst` at once;
 * - the Destination Unreachable of §4.4 / §5.4 for packets the NAT64 drops
 *   with no other error prescribed: ICMPv4 3/13 and ICMPv6 1/1
 *   (Communication administratively prohibited), never about an ICMPv6
 *   message (§5.4) or an ICMPv4 error (§4.4). The drops that ask for it are
 *   the RFC 6052 §3.1 "MUST drop" of non-global addresses under the
 *   Well-Known Prefix ("drop" with `prohibited` from incoming.ts); the
 *   RFC 6146 drops stay silent where RFC 6146 says so (§3.5 Pref64
 *   sources) or chooses another code.
 *
 * The gate sits where packets leave the translator (engine/index.ts), so it
 * covers every error whoever builds it: an originated error is an ICMP
 * error leaving on the side the triggering packet came in on and quoting
 * that packet's own octets (a translated error quotes a translated packet
 * and leaves on the other side). Errors emitted while state expires (the
 * port unreachable for a held SYN, RFC 6146 §3.5.2.2) are all originated.
 */
import { decode, encode } from '../../harness/packet/codec';
import type { Side } from '../../harness/packet/types';
import { PROTO } from '../../harness/packet/types';
import type { Clock, Emitted, IcmpErrorPolicy } from '../api';
import { icmpError4, icmpError6 } from '../xlat';

class Bucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.at = now;
  }

  take(now: number): boolean {
    if (this.rate <= 0) return true;
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) * this.rate) / 1000);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

const ICMPV4_ERRORS: ReadonlySet<number> = new Set([3, 4, 5, 11, 12]);

/** Whether `out` is an ICMP error quoting the first octets of `input` (the triggering packet as it came in). */
export function quotesInput(out: Buffer, input: Buffer | undefined): boolean {
  let at: number;
  if (out.length >= 48 && out[0] >> 4 === 6) {
    if (out[6] !== PROTO.ICMPV6 || out[40] >= 128) return false;
    at = 48;
  } else if (out.length >= 28 && out[0] >> 4 === 4) {
    const ihl = (out[0] & 0x0f) * 4;
    if (out[9] !== PROTO.ICMP || out.length < ihl + 8 || !ICMPV4_ERRORS.has(out[ihl])) return false;
    at = ihl + 8;
  } else {
    return false;
  }
  if (input === undefined) return true;
  const n = Math.min(out.length - at, input.length, 28);
  return n >= 20 && out.subarray(at, at + n).equals(input.subarray(0, n));
}

export class IcmpErrorGate {
  private readonly buckets: Record<Side, Bucket>;

  constructor(
    private readonly policy: IcmpErrorPolicy,
    private readonly clock: Clock,
    private readonly faults: ReadonlySet<string>,
  ) {
    const now = clock.now();
    this.buckets = { 4: new Bucket(policy.ratePerSecond, policy.burst, now), 6: new Bucket(policy.ratePerSecond, policy.burst, now) };
  }

  /** Whether one more originated error may leave on `side` now (and spend its token). */
  allow(side: Side): boolean {
    // FAULT icmp-error-knob-ignored: the per-side "not sent" setting has no effect.
    const on = side === 4 ? this.policy.send4 : this.policy.send6;
    if (!on && !this.faults.has('icmp-error-knob-ignored')) return false;
    // FAULT icmp-error-no-rate-limit: no token bucket.
    if (this.faults.has('icmp-error-no-rate-limit')) return true;
    return this.buckets[side].take(this.clock.now());
  }

  /**
   * The packets of one push (`input` arrived on `side`) or of one expiry
   * round (`input` undefined, every error there is originated) with the
   * originated errors the policy holds back removed.
   */
  filter(side: Side | undefined, input: Buffer | undefined, out: Emitted[]): Emitted[] {
    if (!out.length) return out;
    return out.filter((e) => {
      if (side !== undefined && e.side !== side) return true;
      if (!quotesInput(e.bytes, input)) return true;
      return this.allow(e.side);
    });
  }
}

/**
 * RFC 7915 §5.4: ICMPv6 1/1 about a dropped IPv6 packet, unless it is an
 * ICMPv6 message (or RFC 4443 §2.4(e) forbids an error). Source: the
 * Pref64 representation of the translator's first pool4 address, an
 * address the translator answers for.
 */
export function prohibited6(orig: Buffer, src: string, faults: ReadonlySet<string>): Buffer | undefined {
  // FAULT no-prohibited-error: the packet is dropped silently.
  if (faults.has('no-prohibited-error')) return undefined;
  const p = decode(orig);
  // FAULT icmp-error-storm also answers ICMPv6 messages here.
  if (p.icmpv6 && !faults.has('icmp-error-storm')) return undefined;
  const r = icmpError6(1, 1, {}, orig, src, { faults, reason: 'RFC 7915 §5.4: dropped, communication administratively prohibited' });
  return r.kind === 'icmp-error' ? encode(r.packet) : undefined;
}

/** RFC 7915 §4.4: ICMPv4 3/13 about a dropped IPv4 packet (icmpError4 suppresses it about ICMP errors, RFC 1812 §4.3.2.7). */
export function prohibited4(orig: Buffer, src: string, faults: ReadonlySet<string>, ipv4Id: number): Buffer | undefined {
  if (faults.has('no-prohibited-error')) return undefined;
  const r = icmpError4(3, 13, {}, orig, src, { faults, ipv4Id, reason: 'RFC 7915 §4.4: dropped, communication administratively prohibited' });
  return r.kind === 'icmp-error' ? encode(r.packet) : undefined;
}
