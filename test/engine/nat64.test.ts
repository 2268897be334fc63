/**
 * The RFC 6146 half of the engine: configuration, BIB/session handling,
 * allocation, filtering, hairpinning, expiry and the named faults, through
 * createTranslator with real packets (encode in, decode out).
 */
import { expect } from 'chai';
import { checksumsValid, decode, encode } from '../../harness/packet/codec';
import { LAB } from '../../harness/lab/addressing';
import { embed, extract } from '../../harness/packet/rfc6052';
import { Packet, TCPFlags } from '../../harness/packet/types';
import { Emitted } from '../../engine/api';
import { parseEngineConfig } from '../../engine/config';
import { FAULTS } from '../../engine/faults';
import { Nat64Translator, seededRandom } from '../../engine';
import { FLAG_OF } from '../../engine/nat64/flags';
import { Lab, makeLab, configError } from './lab';

const P = LAB.pool6;
const WKP = '64:ff9b::/96';
const [C6, C6b] = LAB.client6;
const [S4, S4b] = LAB.server4;
const [T1, T2] = LAB.pool4;

const lab = (raw: Record<string, unknown> = {}, seed = 1): Lab => makeLab(raw, seed);

const PAYLOAD = Buffer.from('nat64lab payload');

function udp6(src: string, sport: number, dst4: string, dport: number, prefix: string = P): Buffer {
  return encode({ ipv6: { src, dst: embed(prefix, dst4), hopLimit: 64 }, udp: { sport, dport }, payload: PAYLOAD });
}
function udp4(src: string, sport: number, dst: string, dport: number): Buffer {
  return encode({ ipv4: { src, dst, ttl: 64 }, udp: { sport, dport }, payload: PAYLOAD });
}
function tcp6(src: string, sport: number, dst4: string, dport: number, flags: TCPFlags, prefix: string = P): Buffer {
  return encode({ ipv6: { src, dst: embed(prefix, dst4), hopLimit: 64 }, tcp: { sport, dport, seq: 1000, ack: flags.ack ? 1 : 0, flags, window: 8192 } });
}
function tcp4(src: string, sport: number, dst: string, dport: number, flags: TCPFlags): Buffer {
  return encode({ ipv4: { src, dst, ttl: 64 }, tcp: { sport, dport, seq: 5000, ack: flags.ack ? 1001 : 0, flags, window: 8192 } });
}
function echo6(src: string, dst4: string, id: number, seq = 1, type = 128, prefix: string = P): Buffer {
  return encode({ ipv6: { src, dst: embed(prefix, dst4), hopLimit: 64 }, icmpv6: { type, code: 0, id, seq }, payload: PAYLOAD });
}
function echo4(src: string, dst: string, id: number, seq = 1, type = 0): Buffer {
  return encode({ ipv4: { src, dst, ttl: 64 }, icmpv4: { type, code: 0, id, seq }, payload: PAYLOAD });
}

/** The single packet emitted on `side`, decoded; fails if anything else came out. */
function one(out: Emitted[], side: 4 | 6, x?: Nat64Translator): Packet {
  expect(out.map((o) => o.side), `emitted (last drop: ${x?.lastDrop})`).to.deep.equal([side]);
  const p = decode(out[0].bytes);
  expect(p.notes ?? [], 'decoded cleanly').to.deep.equal([]);
  for (const [layer, ok] of Object.entries(checksumsValid(p))) expect(ok, `${layer} checksum`).to.equal(true);
  return p;
}

function none(out: Emitted[]): void {
  expect(out.map((o) => ({ side: o.side, pkt: decode(o.bytes) }))).to.deep.equal([]);
}

/** C6:sport sends UDP to [P::dst]:dport; returns the translated IPv4 packet. */
function outUdp(l: Lab, src: string, sport: number, dst: string, dport = 9): Packet {
  return one(l.x.push(6, udp6(src, sport, dst, dport)), 4, l.x);
}

describe('engine config (parseEngineConfig)', () => {
  it('fills RFC 6146 defaults', () => {
    const c = parseEngineConfig(undefined);
    // RFC 6146 §3.5.4: with no Pref64 configured, the well-known prefix.
    expect(c.pool6).to.equal('64:ff9b::/96');
    expect(c.pool4.map((e) => e.address)).to.deep.equal([...LAB.pool4]);
    expect(c.pool4[0].ports).to.deep.equal({ tcp: { min: 1, max: 65535 }, udp: { min: 1, max: 65535 }, icmp: { min: 0, max: 65535 } });
    expect(c.filtering).to.equal('endpoint-independent');
    expect(c.timeouts).to.deep.equal({ udp: 300, tcpEstablished: 7200, tcpTransitory: 240, tcpInit: 240, tcpIncomingSyn: 6, icmp: 60, fragment: 2 });
    expect(c.faults).to.deep.equal([]);
    expect(c.staticBib).to.deep.equal([]);
  });

  it('names the field and the fix in one line', () => {
    expect(configError({ pool6: '2001:db8::/33' })).to.equal('config.pool6: "2001:db8::/33" — RFC 6052 allows /32, /40, /48, /56, /64 or /96');
    expect(configError({ pool6: '2001:db8::/104' })).to.match(/^config\.pool6: .*n MUST be at most 96/);
    expect(configError({ pool6: '2001:db8:0:0:ff00::/64' })).to.match(/^config\.pool6: .*u-octet.*2001:db8::\/64/);
    expect(configError({ pool6: '198.18.0.0/24' })).to.match(/^config\.pool6: .*IPv4/);
    expect(configError({ timeouts: { udp: 60 } })).to.match(/^config\.timeouts\.udp: 60 is below UDP_MIN \(120 s, RFC 6146 §4\)/);
    expect(configError({ timeouts: { tcpEstablished: 3600 } })).to.match(/^config\.timeouts\.tcpEstablished: 3600 is below TCP_EST \(7200 s/);
    expect(configError({ timeouts: { tcpTransitory: 60 } })).to.match(/TCP_TRANS/);
    expect(configError({ timeouts: { icmp: 30 } })).to.match(/RFC 5508 REQ-2/);
    expect(configError({ timeouts: { tcpIncomingSyn: 1 } })).to.match(/TCP_INCOMING_SYN/);
    expect(configError({ timeouts: { fragment: 0 } })).to.match(/^config\.timeouts\.fragment: /);
    expect(configError({ timeouts: { udps: 300 } })).to.match(/^config\.timeouts\.udps: unknown setting; known: udp, /);
    expect(configError({ faults: ['no-hairpin', 'no-port-parity', 'x'] })).to.match(/^config\.faults\[2\]: unknown fault "x"; known: .*no-hairpin/);
    expect(configError({ faults: ['no-hairpin', 'no-hairpin'] })).to.match(/^config\.faults\[1\]: "no-hairpin" is listed twice/);
    expect(configError({ filtering: 'full-cone' })).to.match(/^config\.filtering: "full-cone" .*"address-dependent"/);
    expect(configError({ pool: [] })).to.match(/^config\.pool: unknown setting/);
    for (const raw of [{ pool6: '2001:db8::/33' }, { timeouts: { udp: 60 } }, { pool4: ['x'] }]) expect(configError(raw)).to.not.include('\n');
  });

  it('expands pool4 prefixes and validates addresses and port ranges', () => {
    const c = parseEngineConfig({ pool4: ['198.18.0.0/30', { address: '198.18.1.1', ports: { udp: { min: 1024, max: 2047 } } }] });
    expect(c.pool4.map((e) => e.address)).to.deep.equal(['198.18.0.0', '198.18.0.1', '198.18.0.2', '198.18.0.3', '198.18.1.1']);
    expect(c.pool4[4].ports).to.deep.equal({ tcp: { min: 1, max: 65535 }, udp: { min: 1024, max: 2047 }, icmp: { min: 0, max: 65535 } });
    expect(configError({ pool4: ['198.18.0.1/30'] })).to.equal('config.pool4[0].address: "198.18.0.1/30" has bits set beyond /30; use 198.18.0.0/30');
    expect(configError({ pool4: ['224.0.0.1'] })).to.match(/^config\.pool4\[0\]\.address: 224\.0\.0\.1 cannot be a pool4 address: .*multicast/);
    expect(configError({ pool4: ['198.18.0.0/31', '198.18.0.1'] })).to.equal('config.pool4[1]: 198.18.0.1 is already in pool4[0]; list each address once');
    expect(configError({ pool4: [] })).to.match(/^config\.pool4: empty; .*RFC 6146 §3/);
    expect(configError({ pool4: ['2001:db8::1'] })).to.match(/^config\.pool4\[0\]\.address: .*not an IPv4 address/);
    expect(configError({ pool4: [{ address: T1, ports: { udp: { min: 2000, max: 1000 } } }] })).to.equal('config.pool4[0].ports.udp: min 2000 > max 1000; swap them');
    expect(configError({ pool4: [{ address: T1, ports: { tcp: { min: 0, max: 10 } } }] })).to.match(/^config\.pool4\[0\]\.ports\.tcp\.min: 0 .*port 0 is not a usable/);
    expect(configError({ pool4: [{ address: T1, ports: { icmp: { min: 0, max: 70000 } } }] })).to.match(/^config\.pool4\[0\]\.ports\.icmp\.max: 70000/);
    expect(configError({ pool4: [{ address: T1, ports: { sctp: { min: 1, max: 2 } } }] })).to.match(/^config\.pool4\[0\]\.ports\.sctp: unknown setting/);
  });

  it('validates static BIB entries', () => {
    const ok = { protocol: 'udp', v6: { address: '2001:DB8:6::10', port: 5000 }, v4: { address: T1, port: 6000 } };
    const c = parseEngineConfig({ staticBib: [ok] });
    expect(c.staticBib).to.deep.equal([{ protocol: 'udp', v6: { address: C6, port: 5000 }, v4: { address: T1, port: 6000 } }]);
    expect(configError({ staticBib: [{ ...ok, v4: { address: '198.18.9.9', port: 6000 } }] })).to.match(/^config\.staticBib\[0\]\.v4\.address: 198\.18\.9\.9 is not in pool4/);
    expect(configError({ pool4: [{ address: T1, ports: { udp: { min: 1024, max: 2047 } } }], staticBib: [ok] })).to.equal(
      'config.staticBib[0].v4.port: 6000 is outside the pool4 udp range 1024-2047 of 198.18.0.1',
    );
    expect(configError({ staticBib: [ok, { ...ok, v4: { address: T1, port: 6001 } }] })).to.match(/^config\.staticBib\[1\]\.v6: udp \[2001:db8:6::10\]:5000 is already mapped by staticBib\[0\]/);
    expect(configError({ staticBib: [ok, { ...ok, v6: { address: C6b, port: 5000 } }] })).to.match(/^config\.staticBib\[1\]\.v4: udp 198\.18\.0\.1:6000 is already used by staticBib\[0\]/);
    // The same transport address may appear in BIBs of different protocols.
    expect(parseEngineConfig({ staticBib: [ok, { ...ok, protocol: 'tcp' }] }).staticBib).to.have.length(2);
    expect(configError({ staticBib: [{ ...ok, protocol: 'sctp' }] })).to.match(/^config\.staticBib\[0\]\.protocol: "sctp" is not one of tcp, udp, icmp/);
    expect(configError({ pool6: P, staticBib: [{ ...ok, v6: { address: embed(P, S4), port: 1 } }] })).to.match(/^config\.staticBib\[0\]\.v6\.address: .*inside pool6/);
    expect(configError({ staticBib: [{ ...ok, v6: { address: C6, port: 65536 } }] })).to.match(/^config\.staticBib\[0\]\.v6\.port: 65536 is not a valid port/);
  });
});

describe('engine NAT64 (RFC 6146)', () => {
  describe('translation both ways', () => {
    it('UDP: outbound creates the BIB entry and session, the reply comes back to the host', () => {
      const l = lab();
      const p4 = outUdp(l, C6, 40000, S4, 53);
      expect(p4.ipv4!.src).to.be.oneOf([T1, T2]);
      expect(p4.ipv4!.dst).to.equal(S4);
      expect(p4.udp!.dport).to.equal(53);
      expect(p4.payload).to.deep.equal(PAYLOAD);
      expect(l.x.bib()).to.deep.equal([{ protocol: 'udp', v6: { address: C6, port: 40000 }, v4: { address: p4.ipv4!.src, port: p4.udp!.sport }, static: false }]);
      const [s] = l.x.sessions();
      expect(s.v6).to.deep.equal({ src: C6, sport: 40000, dst: embed(P, S4), dport: 53 });
      expect(s.v4).to.deep.equal({ src: p4.ipv4!.src, sport: p4.udp!.sport, dst: S4, dport: 53 });
      expect(s.expires).to.equal(l.clock.now() + 300_000);
      const p6 = one(l.x.push(4, udp4(S4, 53, p4.ipv4!.src, p4.udp!.sport)), 6, l.x);
      expect(p6.ipv6!.src).to.equal(embed(P, S4));
      expect(p6.ipv6!.dst).to.equal(C6);
      expect(p6.udp).to.include({ sport: 53, dport: 40000 });
      expect(p6.payload).to.deep.equal(PAYLOAD);
    });

    it('TCP: a SYN from IPv6 opens V6 INIT, the SYN+ACK makes it ESTABLISHED, data flows both ways', () => {
      const l = lab();
      const syn = one(l.x.push(6, tcp6(C6, 50000, S4, 80, { syn: true })), 4, l.x);
      const T = syn.ipv4!.src;
      const t = syn.tcp!.sport;
      expect(syn.tcp!.flags).to.include({ syn: true, ack: false });
      expect(l.x.sessions()[0].state).to.equal('V6 INIT');
      expect(l.x.sessions()[0].expires).to.equal(l.clock.now() + 240_000);
      const synack = one(l.x.push(4, tcp4(S4, 80, T, t, { syn: true, ack: true })), 6, l.x);
      expect(synack.ipv6).to.include({ src: embed(P, S4), dst: C6 });
      expect(synack.tcp).to.include({ sport: 80, dport: 50000 });
      expect(l.x.sessions()[0].state).to.equal('ESTABLISHED');
      expect(l.x.sessions()[0].expires).to.equal(l.clock.now() + 7200_000);
      one(l.x.push(6, tcp6(C6, 50000, S4, 80, { ack: true, psh: true })), 4, l.x);
      one(l.x.push(4, tcp4(S4, 80, T, t, { ack: true })), 6, l.x);
      // FIN from each side, then the both-FIN state with TCP_TRANS.
      one(l.x.push(4, tcp4(S4, 80, T, t, { fin: true, ack: true })), 6, l.x);
      expect(l.x.sessions()[0].state).to.equal('V4 FIN RCV');
      one(l.x.push(6, tcp6(C6, 50000, S4, 80, { fin: true, ack: true })), 4, l.x);
      expect(l.x.sessions()[0].state).to.equal('V6 FIN + V4 FIN RCV');
      expect(l.x.sessions()[0].expires).to.equal(l.clock.now() + 240_000);
    });

    it('ICMP echo: identifier i1 <-> i2, sequence and data kept', () => {
      const l = lab();
      const req = one(l.x.push(6, echo6(C6, S4, 0x1234, 7)), 4, l.x);
      expect(req.icmpv4).to.include({ type: 8, code: 0, seq: 7 });
      const [b] = l.x.bib();
      expect(b).to.deep.include({ protocol: 'icmp', v6: { address: C6, port: 0x1234 } });
      expect(req.icmpv4!.id).to.equal(b.v4.port);
      expect(req.ipv4!.src).to.equal(b.v4.address);
      const rep = one(l.x.push(4, echo4(S4, b.v4.address, b.v4.port, 7)), 6, l.x);
      expect(rep.icmpv6).to.include({ type: 129, id: 0x1234, seq: 7 });
      expect(rep.ipv6).to.include({ src: embed(P, S4), dst: C6 });
      expect(rep.payload).to.deep.equal(PAYLOAD);
      expect(l.x.sessions()[0].expires).to.equal(l.clock.now() + 60_000);
    });

    it('two hosts pinging with the same identifier get distinct (T,i2) and their own replies', () => {
      const l = lab({ pool4: [T1] });
      const a = one(l.x.push(6, echo6(C6, S4, 99)), 4, l.x);
      const b = one(l.x.push(6, echo6(C6b, S4, 99)), 4, l.x);
      expect(a.icmpv4!.id).to.not.equal(b.icmpv4!.id);
      expect(one(l.x.push(4, echo4(S4, T1, b.icmpv4!.id!)), 6, l.x).ipv6!.dst).to.equal(C6b);
      expect(one(l.x.push(4, echo4(S4, T1, a.icmpv4!.id!)), 6, l.x).ipv6!.dst).to.equal(C6);
    });
  });

  describe('mapping and allocation (RFC 6146 §3.5.1.1, §3.5.2.3, §3.5.3)', () => {
    it('is endpoint independent: one (X\',x) keeps its (T,t) toward every destination', () => {
      const l = lab();
      const a = outUdp(l, C6, 40000, S4, 9);
      const b = outUdp(l, C6, 40000, S4b, 10);
      expect([b.ipv4!.src, b.udp!.sport]).to.deep.equal([a.ipv4!.src, a.udp!.sport]);
      const c = one(l.x.push(6, tcp6(C6, 40001, S4, 80, { syn: true })), 4, l.x);
      const d = one(l.x.push(6, tcp6(C6, 40001, S4b, 443, { syn: true })), 4, l.x);
      expect([d.ipv4!.src, d.tcp!.sport]).to.deep.equal([c.ipv4!.src, c.tcp!.sport]);
      expect(l.x.bib()).to.have.length(2);
      expect(l.x.sessions()).to.have.length(4);
    });

    it('keeps the port range 0-1023 / 1024-65535 of the source port', () => {
      for (let seed = 1; seed <= 5; seed++) {
        const l = lab({}, seed);
        for (const sport of [1, 500, 1023]) expect(outUdp(l, C6, sport, S4).udp!.sport).to.be.within(1, 1023);
        for (const sport of [1024, 40000, 65535]) expect(outUdp(l, C6, sport, S4).udp!.sport).to.be.within(1024, 65535);
        const t = one(l.x.push(6, tcp6(C6, 700, S4, 80, { syn: true })), 4, l.x);
        expect(t.tcp!.sport).to.be.within(1, 1023);
      }
    });

    it('keeps the parity of UDP source ports', () => {
      const l = lab();
      for (let i = 0; i < 20; i++) {
        const sport = 30000 + i;
        expect(outUdp(l, C6, sport, S4).udp!.sport % 2, `source port ${sport}`).to.equal(sport % 2);
      }
    });

    it('falls back to another range when the preferred one is full, and answers exhaustion with ICMPv6 1/3', () => {
      const l = lab({ pool4: [{ address: T1, ports: { udp: { min: 1022, max: 1025 } } }] });
      // Low range 1022-1023, high range 1024-1025.
      const ports = [40000, 40002, 40004, 40006].map((s) => outUdp(l, C6, s, S4).udp!.sport);
      // Same range and parity first, then the other parity, then the other range.
      expect(ports).to.deep.equal([1024, 1025, 1022, 1023]);
      const out = l.x.push(6, udp6(C6, 40008, S4, 9));
      const err = one(out, 6, l.x);
      expect(err.icmpv6).to.include({ type: 1, code: 3 });
      expect(err.ipv6).to.include({ dst: C6, src: embed(P, S4) });
      // Existing flows keep working.
      outUdp(l, C6, 40000, S4);
    });

    it('paired pooling: an IPv6 host keeps one pool address across flows and protocols', () => {
      const l = lab({ pool4: ['198.18.0.0/29'] });
      const first = outUdp(l, C6, 1000, S4).ipv4!.src;
      for (let i = 1; i < 30; i++) expect(outUdp(l, C6, 1000 + i, S4).ipv4!.src).to.equal(first);
      expect(one(l.x.push(6, tcp6(C6, 5000, S4, 80, { syn: true })), 4, l.x).ipv4!.src).to.equal(first);
      expect(one(l.x.push(6, echo6(C6, S4, 5)), 4, l.x).ipv4!.src).to.equal(first);
      // Other hosts are spread over the pool.
      const others = new Set(['2001:db8:6::20', '2001:db8:6::21', '2001:db8:6::22', '2001:db8:6::23', '2001:db8:6::24', '2001:db8:6::25'].map((h) => outUdp(l, h, 1000, S4).ipv4!.src));
      expect(others.size).to.be.greaterThan(1);
    });

    it('chooses ports at random (RFC 6056), not sequentially', () => {
      const l = lab();
      const ports = Array.from({ length: 12 }, (_, i) => outUdp(l, C6, 20000 + 2 * i, S4).udp!.sport);
      const steps = ports.slice(1).map((p, i) => p - ports[i]);
      expect(steps.filter((d) => Math.abs(d) <= 2).length, `ports ${ports}`).to.be.lessThan(3);
      const other = lab({}, 2);
      const ports2 = Array.from({ length: 12 }, (_, i) => outUdp(other, C6, 20000 + 2 * i, S4).udp!.sport);
      expect(ports2).to.not.deep.equal(ports);
    });

    it('never gives one (T,t) to two BIB entries', () => {
      const l = lab({ pool4: [{ address: T1, ports: { udp: { min: 1024, max: 1100 } } }] });
      const seen = new Set<number>();
      for (let i = 0; i < 77; i++) {
        const p = outUdp(l, `2001:db8:6::${(0x100 + i).toString(16)}`, 40000, S4);
        expect(seen.has(p.udp!.sport)).to.equal(false);
        seen.add(p.udp!.sport);
      }
    });
  });

  describe('filtering (RFC 6146 §3.5.1, §3.5.3, RFC 4787 §5)', () => {
    function mapped(l: Lab): { T: string; t: number } {
      const p = outUdp(l, C6, 40000, S4, 1000);
      return { T: p.ipv4!.src, t: p.udp!.sport };
    }

    it('endpoint-independent: any remote reaches an existing mapping and gets a session', () => {
      const l = lab();
      const { T, t } = mapped(l);
      const p = one(l.x.push(4, udp4(S4b, 7777, T, t)), 6, l.x);
      expect(p.ipv6).to.include({ src: embed(P, S4b), dst: C6 });
      expect(p.udp).to.include({ sport: 7777, dport: 40000 });
      expect(l.x.sessions()).to.have.length(2);
    });

    it('address-dependent: only addresses the host contacted, from any port', () => {
      const l = lab({ filtering: 'address-dependent' });
      const { T, t } = mapped(l);
      none(l.x.push(4, udp4(S4b, 7777, T, t)));
      expect(l.x.lastDrop).to.match(/filtered/);
      expect(l.x.sessions()).to.have.length(1);
      one(l.x.push(4, udp4(S4, 2000, T, t)), 6, l.x);
    });

    it('address-dependent filtering of ICMP queries', () => {
      const adf = lab({ filtering: 'address-dependent' });
      const req = one(adf.x.push(6, echo6(C6, S4, 1)), 4, adf.x);
      none(adf.x.push(4, echo4(S4b, req.ipv4!.src, req.icmpv4!.id!, 1, 8)));
      const eif = lab();
      const req2 = one(eif.x.push(6, echo6(C6, S4, 1)), 4, eif.x);
      const p = one(eif.x.push(4, echo4(S4b, req2.ipv4!.src, req2.icmpv4!.id!, 1, 8)), 6, eif.x);
      expect(p.icmpv6).to.include({ type: 128, id: 1 });
      expect(p.ipv6!.src).to.equal(embed(P, S4b));
    });

    it('TCP: an unsolicited SYN to a mapping is forwarded under EIF and held under ADF', () => {
      const eif = lab();
      const syn = one(eif.x.push(6, tcp6(C6, 50000, S4, 80, { syn: true })), 4, eif.x);
      const p = one(eif.x.push(4, tcp4(S4b, 5555, syn.ipv4!.src, syn.tcp!.sport, { syn: true })), 6, eif.x);
      expect(p.ipv6).to.include({ src: embed(P, S4b), dst: C6 });
      expect(eif.x.sessions().find((s) => s.v4.dst === S4b)!.state).to.equal('V4 INIT');

      const adf = lab({ filtering: 'address-dependent' });
      const syn2 = one(adf.x.push(6, tcp6(C6, 50000, S4, 80, { syn: true })), 4, adf.x);
      const T = syn2.ipv4!.src;
      const t = syn2.tcp!.sport;
      none(adf.x.push(4, tcp4(S4b, 5555, T, t, { syn: true })));
      adf.clock.advance(5_900);
      none(adf.x.expire());
      adf.clock.advance(200);
      const err = one(adf.x.expire(), 4, adf.x);
      expect(err.ipv4).to.include({ src: T, dst: S4b });
      expect(err.icmpv4).to.include({ type: 3, code: 3 });
      expect(err.icmpv4!.quote!.tcp).to.include({ sport: 5555, dport: t });
    });

    it('TCP simultaneous open: an outbound SYN within TCP_INCOMING_SYN completes the held V4 INIT session', () => {
      const l = lab({ filtering: 'address-dependent' });
      const syn = one(l.x.push(6, tcp6(C6, 50000, S4, 80, { syn: true })), 4, l.x);
      const T = syn.ipv4!.src;
      const t = syn.tcp!.sport;
      none(l.x.push(4, tcp4(S4b, 5555, T, t, { syn: true })));
      l.clock.advance(3000);
      one(l.x.push(6, tcp6(C6, 50000, S4b, 5555, { syn: true })), 4, l.x);
      expect(l.x.sessions().find((s) => s.v4.dst === S4b)!.state).to.equal('ESTABLISHED');
      l.clock.advance(10_000);
      none(l.x.expire());
      one(l.x.push(4, tcp4(S4b, 5555, T, t, { ack: true })), 6, l.x);
    });

    it('TCP: a SYN to a (T,t) without BIB entry is held, creates no BIB entry, then gets port unreachable', () => {
      const l = lab();
      none(l.x.push(4, tcp4(S4, 80, T1, 4444, { syn: true })));
      expect(l.x.bib()).to.deep.equal([]);
      expect(l.x.sessions().map((s) => s.state)).to.deep.equal(['V4 INIT']);
      l.clock.advance(6000);
      const err = one(l.x.expire(), 4, l.x);
      expect(err.icmpv4).to.include({ type: 3, code: 3 });
      expect(l.x.sessions()).to.deep.equal([]);
    });
  });

  describe('static BIB entries (RFC 6146 §3.1)', () => {
    const staticBib = [
      { protocol: 'udp', v6: { address: C6, port: 5000 }, v4: { address: T2, port: 6000 } },
      { protocol: 'icmp', v6: { address: C6b, port: 77 }, v4: { address: T1, port: 78 } },
    ];

    it('accept inbound traffic with no prior outbound packet, and never expire', () => {
      const l = lab({ staticBib });
      expect(l.x.bib().filter((b) => b.static)).to.have.length(2);
      const p = one(l.x.push(4, udp4(S4, 53, T2, 6000)), 6, l.x);
      expect(p.ipv6).to.include({ dst: C6, src: embed(P, S4) });
      expect(p.udp!.dport).to.equal(5000);
      const e = one(l.x.push(4, echo4(S4, T1, 78, 1, 8)), 6, l.x);
      expect(e.icmpv6).to.include({ id: 77, type: 128 });
      l.clock.advance(3600_000);
      l.x.expire();
      expect(l.x.sessions()).to.deep.equal([]);
      expect(l.x.bib()).to.have.length(2);
      one(l.x.push(4, udp4(S4, 53, T2, 6000)), 6, l.x);
    });

    it('outbound traffic from the static IPv6 transport address uses it, and other flows of the host are paired with it', () => {
      const l = lab({ staticBib });
      const p = outUdp(l, C6, 5000, S4);
      expect([p.ipv4!.src, p.udp!.sport]).to.deep.equal([T2, 6000]);
      expect(outUdp(l, C6, 5001, S4).ipv4!.src).to.equal(T2);
    });
  });

  describe('hairpinning (RFC 6146 §3.8)', () => {
    it('UDP: C6a -> [P::T]:tb reaches C6b from [P::T]:ta', () => {
      const l = lab();
      const b = outUdp(l, C6b, 40000, S4);
      const out = l.x.push(6, udp6(C6, 41000, b.ipv4!.src, b.udp!.sport));
      const p = one(out, 6, l.x);
      const aBib = l.x.bib().find((e) => e.v6.address === C6)!;
      expect(p.ipv6).to.include({ src: embed(P, aBib.v4.address), dst: C6b });
      expect(p.udp).to.include({ sport: aBib.v4.port, dport: 40000 });
      expect(p.payload).to.deep.equal(PAYLOAD);
      // The reply goes back the same way.
      const r = one(l.x.push(6, udp6(C6b, 40000, aBib.v4.address, aBib.v4.port)), 6, l.x);
      expect(r.ipv6).to.include({ src: embed(P, b.ipv4!.src), dst: C6 });
      expect(r.udp).to.include({ sport: b.udp!.sport, dport: 41000 });
    });

    it('TCP handshake through the hairpin', () => {
      const l = lab();
      // C6b "listens": it has a TCP mapping from an earlier connection.
      const b = one(l.x.push(6, tcp6(C6b, 8080, S4, 80, { syn: true })), 4, l.x);
      const syn = one(l.x.push(6, tcp6(C6, 50000, b.ipv4!.src, b.tcp!.sport, { syn: true })), 6, l.x);
      expect(syn.ipv6!.dst).to.equal(C6b);
      expect(syn.tcp).to.include({ dport: 8080 });
      const synack = one(l.x.push(6, tcp6(C6b, 8080, decodeEmbedded(syn.ipv6!.src), syn.tcp!.sport, { syn: true, ack: true })), 6, l.x);
      expect(synack.ipv6!.dst).to.equal(C6);
      expect(synack.tcp).to.include({ dport: 50000 });
      one(l.x.push(6, tcp6(C6, 50000, b.ipv4!.src, b.tcp!.sport, { ack: true })), 6, l.x);
    });

    it('hairpinned packets go through address-dependent filtering', () => {
      const l = lab({ filtering: 'address-dependent' });
      const b = outUdp(l, C6b, 40000, S4);
      none(l.x.push(6, udp6(C6, 41000, b.ipv4!.src, b.udp!.sport)));
      // Once C6b has sent to T (C6's mapped address), it passes.
      const a = l.x.bib().find((e) => e.v6.address === C6)!;
      one(l.x.push(6, udp6(C6b, 40000, a.v4.address, a.v4.port)), 6, l.x);
      one(l.x.push(6, udp6(C6, 41000, b.ipv4!.src, b.udp!.sport)), 6, l.x);
    });

    it('a hairpinned SYN held by address-dependent filtering is answered with port unreachable back to the sender', () => {
      const l = lab({ filtering: 'address-dependent' });
      const b = one(l.x.push(6, tcp6(C6b, 8080, S4, 80, { syn: true })), 4, l.x);
      none(l.x.push(6, tcp6(C6, 50000, b.ipv4!.src, b.tcp!.sport, { syn: true })));
      l.clock.advance(6000);
      const err = one(l.x.expire(), 6, l.x);
      expect(err.ipv6!.dst).to.equal(C6);
      expect(err.icmpv6).to.include({ type: 1, code: 4 });
      expect(err.icmpv6!.quote!.tcp).to.include({ sport: 50000, dport: b.tcp!.sport });
    });
  });

  describe('what is dropped (RFC 6146 §3.4, §3.5, RFC 6052 §3.1)', () => {
    it('IPv6 packets to a destination outside Pref64 are not handled', () => {
      const l = lab();
      none(l.x.push(6, encode({ ipv6: { src: C6, dst: LAB.outside6 }, udp: { sport: 1, dport: 2 } })));
      expect(l.x.lastDrop).to.match(/outside 2001:db8:64::\/96/);
    });

    it('IPv6 packets whose source is inside Pref64 are dropped silently', () => {
      const l = lab();
      none(l.x.push(6, udp6(embed(P, T1), 500, S4, 9)));
      none(l.x.push(6, udp6(embed(P, '198.51.100.9'), 500, S4, 9)));
      expect(l.x.bib()).to.deep.equal([]);
    });

    it('IPv4 packets to an address outside pool4 are not handled', () => {
      const l = lab();
      none(l.x.push(4, udp4(S4, 53, LAB.router4, 1000)));
      expect(l.x.lastDrop).to.match(/not in pool4/);
    });

    it('inbound UDP, TCP non-SYN and echo replies without mapping are dropped without ICMP', () => {
      const l = lab();
      none(l.x.push(4, udp4(S4, 53, T1, 1000)));
      none(l.x.push(4, tcp4(S4, 80, T1, 1000, { ack: true })));
      none(l.x.push(4, tcp4(S4, 80, T1, 1000, { rst: true })));
      none(l.x.push(4, echo4(S4, T1, 4242)));
      none(l.x.push(6, tcp6(C6, 50000, S4, 80, { ack: true })));
      none(l.x.push(6, tcp6(C6, 50000, S4, 80, { fin: true, ack: true })));
      expect(l.x.bib()).to.deep.equal([]);
      expect(l.x.sessions()).to.deep.equal([]);
    });

    it('a TCP non-SYN with a BIB entry but no session is forwarded without creating a session', () => {
      const l = lab();
      const syn = one(l.x.push(6, tcp6(C6, 50000, S4, 80, { syn: true })), 4, l.x);
      const ack = one(l.x.push(6, tcp6(C6, 50000, S4b, 81, { ack: true })), 4, l.x);
      expect([ack.ipv4!.src, ack.tcp!.sport]).to.deep.equal([syn.ipv4!.src, syn.tcp!.sport]);
      expect(l.x.sessions()).to.have.length(1);
    });

    it('other protocols: IPv6 -> ICMPv6 port unreachable, IPv4 -> ICMPv4 protocol unreachable', () => {
      const l = lab();
      const sctp6 = encode({ ipv6: { src: C6, dst: embed(P, S4), nextHeader: 132, hopLimit: 64 }, payload: Buffer.alloc(12, 1) });
      const e6 = one(l.x.push(6, sctp6), 6, l.x);
      expect(e6.icmpv6).to.include({ type: 1, code: 4 });
      expect(e6.ipv6).to.include({ src: embed(P, S4), dst: C6 });
      expect(encode(e6.icmpv6!.quote!)).to.deep.equal(sctp6);
      const sctp4 = encode({ ipv4: { src: S4, dst: T1, protocol: 132, ttl: 64 }, payload: Buffer.alloc(12, 1) });
      const e4 = one(l.x.push(4, sctp4), 4, l.x);
      expect(e4.icmpv4).to.include({ type: 3, code: 2 });
      expect(e4.ipv4).to.include({ src: T1, dst: S4 });
      // IGMP is single-hop: silently dropped (RFC 7915 §4.2).
      none(l.x.push(4, encode({ ipv4: { src: S4, dst: T1, protocol: 2, ttl: 1 }, payload: Buffer.alloc(8) })));
    });

    it('Well-Known Prefix: non-global IPv4 addresses are never translated (RFC 6052 §3.1)', () => {
      const l = lab({ pool6: WKP, pool4: ['100.0.0.100'] });
      // Destination 10.1.2.3 and the lab servers (198.18/15, benchmarking) are non-global.
      // Not translated; RFC 7915 §5.4 sends ICMPv6 1/1 back (engine/nat64/icmp-policy.ts).
      const e1 = one(l.x.push(6, udp6(C6, 40000, '10.1.2.3', 9, WKP)), 6, l.x);
      expect(e1.icmpv6).to.include({ type: 1, code: 1 });
      expect(l.x.lastDrop).to.match(/RFC 6052 §3\.1/);
      expect(one(l.x.push(6, udp6(C6, 40000, S4, 9, WKP)), 6, l.x).icmpv6).to.include({ type: 1, code: 1 });
      const g = one(l.x.push(6, udp6(C6, 40000, LAB.server4Global[0], 9, WKP)), 4, l.x);
      // Inbound from a non-global source would need 64:ff9b::<non-global> as source: dropped.
      // Not translated; RFC 7915 §4.4 sends ICMPv4 3/13 back.
      expect(one(l.x.push(4, udp4('192.168.1.1', 9, g.ipv4!.src, g.udp!.sport)), 4, l.x).icmpv4).to.include({ type: 3, code: 13 });
      one(l.x.push(4, udp4(LAB.server4Global[1], 9, g.ipv4!.src, g.udp!.sport)), 6, l.x);
      // 192.0.0.170 (ipv4only.arpa, RFC 7050) is allowed under the WKP.
      one(l.x.push(6, udp6(C6, 40000, '192.0.0.170', 9, WKP)), 4, l.x);
      // A network-specific prefix may carry any address.
      const nsp = lab();
      one(nsp.x.push(6, udp6(C6, 40000, '10.1.2.3', 9)), 4, nsp.x);
    });

    it('malformed and random input never throws', () => {
      const l = lab();
      const rnd = seededRandom(7);
      const good6 = udp6(C6, 40000, S4, 9);
      const good4 = tcp4(S4, 80, T1, 1000, { syn: true });
      for (let i = 0; i < 300; i++) {
        const base = i % 2 ? good6 : good4;
        const b = Buffer.from(base.subarray(0, rnd(base.length + 1)));
        for (let k = 0; k < 3 && b.length; k++) b[rnd(b.length)] = rnd(256);
        l.x.push(i % 2 ? 6 : 4, b);
        l.x.push(i % 2 ? 4 : 6, b);
      }
      l.x.push(6, Buffer.alloc(0));
      l.x.push(4, Buffer.from([0x45]));
      expect(l.x.internalErrors).to.equal(0);
    });
  });

  describe('ICMP errors (RFC 6146 §3.4, §3.6, §3.7)', () => {
    it('an ICMPv4 error about a UDP session reaches the host with the embedded packet reverted', () => {
      const l = lab();
      const p4 = outUdp(l, C6, 40000, S4, 53);
      const err = encode({ ipv4: { src: LAB.router4, dst: p4.ipv4!.src, ttl: 64 }, icmpv4: { type: 3, code: 3, quote: p4 } });
      const before = l.x.sessions();
      const p6 = one(l.x.push(4, err), 6, l.x);
      expect(p6.ipv6).to.include({ src: embed(P, LAB.router4), dst: C6 });
      expect(p6.icmpv6).to.include({ type: 1, code: 4 });
      expect(p6.icmpv6!.quote!.ipv6).to.include({ src: C6, dst: embed(P, S4) });
      expect(p6.icmpv6!.quote!.udp).to.include({ sport: 40000, dport: 53 });
      expect(l.x.sessions()).to.deep.equal(before);
    });

    it('an ICMPv4 error quoting only 8 bytes of TCP is enough; one quoting no ports, or an ICMP error, is dropped', () => {
      const l = lab();
      const syn = one(l.x.push(6, tcp6(C6, 50000, S4, 80, { syn: true })), 4, l.x);
      const bytes = encode(syn);
      const q8 = decode(bytes.subarray(0, 28));
      const err = (quote: Packet) => encode({ ipv4: { src: LAB.router4, dst: syn.ipv4!.src, ttl: 64 }, icmpv4: { type: 11, code: 0, quote } });
      const p6 = one(l.x.push(4, err(q8)), 6, l.x);
      expect(p6.icmpv6).to.include({ type: 3, code: 0 });
      expect(p6.ipv6!.dst).to.equal(C6);
      none(l.x.push(4, err(decode(bytes.subarray(0, 20)))));
      expect(l.x.lastDrop).to.match(/5-tuple/);
      const inner = decode(encode({ ipv4: { src: syn.ipv4!.src, dst: S4, ttl: 64 }, icmpv4: { type: 3, code: 3, quote: q8 } }));
      none(l.x.push(4, err(inner)));
      expect(l.x.lastDrop).to.match(/ICMP error inside an ICMP error/);
    });

    it('an ICMPv6 error from the IPv6 side leaves from the host\'s pool address with the embedded packet reverted', () => {
      const l = lab();
      const p4 = outUdp(l, C6, 40000, S4, 53);
      const p6 = one(l.x.push(4, udp4(S4, 53, p4.ipv4!.src, p4.udp!.sport)), 6, l.x);
      const err6 = encode({ ipv6: { src: LAB.router6, dst: p6.ipv6!.src, hopLimit: 64 }, icmpv6: { type: 1, code: 4, quote: p6 } });
      const e4 = one(l.x.push(6, err6), 4, l.x);
      expect(e4.ipv4).to.include({ src: p4.ipv4!.src, dst: S4 });
      expect(e4.icmpv4).to.include({ type: 3, code: 3 });
      expect(e4.icmpv4!.quote!.ipv4).to.include({ src: S4, dst: p4.ipv4!.src });
      expect(e4.icmpv4!.quote!.udp).to.include({ sport: 53, dport: p4.udp!.sport });
    });

    it('errors about an unknown mapping are dropped and create nothing', () => {
      const l = lab();
      const q = decode(udp4(T1, 1000, S4, 53));
      none(l.x.push(4, encode({ ipv4: { src: S4, dst: T1, ttl: 64 }, icmpv4: { type: 3, code: 3, quote: q } })));
      expect(l.x.bib()).to.deep.equal([]);
    });
  });

  describe('lifetimes on the virtual clock', () => {
    it('UDP sessions live UDP_DEFAULT after the last packet; the dynamic BIB entry goes with the last session', () => {
      const l = lab();
      const p = outUdp(l, C6, 40000, S4);
      l.clock.advance(200_000);
      outUdp(l, C6, 40000, S4); // outbound refresh
      l.clock.advance(299_000);
      one(l.x.push(4, udp4(S4, 9, p.ipv4!.src, p.udp!.sport)), 6, l.x); // inbound refresh too
      l.clock.advance(300_000);
      expect(l.x.expire()).to.deep.equal([]);
      expect(l.x.sessions()).to.deep.equal([]);
      expect(l.x.bib()).to.deep.equal([]);
      none(l.x.push(4, udp4(S4, 9, p.ipv4!.src, p.udp!.sport)));
    });

    it('expiry applies on push even when expire() is not called', () => {
      const l = lab();
      const p = outUdp(l, C6, 40000, S4);
      l.clock.advance(300_001);
      none(l.x.push(4, udp4(S4, 9, p.ipv4!.src, p.udp!.sport)));
    });

    it('configured UDP lifetime and ICMP_DEFAULT', () => {
      const l = lab({ timeouts: { udp: 180 } });
      const p = outUdp(l, C6, 40000, S4);
      const e = one(l.x.push(6, echo6(C6, S4, 3)), 4, l.x);
      l.clock.advance(59_000);
      one(l.x.push(4, echo4(S4, e.ipv4!.src, e.icmpv4!.id!)), 6, l.x);
      l.clock.advance(60_000);
      none(l.x.push(4, echo4(S4, e.ipv4!.src, e.icmpv4!.id!)));
      l.clock.advance(60_000);
      one(l.x.push(4, udp4(S4, 9, p.ipv4!.src, p.udp!.sport)), 6, l.x);
      l.clock.advance(180_000);
      none(l.x.push(4, udp4(S4, 9, p.ipv4!.src, p.udp!.sport)));
    });

    it('TCP: V6 INIT lives TCP_TRANS; ESTABLISHED expiry sends the ACK probe and moves to TRANS; RST moves to TRANS', () => {
      const l = lab();
      const syn = one(l.x.push(6, tcp6(C6, 50000, S4, 80, { syn: true })), 4, l.x);
      const T = syn.ipv4!.src;
      const t = syn.tcp!.sport;
      l.clock.advance(239_000);
      one(l.x.push(4, tcp4(S4, 80, T, t, { syn: true, ack: true })), 6, l.x);
      l.clock.advance(7200_000);
      const probe = one(l.x.expire(), 6, l.x);
      expect(probe.tcp).to.include({ seq: 0, ack: 0, sport: 80, dport: 50000 });
      expect(probe.tcp!.flags).to.deep.include({ ack: true, syn: false, fin: false, rst: false });
      expect(l.x.sessions()[0].state).to.equal('TRANS');
      // Traffic revives the session.
      one(l.x.push(6, tcp6(C6, 50000, S4, 80, { ack: true })), 4, l.x);
      expect(l.x.sessions()[0].state).to.equal('ESTABLISHED');
      one(l.x.push(4, tcp4(S4, 80, T, t, { rst: true })), 6, l.x);
      expect(l.x.sessions()[0].state).to.equal('TRANS');
      l.clock.advance(240_000);
      l.x.expire();
      expect(l.x.sessions()).to.deep.equal([]);
      expect(l.x.bib()).to.deep.equal([]);

      const l2 = lab();
      one(l2.x.push(6, tcp6(C6, 50000, S4, 80, { syn: true })), 4, l2.x);
      l2.clock.advance(240_000);
      l2.x.expire();
      expect(l2.x.sessions()).to.deep.equal([]);
    });
  });

  describe('TCP state machine (RFC 6146 §3.5.2.2)', () => {
    function established(l: Lab): { T: string; t: number } {
      const syn = one(l.x.push(6, tcp6(C6, 50000, S4, 80, { syn: true })), 4, l.x);
      const T = syn.ipv4!.src;
      const t = syn.tcp!.sport;
      one(l.x.push(4, tcp4(S4, 80, T, t, { syn: true, ack: true })), 6, l.x);
      return { T, t };
    }

    it('V6 INIT: a RST from the IPv4 side is forwarded and the state stays V6 INIT', () => {
      const l = lab();
      const syn = one(l.x.push(6, tcp6(C6, 50000, S4, 80, { syn: true })), 4, l.x);
      one(l.x.push(4, tcp4(S4, 80, syn.ipv4!.src, syn.tcp!.sport, { rst: true, ack: true })), 6, l.x);
      expect(l.x.sessions()[0].state).to.equal('V6 INIT');
    });

    it('simultaneous open from V6 INIT: a bare inbound SYN establishes', () => {
      const l = lab();
      const syn = one(l.x.push(6, tcp6(C6, 50000, S4, 80, { syn: true })), 4, l.x);
      const p = one(l.x.push(4, tcp4(S4, 80, syn.ipv4!.src, syn.tcp!.sport, { syn: true })), 6, l.x);
      expect(p.tcp!.flags).to.include({ syn: true, ack: false });
      expect(l.x.sessions()[0].state).to.equal('ESTABLISHED');
    });

    it('V4 INIT (EIF): the IPv6 host answering with RST is forwarded, state unchanged', () => {
      const l = lab();
      const { T, t } = established(l);
      one(l.x.push(4, tcp4(S4b, 6000, T, t, { syn: true })), 6, l.x);
      one(l.x.push(6, tcp6(C6, 50000, S4b, 6000, { rst: true, ack: true })), 4, l.x);
      expect(l.x.sessions().find((s) => s.v4.dst === S4b)!.state).to.equal('V4 INIT');
    });

    it('outbound FIN first: V6 FIN RCV keeps TCP_EST, then the inbound FIN drops the lifetime to TCP_TRANS', () => {
      const l = lab();
      const { T, t } = established(l);
      one(l.x.push(6, tcp6(C6, 50000, S4, 80, { fin: true, ack: true })), 4, l.x);
      expect(l.x.sessions()[0].state).to.equal('V6 FIN RCV');
      l.clock.advance(600_000);
      one(l.x.push(4, tcp4(S4, 80, T, t, { ack: true })), 6, l.x); // half-close may last
      expect(l.x.sessions()[0].expires).to.equal(l.clock.now() + 7200_000);
      one(l.x.push(4, tcp4(S4, 80, T, t, { fin: true, ack: true })), 6, l.x);
      expect(l.x.sessions()[0]).to.include({ state: 'V6 FIN + V4 FIN RCV', expires: l.clock.now() + 240_000 });
      one(l.x.push(6, tcp6(C6, 50000, S4, 80, { ack: true })), 4, l.x);
      l.clock.advance(240_000);
      l.x.expire();
      none(l.x.push(4, tcp4(S4, 80, T, t, { fin: true, ack: true })));
    });

    it('a non-SYN from a new remote to a TCP mapping is forwarded under EIF without creating a session', () => {
      const l = lab();
      const { T, t } = established(l);
      one(l.x.push(4, tcp4(S4b, 6000, T, t, { ack: true })), 6, l.x);
      expect(l.x.sessions()).to.have.length(1);
      const adf = lab({ filtering: 'address-dependent' });
      const m = established(adf);
      none(adf.x.push(4, tcp4(S4b, 6000, m.T, m.t, { ack: true })));
    });
  });

  describe('named faults', () => {
    it('every fault of this half is registered with requirement ids, and every registered name is known here or to engine/xlat', () => {
      for (const name of Object.keys(FLAG_OF)) {
        const f = FAULTS.find((x) => x.name === name);
        expect(f, name).to.not.equal(undefined);
        expect(f!.violates.length, name).to.be.greaterThan(0);
        for (const id of f!.violates) expect(id, name).to.match(/^\d{4}-[\d.]+-[a-z0-9-]+$/);
      }
    });

    it('address-dependent-mapping: a new (T,t) per destination', () => {
      const l = lab({ faults: ['address-dependent-mapping'] });
      const a = outUdp(l, C6, 40000, S4);
      const b = outUdp(l, C6, 40000, S4b);
      expect([b.ipv4!.src, b.udp!.sport]).to.not.deep.equal([a.ipv4!.src, a.udp!.sport]);
    });

    it('no-port-preservation-range: low source ports leave the 0-1023 range', () => {
      const l = lab({ faults: ['no-port-preservation-range'] });
      const ports = Array.from({ length: 10 }, (_, i) => outUdp(l, C6, 500 + 2 * i, S4).udp!.sport);
      expect(ports.some((p) => p > 1023)).to.equal(true);
    });

    it('no-port-parity: parity is not kept', () => {
      const l = lab({ faults: ['no-port-parity'] });
      const odd = Array.from({ length: 20 }, (_, i) => outUdp(l, C6, 30000 + 2 * i, S4).udp!.sport % 2);
      expect(odd.some((p) => p === 1)).to.equal(true);
    });

    it('no-paired-pooling: one host gets several pool addresses', () => {
      const l = lab({ faults: ['no-paired-pooling'] });
      const addrs = new Set([40000, 40001, 40002, 40003].map((s) => outUdp(l, C6, s, S4).ipv4!.src));
      expect(addrs.size).to.equal(2);
    });

    it('predictable-ports: consecutive flows get consecutive ports', () => {
      const l = lab({ faults: ['predictable-ports'] });
      const ports = Array.from({ length: 5 }, (_, i) => outUdp(l, C6, 20000 + 2 * i, S4).udp!.sport);
      expect(ports).to.deep.equal([1024, 1026, 1028, 1030, 1032]);
    });

    it('no-hairpin: hairpin packets are dropped', () => {
      const l = lab({ faults: ['no-hairpin'] });
      const b = outUdp(l, C6b, 40000, S4);
      none(l.x.push(6, udp6(C6, 41000, b.ipv4!.src, b.udp!.sport)));
    });

    it('hairpin-wrong-source: the receiver sees the sender\'s IPv6 address', () => {
      const l = lab({ faults: ['hairpin-wrong-source'] });
      const b = outUdp(l, C6b, 40000, S4);
      const p = one(l.x.push(6, udp6(C6, 41000, b.ipv4!.src, b.udp!.sport)), 6, l.x);
      expect(p.ipv6!.src).to.equal(C6);
      expect(p.udp!.sport).to.equal(41000);
    });

    it('eif-filtering-broken: EIF configured, unknown remotes are dropped', () => {
      const l = lab({ faults: ['eif-filtering-broken'] });
      const p = outUdp(l, C6, 40000, S4);
      none(l.x.push(4, udp4(S4b, 9, p.ipv4!.src, p.udp!.sport)));
    });

    it('adf-filter-ignored: ADF configured, unknown remotes get through', () => {
      const l = lab({ filtering: 'address-dependent', faults: ['adf-filter-ignored'] });
      const p = outUdp(l, C6, 40000, S4);
      one(l.x.push(4, udp4(S4b, 9, p.ipv4!.src, p.udp!.sport)), 6, l.x);
    });

    it('accept-inbound-without-bib: inbound UDP to an unmapped port reaches a host of that address', () => {
      const l = lab({ pool4: [T1], faults: ['accept-inbound-without-bib'] });
      outUdp(l, C6, 40000, S4);
      const p = one(l.x.push(4, udp4(S4, 9, T1, 1)), 6, l.x);
      expect(p.ipv6!.dst).to.equal(C6);
    });

    it('translate-nonglobal-wkp: 64:ff9b::10.1.2.3 is translated', () => {
      const l = lab({ pool6: WKP, faults: ['translate-nonglobal-wkp'] });
      one(l.x.push(6, udp6(C6, 40000, '10.1.2.3', 9, WKP)), 4, l.x);
    });

    it('accept-pref64-source: a Pref64 source is translated', () => {
      const l = lab({ faults: ['accept-pref64-source'] });
      one(l.x.push(6, udp6(embed(P, '198.51.100.9'), 500, S4, 9)), 4, l.x);
    });

    it('no-static-bib: static entries are ignored', () => {
      const l = lab({ staticBib: [{ protocol: 'udp', v6: { address: C6, port: 5000 }, v4: { address: T2, port: 6000 } }], faults: ['no-static-bib'] });
      expect(l.x.bib()).to.deep.equal([]);
      none(l.x.push(4, udp4(S4, 53, T2, 6000)));
    });

    it('icmp-id-not-translated: the echo leaves with the host\'s identifier', () => {
      const l = lab({ faults: ['icmp-id-not-translated'] });
      const p = one(l.x.push(6, echo6(C6, S4, 0x4242)), 4, l.x);
      expect(p.icmpv4!.id).to.equal(0x4242);
      expect(l.x.bib()[0].v4.port).to.not.equal(0x4242);
    });

    it('udp-no-refresh: outbound packets do not extend the session', () => {
      const l = lab({ faults: ['udp-no-refresh'] });
      const p = outUdp(l, C6, 40000, S4);
      l.clock.advance(200_000);
      outUdp(l, C6, 40000, S4);
      l.clock.advance(200_000);
      none(l.x.push(4, udp4(S4, 9, p.ipv4!.src, p.udp!.sport)));
    });

    it('inbound-refresh: packets dropped by ADF extend the mapping', () => {
      const l = lab({ filtering: 'address-dependent', faults: ['inbound-refresh'] });
      const p = outUdp(l, C6, 40000, S4);
      l.clock.advance(200_000);
      none(l.x.push(4, udp4(S4b, 9, p.ipv4!.src, p.udp!.sport)));
      l.clock.advance(200_000);
      one(l.x.push(4, udp4(S4, 9, p.ipv4!.src, p.udp!.sport)), 6, l.x);
    });

    it('icmp-error-refresh: ICMP errors extend the session', () => {
      const l = lab({ faults: ['icmp-error-refresh'] });
      const p4 = outUdp(l, C6, 40000, S4, 53);
      l.clock.advance(200_000);
      one(l.x.push(4, encode({ ipv4: { src: S4, dst: p4.ipv4!.src, ttl: 64 }, icmpv4: { type: 3, code: 3, quote: p4 } })), 6, l.x);
      l.clock.advance(200_000);
      one(l.x.push(4, udp4(S4, 53, p4.ipv4!.src, p4.udp!.sport)), 6, l.x);
    });

    it('unknown-protocol-forwarded: SCTP is translated instead of answered with an ICMP error', () => {
      const l = lab({ faults: ['unknown-protocol-forwarded'] });
      const p = one(l.x.push(6, encode({ ipv6: { src: C6, dst: embed(P, S4), nextHeader: 132, hopLimit: 64 }, payload: Buffer.alloc(12, 1) })), 4, l.x);
      expect(p.ipv4!.protocol).to.equal(132);
      const back = one(l.x.push(4, encode({ ipv4: { src: S4, dst: p.ipv4!.src, protocol: 132, ttl: 64 }, payload: Buffer.alloc(12, 2) })), 6, l.x);
      expect(back.ipv6!.dst).to.equal(C6);
    });
  });
});

/** The IPv4 address inside a Pref64 address of the lab prefix. */
function decodeEmbedded(ipv6: string): string {
  return extract(P, ipv6);
}
