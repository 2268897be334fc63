/**
 * RFC 7915 header translation (engine/xlat), field by field, on crafted
 * packets that go through the codec the way the NAT64 half sees them:
 * encode -> bytes -> decode -> translate -> encode -> bytes -> decode.
 */
import { expect } from 'chai';
import { loadCatalogue } from '../../harness/catalogue';
import { checksumsValid, decode, encode, expectedChecksums } from '../../harness/packet/codec';
import { LAB } from '../../harness/lab/addressing';
import { embed } from '../../harness/packet/rfc6052';
import { ExtensionHeader, Packet } from '../../harness/packet/types';
import { FAULTS } from '../../engine/faults';
import {
  ICMP4_TO_6,
  ICMP6_TO_4,
  POINTER_4_TO_6,
  POINTER_6_TO_4,
  XLAT_FAULTS,
  XlatFault,
  XlatMap,
  XlatOptions,
  XlatResult,
  icmp4To6,
  icmp6To4,
  icmpError4,
  icmpError6,
  plateauBelow,
  pointer4To6,
  pointer6To4,
  ptbMtu4to6,
  ptbMtu6to4,
  timeExceeded4,
  timeExceeded6,
  translate4to6,
  translate6to4,
} from '../../engine/xlat';

// ---------------------------------------------------------------- fixtures

const C6 = LAB.client6[0];
const S4 = LAB.server4[0];
const T4 = LAB.pool4[0];
/** The server as the IPv6 client sees it: [Pref64::S4]. */
const S6 = embed(LAB.pool6, S4);
/** An address of the translator for errors toward the IPv6 side: [Pref64::T4]. */
const T6 = embed(LAB.pool6, T4);

const MAP64: XlatMap = { src: T4, dst: S4, sport: 61000, dport: 53, icmpId: 4321, ipv4Id: 0x2222 };
const MAP46: XlatMap = { src: S6, dst: C6, sport: 53, dport: 40000, icmpId: 1234 };

function opts(...faults: XlatFault[]): XlatOptions {
  return { faults: new Set(faults) };
}

/** What the NAT64 half hands over: the packet after a trip through the wire format. */
function rx(p: Packet): Packet {
  return decode(encode(p));
}

function data(n: number, seed = 1): Buffer {
  return Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff));
}

function udp6(extra: Partial<NonNullable<Packet['ipv6']>> = {}, payload = data(12)): Packet {
  return rx({
    ipv6: { trafficClass: 0xb9, flowLabel: 0x12345, hopLimit: 64, src: C6, dst: S6, ...extra },
    udp: { sport: 40000, dport: 53 },
    payload,
  });
}

function udp4(extra: Partial<NonNullable<Packet['ipv4']>> = {}, payload = data(12)): Packet {
  return rx({
    ipv4: { tos: 0xb9, id: 0x1c46, df: true, ttl: 64, src: S4, dst: T4, ...extra },
    udp: { sport: 53, dport: 61000 },
    payload,
  });
}

/** The result as it would appear on the wire, decoded again. */
function wire(r: XlatResult): Packet {
  if (r.kind === 'drop') throw new Error(`expected a packet, got drop (${r.code}): ${r.reason}`);
  return decode(encode(r.packet));
}

function ok(r: XlatResult): Packet {
  expect(r.kind, r.kind === 'drop' ? `${r.code}: ${r.reason}` : r.kind).to.equal('ok');
  return wire(r);
}

function expectDrop(r: XlatResult, code: string): void {
  expect(r.kind).to.equal('drop');
  if (r.kind === 'drop') expect(r.code, r.reason).to.equal(code);
}

/** Every checksum of the packet (IPv4 header, transport) is present and right. */
function expectValidChecksums(p: Packet, layers: string[]): void {
  const v = checksumsValid(p);
  for (const l of layers) expect(v[l as keyof typeof v], `${l} checksum`).to.equal(true);
  expect(p.notes, 'decode notes').to.equal(undefined);
}

function catalogueIds(): Set<string> {
  return new Set(loadCatalogue().keys());
}

// ----------------------------------------------------------- IPv6 -> IPv4

describe('xlat: IPv6 -> IPv4 (RFC 7915 §5)', () => {
  describe('§5.1 header fields', () => {
    it('translates a UDP packet field by field', () => {
      const input = udp6();
      const out = ok(translate6to4(input, MAP64, opts()));
      const h = out.ipv4!;
      expect(h.version).to.equal(4);
      expect(h.ihl).to.equal(5);
      expect(h.tos, 'TOS = whole Traffic Class').to.equal(0xb9);
      expect(h.totalLength).to.equal(input.ipv6!.payloadLength! + 20);
      expect(h.id, 'Identification from the generator').to.equal(0x2222);
      expect(h.reservedFlag).to.equal(false);
      expect(h.df, '<= 1260 bytes: DF clear').to.equal(false);
      expect(h.mf).to.equal(false);
      expect(h.fragOffset).to.equal(0);
      expect(h.ttl, 'hop limit - 1').to.equal(63);
      expect(h.protocol).to.equal(17);
      expect(h.src).to.equal(T4);
      expect(h.dst).to.equal(S4);
      expect(h.options).to.deep.equal([]);
      expect(out.udp!.sport).to.equal(61000);
      expect(out.udp!.dport).to.equal(53);
      expect(out.udp!.length).to.equal(input.udp!.length);
      expect(out.payload!.equals(input.payload!)).to.equal(true);
      expectValidChecksums(out, ['ipv4', 'udp']);
    });

    it('translates a TCP segment keeping every TCP field but ports and checksum', () => {
      const input = rx({
        ipv6: { hopLimit: 50, src: C6, dst: S6 },
        tcp: {
          sport: 40001,
          dport: 80,
          seq: 0x01020304,
          ack: 0x0a0b0c0d,
          flags: { syn: true, ack: true, ece: true },
          window: 1234,
          urgent: 7,
          options: [{ kind: 2, data: Buffer.from([0x05, 0xb4]) }, { kind: 1 }, { kind: 1 }, { kind: 4 }],
        },
        payload: data(33),
      });
      const out = ok(translate6to4(input, { ...MAP64, dport: 80 }, opts()));
      expect(out.ipv4!.protocol).to.equal(6);
      expect(out.ipv4!.ttl).to.equal(49);
      const { sport, dport, checksum, ...rest } = out.tcp!;
      const { sport: s0, dport: d0, checksum: c0, ...rest0 } = input.tcp!;
      expect([sport, dport]).to.deep.equal([61000, 80]);
      expect(rest).to.deep.equal(rest0);
      expect(checksum).to.not.equal(c0);
      expectValidChecksums(out, ['ipv4', 'tcp']);
    });

    it('TOS knob: a configured TOS replaces the Traffic Class', () => {
      const out = ok(translate6to4(udp6(), MAP64, { ...opts(), tos: 0x20 }));
      expect(out.ipv4!.tos).to.equal(0x20);
    });

    it('Identification is 0 when the caller gives no generator value', () => {
      const { ipv4Id: _unused, ...noId } = MAP64;
      expect(ok(translate6to4(udp6(), noId, opts())).ipv4!.id).to.equal(0);
    });

    it('DF: clear for a 1260-byte IPv4 packet, set for 1261 bytes (1280-byte IPv6 boundary)', () => {
      const small = ok(translate6to4(udp6({}, data(1232)), MAP64, opts()));
      expect(small.ipv4!.totalLength).to.equal(1260);
      expect(small.ipv4!.df).to.equal(false);
      const big = ok(translate6to4(udp6({}, data(1233)), MAP64, opts()));
      expect(big.ipv4!.totalLength).to.equal(1261);
      expect(big.ipv4!.df).to.equal(true);
      expectValidChecksums(big, ['ipv4', 'udp']);
    });

    it('skips Hop-by-Hop, Destination Options and a Routing header with Segments Left 0', () => {
      const extensions: ExtensionHeader[] = [
        { kind: 'hop-by-hop', options: [{ type: 5, data: Buffer.from([0, 0]) }] },
        { kind: 'destination', options: [{ type: 1, data: Buffer.alloc(4) }] },
        { kind: 'routing', routingType: 0, segmentsLeft: 0, data: Buffer.concat([Buffer.alloc(4), Buffer.alloc(16)]) },
      ];
      const input = udp6({ extensions });
      const out = ok(translate6to4(input, MAP64, opts()));
      expect(out.ipv4!.protocol).to.equal(17);
      expect(out.ipv4!.totalLength).to.equal(20 + input.udp!.length!);
      expectValidChecksums(out, ['ipv4', 'udp']);
    });

    it('copies the protocol of a transport it does not know (SCTP) with the payload unchanged', () => {
      const input = rx({ ipv6: { hopLimit: 9, nextHeader: 132, src: C6, dst: S6 }, payload: data(40) });
      const out = ok(translate6to4(input, MAP64, opts()));
      expect(out.ipv4!.protocol).to.equal(132);
      expect(out.payload!.equals(input.payload!)).to.equal(true);
    });

    it('keeps a zero UDP checksum as "no checksum" (legal in IPv4)', () => {
      const input = rx({ ipv6: { src: C6, dst: S6 }, udp: { sport: 1, dport: 2, checksum: 0 }, payload: data(5) });
      expect(ok(translate6to4(input, MAP64, opts())).udp!.checksum).to.equal(0);
    });

    it('adjusts rather than recomputes: a corrupt UDP checksum stays wrong', () => {
      const good = udp6();
      const input = rx({ ...good, udp: { ...good.udp!, checksum: good.udp!.checksum! ^ 0x0101 } });
      const out = ok(translate6to4(input, MAP64, opts()));
      expect(checksumsValid(out).udp).to.equal(false);
    });
  });

  describe('§5.1 drops and errors', () => {
    for (const src of ['::1', '::', 'ff02::1']) {
      it(`drops a packet from the illegal source ${src}`, () => {
        expectDrop(translate6to4(udp6({ src }), MAP64, opts()), 'illegal-source');
      });
    }

    it('drops a truncated packet as malformed', () => {
      const bytes = encode(udp6());
      expectDrop(translate6to4(decode(bytes.subarray(0, bytes.length - 4)), MAP64, opts()), 'malformed');
    });

    it('refuses a map with IPv6 addresses (caller bug, not bad input)', () => {
      expect(() => translate6to4(udp6(), { src: T6, dst: S6 }, opts())).to.throw(/IPv4/);
    });

    it('Routing header with Segments Left != 0: ICMPv6 Parameter Problem 4/0 pointing at Segments Left', () => {
      const extensions: ExtensionHeader[] = [
        { kind: 'hop-by-hop', options: [] },
        { kind: 'routing', routingType: 0, segmentsLeft: 1, data: Buffer.concat([Buffer.alloc(4), Buffer.alloc(16, 0x20)]) },
      ];
      const input = udp6({ extensions });
      const r = translate6to4(input, MAP64, { ...opts(), errorSrc6: T6 });
      expect(r.kind).to.equal('icmp-error');
      if (r.kind !== 'icmp-error') return;
      expect(r.side).to.equal(6);
      const e = wire(r);
      expect(e.ipv6!.src).to.equal(T6);
      expect(e.ipv6!.dst).to.equal(C6);
      expect(e.icmpv6!.type).to.equal(4);
      expect(e.icmpv6!.code).to.equal(0);
      expect(e.icmpv6!.pointer, '40 + 8 (Hop-by-Hop) + 3').to.equal(51);
      expect(encode(e).subarray(48).equals(encode(input))).to.equal(true);
      expectValidChecksums(e, ['icmpv6']);
    });

    it('hop limit 1: ICMPv6 Time Exceeded 3/0 back to the sender, whole packet quoted', () => {
      const input = udp6({ hopLimit: 1 });
      const r = translate6to4(input, MAP64, { ...opts(), errorSrc6: T6 });
      expect(r.kind).to.equal('icmp-error');
      if (r.kind !== 'icmp-error') return;
      expect(r.side).to.equal(6);
      const e = wire(r);
      expect(e.ipv6!.src).to.equal(T6);
      expect(e.ipv6!.dst).to.equal(C6);
      expect(e.ipv6!.hopLimit).to.equal(64);
      expect(e.ipv6!.trafficClass, 'DSCP copied, ECN cleared').to.equal(0xb8);
      expect(e.ipv6!.flowLabel).to.equal(0);
      expect([e.icmpv6!.type, e.icmpv6!.code]).to.deep.equal([3, 0]);
      expect(e.icmpv6!.quote!.ipv6!.src).to.equal(C6);
      expect(encode(e).subarray(48).equals(encode(input))).to.equal(true);
      expectValidChecksums(e, ['icmpv6']);
    });

    it('hop limit 0 is expired as well; hop limit 2 leaves with TTL 1', () => {
      expect(translate6to4(udp6({ hopLimit: 0 }), MAP64, opts()).kind).to.equal('icmp-error');
      expect(ok(translate6to4(udp6({ hopLimit: 2 }), MAP64, opts())).ipv4!.ttl).to.equal(1);
    });

    it('Time Exceeded source defaults to the destination the sender used', () => {
      const r = translate6to4(udp6({ hopLimit: 1 }), MAP64, opts());
      expect(wire(r).ipv6!.src).to.equal(S6);
    });

    it('Time Exceeded quotes at most what keeps the ICMPv6 error within 1280 bytes', () => {
      const input = udp6({ hopLimit: 1 }, data(1500 - 48));
      const bytes = encode(input);
      expect(bytes.length).to.equal(1500);
      const r = translate6to4(input, MAP64, opts());
      const eb = encode((r as { packet: Packet }).packet);
      expect(eb.length).to.equal(1280);
      expect(eb.subarray(48).equals(bytes.subarray(0, 1232))).to.equal(true);
      const e = decode(eb);
      expect(e.ipv6!.payloadLength).to.equal(1240);
      expectValidChecksums(e, ['icmpv6']);
    });

    it('an expired ICMPv6 error is dropped silently (RFC 4443 §2.4(e.1)), not translated later', () => {
      const err = rx({
        ipv6: { hopLimit: 1, src: C6, dst: S6 },
        icmpv6: { type: 1, code: 4, quote: udp6() },
      });
      expectDrop(translate6to4(err, MAP64, opts()), 'icmp-error');
    });
  });

  describe('§5.1.1 fragments', () => {
    /** Split a whole IPv6 packet (no extension headers) into two fragments at `at` octets of its payload. */
    function fragment6(whole: Packet, at: number, id: number, nextHeader: number): [Packet, Packet] {
      const upper = encode(whole).subarray(40);
      const base = { ...whole.ipv6!, payloadLength: undefined, nextHeader: undefined };
      const first = rx({ ipv6: { ...base, extensions: [{ kind: 'fragment', nextHeader, offset: 0, m: true, id }] }, payload: upper.subarray(0, at) });
      const second = rx({ ipv6: { ...base, extensions: [{ kind: 'fragment', nextHeader, offset: at / 8, m: false, id }] }, payload: upper.subarray(at) });
      return [first, second];
    }

    it('first and later fragments: ID low 16 bits, MF, offset, DF clear, protocol; reassembled UDP checksum valid', () => {
      const whole = udp6({}, data(100));
      const [f1, f2] = fragment6(whole, 48, 0x12345678, 17);
      const o1 = ok(translate6to4(f1, MAP64, opts()));
      const o2 = ok(translate6to4(f2, MAP64, opts()));
      for (const o of [o1, o2]) {
        expect(o.ipv4!.id).to.equal(0x5678);
        expect(o.ipv4!.df).to.equal(false);
        expect(o.ipv4!.protocol).to.equal(17);
        expect(checksumsValid(o).ipv4).to.equal(true);
      }
      expect([o1.ipv4!.mf, o1.ipv4!.fragOffset]).to.deep.equal([true, 0]);
      expect([o2.ipv4!.mf, o2.ipv4!.fragOffset]).to.deep.equal([false, 6]);
      expect(o1.ipv4!.totalLength, 'payload length - 8 (FH) + 20').to.equal(f1.ipv6!.payloadLength! - 8 + 20);
      const upper = Buffer.concat([encode(o1).subarray(20), encode(o2).subarray(20)]);
      const reassembled = rx({ ipv4: { src: T4, dst: S4, protocol: 17 }, payload: upper });
      expect(reassembled.udp!.sport).to.equal(61000);
      expect(checksumsValid(reassembled).udp).to.equal(true);
    });

    it('drops a fragment whose Fragment Header is followed by another extension header', () => {
      const input = udp6({ extensions: [{ kind: 'fragment', offset: 0, m: true, id: 1 }, { kind: 'destination', options: [] }] });
      expectDrop(translate6to4(input, MAP64, opts()), 'fragment-extension-chain');
    });

    it('translates a fragment whose Fragment Header is followed by ESP', () => {
      const input = rx({ ipv6: { src: C6, dst: S6, extensions: [{ kind: 'fragment', nextHeader: 50, offset: 0, m: true, id: 9 }] }, payload: data(24) });
      expect(ok(translate6to4(input, MAP64, opts())).ipv4!.protocol).to.equal(50);
    });

    it('drops fragmented ICMPv6 (RFC 7915 §1.2)', () => {
      const whole = rx({ ipv6: { src: C6, dst: S6 }, icmpv6: { type: 128, id: 1, seq: 1 }, payload: data(64) });
      const [f1, f2] = fragment6(whole, 32, 7, 58);
      expectDrop(translate6to4(f1, MAP64, opts()), 'fragmented-icmp');
      expectDrop(translate6to4(f2, MAP64, opts()), 'fragmented-icmp');
    });
  });

  describe('§5.2 ICMPv6 informational messages', () => {
    function echo6(type: number, id = 77, payload = data(20)): Packet {
      return rx({ ipv6: { hopLimit: 64, src: C6, dst: S6 }, icmpv6: { type, code: 0, id, seq: 9 }, payload });
    }

    it('Echo Request 128 -> 8 with the mapped identifier and a valid checksum', () => {
      const out = ok(translate6to4(echo6(128), MAP64, opts()));
      expect(out.ipv4!.protocol).to.equal(1);
      expect(out.icmpv4!.type).to.equal(8);
      expect(out.icmpv4!.code).to.equal(0);
      expect(out.icmpv4!.id).to.equal(4321);
      expect(out.icmpv4!.seq).to.equal(9);
      expect(out.payload!.equals(data(20))).to.equal(true);
      expectValidChecksums(out, ['ipv4', 'icmpv4']);
    });

    it('Echo Reply 129 -> 0', () => {
      const out = ok(translate6to4(echo6(129), MAP64, opts()));
      expect(out.icmpv4!.type).to.equal(0);
      expectValidChecksums(out, ['ipv4', 'icmpv4']);
    });

    it('Echo Reply with identifier 0, sequence 0 and no data gets checksum 0xffff, not 0', () => {
      const input = rx({ ipv6: { src: C6, dst: S6 }, icmpv6: { type: 129, code: 0, id: 5, seq: 0 } });
      const out = ok(translate6to4(input, { ...MAP64, icmpId: 0 }, opts()));
      expect(out.icmpv4!.checksum).to.equal(0xffff);
      expectValidChecksums(out, ['icmpv4']);
    });

    const drops: [number, string][] = [
      [130, 'MLD query'],
      [131, 'MLD report'],
      [132, 'MLD done'],
      [133, 'Router Solicitation'],
      [134, 'Router Advertisement'],
      [135, 'Neighbor Solicitation'],
      [136, 'Neighbor Advertisement'],
      [137, 'Redirect'],
      [143, 'MLDv2 report (unknown to RFC 7915)'],
      [200, 'unknown informational'],
    ];
    for (const [type, name] of drops) {
      it(`drops ${name} (${type}) silently`, () => {
        expectDrop(translate6to4(echo6(type), MAP64, opts()), 'untranslatable-icmp');
      });
    }

    it('hands ICMPv6 errors with a translation rule to the error translation', () => {
      for (const [type, code] of [[1, 0], [1, 4], [2, 0], [3, 0], [4, 0], [4, 1]]) {
        const err = rx({ ipv6: { src: C6, dst: S6 }, icmpv6: { type, code, quote: udp6() } });
        expectDrop(translate6to4(err, MAP64, opts()), 'icmp-error');
      }
    });

    it('drops ICMPv6 errors the tables drop (1/5, 4/2, unknown error type 50)', () => {
      for (const [type, code] of [[1, 5], [4, 2], [50, 0]]) {
        const err = rx({ ipv6: { src: C6, dst: S6 }, icmpv6: { type, code, quote: udp6() } });
        expectDrop(translate6to4(err, MAP64, opts()), 'untranslatable-icmp');
      }
    });
  });
});

// ----------------------------------------------------------- IPv4 -> IPv6

describe('xlat: IPv4 -> IPv6 (RFC 7915 §4)', () => {
  describe('§4.1 header fields', () => {
    it('translates a UDP packet field by field', () => {
      const input = udp4();
      const out = ok(translate4to6(input, MAP46, opts()));
      const h = out.ipv6!;
      expect(h.version).to.equal(6);
      expect(h.trafficClass, 'Traffic Class = whole TOS').to.equal(0xb9);
      expect(h.flowLabel).to.equal(0);
      expect(h.payloadLength).to.equal(input.ipv4!.totalLength! - 20);
      expect(h.nextHeader).to.equal(17);
      expect(h.hopLimit, 'TTL - 1').to.equal(63);
      expect(h.src).to.equal(S6);
      expect(h.dst).to.equal(C6);
      expect(h.extensions, 'no Fragment Header for an unfragmented packet').to.deep.equal([]);
      expect([out.udp!.sport, out.udp!.dport]).to.deep.equal([53, 40000]);
      expect(out.udp!.length).to.equal(input.udp!.length);
      expect(out.payload!.equals(input.payload!)).to.equal(true);
      expectValidChecksums(out, ['udp']);
    });

    it('ignores IPv4 options: Payload Length excludes them and the packet is translated', () => {
      const input = udp4({ options: [{ type: 1 }, { type: 7, data: Buffer.from([4, 0, 0, 0, 0, 0, 0, 0, 0]) }] });
      expect(input.ipv4!.ihl).to.be.greaterThan(5);
      const out = ok(translate4to6(input, MAP46, opts()));
      expect(out.ipv6!.payloadLength).to.equal(input.ipv4!.totalLength! - input.ipv4!.ihl! * 4);
      expect(out.ipv6!.extensions).to.deep.equal([]);
      expectValidChecksums(out, ['udp']);
    });

    it('translates a TCP segment', () => {
      const input = rx({
        ipv4: { ttl: 20, src: S4, dst: T4 },
        tcp: { sport: 80, dport: 61000, seq: 5, ack: 6, flags: { ack: true, psh: true }, window: 999 },
        payload: data(31),
      });
      const out = ok(translate4to6(input, { ...MAP46, sport: 80 }, opts()));
      expect(out.ipv6!.nextHeader).to.equal(6);
      expect(out.ipv6!.hopLimit).to.equal(19);
      expect([out.tcp!.seq, out.tcp!.ack, out.tcp!.window]).to.deep.equal([5, 6, 999]);
      expectValidChecksums(out, ['tcp']);
    });

    it('Traffic Class knob: "zero" ignores the TOS', () => {
      expect(ok(translate4to6(udp4(), MAP46, { ...opts(), trafficClass: 'zero' })).ipv6!.trafficClass).to.equal(0);
    });

    it('copies the protocol of a transport it does not know (GRE)', () => {
      const input = rx({ ipv4: { src: S4, dst: T4, protocol: 47 }, payload: data(16) });
      const out = ok(translate4to6(input, MAP46, opts()));
      expect(out.ipv6!.nextHeader).to.equal(47);
      expect(out.payload!.equals(data(16))).to.equal(true);
    });

    it('DF=0 and DF=1 unfragmented packets both leave without a Fragment Header', () => {
      expect(ok(translate4to6(udp4({ df: false }), MAP46, opts())).ipv6!.extensions).to.deep.equal([]);
      expect(ok(translate4to6(udp4({ df: true }), MAP46, opts())).ipv6!.extensions).to.deep.equal([]);
    });
  });

  describe('§4.1 drops and errors', () => {
    for (const src of ['0.0.0.0', '127.0.0.1', '224.0.0.1', '240.0.0.1', '255.255.255.255']) {
      it(`drops a packet from the illegal source ${src}`, () => {
        expectDrop(translate4to6(udp4({ src }), MAP46, opts()), 'illegal-source');
      });
    }

    it('refuses a map with IPv4 addresses', () => {
      expect(() => translate4to6(udp4(), { src: S4, dst: T4 }, opts())).to.throw(/IPv6/);
    });

    for (const [type, name] of [[131, 'loose'], [137, 'strict']] as const) {
      it(`unexpired ${name} source route: dropped, ICMPv4 3/5 to the sender`, () => {
        // pointer 4 <= length 11: the first of two hops is still to be visited.
        const input = udp4({ options: [{ type, data: Buffer.from([4, 198, 18, 0, 9, 198, 18, 0, 10]) }] });
        const r = translate4to6(input, MAP46, { ...opts(), errorSrc4: T4 });
        expect(r.kind).to.equal('icmp-error');
        if (r.kind !== 'icmp-error') return;
        expect(r.side).to.equal(4);
        const e = wire(r);
        expect([e.icmpv4!.type, e.icmpv4!.code]).to.deep.equal([3, 5]);
        expect(e.ipv4!.src).to.equal(T4);
        expect(e.ipv4!.dst).to.equal(S4);
        expect(encode(e).subarray(28).equals(encode(input))).to.equal(true);
        expectValidChecksums(e, ['ipv4', 'icmpv4']);
      });
    }

    it('an exhausted source route (pointer > length) is ignored like any option', () => {
      const input = udp4({ options: [{ type: 131, data: Buffer.from([12, 198, 18, 0, 9, 198, 18, 0, 10]) }] });
      ok(translate4to6(input, MAP46, opts()));
    });

    it('TTL 1: ICMPv4 Time Exceeded 11/0 back to the sender, whole packet quoted', () => {
      const input = udp4({ ttl: 1 });
      const r = translate4to6(input, MAP46, { ...opts(), errorSrc4: T4 });
      expect(r.kind).to.equal('icmp-error');
      if (r.kind !== 'icmp-error') return;
      expect(r.side).to.equal(4);
      const e = wire(r);
      expect(e.ipv4!.src).to.equal(T4);
      expect(e.ipv4!.dst).to.equal(S4);
      expect(e.ipv4!.ttl).to.equal(64);
      expect(e.ipv4!.tos, 'DSCP copied, ECN cleared').to.equal(0xb8);
      expect([e.icmpv4!.type, e.icmpv4!.code]).to.deep.equal([11, 0]);
      expect(encode(e).subarray(28).equals(encode(input))).to.equal(true);
      expectValidChecksums(e, ['ipv4', 'icmpv4']);
    });

    it('TTL 0 is expired as well; TTL 2 leaves with hop limit 1; default error source is the pool address', () => {
      expect(wire(translate4to6(udp4({ ttl: 0 }), MAP46, opts())).ipv4!.src).to.equal(T4);
      expect(ok(translate4to6(udp4({ ttl: 2 }), MAP46, opts())).ipv6!.hopLimit).to.equal(1);
    });

    it('Time Exceeded quotes at most what keeps the ICMPv4 error within 576 bytes', () => {
      const input = udp4({ ttl: 1 }, data(1500 - 28));
      const bytes = encode(input);
      const r = translate4to6(input, { ...MAP46, ipv4Id: 0x7777 }, opts());
      const eb = encode((r as { packet: Packet }).packet);
      expect(eb.length).to.equal(576);
      expect(eb.subarray(28).equals(bytes.subarray(0, 548))).to.equal(true);
      const e = decode(eb);
      expect(e.ipv4!.id, 'Identification from the caller').to.equal(0x7777);
      expectValidChecksums(e, ['ipv4', 'icmpv4']);
    });
  });

  describe('§4.1 fragments', () => {
    /** Split a whole IPv4 packet (no options) into two fragments at `at` octets of its payload. */
    function fragment4(whole: Packet, at: number): [Packet, Packet] {
      const upper = encode(whole).subarray(20);
      const base = { ...whole.ipv4!, totalLength: undefined, checksum: undefined, df: false };
      return [
        rx({ ipv4: { ...base, mf: true, fragOffset: 0 }, payload: upper.subarray(0, at) }),
        rx({ ipv4: { ...base, mf: false, fragOffset: at / 8 }, payload: upper.subarray(at) }),
      ];
    }

    it('adds a Fragment Header: Next Header, offset, M, ID low 16 bits; reassembled checksum valid', () => {
      const whole = udp4({ id: 0xabcd }, data(100));
      const [f1, f2] = fragment4(whole, 40);
      const o1 = ok(translate4to6(f1, MAP46, opts()));
      const o2 = ok(translate4to6(f2, MAP46, opts()));
      for (const o of [o1, o2]) {
        expect(o.ipv6!.nextHeader).to.equal(44);
        expect(o.ipv6!.extensions).to.have.length(1);
      }
      expect(o1.ipv6!.extensions![0]).to.deep.include({ kind: 'fragment', nextHeader: 17, offset: 0, m: true, id: 0xabcd, reserved: 0, res: 0 });
      expect(o2.ipv6!.extensions![0]).to.deep.include({ kind: 'fragment', nextHeader: 17, offset: 5, m: false, id: 0xabcd });
      expect(o1.ipv6!.payloadLength, 'total length + 8 - 20').to.equal(f1.ipv4!.totalLength! + 8 - 20);
      const upper = Buffer.concat([encode(o1).subarray(48), encode(o2).subarray(48)]);
      const reassembled = rx({ ipv6: { src: S6, dst: C6, nextHeader: 17 }, payload: upper });
      expect(reassembled.udp!.dport).to.equal(40000);
      expect(checksumsValid(reassembled).udp).to.equal(true);
    });

    it('a zero-checksum UDP first fragment is left for reassembly (RFC 6146 §3.4)', () => {
      const whole = rx({ ipv4: { src: S4, dst: T4 }, udp: { sport: 53, dport: 61000, checksum: 0 }, payload: data(64) });
      const [f1] = fragment4(whole, 32);
      expectDrop(translate4to6(f1, MAP46, opts()), 'needs-reassembly');
    });

    it('drops fragmented ICMPv4 (RFC 7915 §1.2)', () => {
      const whole = rx({ ipv4: { src: S4, dst: T4 }, icmpv4: { type: 8, id: 1, seq: 1 }, payload: data(64) });
      const [f1, f2] = fragment4(whole, 32);
      expectDrop(translate4to6(f1, MAP46, opts()), 'fragmented-icmp');
      expectDrop(translate4to6(f2, MAP46, opts()), 'fragmented-icmp');
    });
  });

  describe('§4.5 zero UDP checksum (RFC 6146 §3.4)', () => {
    it('an unfragmented zero-checksum datagram gets a computed checksum', () => {
      const input = rx({ ipv4: { src: S4, dst: T4 }, udp: { sport: 53, dport: 61000, checksum: 0 }, payload: data(21) });
      const out = ok(translate4to6(input, MAP46, opts()));
      expect(out.udp!.checksum).to.not.equal(0);
      expectValidChecksums(out, ['udp']);
    });
  });

  describe('§4.2 ICMPv4 query messages', () => {
    function icmp4(type: number, extra: Partial<Packet> = {}): Packet {
      return rx({ ipv4: { ttl: 64, src: S4, dst: T4 }, icmpv4: { type, code: 0, id: 4321, seq: 3 }, payload: data(24), ...extra });
    }

    it('Echo Request 8 -> 128 with the mapped identifier and a checksum over the IPv6 pseudo-header', () => {
      const out = ok(translate4to6(icmp4(8), MAP46, opts()));
      expect(out.ipv6!.nextHeader).to.equal(58);
      expect([out.icmpv6!.type, out.icmpv6!.code, out.icmpv6!.id, out.icmpv6!.seq]).to.deep.equal([128, 0, 1234, 3]);
      expect(out.payload!.equals(data(24))).to.equal(true);
      expectValidChecksums(out, ['icmpv6']);
    });

    it('Echo Reply 0 -> 129', () => {
      const out = ok(translate4to6(icmp4(0), MAP46, opts()));
      expect(out.icmpv6!.type).to.equal(129);
      expectValidChecksums(out, ['icmpv6']);
    });

    const drops: [number, string][] = [
      [13, 'Timestamp'],
      [14, 'Timestamp Reply'],
      [15, 'Information Request'],
      [16, 'Information Reply'],
      [17, 'Address Mask Request'],
      [18, 'Address Mask Reply'],
      [9, 'Router Advertisement'],
      [10, 'Router Solicitation'],
      [42, 'unknown type'],
      [4, 'Source Quench'],
      [5, 'Redirect'],
      [6, 'Alternate Host Address'],
    ];
    for (const [type, name] of drops) {
      it(`drops ${name} (${type}) silently`, () => {
        expectDrop(translate4to6(icmp4(type), MAP46, opts()), 'untranslatable-icmp');
      });
    }

    it('drops IGMP silently', () => {
      const igmp = rx({ ipv4: { src: S4, dst: T4, protocol: 2 }, payload: Buffer.from([0x11, 0, 0xee, 0xff, 0, 0, 0, 0]) });
      expectDrop(translate4to6(igmp, MAP46, opts()), 'untranslatable-icmp');
    });

    it('hands ICMPv4 errors with a translation rule to the error translation', () => {
      for (const [type, code] of [[3, 3], [3, 4], [11, 0], [12, 0]]) {
        const err = rx({ ipv4: { src: S4, dst: T4 }, icmpv4: { type, code, quote: udp4() } });
        expectDrop(translate4to6(err, MAP46, opts()), 'icmp-error');
      }
    });
  });
});

// ------------------------------------------------- checksum adjustment property

describe('xlat: incremental checksums equal full recomputation', () => {
  /** mulberry32: a small seeded generator, so a failure reproduces. */
  function rng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  it('for 600 random UDP/TCP/echo packets in both directions', () => {
    const r = rng(7915);
    const int = (n: number) => Math.floor(r() * n);
    const v4 = () => `198.${18 + int(2)}.${int(256)}.${1 + int(254)}`;
    const v6 = () => `2001:db8:6::${int(0xffff).toString(16)}:${int(0xffff).toString(16)}`;
    for (let i = 0; i < 600; i++) {
      const kind = (['udp', 'tcp', 'echo'] as const)[int(3)];
      const payload = Buffer.from(Array.from({ length: int(70) }, () => int(256)));
      const l4: Partial<Packet> =
        kind === 'udp'
          ? { udp: { sport: int(65536), dport: int(65536) } }
          : kind === 'tcp'
            ? { tcp: { sport: int(65536), dport: int(65536), seq: int(2 ** 32), flags: { ack: true } } }
            : {};
      const map = { sport: int(65536), dport: int(65536), icmpId: int(65536) };
      if (i % 2 === 0) {
        const icmp = kind === 'echo' ? { icmpv6: { type: 128 + int(2), id: int(65536), seq: int(65536) } } : {};
        const input = rx({ ipv6: { src: v6(), dst: embed(LAB.pool6, v4()) }, ...l4, ...icmp, payload });
        const out = ok(translate6to4(input, { ...map, src: v4(), dst: v4() }, opts()));
        const layer = kind === 'echo' ? 'icmpv4' : kind;
        expect(out[layer]!.checksum, `case ${i} ${kind} 6->4`).to.equal(expectedChecksums(out)[layer]);
      } else {
        const icmp = kind === 'echo' ? { icmpv4: { type: int(2) * 8, id: int(65536), seq: int(65536) } } : {};
        const input = rx({ ipv4: { src: v4(), dst: v4() }, ...l4, ...icmp, payload });
        const out = ok(translate4to6(input, { ...map, src: embed(LAB.pool6, v4()), dst: v6() }, opts()));
        const layer = kind === 'echo' ? 'icmpv6' : kind;
        expect(out[layer]!.checksum, `case ${i} ${kind} 4->6`).to.equal(expectedChecksums(out)[layer]);
      }
    }
  });
});

// ----------------------------------------------------------- error builders

describe('xlat: ICMP error builders', () => {
  it('icmpError6 carries Packet Too Big MTU and Parameter Problem pointer fields', () => {
    const orig = encode(udp6());
    const ptb = wire(icmpError6(2, 0, { mtu: 1400 }, orig, T6));
    expect([ptb.icmpv6!.type, ptb.icmpv6!.mtu]).to.deep.equal([2, 1400]);
    const pp = wire(icmpError6(4, 0, { pointer: 43 }, orig, T6));
    expect(pp.icmpv6!.pointer).to.equal(43);
    expectValidChecksums(pp, ['icmpv6']);
  });

  it('icmpError4 carries the next-hop MTU and pointer; port unreachable checksum valid', () => {
    const orig = encode(udp4());
    const fn = wire(icmpError4(3, 4, { mtu: 1260 }, orig, T4));
    expect([fn.icmpv4!.type, fn.icmpv4!.code, fn.icmpv4!.mtu]).to.deep.equal([3, 4, 1260]);
    const pp = wire(icmpError4(12, 0, { pointer: 9 }, orig, T4));
    expect(pp.icmpv4!.pointer).to.equal(9);
    const pu = wire(icmpError4(3, 3, {}, orig, T4));
    expectValidChecksums(pu, ['ipv4', 'icmpv4']);
    expect(pu.ipv4!.df).to.equal(false);
  });

  it('ICMPv6: no error about an ICMPv6 error, a Redirect, a multicast destination or an unspecified source', () => {
    const aboutError = encode(rx({ ipv6: { src: C6, dst: S6 }, icmpv6: { type: 1, code: 0, quote: udp6() } }));
    expectDrop(timeExceeded6(aboutError, T6), 'error-suppressed');
    const redirect = encode(rx({ ipv6: { src: C6, dst: S6 }, icmpv6: { type: 137, code: 0, rest: 0 }, payload: Buffer.alloc(32) }));
    expectDrop(timeExceeded6(redirect, T6), 'error-suppressed');
    const toMulticast = encode(udp6({ dst: 'ff0e::1' }));
    expectDrop(timeExceeded6(toMulticast, T6), 'error-suppressed');
    expect(icmpError6(2, 0, { mtu: 1280 }, toMulticast, T6).kind, 'Packet Too Big is the exception').to.equal('icmp-error');
    expect(icmpError6(4, 2, { pointer: 40 }, toMulticast, T6).kind, 'Parameter Problem code 2 is the exception').to.equal('icmp-error');
    expectDrop(timeExceeded6(encode(udp6({ src: '::' })), T6), 'error-suppressed');
    expect(timeExceeded6(encode(rx({ ipv6: { src: C6, dst: S6 }, icmpv6: { type: 128, id: 1, seq: 1 } })), T6).kind, 'echo is not an error').to.equal(
      'icmp-error',
    );
  });

  it('ICMPv4: no error about an ICMP error, broadcast/multicast, an invalid source or a non-first fragment', () => {
    const aboutError = encode(rx({ ipv4: { src: S4, dst: T4 }, icmpv4: { type: 3, code: 3, quote: udp4() } }));
    expectDrop(timeExceeded4(aboutError, T4), 'error-suppressed');
    expectDrop(timeExceeded4(encode(udp4({ dst: '255.255.255.255' })), T4), 'error-suppressed');
    expectDrop(timeExceeded4(encode(udp4({ dst: '239.1.2.3' })), T4), 'error-suppressed');
    expectDrop(timeExceeded4(encode(udp4({ src: '127.0.0.2' })), T4), 'error-suppressed');
    expectDrop(timeExceeded4(encode(rx({ ipv4: { src: S4, dst: T4, protocol: 17, fragOffset: 10 }, payload: data(16) })), T4), 'error-suppressed');
  });

  it('rejects a source address of the wrong family', () => {
    expect(() => timeExceeded6(encode(udp6()), T4)).to.throw(/IPv6/);
    expect(() => timeExceeded4(encode(udp4()), T6)).to.throw(/IPv4/);
  });

  it('a quote that does not survive decode/encode is carried as raw bytes, byte for byte', () => {
    // An IPv6 packet whose Hop-by-Hop header claims more bytes than there are.
    const bytes = Buffer.from(encode(udp6({ extensions: [{ kind: 'hop-by-hop', options: [] }] })));
    bytes[41] = 30;
    const e = (icmpError6(1, 4, {}, bytes, T6) as { packet: Packet }).packet;
    expect(encode(e).subarray(48).equals(bytes)).to.equal(true);
  });
});

// ------------------------------------------------------------------- tables

describe('xlat: RFC 7915 ICMP tables', () => {
  it('every row cites a requirement of the catalogue', () => {
    const ids = catalogueIds();
    const cited = [...ICMP4_TO_6, ...ICMP6_TO_4, ...POINTER_4_TO_6, ...POINTER_6_TO_4].map((r) => r.requirement);
    for (const id of cited) expect(ids.has(id), id).to.equal(true);
  });

  it('§4.2 type/code mapping', () => {
    const t = (type: number, code: number) => icmp4To6(type, code).to;
    expect(t(3, 0)).to.deep.equal({ action: 'translate', type: 1, code: 0 });
    expect(t(3, 1)).to.deep.equal({ action: 'translate', type: 1, code: 0 });
    expect(t(3, 2)).to.deep.equal({ action: 'translate', type: 4, code: 1, pointer: 6 });
    expect(t(3, 3)).to.deep.equal({ action: 'translate', type: 1, code: 4 });
    expect(t(3, 4)).to.deep.equal({ action: 'translate', type: 2, code: 0, mtu: true });
    for (const c of [5, 6, 7, 8, 11, 12]) expect(t(3, c), `3/${c}`).to.deep.equal({ action: 'translate', type: 1, code: 0 });
    for (const c of [9, 10, 13, 15]) expect(t(3, c), `3/${c}`).to.deep.equal({ action: 'translate', type: 1, code: 1 });
    for (const c of [14, 16, 255]) expect(t(3, c).action, `3/${c}`).to.equal('drop');
    expect(t(11, 1)).to.deep.equal({ action: 'translate', type: 3, code: 'same' });
    expect(t(12, 0)).to.deep.equal({ action: 'translate', type: 4, code: 0, pointer: 'figure' });
    expect(t(12, 2)).to.deep.equal({ action: 'translate', type: 4, code: 0, pointer: 'figure' });
    for (const [type, code] of [[12, 1], [12, 3], [4, 0], [5, 1], [6, 0], [42, 0]]) expect(t(type, code).action, `${type}/${code}`).to.equal('drop');
    expect(icmp4To6(42, 0).requirement).to.equal('7915-4.2-unknown-drop');
  });

  it('§5.2 type/code mapping', () => {
    const t = (type: number, code: number) => icmp6To4(type, code).to;
    expect(t(1, 0)).to.deep.equal({ action: 'translate', type: 3, code: 1 });
    expect(t(1, 1)).to.deep.equal({ action: 'translate', type: 3, code: 10 });
    expect(t(1, 2)).to.deep.equal({ action: 'translate', type: 3, code: 1 });
    expect(t(1, 3)).to.deep.equal({ action: 'translate', type: 3, code: 1 });
    expect(t(1, 4)).to.deep.equal({ action: 'translate', type: 3, code: 3 });
    for (const c of [5, 6, 7]) expect(t(1, c).action).to.equal('drop');
    expect(t(2, 0)).to.deep.equal({ action: 'translate', type: 3, code: 4, mtu: true });
    expect(t(3, 1)).to.deep.equal({ action: 'translate', type: 11, code: 'same' });
    expect(t(4, 0)).to.deep.equal({ action: 'translate', type: 12, code: 0, pointer: 'figure' });
    expect(t(4, 1)).to.deep.equal({ action: 'translate', type: 3, code: 2 });
    expect(t(4, 2).action).to.equal('drop');
    expect(t(4, 3).action).to.equal('drop');
    expect(icmp6To4(100, 0)).to.deep.include({ class: 'error', requirement: '7915-5.2-unknown-error-drop' });
    expect(icmp6To4(200, 0)).to.deep.include({ class: 'query', requirement: '7915-5.2-unknown-info-drop' });
  });

  it('Figure 3 pointer mapping, 0-19 and beyond', () => {
    const expected = [0, 1, 4, 4, undefined, undefined, undefined, undefined, 7, 6, undefined, undefined, 8, 8, 8, 8, 24, 24, 24, 24];
    expected.forEach((e, p) => expect(pointer4To6(p), `pointer ${p}`).to.equal(e));
    for (const p of [20, 21, 40, 255]) expect(pointer4To6(p)).to.equal(undefined);
  });

  it('Figure 6 pointer mapping, 0-39 and beyond', () => {
    for (let p = 0; p < 40; p++) {
      const e = p === 0 ? 0 : p === 1 ? 1 : p < 4 ? undefined : p < 6 ? 2 : p === 6 ? 9 : p === 7 ? 8 : p < 24 ? 12 : 16;
      expect(pointer6To4(p), `pointer ${p}`).to.equal(e);
    }
    for (const p of [40, 41, 1000]) expect(pointer6To4(p)).to.equal(undefined);
  });

  it('Packet Too Big arithmetic, both directions', () => {
    const nh = { ipv6NextHopMtu: 9000, ipv4NextHopMtu: 9000 };
    expect(ptbMtu4to6({ reportedMtu: 1400, quotedTotalLength: 1500, ...nh })).to.equal(1420);
    expect(ptbMtu4to6({ reportedMtu: 1000, quotedTotalLength: 1500, ...nh }), 'floor 1280').to.equal(1280);
    expect(ptbMtu4to6({ reportedMtu: 1400, quotedTotalLength: 1500, ipv6NextHopMtu: 1300, ipv4NextHopMtu: 9000 })).to.equal(1300);
    expect(ptbMtu4to6({ reportedMtu: 1400, quotedTotalLength: 1500, ipv6NextHopMtu: 9000, ipv4NextHopMtu: 1350 })).to.equal(1370);
    expect(plateauBelow(1500)).to.equal(1492);
    expect(plateauBelow(1492)).to.equal(undefined);
    expect(ptbMtu4to6({ reportedMtu: 0, quotedTotalLength: 1500, ...nh }), 'plateau 1492 + 20').to.equal(1512);
    expect(ptbMtu4to6({ reportedMtu: 0, quotedTotalLength: 9000, ...nh }), 'plateau 8166 + 20').to.equal(8186);
    expect(ptbMtu4to6({ reportedMtu: 0, quotedTotalLength: 1400, ...nh }), 'no plateau >= 1280').to.equal(1280);
    const nh6 = { ipv4NextHopMtu: 9000, ipv6NextHopMtu: 9000, quotedHasFragmentHeader: false };
    expect(ptbMtu6to4({ reportedMtu: 1400, ...nh6 })).to.equal(1380);
    expect(ptbMtu6to4({ reportedMtu: 1400, ...nh6, quotedHasFragmentHeader: true })).to.equal(1372);
    expect(ptbMtu6to4({ reportedMtu: 1400, ...nh6, ipv4NextHopMtu: 1300 })).to.equal(1300);
    expect(ptbMtu6to4({ reportedMtu: 1400, ...nh6, ipv6NextHopMtu: 1350 })).to.equal(1330);
  });
});

// ------------------------------------------------------------------- faults

describe('xlat: faults', () => {
  it('every xlat fault is registered in engine/faults.ts with catalogue ids', () => {
    const ids = catalogueIds();
    for (const name of XLAT_FAULTS) {
      const f = FAULTS.find((x) => x.name === name);
      expect(f, name).to.not.equal(undefined);
      expect(f!.violates.length, name).to.be.greaterThan(0);
      for (const id of f!.violates) expect(ids.has(id), `${name}: ${id}`).to.equal(true);
    }
  });

  it('no-hop-limit-decrement: TTL / hop limit copied', () => {
    expect(ok(translate6to4(udp6({ hopLimit: 30 }), MAP64, opts('no-hop-limit-decrement'))).ipv4!.ttl).to.equal(30);
    expect(ok(translate4to6(udp4({ ttl: 30 }), MAP46, opts('no-hop-limit-decrement'))).ipv6!.hopLimit).to.equal(30);
  });

  it('no-time-exceeded: expired packets vanish', () => {
    expectDrop(translate6to4(udp6({ hopLimit: 1 }), MAP64, opts('no-time-exceeded')), 'expired');
    expectDrop(translate4to6(udp4({ ttl: 1 }), MAP46, opts('no-time-exceeded')), 'expired');
  });

  it('wrong-traffic-class: the octet is zeroed both ways', () => {
    expect(ok(translate6to4(udp6(), MAP64, opts('wrong-traffic-class'))).ipv4!.tos).to.equal(0);
    expect(ok(translate4to6(udp4(), MAP46, opts('wrong-traffic-class'))).ipv6!.trafficClass).to.equal(0);
  });

  it('tos-knob-ignored: the knobs have no effect', () => {
    expect(ok(translate6to4(udp6(), MAP64, { ...opts('tos-knob-ignored'), tos: 0x20 })).ipv4!.tos).to.equal(0xb9);
    expect(ok(translate4to6(udp4(), MAP46, { ...opts('tos-knob-ignored'), trafficClass: 'zero' })).ipv6!.trafficClass).to.equal(0xb9);
  });

  it('nonzero-flow-label: IPv6 gets a flow label', () => {
    expect(ok(translate4to6(udp4(), MAP46, opts('nonzero-flow-label'))).ipv6!.flowLabel).to.not.equal(0);
  });

  it('drop-zero-udp-checksum / keep-zero-udp-checksum', () => {
    const zero = rx({ ipv4: { src: S4, dst: T4 }, udp: { sport: 53, dport: 61000, checksum: 0 }, payload: data(8) });
    expectDrop(translate4to6(zero, MAP46, opts('drop-zero-udp-checksum')), 'fault');
    const kept = ok(translate4to6(zero, MAP46, opts('keep-zero-udp-checksum')));
    expect(kept.udp!.checksum).to.equal(0);
    expect(checksumsValid(kept).udp).to.equal(false);
    const frag = rx({ ipv4: { src: S4, dst: T4, mf: true }, udp: { sport: 53, dport: 61000, length: 80, checksum: 0 }, payload: data(24) });
    expect(translate4to6(frag, MAP46, opts('keep-zero-udp-checksum')).kind, 'fragment forwarded too').to.equal('ok');
  });

  it('bad-transport-checksum: checksums left as received', () => {
    for (const input of [udp6(), rx({ ipv6: { src: C6, dst: S6 }, icmpv6: { type: 128, id: 1, seq: 2 }, payload: data(8) })]) {
      const out = ok(translate6to4(input, MAP64, opts('bad-transport-checksum')));
      const layer = out.udp ? 'udp' : 'icmpv4';
      expect(out[layer]!.checksum).to.equal((input.udp ?? input.icmpv6)!.checksum);
      expect(checksumsValid(out)[layer]).to.equal(false);
    }
    const tcp = rx({ ipv4: { src: S4, dst: T4 }, tcp: { sport: 80, dport: 61000 }, payload: data(4) });
    const out = ok(translate4to6(tcp, MAP46, opts('bad-transport-checksum')));
    expect(out.tcp!.checksum).to.equal(tcp.tcp!.checksum);
    expect(checksumsValid(out).tcp).to.equal(false);
  });

  it('df-always-set / df-never-set', () => {
    expect(ok(translate6to4(udp6(), MAP64, opts('df-always-set'))).ipv4!.df).to.equal(true);
    const frag = udp6({ extensions: [{ kind: 'fragment', nextHeader: 17, offset: 0, m: true, id: 5 }] });
    expect(ok(translate6to4(frag, MAP64, opts('df-always-set'))).ipv4!.df).to.equal(true);
    expect(ok(translate6to4(udp6({}, data(1300)), MAP64, opts('df-never-set'))).ipv4!.df).to.equal(false);
  });

  it('translate-icmp-info: ND, timestamp and IGMP are forwarded with the type unchanged', () => {
    const ns = rx({ ipv6: { hopLimit: 255, src: C6, dst: S6 }, icmpv6: { type: 135, code: 0, rest: 0 }, payload: data(16) });
    expect(ok(translate6to4(ns, MAP64, opts('translate-icmp-info'))).icmpv4!.type).to.equal(135);
    const ts = rx({ ipv4: { src: S4, dst: T4 }, icmpv4: { type: 13, code: 0, id: 1, seq: 1 }, payload: data(12) });
    expect(ok(translate4to6(ts, MAP46, opts('translate-icmp-info'))).icmpv6!.type).to.equal(13);
    const igmp = rx({ ipv4: { src: S4, dst: T4, protocol: 2 }, payload: data(8) });
    expect(ok(translate4to6(igmp, MAP46, opts('translate-icmp-info'))).ipv6!.nextHeader).to.equal(2);
  });

  it('echo-type-untranslated: echo types keep their number', () => {
    const e6 = rx({ ipv6: { src: C6, dst: S6 }, icmpv6: { type: 128, id: 1, seq: 2 }, payload: data(8) });
    expect(ok(translate6to4(e6, MAP64, opts('echo-type-untranslated'))).icmpv4!.type).to.equal(128);
    const e4 = rx({ ipv4: { src: S4, dst: T4 }, icmpv4: { type: 8, id: 1, seq: 2 }, payload: data(8) });
    expect(translate4to6(e4, MAP46, opts('echo-type-untranslated')).kind).to.equal('ok');
    expect((translate4to6(e4, MAP46, opts('echo-type-untranslated')) as { packet: Packet }).packet.icmpv6!.type).to.equal(8);
  });

  it('icmp-protocol-untranslated: 58 and 1 are copied', () => {
    const e6 = rx({ ipv6: { src: C6, dst: S6 }, icmpv6: { type: 128, id: 1, seq: 2 } });
    expect(ok(translate6to4(e6, MAP64, opts('icmp-protocol-untranslated'))).ipv4!.protocol).to.equal(58);
    const e4 = rx({ ipv4: { src: S4, dst: T4 }, icmpv4: { type: 8, id: 1, seq: 2 } });
    expect(encode((translate4to6(e4, MAP46, opts('icmp-protocol-untranslated')) as { packet: Packet }).packet)[6]).to.equal(1);
  });

  it('ext-headers-not-skipped: Protocol and Total Length still see the extension headers', () => {
    const input = udp6({ extensions: [{ kind: 'hop-by-hop', options: [] }] });
    const r = translate6to4(input, MAP64, opts('ext-headers-not-skipped'));
    const b = encode((r as { packet: Packet }).packet);
    expect(b[9], 'Protocol').to.equal(0);
    expect(b.readUInt16BE(2), 'Total Length').to.equal(20 + 8 + input.udp!.length!);
  });

  it('routing-header-ignored: Segments Left != 0 is translated', () => {
    const input = udp6({ extensions: [{ kind: 'routing', routingType: 0, segmentsLeft: 1, data: Buffer.alloc(20) }] });
    expect(translate6to4(input, MAP64, opts('routing-header-ignored')).kind).to.equal('ok');
  });

  it('fragment-ext-chain-translated: the SHOULD-drop chain is translated', () => {
    const input = udp6({ extensions: [{ kind: 'fragment', offset: 0, m: true, id: 1 }, { kind: 'destination', options: [] }] });
    expect(translate6to4(input, MAP64, opts('fragment-ext-chain-translated')).kind).to.equal('ok');
  });

  it('fragment-header-ignored: fragments lose their fragment fields', () => {
    const f6 = udp6({ extensions: [{ kind: 'fragment', nextHeader: 17, offset: 0, m: true, id: 0x10005 }] });
    const o4 = ok(translate6to4(f6, MAP64, opts('fragment-header-ignored')));
    expect([o4.ipv4!.mf, o4.ipv4!.id]).to.deep.equal([false, MAP64.ipv4Id]);
    const f4 = rx({ ipv4: { src: S4, dst: T4, mf: true, id: 9 }, udp: { sport: 1, dport: 2, length: 80 }, payload: data(24) });
    expect(ok(translate4to6(f4, MAP46, opts('fragment-header-ignored'))).ipv6!.extensions).to.deep.equal([]);
  });

  it('atomic-fragments: DF=0 packets get a Fragment Header', () => {
    const out = ok(translate4to6(udp4({ df: false, id: 77 }), MAP46, opts('atomic-fragments')));
    expect(out.ipv6!.extensions![0]).to.deep.include({ kind: 'fragment', offset: 0, m: false, id: 77 });
    expect(ok(translate4to6(udp4({ df: true }), MAP46, opts('atomic-fragments'))).ipv6!.extensions).to.deep.equal([]);
  });

  it('source-route-ignored: an unexpired source route is translated', () => {
    const input = udp4({ options: [{ type: 137, data: Buffer.from([4, 198, 18, 0, 9]) }] });
    expect(translate4to6(input, MAP46, opts('source-route-ignored')).kind).to.equal('ok');
  });

  it('drop-ipv4-options: any option drops the packet', () => {
    expectDrop(translate4to6(udp4({ options: [{ type: 1 }] }), MAP46, opts('drop-ipv4-options')), 'fault');
    expect(translate4to6(udp4(), MAP46, opts('drop-ipv4-options')).kind).to.equal('ok');
  });

  it('illegal-source-translated: ::1 and 127.0.0.1 go through', () => {
    expect(translate6to4(udp6({ src: '::1' }), MAP64, opts('illegal-source-translated')).kind).to.equal('ok');
    expect(translate4to6(udp4({ src: '127.0.0.1' }), MAP46, opts('illegal-source-translated')).kind).to.equal('ok');
  });

  it('icmp-error-dscp-zero: originated errors carry DSCP 0', () => {
    expect(wire(translate6to4(udp6({ hopLimit: 1 }), MAP64, opts('icmp-error-dscp-zero'))).ipv6!.trafficClass).to.equal(0);
    expect(wire(translate4to6(udp4({ ttl: 1 }), MAP46, opts('icmp-error-dscp-zero'))).ipv4!.tos).to.equal(0);
  });

  it('icmp-error-storm: an error about an ICMP error is sent', () => {
    const aboutError = encode(rx({ ipv4: { src: S4, dst: T4 }, icmpv4: { type: 3, code: 3, quote: udp4() } }));
    expect(timeExceeded4(aboutError, T4, { faults: new Set(['icmp-error-storm']) }).kind).to.equal('icmp-error');
  });
});
