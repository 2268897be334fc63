/**
 * ICMP error translation (engine/xlat/icmp-error-xlat.ts, RFC 7915 §4.2-§4.3
 * and §5.2-§5.3) and the policy for errors the NAT64 originates
 * (engine/nat64/icmp-policy.ts: per-side switch, rate limit, §4.4/§5.4
 * "administratively prohibited"), on crafted packets through the codec.
 */
import { expect } from 'chai';
import { checksumsValid, decode, encode } from '../../harness/packet/codec';
import { LAB } from '../../harness/lab/addressing';
import { embed } from '../../harness/packet/rfc6052';
import { ICMPExtensions, Packet } from '../../harness/packet/types';
import { ConfigError, DEFAULT_ICMP_ERRORS, parseEngineConfig } from '../../engine/config';
import { createTranslator, seededRandom, virtualClock } from '../../engine';
import { IcmpErrorGate, quotesInput } from '../../engine/nat64/icmp-policy';
import { XlatFault, XlatMap, XlatOptions, XlatResult, translateIcmpError4to6, translateIcmpError6to4 } from '../../engine/xlat';

const C6 = LAB.client6[0];
const S4 = LAB.server4[0];
const T4 = LAB.pool4[0];
const R4 = LAB.router4;
const R6 = LAB.router6;
const S6 = embed(LAB.pool6, S4);
const R4as6 = embed(LAB.pool6, R4);
const DATA = Buffer.from('nat64lab icmp error payload');

function opts(...faults: XlatFault[]): XlatOptions {
  return { faults: new Set(faults) };
}

const rx = (p: Packet): Packet => decode(encode(p));

function wire(r: XlatResult): Packet {
  expect(r.kind, r.kind === 'drop' ? `${r.code}: ${r.reason}` : r.kind).to.equal('ok');
  if (r.kind !== 'ok') throw new Error('not ok');
  return decode(encode(r.packet));
}

function dropped(r: XlatResult, re?: RegExp): void {
  expect(r.kind).to.equal('drop');
  if (r.kind === 'drop' && re) expect(r.reason).to.match(re);
}

/** The outbound datagram as it left the NAT64: T4:61000 -> S4:53, TTL 37 as a router quotes it. */
function out4(extra: Partial<NonNullable<Packet['ipv4']>> = {}, payload = DATA): Packet {
  return rx({ ipv4: { tos: 0x28, id: 7, df: true, ttl: 37, src: T4, dst: S4, ...extra }, udp: { sport: 61000, dport: 53 }, payload });
}

/** The inbound datagram as the client got it: [P::S4]:53 -> C6:40000, Hop Limit 37. */
function in6(payload = DATA): Packet {
  return rx({ ipv6: { trafficClass: 0x28, hopLimit: 37, src: S6, dst: C6 }, udp: { sport: 53, dport: 40000 }, payload });
}

function icmp4(type: number, code: number, quote: Packet, extra: Record<string, unknown> = {}, ttl = 64): Packet {
  return rx({ ipv4: { src: R4, dst: T4, ttl }, icmpv4: { type, code, quote, ...extra } });
}

function icmp6(type: number, code: number, quote: Packet, extra: Record<string, unknown> = {}, hopLimit = 64): Packet {
  return rx({ ipv6: { src: R6, dst: S6, hopLimit }, icmpv6: { type, code, quote, ...extra } });
}

// The maps the NAT64 half would pass (RFC 6146 §3.6/§3.7).
const OUTER46: XlatMap = { src: R4as6, dst: C6 };
const INNER46: XlatMap = { src: C6, sport: 40000, dst: S6, dport: 53 };
const OUTER64: XlatMap = { src: T4, dst: S4, ipv4Id: 0x1234 };
const INNER64: XlatMap = { src: S4, sport: 53, dst: T4, dport: 61000 };

const to6 = (p: Packet, o = opts()) => translateIcmpError4to6(p, OUTER46, INNER46, o);
const to4 = (p: Packet, o = opts()) => translateIcmpError6to4(p, OUTER64, INNER64, o);

describe('ICMP error translation: IPv4 -> IPv6 (RFC 7915 §4.2, §4.3)', () => {
  it('3/3 becomes 1/4: outer and quote translated, quote TTL copied, lengths and checksums right', () => {
    const p = wire(to6(icmp4(3, 3, out4())));
    expect(p.ipv6).to.include({ src: R4as6, dst: C6, hopLimit: 63, nextHeader: 58, payloadLength: 8 + 40 + 8 + DATA.length, flowLabel: 0 });
    expect(p.icmpv6).to.include({ type: 1, code: 4, length: 0 });
    expect(p.icmpv6!.quote!.ipv6).to.include({ src: C6, dst: S6, hopLimit: 37, trafficClass: 0x28, payloadLength: 8 + DATA.length, nextHeader: 17 });
    expect(p.icmpv6!.quote!.udp).to.include({ sport: 40000, dport: 53 });
    expect(p.icmpv6!.quote!.payload).to.deep.equal(DATA);
    expect(checksumsValid(p).icmpv6).to.equal(true);
    expect(checksumsValid(p.icmpv6!.quote!).udp).to.equal(true);
  });

  it('follows the §4.2 table: 3/2 -> 4/1 pointer 6, 11/1 -> 3/1, 12/0 pointer 12 -> 4/0 pointer 8', () => {
    expect(wire(to6(icmp4(3, 2, out4()))).icmpv6).to.include({ type: 4, code: 1, pointer: 6 });
    expect(wire(to6(icmp4(11, 1, out4()))).icmpv6).to.include({ type: 3, code: 1 });
    expect(wire(to6(icmp4(12, 0, out4(), { pointer: 12 }))).icmpv6).to.include({ type: 4, code: 0, pointer: 8 });
    expect(wire(to6(icmp4(3, 13, out4()))).icmpv6).to.include({ type: 1, code: 1 });
  });

  it('drops what the tables drop: 3/14, 3/16, 12/1, 12/3, 4/0 and an "n/a" or unlisted pointer', () => {
    for (const [type, code] of [[3, 14], [3, 16], [12, 1], [12, 3], [4, 0]]) dropped(to6(icmp4(type, code, out4(), { pointer: 0 })), /RFC 7915 §4\.2/);
    dropped(to6(icmp4(12, 0, out4(), { pointer: 10 })), /Figure 3/);
    dropped(to6(icmp4(12, 2, out4(), { pointer: 20 })), /Figure 3/);
  });

  it('Fragmentation Needed: MTU + 20 within the next hops, never below 1280, plateau for MTU 0', () => {
    expect(wire(to6(icmp4(3, 4, out4(), { mtu: 1400 }))).icmpv6).to.include({ type: 2, code: 0, mtu: 1420 });
    expect(wire(to6(icmp4(3, 4, out4(), { mtu: 576 }))).icmpv6!.mtu).to.equal(1280);
    expect(wire(translateIcmpError4to6(icmp4(3, 4, out4(), { mtu: 1480 }), OUTER46, INNER46, { ...opts(), mtu: { ipv6: 1450, ipv4: 1500 } })).icmpv6!.mtu).to.equal(1450);
    // Quoted Total Length 4000: the largest plateau below it that is >= 1280 is 2002.
    const big = out4({}, Buffer.alloc(4000 - 28, 1));
    expect(wire(to6(icmp4(3, 4, big, { mtu: 0 }))).icmpv6!.mtu).to.equal(Math.min(2002 + 20, 1500));
    expect(wire(to6(icmp4(3, 4, out4(), { mtu: 1400 }), opts('ptb-mtu-copied'))).icmpv6!.mtu).to.equal(1400);
  });

  it('cuts the result to 1280 octets; Payload Length of the quote stays that of the original', () => {
    const big = out4({}, Buffer.alloc(1444, 0x61));
    const p = wire(to6(icmp4(3, 3, big)));
    expect(encode(p).length).to.equal(1280);
    expect(p.icmpv6!.quote!.ipv6!.payloadLength).to.equal(1452);
    expect(encode(wire(to6(icmp4(3, 3, big), opts('icmp-error-no-truncate')))).length).to.equal(40 + 8 + 1472 + 20);
  });

  it('RFC 4884: the quote is padded to 128 octets and the length attribute counts 64-bit words; the extension is kept, or cut to fit', () => {
    const ext: ICMPExtensions = { version: 2, objects: [{ classNum: 1, cType: 1, data: Buffer.from([0, 1, 0xf1, 0xff]) }] };
    const p = wire(to6(icmp4(11, 0, out4(), { extensions: ext })));
    expect(p.icmpv6).to.include({ type: 3, code: 0, length: 16 });
    expect(p.icmpv6!.extensions!.objects[0]).to.deep.include({ classNum: 1, cType: 1, data: ext.objects[0].data });
    expect(p.icmpv6!.quote!.udp).to.include({ sport: 40000, dport: 53 });
    expect(wire(to6(icmp4(11, 0, out4(), { extensions: ext }), opts('icmp-ext-length-copied'))).icmpv6!.length).to.equal(32);
    const huge: ICMPExtensions = { version: 2, objects: [{ classNum: 1, cType: 1, data: Buffer.alloc(1200) }] };
    const cut = wire(to6(icmp4(11, 0, out4(), { extensions: huge })));
    expect(encode(cut).length).to.equal(1280);
    expect(cut.icmpv6!.length).to.equal(16);
    expect(cut.icmpv6!.extensions!.objects[0].classNum).to.equal(1);
  });

  it('checks the ICMP checksum and the quoted IPv4 header checksum, not the quoted UDP checksum (RFC 5508 REQ-3)', () => {
    const good = icmp4(3, 3, out4());
    dropped(to6({ ...good, icmpv4: { ...good.icmpv4!, checksum: (good.icmpv4!.checksum! + 1) & 0xffff } }), /REQ-3/);
    const q = out4();
    dropped(to6(icmp4(3, 3, { ...q, ipv4: { ...q.ipv4!, checksum: (q.ipv4!.checksum! ^ 0xff) & 0xffff } })), /REQ-3a/);
    expect(to6(icmp4(3, 3, { ...q, udp: { ...q.udp!, checksum: 0x1234 } })).kind).to.equal('ok');
  });

  it('translates an 8-octet TCP quote (ports rewritten) and an echo quote (identifier and type, checksum over the IPv6 pseudo-header)', () => {
    const tcp = rx({ ipv4: { ttl: 37, src: T4, dst: S4 }, tcp: { sport: 61000, dport: 80, seq: 99, flags: { ack: true } } });
    const q8 = decode(encode(tcp).subarray(0, 28));
    const p = wire(translateIcmpError4to6(icmp4(3, 1, q8), OUTER46, { src: C6, sport: 40000, dst: S6, dport: 80 }, opts()));
    expect(p.icmpv6!.quote!.ipv6).to.include({ nextHeader: 6, payloadLength: 20 });
    expect(p.icmpv6!.quote!.payload!.readUInt16BE(0)).to.equal(40000);
    expect(p.icmpv6!.quote!.payload!.readUInt16BE(2)).to.equal(80);
    const echo = rx({ ipv4: { ttl: 37, src: T4, dst: S4 }, icmpv4: { type: 8, code: 0, id: 777, seq: 1 }, payload: DATA });
    const e = wire(translateIcmpError4to6(icmp4(11, 0, echo), OUTER46, { src: C6, dst: S6, icmpId: 4321 }, opts()));
    expect(e.icmpv6!.quote!.icmpv6).to.include({ type: 128, id: 4321 });
    expect(checksumsValid(e.icmpv6!.quote!).icmpv6).to.equal(true);
  });

  it('one level only: a quoted ICMP error is not translated; an expiring error draws no Time Exceeded', () => {
    const inner = rx({ ipv4: { ttl: 37, src: T4, dst: S4 }, icmpv4: { type: 3, code: 3, quote: out4() } });
    dropped(to6(icmp4(3, 1, inner)), /one level/);
    dropped(to6(icmp4(3, 3, out4(), {}, 1)), /no error about an error/);
    expect(to6(icmp4(3, 3, out4(), {}, 1), opts('icmp-error-storm')).kind).to.equal('icmp-error');
  });

  it('faults: inner TTL decremented, quote untranslated, type kept, pointer copied', () => {
    expect(wire(to6(icmp4(3, 3, out4()), opts('inner-ttl-decremented'))).icmpv6!.quote!.ipv6!.hopLimit).to.equal(36);
    expect(wire(to6(icmp4(3, 3, out4()), opts('icmp-error-untranslated-inner'))).icmpv6!.quote!.ipv4).to.include({ src: T4 });
    expect(wire(to6(icmp4(3, 3, out4()), opts('icmp-error-type-untranslated'))).icmpv6).to.include({ type: 3, code: 3 });
    expect(wire(to6(icmp4(12, 0, out4(), { pointer: 10 }), opts('icmp-pointer-untranslated'))).icmpv6).to.include({ type: 4, pointer: 10 });
  });
});

describe('ICMP error translation: IPv6 -> IPv4 (RFC 7915 §5.2, §5.3)', () => {
  it('1/4 becomes 3/3: outer T -> S4, quote S4:53 -> T:61000 with TTL 37, Total Length and all checksums right', () => {
    const p = wire(to4(icmp6(1, 4, in6())));
    expect(p.ipv4).to.include({ src: T4, dst: S4, ttl: 63, protocol: 1, id: 0x1234, df: false, totalLength: 20 + 8 + 20 + 8 + DATA.length });
    expect(p.icmpv4).to.include({ type: 3, code: 3, length: 0 });
    expect(p.icmpv4!.quote!.ipv4).to.include({ src: S4, dst: T4, ttl: 37, tos: 0x28, protocol: 17, totalLength: 28 + DATA.length });
    expect(p.icmpv4!.quote!.udp).to.include({ sport: 53, dport: 61000 });
    const v = checksumsValid(p);
    expect(v.ipv4 && v.icmpv4).to.equal(true);
    expect(checksumsValid(p.icmpv4!.quote!)).to.deep.equal({ ipv4: true, udp: true });
  });

  it('follows the §5.2 table and Figure 6; drops 1/5, 4/2, 4/3, unknown error 100 and pointer 2 / 40', () => {
    expect(wire(to4(icmp6(1, 1, in6()))).icmpv4).to.include({ type: 3, code: 10 });
    expect(wire(to4(icmp6(4, 1, in6(), { pointer: 6 }))).icmpv4).to.include({ type: 3, code: 2 });
    expect(wire(to4(icmp6(4, 0, in6(), { pointer: 24 }))).icmpv4).to.include({ type: 12, code: 0, pointer: 16 });
    expect(wire(to4(icmp6(3, 1, in6()))).icmpv4).to.include({ type: 11, code: 1 });
    expect(wire(to4(icmp6(2, 0, in6(), { mtu: 1400 }))).icmpv4).to.include({ type: 3, code: 4, mtu: 1380 });
    for (const [type, code, pointer] of [[1, 5, 0], [4, 2, 0], [4, 3, 0], [100, 0, 0], [4, 0, 2], [4, 0, 40]]) dropped(to4(icmp6(type, code, in6(), { pointer })));
  });

  it('cuts the result to 576 octets; RFC 4884 length counts 32-bit words of the shorter quote', () => {
    const p = wire(to4(icmp6(1, 4, in6(Buffer.alloc(604, 1)))));
    expect(encode(p).length).to.equal(576);
    expect(p.icmpv4!.quote!.ipv4!.totalLength).to.equal(632);
    const ext: ICMPExtensions = { version: 2, objects: [{ classNum: 1, cType: 1, data: Buffer.alloc(4, 7) }] };
    const e = wire(to4(icmp6(3, 0, in6(), { extensions: ext })));
    expect(e.icmpv4).to.include({ type: 11, length: 32 });
    expect(e.icmpv4!.extensions!.objects[0].data).to.deep.equal(Buffer.alloc(4, 7));
  });

  it('drops a bad ICMPv6 checksum and a quoted ICMPv6 error', () => {
    const good = icmp6(1, 4, in6());
    dropped(to4({ ...good, icmpv6: { ...good.icmpv6!, checksum: (good.icmpv6!.checksum! + 1) & 0xffff } }), /REQ-3/);
    const inner = rx({ ipv6: { hopLimit: 37, src: S6, dst: C6 }, icmpv6: { type: 1, code: 4, quote: rx({ ipv6: { src: C6, dst: S6, hopLimit: 64 }, udp: { sport: 40000, dport: 53 }, payload: DATA }) } });
    dropped(to4(icmp6(1, 0, inner)), /one level/);
  });
});

describe('errors the NAT64 originates (engine/nat64/icmp-policy.ts)', () => {
  it('config: defaults, and one-line refusals', () => {
    expect(parseEngineConfig({}).icmpErrors).to.deep.equal(DEFAULT_ICMP_ERRORS);
    expect(parseEngineConfig({ icmpErrors: { send4: false, ratePerSecond: 0 } }).icmpErrors).to.deep.include({ send4: false, send6: true, ratePerSecond: 0 });
    for (const bad of [{ send6: 'no' }, { ratePerSecond: -1 }, { burst: 0 }, { often: 1 }]) {
      expect(() => parseEngineConfig({ icmpErrors: bad })).to.throw(ConfigError, /^config\.icmpErrors/);
    }
  });

  it('the gate: per-side switch, token bucket refilled by the clock', () => {
    const clock = virtualClock(0);
    const g = new IcmpErrorGate({ send4: false, send6: true, ratePerSecond: 2, burst: 2 }, clock, new Set());
    expect(g.allow(4)).to.equal(false);
    expect([g.allow(6), g.allow(6), g.allow(6)]).to.deep.equal([true, true, false]);
    clock.advance(500);
    expect([g.allow(6), g.allow(6)]).to.deep.equal([true, false]);
    const faulty = new IcmpErrorGate({ send4: false, send6: true, ratePerSecond: 2, burst: 2 }, clock, new Set(['icmp-error-knob-ignored', 'icmp-error-no-rate-limit']));
    expect([faulty.allow(4), faulty.allow(6), faulty.allow(6), faulty.allow(6)]).to.deep.equal([true, true, true, true]);
  });

  it('tells originated errors (quoting the input) from translated ones', () => {
    const input = encode(rx({ ipv6: { src: C6, dst: S6, hopLimit: 1 }, udp: { sport: 1, dport: 2 }, payload: DATA }));
    const te = encode({ ipv6: { src: S6, dst: C6, hopLimit: 64 }, icmpv6: { type: 3, code: 0, quote: decode(input) } });
    expect(quotesInput(te, input)).to.equal(true);
    expect(quotesInput(te, encode(icmp6(1, 4, in6())))).to.equal(false);
    expect(quotesInput(input, input)).to.equal(false);
  });

  function lab(raw: Record<string, unknown> = {}) {
    const clock = virtualClock(0);
    const x = createTranslator(parseEngineConfig({ pool6: LAB.pool6, ...raw }), { clock, random: seededRandom(1), onInternalError: (e) => { throw e; } });
    return { x, clock };
  }
  const expiring = (sport: number) => encode({ ipv6: { src: C6, dst: S6, hopLimit: 1 }, udp: { sport, dport: 7 }, payload: DATA });

  it('rate-limits Time Exceeded (burst 10 at 100/s by default) and honours send6 = false', () => {
    const l = lab();
    let n = 0;
    for (let i = 0; i < 30; i++) n += l.x.push(6, expiring(40000)).length;
    expect(n).to.equal(10);
    l.clock.advance(50);
    expect(l.x.push(6, expiring(40000)).length).to.equal(1);
    const off = lab({ icmpErrors: { send6: false } });
    expect(off.x.push(6, expiring(40000))).to.deep.equal([]);
  });

  it('RFC 7915 §5.4 / §4.4: ICMPv6 1/1 and ICMPv4 3/13 for drops under the Well-Known Prefix, none about ICMP', () => {
    const WKP = '64:ff9b::/96';
    const l = lab({ pool6: WKP, pool4: ['100.0.0.100'] });
    const to = embed(WKP, '10.0.0.1');
    const out = l.x.push(6, encode({ ipv6: { src: C6, dst: to, hopLimit: 64 }, udp: { sport: 1000, dport: 53 }, payload: DATA }));
    expect(out.map((o) => o.side)).to.deep.equal([6]);
    const e = decode(out[0].bytes);
    expect(e.icmpv6).to.include({ type: 1, code: 1 });
    expect(e.ipv6!.src).to.equal(embed(WKP, '100.0.0.100'));
    expect(l.x.push(6, encode({ ipv6: { src: C6, dst: to, hopLimit: 64 }, icmpv6: { type: 128, code: 0, id: 1, seq: 1 } }))).to.deep.equal([]);
    const g = decode(l.x.push(6, encode({ ipv6: { src: C6, dst: embed(WKP, LAB.server4Global[0]), hopLimit: 64 }, udp: { sport: 1000, dport: 53 }, payload: DATA }))[0].bytes);
    const back = l.x.push(4, encode({ ipv4: { src: '10.0.0.5', dst: g.ipv4!.src, ttl: 64 }, udp: { sport: 53, dport: g.udp!.sport }, payload: DATA }));
    expect(back.map((o) => o.side)).to.deep.equal([4]);
    expect(decode(back[0].bytes).icmpv4).to.include({ type: 3, code: 13 });
    const err = encode({ ipv4: { src: '10.9.9.9', dst: g.ipv4!.src, ttl: 64 }, icmpv4: { type: 11, code: 0, quote: g } });
    expect(l.x.push(4, err)).to.deep.equal([]);
  });
});
