import { expect } from 'chai';
import {
  ArrayPrefix,
  compare,
  Expectation,
  FieldResult,
  fieldPaths,
  formatMismatches,
  formatResult,
  getPath,
  mismatches,
  renderValue,
  T,
  Tolerance,
} from '../../harness/packet/compare';
import { decode, encode } from '../../harness/packet/codec';
import { Packet } from '../../harness/packet/types';

/** An observed IPv4/UDP packet written out by hand (no codec needed). */
function udp4(): Packet {
  return {
    ipv4: {
      version: 4,
      ihl: 5,
      tos: 0,
      totalLength: 32,
      id: 0x1c46,
      reservedFlag: false,
      df: true,
      mf: false,
      fragOffset: 0,
      ttl: 63,
      protocol: 17,
      checksum: 0xb1e6,
      src: '192.0.2.1',
      dst: '198.51.100.2',
      options: [],
    },
    udp: { sport: 40000, dport: 53, length: 12, checksum: 0x1234 },
    payload: Buffer.from('abcd'),
  };
}

/** An observed ICMPv6 Destination Unreachable quoting an IPv6/UDP packet, with extension headers in the quote. */
function icmp6Error(): Packet {
  return {
    ipv6: { version: 6, trafficClass: 0, flowLabel: 0, payloadLength: 64, nextHeader: 58, hopLimit: 64, src: '64:ff9b::c000:201', dst: '2001:db8::1', extensions: [] },
    icmpv6: {
      type: 1,
      code: 0,
      checksum: 0xabcd,
      length: 0,
      unused: 0,
      quote: {
        ipv6: {
          version: 6,
          trafficClass: 0,
          flowLabel: 0,
          payloadLength: 24,
          nextHeader: 0,
          hopLimit: 63,
          src: '2001:db8::1',
          dst: '64:ff9b::c000:201',
          extensions: [
            { kind: 'hop-by-hop', nextHeader: 44, hdrExtLen: 0, options: [{ type: 1, length: 4, data: Buffer.alloc(4) }] },
            { kind: 'fragment', nextHeader: 17, reserved: 0, offset: 0, res: 0, m: false, id: 0xdeadbeef },
          ],
        },
        udp: { sport: 1234, dport: 53, length: 8, checksum: 0x5678 },
      },
    },
  };
}

function byPath(results: FieldResult[], path: string): FieldResult {
  const r = results.find((x) => x.path === path);
  if (!r) throw new Error(`no result for ${path}: ${results.map((x) => x.path).join(', ')}`);
  return r;
}

function one(expected: Expectation, observed: unknown): FieldResult {
  const rs = compare(expected, observed);
  expect(rs, JSON.stringify(rs)).to.have.length(1);
  return rs[0];
}

describe('packet/compare', () => {
  describe('exact leaves', () => {
    it('passes equal numbers, strings and booleans', () => {
      const rs = compare({ ipv4: { ttl: 63, src: '192.0.2.1', df: true } }, udp4());
      expect(rs.map((r) => [r.path, r.ok, r.rule])).to.deep.equal([
        ['ipv4.ttl', true, 'exact'],
        ['ipv4.src', true, 'exact'],
        ['ipv4.df', true, 'exact'],
      ]);
      expect(rs[0].expected).to.equal('63');
      expect(rs[0].observed).to.equal('63');
    });

    it('fails a different number, string or boolean', () => {
      const rs = compare({ ipv4: { ttl: 64, dst: '198.51.100.3', mf: true } }, udp4());
      expect(rs.every((r) => !r.ok)).to.equal(true);
      expect(byPath(rs, 'ipv4.ttl')).to.include({ expected: '64', observed: '63' });
      expect(byPath(rs, 'ipv4.dst')).to.include({ expected: '198.51.100.3', observed: '198.51.100.2' });
      expect(byPath(rs, 'ipv4.mf')).to.include({ expected: 'true', observed: 'false' });
    });

    it('compares strictly: no type coercion', () => {
      const r = one({ udp: { dport: '53' as unknown as number } }, udp4());
      expect(r.ok).to.equal(false);
      expect(r.note).to.equal('type differs: expected string, observed number');
      const b = one({ ipv4: { df: 1 as unknown as boolean } }, udp4());
      expect(b.ok).to.equal(false);
    });

    it('compares buffers by bytes, whatever the backing store', () => {
      const backing = new Uint8Array([0, 0x61, 0x62, 0x63, 0x64, 0]);
      expect(one({ payload: Buffer.from('abcd') }, udp4()).ok).to.equal(true);
      expect(one({ payload: backing.subarray(1, 5) }, udp4()).ok).to.equal(true);
      const bad = one({ payload: Buffer.from('abXd') }, udp4());
      expect(bad).to.include({ ok: false, expected: '61625864', observed: '61626364', rule: 'exact' });
      expect(bad.note).to.equal('first difference at byte 2');
      const longer = one({ payload: Buffer.from('abcde') }, udp4());
      expect(longer.ok).to.equal(false);
      expect(longer.note).to.equal('5 vs 4 bytes');
    });

    it('accepts a buffer that went through JSON', () => {
      const observed = JSON.parse(JSON.stringify(udp4()));
      expect(one({ payload: Buffer.from('abcd') }, observed).ok).to.equal(true);
      expect(renderValue(observed.payload)).to.equal('61626364');
    });

    it('fails a missing field and renders it as (absent)', () => {
      const p = udp4();
      delete p.udp!.checksum;
      const r = one({ udp: { checksum: 0x1234 } }, p);
      expect(r).to.include({ path: 'udp.checksum', ok: false, expected: '4660 (0x1234)', observed: '(absent)' });
    });

    it('does not check fields the expectation leaves out, nor undefined ones', () => {
      const rs = compare({ ipv4: { ttl: 63, tos: undefined } }, udp4());
      expect(rs.map((r) => r.path)).to.deep.equal(['ipv4.ttl']);
      expect(compare({}, udp4())).to.deep.equal([]);
    });
  });

  describe('tolerances', () => {
    it('T.any: present with any value passes, absent fails', () => {
      const ok = one({ ipv4: { id: T.any() } }, udp4());
      expect(ok).to.include({ ok: true, rule: 'any', expected: 'present (any value)', observed: '7238 (0x1c46)' });
      const p = udp4();
      delete p.ipv4!.id;
      expect(one({ ipv4: { id: T.any() } }, p)).to.include({ ok: false, observed: '(absent)' });
      expect(one({ tcp: T.any() }, udp4())).to.include({ ok: false, path: 'tcp', observed: '(absent)' });
      expect(one({ udp: T.any() }, udp4())).to.include({ ok: true, observed: '{sport, dport, length, checksum}' });
    });

    it('T.absent: passes for a missing layer or field, fails when present', () => {
      expect(one({ ipv6: T.absent() }, udp4())).to.include({ ok: true, rule: 'absent', expected: '(absent)', observed: '(absent)' });
      expect(one({ icmpv6: { quote: { tcp: T.absent() } } }, icmp6Error())).to.include({ path: 'icmpv6.quote.tcp', ok: true });
      const bad = one({ udp: T.absent() }, udp4());
      expect(bad).to.include({ ok: false, observed: '{sport, dport, length, checksum}' });
      const field = one({ ipv4: { checksum: T.absent() } }, udp4());
      expect(field).to.include({ ok: false, observed: '45542 (0xb1e6)' });
    });

    it('T.ignore: listed, always ok, shows the observed value', () => {
      expect(one({ ipv6: { flowLabel: T.ignore() } }, icmp6Error())).to.include({ ok: true, rule: 'ignore', expected: '(ignored)', observed: '0 (0x00000)' });
      expect(one({ tcp: T.ignore() }, udp4())).to.include({ ok: true, observed: '(absent)' });
    });

    it('T.oneOf: passes a listed value, fails others and absence', () => {
      expect(one({ ipv4: { ttl: T.oneOf([63, 64]) } }, udp4())).to.include({ ok: true, rule: 'one-of', expected: 'one of 63, 64' });
      const bad = one({ ipv4: { ttl: T.oneOf([62, 64]) } }, udp4());
      expect(bad).to.include({ ok: false, expected: 'one of 62, 64', observed: '63' });
      expect(one({ ipv4: { options: T.oneOf([5]) } }, { ipv4: { src: 'a', dst: 'b' } }).ok).to.equal(false);
      expect(one({ payload: T.oneOf([Buffer.from('x'), Buffer.from('abcd')]) }, udp4()).ok).to.equal(true);
      expect(one({ udp: { checksum: T.oneOf([0, 0xffff]) } }, udp4()).expected).to.equal('one of 0 (0x0000), 65535 (0xffff)');
      expect(one({ udp: { dport: T.oneOf(['53']) } }, udp4()).ok).to.equal(false);
    });

    it('T.range: inclusive bounds, fails outside and for non-numbers', () => {
      expect(one({ ipv4: { ttl: T.range(60, 63) } }, udp4())).to.include({ ok: true, rule: 'range', expected: 'between 60 and 63 inclusive' });
      expect(one({ ipv4: { ttl: T.range(63, 70) } }, udp4()).ok).to.equal(true);
      expect(one({ ipv4: { ttl: T.range(64, 255) } }, udp4())).to.include({ ok: false, observed: '63' });
      expect(one({ ipv4: { ttl: T.range(0, 62) } }, udp4())).to.include({ ok: false, expected: 'between 0 and 62 inclusive', observed: '63' });
      const s = one({ ipv4: { src: T.range(0, 10) as never } }, udp4());
      expect(s).to.include({ ok: false, note: 'not a number (string)' });
      const p = udp4();
      delete p.ipv4!.ttl;
      expect(one({ ipv4: { ttl: T.range(0, 255) } }, p)).to.include({ ok: false, observed: '(absent)' });
    });

    it('T.decrementedBy: exactly from - n', () => {
      const ok = one({ ipv4: { ttl: T.decrementedBy(1, 64) } }, udp4());
      expect(ok).to.include({ ok: true, rule: 'decremented', expected: '63 (decremented by exactly 1 from 64)', observed: '63' });
      const notDec = one({ ipv4: { ttl: T.decrementedBy(1, 63) } }, udp4());
      expect(notDec).to.include({ ok: false, expected: '62 (decremented by exactly 1 from 63)', observed: '63', note: 'not decremented' });
      const twice = one({ ipv4: { ttl: T.decrementedBy(1, 65) } }, udp4());
      expect(twice).to.include({ ok: false, note: 'decremented by 2' });
      const up = one({ ipv4: { ttl: T.decrementedBy(1, 62) } }, udp4());
      expect(up).to.include({ ok: false, note: 'increased by 1' });
      expect(one({ ipv4: { ttl: T.decrementedBy(2, 65) } }, udp4()).ok).to.equal(true);
    });

    it('T.matches: a named custom rule, given the path and whole packet; a throwing predicate fails', () => {
      const even = T.matches<number>((v) => v % 2 === 0, 'an even port');
      expect(one({ udp: { sport: even } }, udp4())).to.include({ ok: true, rule: 'custom', expected: 'an even port' });
      expect(one({ udp: { dport: even } }, udp4())).to.include({ ok: false, expected: 'an even port', observed: '53' });
      const seen: string[] = [];
      const ctxRule = T.matches<number>((v, ctx) => {
        seen.push(ctx.path);
        return v === (ctx.packet as Packet).icmpv6!.quote!.ipv6!.hopLimit;
      }, 'equal to the quoted hop limit');
      expect(one({ icmpv6: { quote: { ipv6: { hopLimit: ctxRule } } } }, icmp6Error()).ok).to.equal(true);
      expect(seen).to.deep.equal(['icmpv6.quote.ipv6.hopLimit']);
      const throws = T.matches<{ x: number }>((v) => v.x > 0, 'has x');
      const r = one({ udp: { length: throws as never } }, { udp: { sport: 1, dport: 2 } });
      expect(r.ok).to.equal(false);
      expect(r.note).to.match(/^predicate threw: /);
      expect(one({ udp: { sport: T.matches(() => 1 as unknown as boolean, 'truthy only') } }, udp4()).ok).to.equal(false);
    });

    it('T.bufferPrefix: observed bytes start with the prefix', () => {
      expect(one({ payload: T.bufferPrefix(Buffer.from('ab')) }, udp4())).to.include({ ok: true, rule: 'buffer-prefix', expected: 'starts with 6162 (2 bytes)' });
      expect(one({ payload: T.bufferPrefix(Buffer.from('abcd')) }, udp4()).ok).to.equal(true);
      expect(one({ payload: T.bufferPrefix(Buffer.alloc(0)) }, udp4()).ok).to.equal(true);
      const diff = one({ payload: T.bufferPrefix(Buffer.from('ac')) }, udp4());
      expect(diff).to.include({ ok: false, observed: '61626364', note: 'first difference at byte 1' });
      const short = one({ payload: T.bufferPrefix(Buffer.from('abcde')) }, udp4());
      expect(short).to.include({ ok: false, note: 'only 4 bytes' });
      expect(one({ payload: T.bufferPrefix(Buffer.from('a')) }, {})).to.include({ ok: false, observed: '(absent)' });
      expect(one({ udp: { sport: T.bufferPrefix(Buffer.from('a')) as never } }, udp4())).to.include({ ok: false, note: 'not bytes' });
    });

    it('T.lengthRange: bytes or arrays with a length in range', () => {
      expect(one({ payload: T.lengthRange(1, 4) }, udp4())).to.include({ ok: true, rule: 'length-range', expected: 'length between 1 and 4', observed: 'length 4' });
      expect(one({ payload: T.lengthRange(5) }, udp4())).to.include({ ok: false, expected: 'length at least 5', observed: 'length 4' });
      expect(one({ payload: T.lengthRange(0, 3) }, udp4()).ok).to.equal(false);
      expect(one({ payload: T.lengthRange(4, 4) }, udp4()).expected).to.equal('length 4');
      expect(one({ icmpv6: { quote: { ipv6: { extensions: T.lengthRange(1, 2) } } } }, icmp6Error()).ok).to.equal(true);
      expect(one({ payload: T.lengthRange(0) }, {})).to.include({ ok: false, observed: '(absent)' });
      expect(one({ udp: { sport: T.lengthRange(0) as never } }, udp4())).to.include({ ok: false, note: 'has no length' });
    });

    it('tolerances describe themselves', () => {
      expect(T.decrementedBy(1, 64)).to.be.instanceOf(Tolerance);
      expect(String(T.decrementedBy(1, 64))).to.equal('63 (decremented by exactly 1 from 64)');
      expect(renderValue(T.range(1, 2))).to.equal('between 1 and 2 inclusive');
    });
  });

  describe('nested quotes', () => {
    it('checks fields inside the quoted packet by path', () => {
      const rs = compare(
        { icmpv6: { type: 1, code: 0, quote: { ipv6: { hopLimit: T.decrementedBy(1, 64), src: '2001:db8::1' }, udp: { dport: 53 } } } },
        icmp6Error(),
      );
      expect(rs.map((r) => r.path)).to.deep.equal([
        'icmpv6.type',
        'icmpv6.code',
        'icmpv6.quote.ipv6.hopLimit',
        'icmpv6.quote.ipv6.src',
        'icmpv6.quote.udp.dport',
      ]);
      expect(rs.every((r) => r.ok)).to.equal(true);
    });

    it('reports a wrong quoted field with its full path', () => {
      const bad = mismatches({ icmpv6: { quote: { ipv6: { hopLimit: 64 } } } }, icmp6Error());
      expect(formatMismatches(bad)).to.equal('icmpv6.quote.ipv6.hopLimit: expected 64, observed 63');
    });

    it('a missing quote is one failing "present" entry, nothing below it is checked', () => {
      const p = icmp6Error();
      delete p.icmpv6!.quote;
      const rs = compare({ icmpv6: { type: 1, quote: { ipv6: { hopLimit: 63 }, udp: { dport: 53 } } } }, p);
      expect(rs).to.have.length(2);
      expect(rs[0]).to.include({ path: 'icmpv6.type', ok: true });
      expect(rs[1]).to.deep.equal({ path: 'icmpv6.quote', expected: 'present', observed: '(absent)', ok: false, rule: 'present' });
    });

    it('a quote cut short inside its transport header: the layer is missing, the bytes are in payload', () => {
      const p = icmp6Error();
      p.icmpv6!.quote = { ipv6: p.icmpv6!.quote!.ipv6, payload: Buffer.from([0x04, 0xd2, 0x00]) };
      const rs = compare({ icmpv6: { quote: { udp: { sport: 1234 }, payload: T.bufferPrefix(Buffer.from([0x04, 0xd2])) } } }, p);
      expect(rs.map((r) => [r.path, r.ok, r.rule])).to.deep.equal([
        ['icmpv6.quote.udp', false, 'present'],
        ['icmpv6.quote.payload', true, 'buffer-prefix'],
      ]);
    });
  });

  describe('arrays', () => {
    it('compares element by element with index paths, after the length', () => {
      const rs = compare(
        { icmpv6: { quote: { ipv6: { extensions: [{ kind: 'hop-by-hop', options: [{ type: 1, data: Buffer.alloc(4) }] }, { kind: 'fragment', id: 0xdeadbeef, m: false }] } } } },
        icmp6Error(),
      );
      expect(rs.map((r) => r.path)).to.deep.equal([
        'icmpv6.quote.ipv6.extensions.length',
        'icmpv6.quote.ipv6.extensions.0.kind',
        'icmpv6.quote.ipv6.extensions.0.options.length',
        'icmpv6.quote.ipv6.extensions.0.options.0.type',
        'icmpv6.quote.ipv6.extensions.0.options.0.data',
        'icmpv6.quote.ipv6.extensions.1.kind',
        'icmpv6.quote.ipv6.extensions.1.id',
        'icmpv6.quote.ipv6.extensions.1.m',
      ]);
      expect(rs.filter((r) => !r.ok)).to.deep.equal([]);
      expect(rs[0]).to.include({ rule: 'length', expected: '2', observed: '2' });
      expect(byPath(rs, 'icmpv6.quote.ipv6.extensions.1.id').observed).to.equal('3735928559 (0xdeadbeef)');
    });

    it('requires the same length; missing elements fail as absent', () => {
      const rs = compare({ ipv6: { extensions: [{ kind: 'fragment' }] } }, icmp6Error());
      expect(rs.map((r) => [r.path, r.ok, r.observed])).to.deep.equal([
        ['ipv6.extensions.length', false, '0'],
        ['ipv6.extensions.0', false, '(absent)'],
      ]);
      const leaves = compare({ ipv4: { options: [T.any(), 5] as never } }, udp4());
      expect(leaves.map((r) => [r.path, r.ok, r.observed])).to.deep.equal([
        ['ipv4.options.length', false, '0'],
        ['ipv4.options.0', false, '(absent)'],
        ['ipv4.options.1', false, '(absent)'],
      ]);
    });

    it('fails on extra observed elements', () => {
      const r = compare({ icmpv6: { quote: { ipv6: { extensions: [{ kind: 'hop-by-hop' }] } } } }, icmp6Error());
      expect(r[0]).to.include({ path: 'icmpv6.quote.ipv6.extensions.length', ok: false, expected: '1', observed: '2' });
      expect(r[1]).to.include({ ok: true });
      expect(compare({ ipv4: { options: [] } }, udp4())[0].ok).to.equal(true);
    });

    it('a wrong element field is reported by index', () => {
      const bad = mismatches({ icmpv6: { quote: { ipv6: { extensions: [{ kind: 'hop-by-hop' }, { kind: 'destination' }] } } } }, icmp6Error());
      expect(formatMismatches(bad)).to.equal('icmpv6.quote.ipv6.extensions.1.kind: expected destination, observed fragment');
    });

    it('T.arrayPrefix: at least these elements, first ones compared', () => {
      const exp: Expectation = { icmpv6: { quote: { ipv6: { extensions: T.arrayPrefix([{ kind: 'hop-by-hop' }]) } } } };
      const rs = compare(exp, icmp6Error());
      expect(rs.map((r) => [r.path, r.ok, r.rule, r.expected])).to.deep.equal([
        ['icmpv6.quote.ipv6.extensions.length', true, 'array-prefix', 'at least 1'],
        ['icmpv6.quote.ipv6.extensions.0.kind', true, 'exact', 'hop-by-hop'],
      ]);
      expect(T.arrayPrefix([])).to.be.instanceOf(ArrayPrefix);
      expect(compare({ ipv6: { extensions: T.arrayPrefix([]) } }, icmp6Error())[0].ok).to.equal(true);
      const short = compare({ ipv6: { extensions: T.arrayPrefix([{ kind: 'fragment' }]) } }, icmp6Error());
      expect(short.map((r) => [r.path, r.ok])).to.deep.equal([
        ['ipv6.extensions.length', false],
        ['ipv6.extensions.0', false],
      ]);
      const wrong = compare({ icmpv6: { quote: { ipv6: { extensions: T.arrayPrefix([{ kind: 'routing' }]) } } } }, icmp6Error());
      expect(wrong[1]).to.include({ ok: false, observed: 'hop-by-hop' });
    });

    it('fails when the observed field is not an array or missing', () => {
      const p = udp4();
      delete p.ipv4!.options;
      expect(one({ ipv4: { options: [] } }, p)).to.include({ path: 'ipv4.options.length', ok: false, rule: 'length', observed: '(absent)' });
      const q = udp4() as unknown as { ipv4: { options: unknown } };
      q.ipv4.options = 7;
      expect(one({ ipv4: { options: [] } }, q)).to.include({ ok: false, observed: 'not an array: 7' });
      expect(one({ ipv4: { options: T.arrayPrefix([]) } }, p)).to.include({ ok: false, rule: 'array-prefix' });
    });
  });

  describe('layers', () => {
    it('an expected layer requires the layer; its fields are then not checked', () => {
      const rs = compare({ tcp: { sport: 1, flags: { syn: true } }, udp: { dport: 53 } }, udp4());
      expect(rs).to.deep.equal([
        { path: 'tcp', expected: 'present', observed: '(absent)', ok: false, rule: 'present' },
        { path: 'udp.dport', expected: '53', observed: '53', ok: true, rule: 'exact' },
      ]);
    });

    it('an empty expected layer object just requires presence', () => {
      expect(compare({ udp: {} }, udp4())).to.deep.equal([]);
      expect(compare({ tcp: {} }, udp4())).to.have.length(1);
    });

    it('a value where an object is expected fails with a note', () => {
      const r = one({ udp: { sport: 1 } }, { udp: 5 });
      expect(r).to.include({ path: 'udp', ok: false, rule: 'present', observed: '5', note: 'not an object' });
      expect(one({ udp: { sport: 1 } }, { udp: Buffer.from([1]) })).to.include({ ok: false, observed: '01' });
    });

    it('results come depth-first in the expectation key order', () => {
      const rs = compare({ udp: { dport: 53, sport: 40000 }, ipv4: { ttl: 63, src: '192.0.2.1' }, payload: Buffer.from('abcd') }, udp4());
      expect(rs.map((r) => r.path)).to.deep.equal(['udp.dport', 'udp.sport', 'ipv4.ttl', 'ipv4.src', 'payload']);
    });
  });

  describe('never throws on odd observed packets', () => {
    const expectation: Expectation = {
      ipv6: { hopLimit: T.decrementedBy(1, 64), extensions: [{ kind: 'fragment' }] },
      icmpv6: { checksum: T.validChecksum(), quote: { ipv6: { hopLimit: 63 }, udp: { checksum: T.validChecksum() }, payload: T.bufferPrefix(Buffer.from([1])) } },
      udp: T.absent(),
      payload: T.lengthRange(0, 10),
    };
    const odd: Array<[string, unknown]> = [
      ['undefined', undefined],
      ['null', null],
      ['a number', 42],
      ['a buffer', Buffer.from([0x60, 0])],
      ['an empty packet', {}],
      ['null layers', { ipv6: null, icmpv6: null }],
      ['a quote that is a string', { ipv6: { src: 'x', dst: 'y' }, icmpv6: { type: 1, quote: 'garbage' } }],
      ['a quote with a non-array extensions', { icmpv6: { type: 1, quote: { ipv6: { extensions: { 0: 1 } }, udp: null } } }],
      ['an array for a layer', { ipv6: [1, 2], icmpv6: [] }],
      ['a decoded garbage packet', decode(Buffer.from([0x60, 1, 2]))],
    ];
    for (const [name, observed] of odd) {
      it(`copes with ${name}`, () => {
        const rs = compare(expectation, observed, { checksums: () => ({}) });
        expect(rs.length).to.be.greaterThan(0);
        for (const r of rs) {
          expect(r.path).to.be.a('string');
          expect(r.expected).to.be.a('string');
          expect(r.observed).to.be.a('string');
        }
        expect(rs.some((r) => !r.ok)).to.equal(true);
        expect(() => formatMismatches(rs)).not.to.throw();
      });
    }

    it('treats a non-object observed packet as one with no layers', () => {
      expect(compare({ ipv4: T.absent(), ipv6: { src: 'x' } }, 'nonsense')).to.deep.equal([
        { path: 'ipv4', expected: '(absent)', observed: '(absent)', ok: true, rule: 'absent' },
        { path: 'ipv6', expected: 'present', observed: '(absent)', ok: false, rule: 'present' },
      ]);
    });

    it('copes with a cyclic observed packet', () => {
      const p = udp4() as Packet & { self?: unknown };
      p.self = p;
      expect(compare({ udp: { dport: 53 } }, p)[0].ok).to.equal(true);
      expect(() => fieldPaths(p)).not.to.throw();
      expect(fieldPaths(p).find((f) => f.path === 'self')!.text).to.equal('(cycle)');
    });

    it('does not read inherited properties', () => {
      expect(getPath({}, 'constructor')).to.equal(undefined);
      expect(getPath({ ipv4: {} }, 'ipv4.toString')).to.equal(undefined);
      expect(one({ ['constructor' as never]: T.absent() } as Expectation, {}).ok).to.equal(true);
    });
  });

  describe('rendering and messages', () => {
    it('formats a mismatch line with the rule in words', () => {
      const observed = udp4();
      observed.ipv4!.ttl = 64;
      const bad = mismatches({ ipv4: { ttl: T.decrementedBy(1, 64) } }, observed);
      expect(formatMismatches(bad)).to.equal('ipv4.ttl: expected 63 (decremented by exactly 1 from 64), observed 64 — not decremented');
    });

    it('formats one line per mismatch, skipping passing results, empty for none', () => {
      const rs = compare({ ipv4: { ttl: 64, src: '192.0.2.1', id: 0x1c47 }, udp: { dport: 54 } }, udp4());
      expect(formatMismatches(rs).split('\n')).to.deep.equal([
        'ipv4.ttl: expected 64, observed 63',
        'ipv4.id: expected 7239 (0x1c47), observed 7238 (0x1c46)',
        'udp.dport: expected 54, observed 53',
      ]);
      expect(formatMismatches([])).to.equal('');
      expect(formatMismatches(rs.filter((r) => r.ok))).to.equal('');
      expect(formatResult({ path: 'a.b', expected: 'x', observed: 'y', ok: true, rule: 'exact' })).to.equal('a.b: expected x, observed y');
    });

    it('mismatches is the failing part of compare', () => {
      const exp: Expectation = { ipv4: { ttl: 64, src: '192.0.2.1' }, udp: { dport: 54, sport: 40000 } };
      expect(mismatches(exp, udp4())).to.deep.equal(compare(exp, udp4()).filter((r) => !r.ok));
      expect(mismatches(exp, udp4()).map((r) => r.path)).to.deep.equal(['ipv4.ttl', 'udp.dport']);
    });

    it('renders values readably', () => {
      expect(renderValue(63, 'ipv4.ttl')).to.equal('63');
      expect(renderValue(0x1c46, 'ipv4.id')).to.equal('7238 (0x1c46)');
      expect(renderValue(0, ['udp', 'checksum'])).to.equal('0 (0x0000)');
      expect(renderValue(0xdeadbeef, 'ipv6.extensions.0.id')).to.equal('3735928559 (0xdeadbeef)');
      expect(renderValue(0xb8, 'ipv4.tos')).to.equal('184 (0xb8)');
      expect(renderValue(true)).to.equal('true');
      expect(renderValue(false)).to.equal('false');
      expect(renderValue('2001:db8::1')).to.equal('2001:db8::1');
      expect(renderValue('')).to.equal('""');
      expect(renderValue(undefined)).to.equal('(absent)');
      expect(renderValue(null)).to.equal('null');
      expect(renderValue(Buffer.from([0xde, 0xad]))).to.equal('dead');
      expect(renderValue(Buffer.alloc(0))).to.equal('(empty)');
      expect(renderValue([1, 2])).to.equal('[2 elements]');
      expect(renderValue({ a: 1, b: undefined })).to.equal('{a}');
    });

    it('cuts long buffers', () => {
      const long = Buffer.alloc(100, 0xab);
      expect(renderValue(long)).to.equal(`${'ab'.repeat(32)}…(100 bytes)`);
      expect(renderValue(Buffer.alloc(32, 1))).to.equal('01'.repeat(32));
      const r = one({ payload: Buffer.alloc(100, 0xab) }, { payload: Buffer.alloc(40, 0xab) });
      expect(r.observed).to.equal(`${'ab'.repeat(32)}…(40 bytes)`);
      expect(r.note).to.equal('100 vs 40 bytes');
    });
  });

  describe('paths', () => {
    it('getPath reads layers, quotes, array elements and lengths', () => {
      const p = icmp6Error();
      expect(getPath(p, 'icmpv6.quote.ipv6.hopLimit')).to.equal(63);
      expect(getPath(p, ['icmpv6', 'quote', 'ipv6', 'extensions', '1', 'id'])).to.equal(0xdeadbeef);
      expect(getPath(p, 'icmpv6.quote.ipv6.extensions.length')).to.equal(2);
      expect(getPath(p, 'icmpv6.quote.ipv6.extensions.0.options.0.data')).to.deep.equal(Buffer.alloc(4));
      expect(getPath(p, '')).to.equal(p);
      expect(getPath(p, 'tcp.sport')).to.equal(undefined);
      expect(getPath(p, 'icmpv6.quote.ipv6.extensions.5.kind')).to.equal(undefined);
      expect(getPath(p, 'icmpv6.quote.ipv6.extensions.x')).to.equal(undefined);
      expect(getPath(p, 'ipv6.hopLimit.deeper')).to.equal(undefined);
      expect(getPath(undefined, 'ipv6')).to.equal(undefined);
      expect(getPath(udp4(), 'payload.length')).to.equal(4);
    });

    it('fieldPaths lists every leaf, depth-first, readable and consistent with getPath', () => {
      const p = icmp6Error();
      const fields = fieldPaths(p);
      const paths = fields.map((f) => f.path);
      expect(paths.slice(0, 3)).to.deep.equal(['ipv6.version', 'ipv6.trafficClass', 'ipv6.flowLabel']);
      expect(paths).to.include('ipv6.extensions');
      expect(paths).to.include('icmpv6.quote.ipv6.hopLimit');
      expect(paths).to.include('icmpv6.quote.ipv6.extensions.0.options.0.data');
      expect(paths).to.include('icmpv6.quote.ipv6.extensions.1.id');
      expect(paths).to.include('icmpv6.quote.udp.checksum');
      expect(paths.indexOf('icmpv6.quote.ipv6.hopLimit')).to.be.lessThan(paths.indexOf('icmpv6.quote.udp.sport'));
      for (const f of fields) expect(getPath(p, f.path)).to.equal(f.value);
      expect(fields.find((f) => f.path === 'icmpv6.checksum')!.text).to.equal('43981 (0xabcd)');
      expect(fields.find((f) => f.path === 'ipv6.extensions')!.text).to.equal('[0 elements]');
      const data = fields.find((f) => f.path === 'icmpv6.quote.ipv6.extensions.0.options.0.data')!;
      expect(data.text).to.equal('00000000');
      expect(fieldPaths({ udp: { sport: 1, dport: 2, length: undefined } }).map((f) => f.path)).to.deep.equal(['udp.sport', 'udp.dport']);
      expect(fieldPaths(undefined)).to.deep.equal([]);
    });
  });

  describe('T.validChecksum (with the real codec)', () => {
    const udpProbe: Packet = {
      ipv4: { src: '192.0.2.1', dst: '198.51.100.2', ttl: 64, id: 0x1c46 },
      udp: { sport: 40000, dport: 53 },
      payload: Buffer.from('checksum me'),
    };

    it('passes the checksums encode computed (ipv4 and udp)', () => {
      const observed = decode(encode(udpProbe));
      const rs = compare({ ipv4: { checksum: T.validChecksum() }, udp: { checksum: T.validChecksum() } }, observed);
      expect(rs.map((r) => [r.path, r.ok, r.rule])).to.deep.equal([
        ['ipv4.checksum', true, 'valid-checksum'],
        ['udp.checksum', true, 'valid-checksum'],
      ]);
      expect(rs[0].expected).to.equal(`valid checksum ${renderValue(observed.ipv4!.checksum, 'ipv4.checksum')}`);
    });

    it('fails a wrong checksum and says what it should be', () => {
      const good = decode(encode(udpProbe));
      const observed = decode(encode({ ...udpProbe, udp: { ...udpProbe.udp!, checksum: 0x1234 } }));
      const r = one({ udp: { checksum: T.validChecksum() } }, observed);
      expect(r).to.include({ ok: false, observed: '4660 (0x1234)', expected: `valid checksum ${renderValue(good.udp!.checksum, 'udp.checksum')}` });
      const ipBad = decode(encode({ ...udpProbe, ipv4: { ...udpProbe.ipv4!, checksum: 0xffff } }));
      expect(one({ ipv4: { checksum: T.validChecksum() } }, ipBad).ok).to.equal(false);
      expect(formatMismatches([r])).to.match(/^udp\.checksum: expected valid checksum \d+ \(0x[0-9a-f]{4}\), observed 4660 \(0x1234\)$/);
    });

    it('a zero UDP checksum over IPv4 fails unless allowZero', () => {
      const observed = decode(encode({ ...udpProbe, udp: { ...udpProbe.udp!, checksum: 0 } }));
      expect(one({ udp: { checksum: T.validChecksum() } }, observed).ok).to.equal(false);
      const allowed = one({ udp: { checksum: T.validChecksum({ allowZero: true }) } }, observed);
      expect(allowed.ok).to.equal(true);
      expect(allowed.expected).to.match(/ or 0 \(no checksum, RFC 768\)$/);
    });

    it('checks TCP and ICMPv4 checksums, and inside an ICMPv4 quote', () => {
      const inner: Packet = { ipv4: { src: '198.51.100.2', dst: '192.0.2.1', ttl: 63 }, tcp: { sport: 443, dport: 50000, flags: { syn: true, ack: true } } };
      const observed = decode(encode({ ipv4: { src: '192.0.2.254', dst: '198.51.100.2' }, icmpv4: { type: 3, code: 1, quote: inner } }));
      const exp: Expectation = {
        ipv4: { checksum: T.validChecksum() },
        icmpv4: { checksum: T.validChecksum(), quote: { ipv4: { checksum: T.validChecksum() }, tcp: { checksum: T.validChecksum() } } },
      };
      const rs = compare(exp, observed);
      expect(rs.map((r) => [r.path, r.ok])).to.deep.equal([
        ['ipv4.checksum', true],
        ['icmpv4.checksum', true],
        ['icmpv4.quote.ipv4.checksum', true],
        ['icmpv4.quote.tcp.checksum', true],
      ]);
      const bad = decode(encode({ ipv4: { src: '192.0.2.254', dst: '198.51.100.2' }, icmpv4: { type: 3, code: 1, quote: { ...inner, tcp: { ...inner.tcp!, checksum: 7 } } } }));
      expect(mismatches(exp, bad).map((r) => r.path)).to.deep.equal(['icmpv4.quote.tcp.checksum']);
    });

    it('checks the ICMPv6 checksum and the quoted UDP checksum of an ICMPv6 error', () => {
      const inner: Packet = { ipv6: { src: '2001:db8::1', dst: '64:ff9b::c000:201', hopLimit: 63 }, udp: { sport: 1234, dport: 53 }, payload: Buffer.from('query') };
      const outer: Packet = { ipv6: { src: '64:ff9b::c000:201', dst: '2001:db8::1' }, icmpv6: { type: 1, code: 0, quote: inner } };
      const exp: Expectation = { icmpv6: { checksum: T.validChecksum(), quote: { ipv6: { hopLimit: 63 }, udp: { checksum: T.validChecksum() } } } };
      expect(mismatches(exp, decode(encode(outer)))).to.deep.equal([]);
      const wrongQuote = decode(encode({ ...outer, icmpv6: { ...outer.icmpv6!, quote: { ...inner, udp: { ...inner.udp!, checksum: 0xbeef } } } }));
      const bad = mismatches(exp, wrongQuote);
      expect(bad.map((r) => [r.path, r.observed])).to.deep.equal([['icmpv6.quote.udp.checksum', '48879 (0xbeef)']]);
      const wrongOuter = decode(encode({ ...outer, icmpv6: { ...outer.icmpv6!, checksum: 1 } }));
      expect(mismatches(exp, wrongOuter).map((r) => r.path)).to.deep.equal(['icmpv6.checksum']);
    });

    it('a truncated quote: not computable is a mismatch with a reason, unless allowUncomputable', () => {
      const inner: Packet = { ipv6: { src: '2001:db8::1', dst: '64:ff9b::c000:201' }, udp: { sport: 1234, dport: 53 }, payload: Buffer.alloc(200, 7) };
      const cut = decode(encode(inner).subarray(0, 48));
      expect(cut.udp, 'the codec keeps a complete UDP header').to.not.equal(undefined);
      const observed: Packet = { ipv6: { src: '64:ff9b::c000:201', dst: '2001:db8::1' }, icmpv6: { type: 1, code: 0, checksum: 0, quote: cut } };
      const strict = one({ icmpv6: { quote: { udp: { checksum: T.validChecksum() } } } }, observed);
      expect(strict).to.include({ path: 'icmpv6.quote.udp.checksum', ok: false, rule: 'valid-checksum', expected: 'valid checksum (not computable)' });
      expect(strict.note).to.match(/^the udp checksum of the packet at icmpv6\.quote cannot be computed/);
      expect(strict.note).to.include('decode notes: ');
      expect(formatMismatches([strict])).to.match(/^icmpv6\.quote\.udp\.checksum: expected valid checksum \(not computable\), observed \d+ \(0x[0-9a-f]{4}\) — the udp checksum/);
      const lenient = one({ icmpv6: { quote: { udp: { checksum: T.validChecksum({ allowUncomputable: true }) } } } }, observed);
      expect(lenient).to.include({ ok: true, expected: 'valid checksum (not computable, allowed)' });
      // The same at the top level of a truncated capture.
      expect(one({ udp: { checksum: T.validChecksum() } }, cut).ok).to.equal(false);
    });

    it('a layer without its checksum field fails', () => {
      const observed = decode(encode(udpProbe));
      delete observed.udp!.checksum;
      expect(one({ udp: { checksum: T.validChecksum() } }, observed)).to.include({ ok: false, observed: '(absent)' });
    });

    it('checks the RFC 4884 extension structure checksum', () => {
      const inner: Packet = { ipv4: { src: '198.51.100.2', dst: '192.0.2.1' }, udp: { sport: 1, dport: 2 } };
      const ext = { objects: [{ classNum: 2, cType: 1, data: Buffer.from([0, 0, 0, 9]) }] };
      const exp: Expectation = { icmpv4: { extensions: { checksum: T.validChecksum() } } };
      const good = decode(encode({ ipv4: { src: '192.0.2.254', dst: '198.51.100.2' }, icmpv4: { type: 3, code: 1, quote: inner, extensions: ext } }));
      expect(good.icmpv4!.extensions, 'the codec decodes extensions').to.not.equal(undefined);
      expect(compare(exp, good)[0]).to.include({ path: 'icmpv4.extensions.checksum', ok: true });
      const bad = decode(encode({ ipv4: { src: '192.0.2.254', dst: '198.51.100.2' }, icmpv4: { type: 3, code: 1, quote: inner, extensions: { ...ext, checksum: 0x4242 } } }));
      expect(compare(exp, bad)[0]).to.include({ ok: false, observed: '16962 (0x4242)' });
    });

    it('fails where the rule does not apply, even with allowUncomputable', () => {
      const observed = decode(encode(udpProbe));
      const loose = T.validChecksum({ allowUncomputable: true });
      const notChecksum = one({ udp: { sport: loose } }, observed);
      expect(notChecksum.ok).to.equal(false);
      expect(notChecksum.note).to.match(/does not apply to udp\.sport/);
      const rs = compare({ ipv6: { extensions: [{ checksum: loose } as never] } }, { ipv6: { src: 'a', dst: 'b', extensions: [{ checksum: 1 }] } });
      expect(byPath(rs, 'ipv6.extensions.0.checksum')).to.include({ ok: false });
      expect(byPath(rs, 'ipv6.extensions.0.checksum').note).to.match(/does not apply/);
    });

    it('a checksum routine that throws fails (also with allowUncomputable) and does not escape', () => {
      const observed = decode(encode(udpProbe));
      const throwing = (): never => {
        throw new Error('boom');
      };
      const r = compare({ udp: { checksum: T.validChecksum({ allowUncomputable: true }) } }, observed, { checksums: throwing })[0];
      expect(r).to.include({ ok: false, expected: 'valid checksum (not computable)' });
      expect(r.note).to.equal('computing the checksums of the packet failed: boom');
    });

    it('notes that 0xffff and 0x0000 are one\'s-complement equals but still fails', () => {
      const r = compare({ ipv4: { checksum: T.validChecksum() } }, { ipv4: { src: 'a', dst: 'b', checksum: 0xffff } }, { checksums: () => ({ ipv4: 0 }) })[0];
      expect(r.ok).to.equal(false);
      expect(r.note).to.match(/one's complement/);
    });
  });
});
