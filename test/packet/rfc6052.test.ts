import { expect } from 'chai';
import { formatIPv6, numberToIPv4, parseIPv6 } from '../../harness/packet/address';
import {
  PREF64_LENGTHS,
  Pref64Length,
  WELL_KNOWN_PREFIX,
  embed,
  embedBytes,
  extract,
  extractDetailed,
  formatMixed,
  ipv4EmbeddingAllowed,
  isGlobalIPv4,
  isWellKnownPrefix,
  nonGlobalRange,
  parsePref64,
  suffixLength,
} from '../../harness/packet/rfc6052';

/** Deterministic PRNG (mulberry32) so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

describe('rfc6052', () => {
  describe('RFC 6052 §2.4 Table 1 and Table 2', () => {
    // Copied verbatim from /work/shared/rfc/rfc6052.txt.
    const table: Array<[string, string, string]> = [
      ['2001:db8::/32', '192.0.2.33', '2001:db8:c000:221::'],
      ['2001:db8:100::/40', '192.0.2.33', '2001:db8:1c0:2:21::'],
      ['2001:db8:122::/48', '192.0.2.33', '2001:db8:122:c000:2:2100::'],
      ['2001:db8:122:300::/56', '192.0.2.33', '2001:db8:122:3c0:0:221::'],
      ['2001:db8:122:344::/64', '192.0.2.33', '2001:db8:122:344:c0:2:2100::'],
      ['2001:db8:122:344::/96', '192.0.2.33', '2001:db8:122:344::192.0.2.33'],
      ['64:ff9b::/96', '192.0.2.33', '64:ff9b::192.0.2.33'],
    ];

    for (const [prefix, ipv4, text] of table) {
      const len = Number(prefix.split('/')[1]);
      if (len === 64) {
        // The RFC's /64 row compresses a single zero group, which RFC 5952
        // §4.2.2 forbids (despite §2.4 claiming RFC 5952 compatibility), so
        // the canonical text differs; the address is the same.
        it(`embeds ${ipv4} in ${prefix} as ${text} (same bytes; RFC 5952 text ends :0)`, () => {
          expect(embed(prefix, ipv4)).to.equal('2001:db8:122:344:c0:2:2100:0');
          expect(parseIPv6(embed(prefix, ipv4)).equals(parseIPv6(text))).to.equal(true);
        });
      } else if (len === 96) {
        it(`embeds ${ipv4} in ${prefix} as ${text} (dotted form of §2.4)`, () => {
          expect(formatMixed(embed(prefix, ipv4))).to.equal(text);
          expect(embed(prefix, ipv4)).to.equal(formatIPv6(parseIPv6(text)));
        });
      } else {
        it(`embeds ${ipv4} in ${prefix} as ${text}`, () => {
          expect(embed(prefix, ipv4)).to.equal(text);
        });
      }
      it(`extracts ${ipv4} from ${text} under ${prefix}`, () => {
        expect(extract(prefix, text)).to.equal(ipv4);
        expect(extractDetailed(prefix, text).clean).to.equal(true);
      });
    }

    it('gives RFC 5952 hex text for /96, matching the codec', () => {
      expect(embed(WELL_KNOWN_PREFIX, '192.0.2.33')).to.equal('64:ff9b::c000:221');
      expect(embed('2001:db8:122:344::/96', '192.0.2.33')).to.equal('2001:db8:122:344::c000:221');
    });
  });

  describe('formatMixed', () => {
    it('compresses only the six hex groups', () => {
      expect(formatMixed('::c000:221')).to.equal('::192.0.2.33');
      expect(formatMixed('2001:db8:1:2:3:4:c000:221')).to.equal('2001:db8:1:2:3:4:192.0.2.33');
      expect(formatMixed('2001:db8:0:1:0:0:0:0')).to.equal('2001:db8:0:1::0.0.0.0');
      expect(formatMixed('2001:0:0:1:0:5:c000:221')).to.equal('2001::1:0:5:192.0.2.33');
    });
  });

  describe('round trip', () => {
    for (const len of PREF64_LENGTHS) {
      it(`embed/extract 500 random addresses under random /${len} prefixes`, () => {
        const next = rng(len);
        for (let i = 0; i < 500; i++) {
          const bytes = Buffer.alloc(16);
          for (let b = 0; b < len / 8; b++) bytes[b] = next() & 0xff;
          bytes[8] = 0; // u-octet inside a /96 must be zero
          const prefix = `${formatIPv6(bytes)}/${len}`;
          const ipv4 = numberToIPv4(next());
          const ipv6 = embed(prefix, ipv4);
          expect(extract(prefix, ipv6), `${prefix} ${ipv4} ${ipv6}`).to.equal(ipv4);
          const a = parseIPv6(ipv6);
          expect(a.subarray(0, len / 8).equals(bytes.subarray(0, len / 8))).to.equal(true);
          expect(a[8], 'u-octet').to.equal(0);
          const suffix = Buffer.from(a.subarray(16 - suffixLength(len)));
          expect(suffix.every((x) => x === 0), 'suffix').to.equal(true);
        }
      });
    }

    it('places the IPv4 octets exactly where Figure 1 says', () => {
      // 0x01020304 makes every octet distinguishable.
      const where: Record<Pref64Length, number[]> = {
        32: [4, 5, 6, 7],
        40: [5, 6, 7, 9],
        48: [6, 7, 9, 10],
        56: [7, 9, 10, 11],
        64: [9, 10, 11, 12],
        96: [12, 13, 14, 15],
      };
      for (const len of PREF64_LENGTHS) {
        const a = embedBytes(`::/${len}`, '1.2.3.4');
        const expected = Buffer.alloc(16);
        where[len].forEach((off, i) => (expected[off] = i + 1));
        expect(a.equals(expected), `/${len}: ${formatIPv6(a)}`).to.equal(true);
      }
    });
  });

  describe('u-octet and suffix', () => {
    it('has the suffix lengths of Figure 1', () => {
      expect(PREF64_LENGTHS.map(suffixLength)).to.deep.equal([7, 6, 5, 4, 3, 0]);
    });

    it('embeds a given suffix after the IPv4 address', () => {
      const s = Buffer.from([0xaa, 0xbb, 0xcc]);
      expect(embed('2001:db8:122:344::/64', '192.0.2.33', s)).to.equal('2001:db8:122:344:c0:2:21aa:bbcc');
    });

    it('rejects a suffix of the wrong size', () => {
      expect(() => embed('2001:db8::/32', '192.0.2.33', Buffer.alloc(3))).to.throw(/suffix for a \/32 prefix is 7 bytes, got 3/);
      expect(() => embed(WELL_KNOWN_PREFIX, '192.0.2.33', Buffer.alloc(1))).to.throw(/is 0 bytes/);
    });

    it('extract ignores a non-zero u-octet and suffix; extractDetailed reports them', () => {
      const prefix = '2001:db8:100::/40';
      const dirty = '2001:db8:1c0:2:ff21:ffff:ffff:ffff';
      expect(extract(prefix, dirty)).to.equal('192.0.2.33');
      const d = extractDetailed(prefix, dirty);
      expect(d.ipv4).to.equal('192.0.2.33');
      expect(d.uOctet).to.equal(0xff);
      expect(d.suffix.toString('hex')).to.equal('ffffffffffff');
      expect(d.clean).to.equal(false);
    });

    it('flags a non-zero suffix alone', () => {
      const d = extractDetailed('2001:db8::/32', '2001:db8:c000:221::1');
      expect(d.uOctet).to.equal(0);
      expect(d.clean).to.equal(false);
    });

    it('reports an empty suffix and zero u-octet for /96', () => {
      const d = extractDetailed(WELL_KNOWN_PREFIX, '64:ff9b::192.0.2.33');
      expect(d.suffix.length).to.equal(0);
      expect(d.uOctet).to.equal(0);
      expect(d.clean).to.equal(true);
    });

    it('refuses to extract from an address outside the prefix', () => {
      expect(() => extract(WELL_KNOWN_PREFIX, '64:ff9c::192.0.2.33')).to.throw(/not inside 64:ff9b::\/96/);
    });
  });

  describe('parsePref64', () => {
    it('accepts every RFC 6052 length', () => {
      for (const len of PREF64_LENGTHS) {
        const p = parsePref64(`2001:db8::/${len}`);
        expect(p.length).to.equal(len);
        expect(p.family).to.equal(6);
      }
    });

    it('rejects other lengths with a one-line message naming the fix', () => {
      for (const len of [0, 16, 31, 33, 60, 72, 80, 95, 97, 128]) {
        expect(() => parsePref64(`2001:db8::/${len}`)).to.throw(
          `pool6 "2001:db8::/${len}": RFC 6052 allows prefix lengths 32, 40, 48, 56, 64 or 96`,
        );
      }
    });

    it('uses the given label', () => {
      expect(() => parsePref64('2001:db8::/33', 'dns64 prefix')).to.throw(/^dns64 prefix "2001:db8::\/33": /);
    });

    it('rejects a set u-octet, for /96 and below', () => {
      expect(() => parsePref64('2001:db8:0:0:100::/96')).to.throw(
        'pool6 "2001:db8:0:0:100::/96": bits 64-71 (the u-octet) must be zero (RFC 6052 §2.2); use 2001:db8::/96',
      );
      expect(() => parsePref64('2001:db8:0:0:ff00::/64')).to.throw(/bits 64-71 \(the u-octet\) must be zero.*use 2001:db8::\/64$/);
      expect(() => parsePref64('2001:db8:0:0:100::/32')).to.throw(/u-octet/);
    });

    it('accepts a /96 with bits 72-95 set', () => {
      expect(parsePref64('2001:db8:0:0:1:2::/96').length).to.equal(96);
    });

    it('rejects host bits beyond the length', () => {
      expect(() => parsePref64('2001:db8:1::/32')).to.throw(
        'pool6 "2001:db8:1::/32": bits set beyond the /32 prefix length; use 2001:db8::/32',
      );
      expect(() => parsePref64('64:ff9b::1/96')).to.throw(/beyond the \/96 prefix length; use 64:ff9b::\/96/);
      expect(() => parsePref64('2001:db8:0:0:0:1::/64')).to.throw(/beyond the \/64/);
    });

    it('rejects IPv4 prefixes and garbage', () => {
      expect(() => parsePref64('10.0.0.0/8')).to.throw(/IPv4 prefix; Pref64::\/n must be an IPv6 prefix/);
      expect(() => parsePref64('64:ff9b::')).to.throw(/not an IPv6 prefix/);
      expect(() => parsePref64('nonsense/96')).to.throw(/not an IPv6 prefix/);
    });

    it('keeps every message on one line', () => {
      for (const bad of ['2001:db8::/33', '2001:db8:0:0:100::/96', '2001:db8:1::/32', '10.0.0.0/8', 'x']) {
        try {
          parsePref64(bad);
          expect.fail(`accepted ${bad}`);
        } catch (e) {
          expect((e as Error).message).to.not.include('\n');
        }
      }
    });

    it('is used by embed/extract for string prefixes', () => {
      expect(() => embed('2001:db8::/33', '192.0.2.1')).to.throw(/RFC 6052 allows/);
      expect(() => extract('2001:db8::/33', '2001:db8::1')).to.throw(/RFC 6052 allows/);
    });
  });

  describe('isWellKnownPrefix', () => {
    it('recognises 64:ff9b::/96 in any spelling and parsed', () => {
      expect(isWellKnownPrefix('64:ff9b::/96')).to.equal(true);
      expect(isWellKnownPrefix('0064:FF9B:0:0:0:0:0:0/96')).to.equal(true);
      expect(isWellKnownPrefix(parsePref64(WELL_KNOWN_PREFIX))).to.equal(true);
    });

    it('rejects other prefixes, including the RFC 8215 local-use one', () => {
      expect(isWellKnownPrefix('64:ff9b:1::/48')).to.equal(false);
      expect(isWellKnownPrefix('64:ff9b::/64')).to.equal(false);
      expect(isWellKnownPrefix('2001:db8::/96')).to.equal(false);
      expect(isWellKnownPrefix('garbage')).to.equal(false);
    });
  });

  describe('non-global IPv4 ranges', () => {
    // [range, first, last, just below, range of just below, just above, range of just above]
    type Row = [string, string, string, string | null, string | undefined, string | null, string | undefined];
    const rows: Row[] = [
      ['0.0.0.0/8', '0.0.0.0', '0.255.255.255', null, undefined, '1.0.0.0', undefined],
      ['10.0.0.0/8', '10.0.0.0', '10.255.255.255', '9.255.255.255', undefined, '11.0.0.0', undefined],
      ['100.64.0.0/10', '100.64.0.0', '100.127.255.255', '100.63.255.255', undefined, '100.128.0.0', undefined],
      ['127.0.0.0/8', '127.0.0.0', '127.255.255.255', '126.255.255.255', undefined, '128.0.0.0', undefined],
      ['169.254.0.0/16', '169.254.0.0', '169.254.255.255', '169.253.255.255', undefined, '169.255.0.0', undefined],
      ['172.16.0.0/12', '172.16.0.0', '172.31.255.255', '172.15.255.255', undefined, '172.32.0.0', undefined],
      ['192.0.0.0/24', '192.0.0.0', '192.0.0.255', '191.255.255.255', undefined, '192.0.1.0', undefined],
      ['192.0.0.170/32', '192.0.0.170', '192.0.0.170', '192.0.0.169', '192.0.0.0/24', '192.0.0.171', '192.0.0.171/32'],
      ['192.0.0.171/32', '192.0.0.171', '192.0.0.171', '192.0.0.170', '192.0.0.170/32', '192.0.0.172', '192.0.0.0/24'],
      ['192.0.2.0/24', '192.0.2.0', '192.0.2.255', '192.0.1.255', undefined, '192.0.3.0', undefined],
      ['192.168.0.0/16', '192.168.0.0', '192.168.255.255', '192.167.255.255', undefined, '192.169.0.0', undefined],
      ['198.18.0.0/15', '198.18.0.0', '198.19.255.255', '198.17.255.255', undefined, '198.20.0.0', undefined],
      ['198.51.100.0/24', '198.51.100.0', '198.51.100.255', '198.51.99.255', undefined, '198.51.101.0', undefined],
      ['203.0.113.0/24', '203.0.113.0', '203.0.113.255', '203.0.112.255', undefined, '203.0.114.0', undefined],
      ['224.0.0.0/4', '224.0.0.0', '239.255.255.255', '223.255.255.255', undefined, '240.0.0.0', '240.0.0.0/4'],
      // The last address of 240/4 is limited broadcast, a more specific row.
      ['240.0.0.0/4', '240.0.0.0', '255.255.255.254', '239.255.255.255', '224.0.0.0/4', '255.255.255.255', '255.255.255.255/32'],
      ['255.255.255.255/32', '255.255.255.255', '255.255.255.255', '255.255.255.254', '240.0.0.0/4', null, undefined],
    ];

    for (const [range, first, last, below, belowRange, above, aboveRange] of rows) {
      it(`${range}: ${first} and ${last} inside${below ? `, ${below}` : ''}${above ? `, ${above}` : ''} outside`, () => {
        expect(nonGlobalRange(first)?.prefix, first).to.equal(range);
        expect(nonGlobalRange(last)?.prefix, last).to.equal(range);
        expect(isGlobalIPv4(first)).to.equal(false);
        expect(isGlobalIPv4(last)).to.equal(false);
        if (below) {
          expect(nonGlobalRange(below)?.prefix, below).to.equal(belowRange);
          expect(isGlobalIPv4(below), below).to.equal(belowRange === undefined);
        }
        if (above) {
          expect(nonGlobalRange(above)?.prefix, above).to.equal(aboveRange);
          expect(isGlobalIPv4(above), above).to.equal(aboveRange === undefined);
        }
      });
    }

    it('names the range and its RFC', () => {
      expect(nonGlobalRange('172.20.1.1')).to.deep.equal({ prefix: '172.16.0.0/12', name: 'Private-Use', rfc: 'RFC 1918' });
      expect(nonGlobalRange('100.100.0.1')).to.deep.equal({ prefix: '100.64.0.0/10', name: 'Shared Address Space', rfc: 'RFC 6598' });
    });

    it('treats 192.0.0.9 and 192.0.0.10 as global (registry exceptions)', () => {
      expect(nonGlobalRange('192.0.0.9')).to.equal(undefined);
      expect(nonGlobalRange('192.0.0.10')).to.equal(undefined);
      expect(isGlobalIPv4('192.0.0.9')).to.equal(true);
      expect(isGlobalIPv4('192.0.0.10')).to.equal(true);
      expect(nonGlobalRange('192.0.0.8')?.prefix).to.equal('192.0.0.0/24');
      expect(nonGlobalRange('192.0.0.11')?.prefix).to.equal('192.0.0.0/24');
    });

    it('treats ordinary and 6to4-relay addresses as global', () => {
      for (const a of ['1.1.1.1', '8.8.8.8', '192.88.99.1', '198.51.99.1', '223.255.255.255']) {
        expect(isGlobalIPv4(a), a).to.equal(true);
      }
    });
  });

  describe('ipv4EmbeddingAllowed (RFC 6052 §3.1)', () => {
    it('forbids non-global addresses under the Well-Known Prefix only', () => {
      expect(ipv4EmbeddingAllowed(WELL_KNOWN_PREFIX, '10.1.2.3')).to.equal(false);
      expect(ipv4EmbeddingAllowed(parsePref64(WELL_KNOWN_PREFIX), '192.168.0.1')).to.equal(false);
      expect(ipv4EmbeddingAllowed(WELL_KNOWN_PREFIX, '100.64.0.1')).to.equal(false);
      expect(ipv4EmbeddingAllowed(WELL_KNOWN_PREFIX, '224.0.0.1')).to.equal(false);
      expect(ipv4EmbeddingAllowed(WELL_KNOWN_PREFIX, '192.0.2.33')).to.equal(false);
      expect(ipv4EmbeddingAllowed(WELL_KNOWN_PREFIX, '8.8.8.8')).to.equal(true);
      expect(ipv4EmbeddingAllowed('2001:db8:64::/96', '10.1.2.3')).to.equal(true);
      expect(ipv4EmbeddingAllowed('64:ff9b:1::/48', '10.1.2.3')).to.equal(true);
    });

    it('allows the 192.0.0.9/10 global exceptions under the WKP', () => {
      expect(ipv4EmbeddingAllowed(WELL_KNOWN_PREFIX, '192.0.0.9')).to.equal(true);
      expect(ipv4EmbeddingAllowed(WELL_KNOWN_PREFIX, '192.0.0.10')).to.equal(true);
      expect(ipv4EmbeddingAllowed(WELL_KNOWN_PREFIX, '192.0.0.11')).to.equal(false);
    });

    it('allows the RFC 7050 ipv4only.arpa addresses under the WKP (RFC 8880 §7.1)', () => {
      expect(isGlobalIPv4('192.0.0.170')).to.equal(false);
      expect(ipv4EmbeddingAllowed(WELL_KNOWN_PREFIX, '192.0.0.170')).to.equal(true);
      expect(ipv4EmbeddingAllowed(WELL_KNOWN_PREFIX, '192.0.0.171')).to.equal(true);
      expect(ipv4EmbeddingAllowed(WELL_KNOWN_PREFIX, '192.0.0.172')).to.equal(false);
    });
  });
});
