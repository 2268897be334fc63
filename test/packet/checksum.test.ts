/**
 * Known-answer and property tests of harness/packet/checksum.ts: the Internet
 * checksum (RFC 1071), the IPv4 / IPv6 pseudo-headers, and the incremental
 * updates of RFC 1624 checked against full recomputation.
 *
 * Random cases are seeded; the seed is printed on failure (replay with
 * PACKET_SEED=<seed>).
 */
import { expect } from 'chai';
import {
  incrementalUpdate,
  incrementalUpdate16,
  internetChecksum,
  onesSum,
  pseudoHeaderSum4,
  pseudoHeaderSum6,
  swapPseudoHeader,
} from '../../harness/packet/checksum';
import { encodeIPv4Header } from '../../harness/packet/ipv4';
import { Rng, makeRng, seedFromEnv } from './generate';

const SEED = seedFromEnv();

const h16 = (n: number) => '0x' + n.toString(16).padStart(4, '0');

/** The checksum of `data` with its 16-bit checksum field at `at` taken as zero, recomputed from scratch. */
function full(data: Buffer, at: number, initial = 0): number {
  const copy = Buffer.from(data);
  copy.writeUInt16BE(0, at);
  return internetChecksum(copy, initial);
}

/** True when every 16-bit word that the checksum covers is zero (the one degenerate input, see below). */
function allZero(data: Buffer, at: number): boolean {
  return data.every((b, i) => b === 0 || i === at || i === at + 1);
}

/** Runs `n` random cases; fails with the first few counterexamples and the seed. */
function cases(n: number, salt: number, body: (rng: Rng) => string | undefined): void {
  const master = makeRng(SEED ^ salt);
  const failures: string[] = [];
  for (let i = 0; i < n && failures.length < 5; i++) {
    const s = master.u32();
    const msg = body(makeRng(s));
    if (msg) failures.push(`case ${i} (case seed ${s}): ${msg}`);
  }
  if (failures.length) expect.fail(`replay with PACKET_SEED=${SEED}\n${failures.join('\n')}`);
}

describe(`checksum (seed ${SEED})`, () => {
  describe('RFC 1071 known answers', () => {
    // RFC 1071 §3, "Numerical Examples": the one's-complement sum of 00 01 f2 03 f4 f5 f6 f7.
    const example = Buffer.from('0001f203f4f5f6f7', 'hex');

    it('sums 0001 f203 f4f5 f6f7 to ddf2 (2ddf0 with the carries folded back)', () => {
      expect(h16(onesSum(example))).to.equal('0xddf2');
      expect(h16(internetChecksum(example))).to.equal('0x220d');
    });

    it('is byte-order independent: the sum of the byte-swapped words is the swapped sum (§2(B))', () => {
      const swapped = Buffer.from(example);
      swapped.swap16();
      expect(h16(onesSum(swapped))).to.equal('0xf2dd');
    });

    it('pads an odd length with a zero octet', () => {
      expect(h16(onesSum(Buffer.from([0xab])))).to.equal('0xab00');
      expect(h16(onesSum(Buffer.from('0001f203f4', 'hex')))).to.equal(h16(onesSum(Buffer.from('0001f203f400', 'hex'))));
    });

    it('sums a sub-range and adds an initial value (a pseudo-header sum)', () => {
      const b = Buffer.concat([Buffer.from('ffff', 'hex'), example, Buffer.from('ee', 'hex')]);
      expect(h16(onesSum(b, 0, 2, 10))).to.equal('0xddf2');
      // 0xddf2 + 0x2000 = 0xfdf2; + 0x0300 carries past 16 bits and folds.
      expect(h16(onesSum(example, 0x2000))).to.equal('0xfdf2');
      expect(h16(onesSum(example, 0x2300))).to.equal('0x00f3');
    });

    it('data whose checksum field holds the right value sums to 0xffff', () => {
      const b = Buffer.concat([example, Buffer.alloc(2)]);
      b.writeUInt16BE(internetChecksum(b), 8);
      expect(h16(onesSum(b))).to.equal('0xffff');
    });
  });

  describe('IPv4 header checksum known answer', () => {
    // The classic worked example: 4500 0073 0000 4000 4011 [csum] c0a8 0001 c0a8 00c7.
    const header = Buffer.from('450000730000400040110000c0a80001c0a800c7', 'hex');

    it('computes b861', () => {
      expect(h16(internetChecksum(header))).to.equal('0xb861');
    });

    it('verifies: the header with b861 in place sums to 0xffff', () => {
      const h = Buffer.from(header);
      h.writeUInt16BE(0xb861, 10);
      expect(h16(onesSum(h))).to.equal('0xffff');
    });

    it('encodeIPv4Header writes exactly these bytes, checksum included', () => {
      const b = encodeIPv4Header({ src: '192.168.0.1', dst: '192.168.0.199', tos: 0, id: 0, df: true, ttl: 64 }, 17, 0x73 - 20);
      expect(b.toString('hex')).to.equal('45000073000040004011b861c0a80001c0a800c7');
    });
  });

  describe('pseudo-headers against hand-built bytes', () => {
    it('IPv4 (RFC 768 / RFC 9293 §3.1): src, dst, zero, protocol, length', () => {
      cases(2000, 0x10, (rng) => {
        const src = rng.bytes(4);
        const dst = rng.bytes(4);
        const proto = rng.pick([1, 6, 17, 58, rng.int(0, 255)]);
        const len = rng.int(0, 0xffff);
        const bytes = Buffer.concat([src, dst, Buffer.from([0, proto]), Buffer.from([len >> 8, len & 0xff])]);
        const got = pseudoHeaderSum4(src, dst, proto, len);
        return got === onesSum(bytes) ? undefined : `got ${h16(got)}, want ${h16(onesSum(bytes))}`;
      });
    });

    it('IPv6 (RFC 8200 §8.1): src, dst, 32-bit length, 3 zero octets, next header', () => {
      cases(2000, 0x11, (rng) => {
        const src = rng.bytes(16);
        const dst = rng.bytes(16);
        const nh = rng.pick([6, 17, 58, rng.int(0, 255)]);
        const len = rng.bool(0.9) ? rng.int(0, 0xffff) : rng.int(0x10000, 0xffffffff); // jumbograms too
        const l = Buffer.alloc(4);
        l.writeUInt32BE(len >>> 0, 0);
        const bytes = Buffer.concat([src, dst, l, Buffer.from([0, 0, 0, nh])]);
        const got = pseudoHeaderSum6(src, dst, nh, len);
        return got === onesSum(bytes) ? undefined : `got ${h16(got)}, want ${h16(onesSum(bytes))}`;
      });
    });
  });

  describe('RFC 1624 incremental update', () => {
    describe('the example of RFC 1624 §3 (m = 0x5555 -> 0x3285, other fields sum to 0xCD7A)', () => {
      // Header = [C, m] with C = 0xCD7A standing for the sum of all other fields.
      const C = 0xcd7a;
      const m = 0x5555;
      const m2 = 0x3285;
      const before = Buffer.alloc(6);
      before.writeUInt16BE(C, 0);
      before.writeUInt16BE(m, 2);
      const after = Buffer.from(before);
      after.writeUInt16BE(m2, 2);

      it('HC = ~(C + m) = 0xDD2F to begin with', () => {
        expect(h16(full(before, 4))).to.equal('0xdd2f');
      });

      it('full recomputation gives HC\' = ~(C + m\') = ~0xFFFF = 0x0000', () => {
        expect(h16(full(after, 4))).to.equal('0x0000');
      });

      it("incrementalUpdate16 (eqn. 3, HC' = ~(~HC + ~m + m')) gives 0x0000 too", () => {
        expect(h16(incrementalUpdate16(0xdd2f, m, m2))).to.equal('0x0000');
      });

      it("whereas RFC 1141's HC' = HC + m + ~m' gives 0xFFFF, the value RFC 1624 warns about", () => {
        // Not the library's formula: shown so that a regression to it is recognisable.
        let s = 0xdd2f + m + (~m2 & 0xffff);
        while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
        expect(h16(s)).to.equal('0xffff');
        expect(h16(incrementalUpdate16(0xdd2f, m, m2))).to.not.equal(h16(s));
      });

      it('incrementalUpdate over the changed bytes agrees', () => {
        expect(h16(incrementalUpdate(0xdd2f, before.subarray(2, 4), after.subarray(2, 4)))).to.equal('0x0000');
      });

      it('and the update back from m\' to m restores 0xDD2F', () => {
        expect(h16(incrementalUpdate16(0x0000, m2, m))).to.equal('0xdd2f');
      });
    });

    /** Random data with a checksum field; about one case in eight is steered to a new sum of 0xFFFF (checksum 0). */
    function randomCase(rng: Rng) {
      const words = rng.int(2, 100);
      const data = rng.bool(0.2) ? Buffer.alloc(words * 2) : rng.bytes(words * 2);
      if (rng.bool(0.2)) for (let i = 0; i < data.length; i++) if (rng.bool(0.7)) data[i] = rng.pick([0, 0xff]);
      const at = 2 * rng.int(0, words - 1);
      let w = 2 * rng.int(0, words - 2);
      if (w >= at) w += 2;
      data.writeUInt16BE(full(data, at), at);
      return { data, at, w };
    }

    it('incrementalUpdate16 equals full recomputation (5000 random cases, incl. results 0x0000)', () => {
      let zeros = 0;
      cases(5000, 0x20, (rng) => {
        const { data, at, w } = randomCase(rng);
        const hc = data.readUInt16BE(at);
        const oldWord = data.readUInt16BE(w);
        let newWord = rng.int(0, 0xffff);
        if (rng.bool(0.15)) {
          // Make the new sum 0xFFFF: new word = ~(sum of the other words).
          const others = Buffer.from(data);
          others.writeUInt16BE(0, at);
          others.writeUInt16BE(0, w);
          newWord = ~onesSum(others) & 0xffff;
        }
        if (rng.bool(0.05)) newWord = oldWord;
        const after = Buffer.from(data);
        after.writeUInt16BE(newWord, w);
        if (allZero(after, at)) return undefined; // the degenerate input, tested on its own below
        const want = full(after, at);
        if (want === 0) zeros++;
        const got = incrementalUpdate16(hc, oldWord, newWord);
        return got === want ? undefined : `HC ${h16(hc)}, m ${h16(oldWord)} -> ${h16(newWord)}: got ${h16(got)}, full ${h16(want)}`;
      });
      expect(zeros, 'cases whose new checksum is 0x0000').to.be.greaterThan(100);
    });

    it('incrementalUpdate over an even-length, word-aligned range equals full recomputation (5000 cases)', () => {
      cases(5000, 0x21, (rng) => {
        const { data, at } = randomCase(rng);
        const hc = data.readUInt16BE(at);
        const len = 2 * rng.int(1, 8); // e.g. an IPv4 address (4) or an IPv6 address (16)
        const words = data.length / 2;
        if (len / 2 >= words) return undefined;
        // A word-aligned range that does not cover the checksum field.
        let start = 2 * rng.int(0, words - len / 2);
        if (start <= at && at < start + len) start = at + 2 <= data.length - len ? at + 2 : at - len;
        if (start < 0) return undefined;
        const oldBytes = Buffer.from(data.subarray(start, start + len));
        const newBytes = rng.bool(0.1) ? Buffer.alloc(len) : rng.bytes(len);
        const after = Buffer.from(data);
        newBytes.copy(after, start);
        if (allZero(after, at)) return undefined;
        const want = full(after, at);
        const got = incrementalUpdate(hc, oldBytes, newBytes);
        return got === want ? undefined : `range ${start}+${len}: got ${h16(got)}, full ${h16(want)}`;
      });
    });

    it('the only disagreement: data that becomes all zeros gets 0x0000, where recomputation (and verification) need 0xFFFF', () => {
      // A checksum over all-zero data: the sum is +0 (0x0000), so the field must be 0xFFFF for
      // the verifying sum to come out 0xFFFF. Eqn. 3 cannot produce 0xFFFF unless every term is
      // zero, so it returns 0x0000 here. No real header or pseudo-header is all zeros (the IPv4
      // version nibble, the pseudo-header protocol), so this never happens on the wire.
      const before = Buffer.from('00000000abcd', 'hex'); // checksum at 0, one word 0xabcd
      before.writeUInt16BE(full(before, 0), 0);
      const after = Buffer.alloc(6);
      expect(h16(full(after, 0))).to.equal('0xffff');
      const incr = incrementalUpdate16(before.readUInt16BE(0), 0xabcd, 0x0000);
      expect(['0x0000', '0xffff']).to.include(h16(incr)); // one's-complement equal; 0x0000 today
    });

    it('swapPseudoHeader: IPv4 -> IPv6 pseudo-header equals recomputation with the IPv6 one (3000 UDP/TCP/ICMP cases)', () => {
      cases(3000, 0x22, (rng) => {
        const kind = rng.pick(['udp', 'tcp', 'icmp'] as const);
        const seg = rng.bytes(kind === 'tcp' ? 20 + rng.int(0, 100) : 8 + rng.int(0, 100));
        const at = kind === 'udp' ? 6 : kind === 'tcp' ? 16 : 2;
        const src4 = rng.bytes(4);
        const dst4 = rng.bytes(4);
        const src6 = Buffer.concat([Buffer.from('0064ff9b0000000000000000', 'hex'), src4]);
        const dst6 = rng.bytes(16);
        const proto4 = kind === 'udp' ? 17 : kind === 'tcp' ? 6 : 1;
        const proto6 = kind === 'icmp' ? 58 : proto4;
        // ICMPv4 has no pseudo-header (sum 0); ICMPv6 has one.
        const ps4 = kind === 'icmp' ? 0 : pseudoHeaderSum4(src4, dst4, proto4, seg.length);
        const ps6 = pseudoHeaderSum6(src6, dst6, proto6, seg.length);
        const c4 = full(seg, at, ps4);
        const want = full(seg, at, ps6);
        const got = swapPseudoHeader(c4, ps4, ps6);
        if (got !== want) return `${kind}: ${h16(c4)} -> got ${h16(got)}, full ${h16(want)}`;
        // UDP sends a computed 0 as 0xFFFF (RFC 768); the swap from that must land on the same value (mod ±0).
        if (kind === 'udp' && c4 === 0) {
          const g2 = swapPseudoHeader(0xffff, ps4, ps6);
          if (g2 !== want && !(g2 === 0xffff && want === 0) && !(g2 === 0 && want === 0xffff)) return `udp from 0xffff: got ${h16(g2)}, full ${h16(want)}`;
        }
        // And back again.
        const back = swapPseudoHeader(got, ps6, ps4);
        return back === c4 ? undefined : `round trip ${h16(c4)} -> ${h16(got)} -> ${h16(back)}`;
      });
    });
  });
});
