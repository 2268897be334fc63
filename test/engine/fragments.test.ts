/**
 * Fragments and MTUs in the engine: the reassembly buffer on its own
 * (engine/nat64/reassembly.ts), the cutting of pieces, and the pipeline
 * (engine/nat64/fragments.ts) through createTranslator with real packets.
 */
import { expect } from 'chai';
import { checksumsValid, decode, encode } from '../../harness/packet/codec';
import { LAB } from '../../harness/lab/addressing';
import { embed } from '../../harness/packet/rfc6052';
import type { FragmentHeader, Packet } from '../../harness/packet/types';
import { ConfigError, parseEngineConfig } from '../../engine/config';
import { Nat64Translator } from '../../engine';
import { Reassembly, ReassemblyFaults } from '../../engine/nat64/reassembly';
import { firstPieceHolds, fitPieces, upperHeaderLength } from '../../engine/nat64/fragments';
import { Lab, makeLab } from './lab';

const LIMITS = { timeoutMs: 2000, maxBytes: 10_000, maxDatagrams: 8, maxFragments: 16 };

function buf(n: number, seed = 0): Buffer {
  return Buffer.from(Array.from({ length: n }, (_, i) => (i + seed) & 0xff));
}

function reasm(faults: ReassemblyFaults = {}, limits = LIMITS): Reassembly<string> {
  return new Reassembly<string>(limits, faults);
}

describe('reassembly buffer (engine/nat64/reassembly.ts)', () => {
  const data = buf(24);
  const pieces = [data.subarray(0, 8), data.subarray(8, 16), data.subarray(16, 24)];

  it('completes in order and out of order, returning the data and the original pieces', () => {
    for (const order of [
      [0, 1, 2],
      [2, 1, 0],
      [1, 2, 0],
    ]) {
      const r = reasm();
      const results = order.map((i) => r.add(0, 'k', i * 8, pieces[i], i < 2, 100, i === 0 ? 'first' : undefined));
      const last = results[results.length - 1];
      expect(results.slice(0, -1).every((x) => x.kind === 'held'), `order ${order}`).to.equal(true);
      expect(last.kind).to.equal('complete');
      if (last.kind !== 'complete') return;
      expect(last.data.equals(data)).to.equal(true);
      expect(last.first).to.equal('first');
      expect(last.pieces).to.deep.equal([
        { offset: 0, length: 8, more: true },
        { offset: 8, length: 8, more: true },
        { offset: 16, length: 8, more: false },
      ]);
      expect(r.bytes).to.equal(0);
      expect(r.count).to.equal(0);
    }
  });

  it('discards a datagram with overlapping fragments, and its later fragments (RFC 5722)', () => {
    const r = reasm();
    r.add(0, 'k', 8, pieces[1], true, 100);
    const o = r.add(0, 'k', 0, buf(16, 9), true, 100, 'first');
    expect(o.kind).to.equal('dropped');
    expect(r.bytes).to.equal(0);
    expect(r.add(0, 'k', 16, pieces[2], false, 100).kind).to.equal('dropped');
    expect(r.add(0, 'k', 0, pieces[0], true, 100, 'first').kind).to.equal('dropped');
    // Discarded datagrams expire silently.
    expect(r.expire(2000)).to.deep.equal([]);
    expect(r.count).to.equal(0);
  });

  it('drops an exact duplicate alone and still completes', () => {
    const r = reasm();
    r.add(0, 'k', 0, pieces[0], true, 100, 'first');
    expect(r.add(0, 'k', 0, pieces[0], true, 100).kind).to.equal('dropped');
    r.add(0, 'k', 8, pieces[1], true, 100);
    expect(r.add(0, 'k', 16, pieces[2], false, 100).kind).to.equal('complete');
  });

  it('refuses malformed pieces: non-last not a multiple of 8, two different ends, data past the end, beyond 65535', () => {
    expect(reasm().add(0, 'k', 0, buf(12), true, 100).kind).to.equal('dropped');
    const r = reasm();
    r.add(0, 'k', 16, pieces[2], false, 100);
    expect(r.add(0, 'k', 24, buf(8), false, 100).kind).to.equal('dropped');
    const r2 = reasm();
    r2.add(0, 'k', 8, pieces[1], false, 100);
    expect(r2.add(0, 'k', 16, buf(8), true, 100).kind).to.equal('dropped');
    expect(reasm().add(0, 'k', 65528, buf(16), false, 100).kind).to.equal('dropped');
  });

  it('expires a datagram timeoutMs after its first-arriving fragment, reporting the offset-0 fragment when it came', () => {
    const r = reasm();
    r.add(0, 'a', 0, pieces[0], true, 100, 'first-a');
    r.add(500, 'b', 8, pieces[1], true, 100);
    expect(r.expire(1999)).to.deep.equal([]);
    expect(r.expire(2000)).to.deep.equal([{ key: 'a', first: 'first-a' }]);
    expect(r.expire(2500)).to.deep.equal([{ key: 'b', first: undefined }]);
    expect(r.bytes).to.equal(0);
  });

  it('evicts the oldest datagrams when memory runs out, so a new train still completes', () => {
    const r = reasm({}, { ...LIMITS, maxBytes: 1000 });
    for (let k = 0; k < 5; k++) r.add(k, `flood${k}`, 8, pieces[1], true, 300);
    expect(r.bytes).to.be.at.most(1000);
    r.add(10, 'new', 0, pieces[0], true, 300, 'first');
    r.add(10, 'new', 8, pieces[1], true, 300);
    expect(r.add(10, 'new', 16, pieces[2], false, 300).kind).to.equal('complete');
    expect(r.bytes).to.be.at.most(1000);
  });

  it('caps the number of datagrams, evicting the oldest', () => {
    const r = reasm({}, { ...LIMITS, maxDatagrams: 3 });
    for (let k = 0; k < 10; k++) r.add(k, `d${k}`, 8, pieces[1], true, 10);
    expect(r.count).to.equal(3);
  });

  it('discards a datagram larger than all the memory', () => {
    const r = reasm({}, { ...LIMITS, maxBytes: 250 });
    expect(r.add(0, 'k', 0, pieces[0], true, 200, 'first').kind).to.equal('held');
    expect(r.add(0, 'k', 8, pieces[1], true, 200).kind).to.equal('dropped');
    expect(r.add(0, 'k', 16, pieces[2], false, 20).kind).to.equal('dropped');
    expect(r.bytes).to.equal(0);
  });

  it('limits the fragments of one datagram', () => {
    const r = reasm({}, { ...LIMITS, maxFragments: 2 });
    r.add(0, 'k', 0, pieces[0], true, 10, 'first');
    r.add(0, 'k', 8, pieces[1], true, 10);
    expect(r.add(0, 'k', 16, pieces[2], false, 10).kind).to.equal('dropped');
  });

  it('honours its faults', () => {
    const ooo = reasm({ outOfOrderDropped: true });
    expect(ooo.add(0, 'k', 16, pieces[2], false, 10).kind).to.equal('dropped');
    const full = reasm({ fullDropsNew: true }, { ...LIMITS, maxBytes: 300 });
    full.add(0, 'old', 8, pieces[1], true, 300);
    expect(full.add(1, 'new', 0, pieces[0], true, 100, 'first').kind).to.equal('dropped');
    const unbounded = reasm({ unbounded: true }, { ...LIMITS, maxBytes: 100 });
    for (let k = 0; k < 20; k++) unbounded.add(k, `d${k}`, 8, pieces[1], true, 100);
    expect(unbounded.bytes).to.equal(2000);
    const forever = reasm({ noTimeout: true });
    forever.add(0, 'k', 0, pieces[0], true, 10, 'first');
    expect(forever.expire(1e9)).to.deep.equal([]);
  });
});

describe('fitPieces (engine/nat64/fragments.ts)', () => {
  it('keeps pieces that fit and cuts the others into multiples of 8, the last keeping its flag', () => {
    expect(fitPieces([{ offset: 0, length: 16, more: false }], 16)).to.deep.equal([{ offset: 0, length: 16, more: false }]);
    expect(
      fitPieces(
        [
          { offset: 0, length: 40, more: true },
          { offset: 40, length: 20, more: false },
        ],
        16,
      ),
    ).to.deep.equal([
      { offset: 0, length: 16, more: true },
      { offset: 16, length: 16, more: true },
      { offset: 32, length: 8, more: true },
      { offset: 40, length: 16, more: true },
      { offset: 56, length: 4, more: false },
    ]);
  });
});

describe('firstPieceHolds (engine/nat64/fragments.ts)', () => {
  it('merges the offset-0 piece with the following ones until it holds the upper-layer header, keeping the other boundaries', () => {
    const pieces = [
      { offset: 0, length: 8, more: true },
      { offset: 8, length: 8, more: true },
      { offset: 16, length: 16, more: true },
      { offset: 32, length: 5, more: false },
    ];
    expect(firstPieceHolds(pieces, 20)).to.deep.equal([
      { offset: 0, length: 32, more: true },
      { offset: 32, length: 5, more: false },
    ]);
    expect(firstPieceHolds(pieces, 16)).to.deep.equal([
      { offset: 0, length: 16, more: true },
      { offset: 16, length: 16, more: true },
      { offset: 32, length: 5, more: false },
    ]);
    expect(firstPieceHolds(pieces, 8)).to.deep.equal(pieces);
    expect(firstPieceHolds(pieces, 60)).to.deep.equal([{ offset: 0, length: 37, more: false }]);
  });

  it('measures the upper-layer header: TCP by its Data Offset, UDP and ICMP 8, others 0', () => {
    const tcp = encode({ ipv6: { src: '2001:db8::1', dst: '2001:db8::2', hopLimit: 64 }, tcp: { sport: 1, dport: 2, options: [{ kind: 254, data: Buffer.alloc(10) }] } }).subarray(40);
    expect(upperHeaderLength(6, tcp)).to.equal(32);
    expect(upperHeaderLength(6, Buffer.alloc(4))).to.equal(20);
    expect([upperHeaderLength(17, Buffer.alloc(0)), upperHeaderLength(58, Buffer.alloc(0)), upperHeaderLength(50, Buffer.alloc(0))]).to.deep.equal([8, 8, 0]);
  });
});

// ---------------------------------------------------------------- through the translator

const lab = (raw: Record<string, unknown> = {}, seed = 3): Lab => makeLab(raw, seed);

const C6 = LAB.client6[0];
const S4 = LAB.server4[0];
const S6 = embed(LAB.pool6, S4);

function frags6(p: Packet, size: number, id: number): Buffer[] {
  const data = encode(p).subarray(40);
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) {
    const fh: FragmentHeader = { kind: 'fragment', nextHeader: 17, offset: at / 8, m: at + size < data.length, id };
    out.push(encode({ ipv6: { ...p.ipv6!, extensions: [fh] }, payload: data.subarray(at, at + size) }));
  }
  return out;
}

function frags4(p: Packet, size: number, id: number): Buffer[] {
  const data = encode(p).subarray(20);
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) {
    out.push(encode({ ipv4: { ...p.ipv4!, id, mf: at + size < data.length, fragOffset: at / 8, protocol: 17 }, payload: data.subarray(at, at + size) }));
  }
  return out;
}

function open(x: Nat64Translator, sport = 40000): { T: string; t: number } {
  const out = x.push(6, encode({ ipv6: { src: C6, dst: S6, hopLimit: 64 }, udp: { sport, dport: 7 }, payload: Buffer.from('open') }));
  const p = decode(out[0].bytes);
  return { T: p.ipv4!.src, t: p.udp!.sport };
}

describe('fragments through the translator (engine/nat64/fragments.ts)', () => {
  it('IPv6 fragments, last first: translated at the last one, original boundaries, ID = low 16 bits, DF 0', () => {
    const { x } = lab();
    const p: Packet = { ipv6: { src: C6, dst: S6, hopLimit: 64 }, udp: { sport: 40000, dport: 7 }, payload: buf(3000) };
    const f = frags6(p, 1232, 0x1234abcd).reverse();
    expect(x.push(6, f[0])).to.deep.equal([]);
    expect(x.push(6, f[1])).to.deep.equal([]);
    const out = x.push(6, f[2]).map((e) => decode(e.bytes));
    expect(out.map((o) => [o.ipv4!.fragOffset, o.ipv4!.mf, o.ipv4!.df, o.ipv4!.id, o.ipv4!.totalLength])).to.deep.equal([
      [0, true, false, 0xabcd, 1252],
      [154, true, false, 0xabcd, 1252],
      [308, false, false, 0xabcd, 564],
    ]);
  });

  it('zero-checksum IPv4 UDP fragments are reassembled and leave with a computed checksum and Fragment Headers', () => {
    const { x } = lab();
    const m = open(x);
    const p: Packet = { ipv4: { src: S4, dst: m.T, ttl: 64 }, udp: { sport: 7, dport: m.t, checksum: 0 }, payload: buf(2000) };
    const f = frags4(p, 1008, 0xbeef);
    expect(x.push(4, f[1])).to.deep.equal([]);
    const out = x.push(4, f[0]).map((e) => e.bytes);
    expect(out).to.have.length(2);
    const first = decode(out[0]);
    const fh = first.ipv6!.extensions![0] as FragmentHeader;
    expect([fh.offset, fh.m, fh.id, fh.nextHeader]).to.deep.equal([0, true, 0xbeef, 17]);
    expect(first.udp!.checksum).to.not.equal(0);
    // Put back together, the checksum verifies.
    const whole = Buffer.concat([out[0].subarray(0, 40), out[0].subarray(48), out[1].subarray(48)]);
    whole[6] = 17;
    whole.writeUInt16BE(whole.length - 40, 4);
    expect(checksumsValid(decode(whole)).udp).to.equal(true);
  });

  it('DF=0 IPv4 over lowest-ipv6-mtu is cut into 1280-octet IPv6 fragments; DF=1 over the IPv6 MTU draws 3/4 with MTU - 20', () => {
    const { x } = lab();
    const m = open(x);
    const df0 = x.push(4, encode({ ipv4: { src: S4, dst: m.T, ttl: 64, id: 0x4242 }, udp: { sport: 7, dport: m.t }, payload: buf(1372) }));
    expect(df0.map((e) => [e.side, e.bytes.length])).to.deep.equal([
      [6, 1280],
      [6, 196],
    ]);
    const df1 = x.push(4, encode({ ipv4: { src: S4, dst: m.T, ttl: 64, df: true }, udp: { sport: 7, dport: m.t }, payload: buf(1472) }));
    expect(df1).to.have.length(1);
    const err = decode(df1[0].bytes);
    expect([df1[0].side, err.icmpv4!.type, err.icmpv4!.code, err.icmpv4!.mtu, err.ipv4!.dst]).to.deep.equal([4, 3, 4, 1480, S4]);
  });

  it('IPv6 -> IPv4 over the IPv4 MTU: DF=0 (<= 1260) fragmented, DF=1 answered with Packet Too Big, at least 1280', () => {
    const { x } = lab({ mtu: { ipv4: 1000 } });
    const small = x.push(6, encode({ ipv6: { src: C6, dst: S6, hopLimit: 64 }, udp: { sport: 40000, dport: 7 }, payload: buf(1152) }));
    expect(small.map((e) => e.side)).to.deep.equal([4, 4]);
    expect(small.every((e) => e.bytes.length <= 1000 && decode(e.bytes).ipv4!.df === false)).to.equal(true);
    const big = x.push(6, encode({ ipv6: { src: C6, dst: S6, hopLimit: 64 }, udp: { sport: 40000, dport: 7 }, payload: buf(1352) }));
    expect(big).to.have.length(1);
    const ptb = decode(big[0].bytes);
    expect([big[0].side, ptb.icmpv6!.type, ptb.icmpv6!.mtu, ptb.ipv6!.dst]).to.deep.equal([6, 2, 1280, C6]);
  });

  it('sends Time Exceeded (fragment reassembly) when the offset-0 fragment came but the datagram timed out', () => {
    const { x, clock } = lab({ timeouts: { fragment: 3 } });
    const f = frags6({ ipv6: { src: C6, dst: S6, hopLimit: 64 }, udp: { sport: 40000, dport: 7 }, payload: buf(2000) }, 1232, 7);
    x.push(6, f[0]);
    clock.advance(2999);
    expect(x.expire()).to.deep.equal([]);
    clock.advance(1);
    const out = x.expire();
    expect(out).to.have.length(1);
    const te = decode(out[0].bytes);
    expect([out[0].side, te.icmpv6!.type, te.icmpv6!.code, te.ipv6!.dst]).to.deep.equal([6, 3, 1, C6]);
    // A train whose offset-0 fragment never came expires silently.
    x.push(6, f[1]);
    clock.advance(3000);
    expect(x.expire()).to.deep.equal([]);
  });

  it('drops fragments whose Fragment Header is followed by another extension header (RFC 7915 §5.1.1)', () => {
    const { x } = lab();
    const data = encode({ ipv6: { src: C6, dst: S6, hopLimit: 64, extensions: [{ kind: 'destination', options: [{ type: 1, data: Buffer.alloc(4) }] }] }, udp: { sport: 40000, dport: 7 }, payload: buf(1500) }).subarray(40);
    const f1 = encode({ ipv6: { src: C6, dst: S6, hopLimit: 64, extensions: [{ kind: 'fragment', nextHeader: 60, offset: 0, m: true, id: 9 }] }, payload: data.subarray(0, 1232) });
    const f2 = encode({ ipv6: { src: C6, dst: S6, hopLimit: 64, extensions: [{ kind: 'fragment', nextHeader: 60, offset: 154, m: false, id: 9 }] }, payload: data.subarray(1232) });
    expect([...x.push(6, f1), ...x.push(6, f2)]).to.deep.equal([]);
    expect(x.lastDrop).to.match(/5\.1\.1/);
  });

  it('discards an IPv6 offset-0 fragment that cuts the TCP header with Parameter Problem code 3, pointer 0 (RFC 8200 §4.5, RFC 7112 §5)', () => {
    const { x, clock } = lab({ timeouts: { fragment: 3 } });
    const seg = encode({ ipv6: { src: C6, dst: S6, hopLimit: 64 }, tcp: { sport: 40000, dport: 80, seq: 1, flags: { syn: true }, window: 1000 }, payload: buf(100) }).subarray(40);
    const f1 = encode({ ipv6: { src: C6, dst: S6, hopLimit: 64, extensions: [{ kind: 'fragment', nextHeader: 6, offset: 0, m: true, id: 5 }] }, payload: seg.subarray(0, 16) });
    const f2 = encode({ ipv6: { src: C6, dst: S6, hopLimit: 64, extensions: [{ kind: 'fragment', nextHeader: 6, offset: 2, m: false, id: 5 }] }, payload: seg.subarray(16) });
    const out = x.push(6, f1);
    expect(x.lastDrop).to.match(/8200 §4\.5/).and.to.match(/7112/);
    expect(out).to.have.length(1);
    const pp = decode(out[0].bytes);
    expect([out[0].side, pp.icmpv6!.type, pp.icmpv6!.code, pp.icmpv6!.pointer, pp.ipv6!.src, pp.ipv6!.dst]).to.deep.equal([6, 4, 3, 0, S6, C6]);
    expect(checksumsValid(pp).icmpv6).to.equal(true);
    // The quote is the discarded fragment.
    expect(out[0].bytes.subarray(48).equals(f1)).to.equal(true);
    // The rest of the train is never translated and expires silently (its offset-0 fragment was discarded).
    expect(x.push(6, f2)).to.deep.equal([]);
    clock.advance(3000);
    expect(x.expire()).to.deep.equal([]);
    // UDP: 8 octets are enough; fewer draw the same error. An offset-0 fragment holding the whole header is held.
    const dg = encode({ ipv6: { src: C6, dst: S6, hopLimit: 64 }, udp: { sport: 40000, dport: 7 }, payload: buf(100) }).subarray(40);
    const u = (n: number, id: number) => encode({ ipv6: { src: C6, dst: S6, hopLimit: 64, extensions: [{ kind: 'fragment', nextHeader: 17, offset: 0, m: true, id }] }, payload: dg.subarray(0, n) });
    expect(x.push(6, u(8, 6))).to.deep.equal([]);
    const short = x.push(6, u(4, 7)).map((e) => decode(e.bytes).icmpv6);
    expect(short.map((i) => [i?.type, i?.code, i?.pointer])).to.deep.equal([[4, 3, 0]]);
  });

  it('the Parameter Problem about a short first fragment obeys the ICMPv6 error policy (send6 false)', () => {
    const { x } = lab({ icmpErrors: { send6: false } });
    const seg = encode({ ipv6: { src: C6, dst: S6, hopLimit: 64 }, tcp: { sport: 40000, dport: 80, seq: 1, flags: { syn: true }, window: 1000 }, payload: buf(100) }).subarray(40);
    const f1 = encode({ ipv6: { src: C6, dst: S6, hopLimit: 64, extensions: [{ kind: 'fragment', nextHeader: 6, offset: 0, m: true, id: 5 }] }, payload: seg.subarray(0, 16) });
    expect(x.push(6, f1)).to.deep.equal([]);
    expect(x.lastDrop).to.match(/Parameter Problem/);
  });

  it('IPv4 -> IPv6: an offset-0 fragment shorter than the TCP header (options included) leaves merged with the next piece (RFC 8200 §4.5)', () => {
    const { x } = lab();
    const syn = x.push(6, encode({ ipv6: { src: C6, dst: S6, hopLimit: 64 }, tcp: { sport: 40010, dport: 80, seq: 1000, flags: { syn: true }, window: 65535 } }));
    const o = decode(syn[0].bytes);
    const T4 = o.ipv4!.src;
    const t = o.tcp!.sport;
    expect(x.push(4, encode({ ipv4: { src: S4, dst: T4, ttl: 64 }, tcp: { sport: 80, dport: t, seq: 7000, ack: 1001, flags: { syn: true, ack: true }, window: 65535 } }))).to.have.length(1);
    // A 40-octet TCP header (20 octets of options) cut as 24 + 24 + 24 + rest.
    const p: Packet = { ipv4: { src: S4, dst: T4, ttl: 64 }, tcp: { sport: 80, dport: t, seq: 7001, ack: 1001, flags: { ack: true, psh: true }, window: 65535, options: [{ kind: 254, data: Buffer.alloc(18, 7) }] }, payload: buf(100) };
    const data = encode(p).subarray(20);
    expect((data[12] >> 4) * 4).to.equal(40);
    const cuts = [0, 24, 48, 72, data.length];
    const f = cuts.slice(0, -1).map((at, i) =>
      encode({ ipv4: { ...p.ipv4!, id: 0x7777, protocol: 6, mf: i < cuts.length - 2, fragOffset: at / 8 }, payload: data.subarray(at, cuts[i + 1]) }),
    );
    const out = f.flatMap((b) => x.push(4, b));
    expect(out.every((e) => e.side === 6)).to.equal(true);
    const got = out.map((e) => {
      const q = decode(e.bytes);
      const fh = q.ipv6!.extensions![0] as FragmentHeader;
      return [(fh.offset ?? 0) * 8, e.bytes.length - 48, fh.m, fh.id, fh.nextHeader];
    });
    // The first two pieces are merged (48 octets >= 40); the other original boundaries stay.
    expect(got).to.deep.equal([
      [0, 48, true, 0x7777, 6],
      [48, 24, true, 0x7777, 6],
      [72, data.length - 72, false, 0x7777, 6],
    ]);
    // Put back together, the segment is whole and its checksum verifies.
    const whole = Buffer.concat([out[0].bytes.subarray(0, 40), ...out.map((e) => e.bytes.subarray(48))]);
    whole[6] = 6;
    whole.writeUInt16BE(whole.length - 40, 4);
    const w = decode(whole);
    expect(checksumsValid(w).tcp).to.equal(true);
    expect(w.tcp!.dport).to.equal(40010);
    expect(w.payload!.equals(buf(100))).to.equal(true);
  });

  it('validates fragmentMemory', () => {
    expect(parseEngineConfig({}).fragmentMemory).to.equal(4 * 1024 * 1024);
    expect(parseEngineConfig({ fragmentMemory: 2048 }).fragmentMemory).to.equal(2048);
    for (const bad of [0, 100, 1.5, 'x', 2 ** 31]) {
      expect(() => parseEngineConfig({ fragmentMemory: bad }), String(bad)).to.throw(ConfigError, /^config\.fragmentMemory: /);
    }
  });
});
