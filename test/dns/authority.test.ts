import { expect } from 'chai';
import * as dnsPacket from 'dns-packet';
import { canonicalCompare, createAuthority } from '../../harness/dns/authority';
import { DNS, NAMES, REVERSE, SIGNED } from '../../harness/dns/names';
import { canonical } from '../../harness/packet/address';
import { ask, data, query, read } from './helpers';

const auth = createAuthority();
const root = createAuthority({ mode: 'root' });
const Z = (n: string) => `${n}.${DNS.zone}`;
const NOERROR = 0;
const SERVFAIL = 2;
const NXDOMAIN = 3;
const REFUSED = 5;

/** NODATA as RFC 2308 §2.2 has it: NOERROR, no answer, the zone's SOA with the negative TTL. */
function expectNodata(name: string, type: string, zone: string, ttl: number) {
  const r = ask(auth, name, type);
  expect(r.rcode, `${name} ${type} rcode`).to.equal(NOERROR);
  expect(r.aa).to.equal(true);
  expect(r.answers.filter((a) => a.type === type), `${name} ${type} answers`).to.deep.equal([]);
  const soa = r.authorities.filter((a) => a.type === 'SOA');
  expect(soa.map((s) => [s.name, s.ttl]), `${name} ${type} SOA`).to.deep.equal([[zone, ttl]]);
}

describe('dns: authority data (names.ts)', () => {
  const hosts = [
    NAMES.aOnly, NAMES.aMulti, NAMES.aShort, NAMES.dual, NAMES.aaaaOnly, NAMES.mappedOnly, NAMES.mappedA, NAMES.mappedMixed,
    NAMES.excluded, NAMES.excludedMixed, NAMES.servfailAaaa, NAMES.refusedAaaa, NAMES.timeoutAaaa, NAMES.slowAaaa, NAMES.noSoa,
    NAMES.private10, NAMES.loopback, NAMES.testNet, NAMES.mixedGlobal, NAMES.secondRange,
  ];

  it('answers every listed A with its TTL, authoritatively', () => {
    for (const h of hosts) {
      if (!('a' in h)) continue;
      const r = ask(auth, Z(h.name), 'A');
      expect(r.rcode, h.name).to.equal(NOERROR);
      expect(r.aa, h.name).to.equal(true);
      expect(data(r.answers, 'A'), h.name).to.have.members([...h.a]);
      for (const a of r.answers) expect(a.ttl, h.name).to.equal(h.ttl);
    }
  });

  it('answers every listed AAAA, and NODATA with SOA TTL 300 where there is none', () => {
    for (const h of hosts) {
      if (['servfail-aaaa', 'refused-aaaa', 'timeout-aaaa', 'no-soa', 'slow-aaaa'].includes(h.name)) continue;
      const aaaa = 'aaaa' in h ? [...(h.aaaa as readonly string[])] : [];
      if (aaaa.length) {
        const r = ask(auth, Z(h.name), 'AAAA');
        expect(r.rcode, h.name).to.equal(NOERROR);
        expect(data(r.answers, 'AAAA').map(canonical), h.name).to.have.members(aaaa.map(canonical));
      } else expectNodata(Z(h.name), 'AAAA', DNS.zone, DNS.soa.minimum);
    }
    expectNodata(Z(NAMES.aaaaOnly.name), 'A', DNS.zone, 300);
    expectNodata(Z(NAMES.mappedOnly.name), 'A', DNS.zone, 300);
  });

  it('NXDOMAIN with the SOA for a name that does not exist', () => {
    const r = ask(auth, Z(NAMES.nxdomain.name), 'AAAA');
    expect(r.rcode).to.equal(NXDOMAIN);
    expect(r.aa).to.equal(true);
    expect(r.authorities.map((a) => [a.type, a.name, a.ttl])).to.deep.equal([['SOA', DNS.zone, 300]]);
    expect(r.authorities[0].data.minimum).to.equal(DNS.soa.minimum);
  });

  it('nodata: TXT only, so A and AAAA are NODATA', () => {
    expect(data(ask(auth, Z(NAMES.nodata.name), 'TXT').answers, 'TXT')).to.have.length(1);
    expectNodata(Z(NAMES.nodata.name), 'A', DNS.zone, 300);
    expectNodata(Z(NAMES.nodata.name), 'AAAA', DNS.zone, 300);
  });

  it('misbehaves on purpose: SERVFAIL, REFUSED, silence and delay for the AAAA, the A as usual', () => {
    expect(ask(auth, Z(NAMES.servfailAaaa.name), 'AAAA').rcode).to.equal(SERVFAIL);
    expect(ask(auth, Z(NAMES.refusedAaaa.name), 'AAAA').rcode).to.equal(REFUSED);
    expect(auth.answer(query(Z(NAMES.timeoutAaaa.name), 'AAAA'), 'udp')).to.deep.equal({});
    expect(auth.answer(query(Z(NAMES.timeoutAaaa.name), 'AAAA'), 'tcp')).to.deep.equal({});
    const slow = ask(auth, Z(NAMES.slowAaaa.name), 'AAAA');
    expect(slow.delayMs).to.equal(NAMES.slowAaaa.delayMs);
    expect(slow.rcode).to.equal(NOERROR);
    const slowA = ask(auth, Z(NAMES.slowAaaa.name), 'A');
    expect(slowA.delayMs).to.equal(undefined);
    expect(data(slowA.answers, 'A')).to.deep.equal([...NAMES.slowAaaa.a]);
    for (const h of [NAMES.servfailAaaa, NAMES.refusedAaaa, NAMES.timeoutAaaa]) expect(data(ask(auth, Z(h.name), 'A').answers, 'A')).to.deep.equal([...h.a]);
  });

  it('servfail-a: the A is SERVFAIL, the AAAA NODATA', () => {
    expect(ask(auth, Z(NAMES.servfailA.name), 'A').rcode).to.equal(SERVFAIL);
    expectNodata(Z(NAMES.servfailA.name), 'AAAA', DNS.zone, 300);
  });

  it('no-soa: AAAA NODATA with an empty authority section', () => {
    const r = ask(auth, Z(NAMES.noSoa.name), 'AAAA');
    expect(r.rcode).to.equal(NOERROR);
    expect(r.answers).to.deep.equal([]);
    expect(r.authorities).to.deep.equal([]);
  });

  it('CNAME chains are followed inside the zone, and stop where they leave it', () => {
    const c = ask(auth, Z(NAMES.cname1.name), 'AAAA');
    expect(c.answers.map((a) => [a.name, a.type, a.data])).to.deep.equal([
      [Z('cname1'), 'CNAME', NAMES.cname1.cname],
      [Z('cname2'), 'CNAME', NAMES.cname2.cname],
    ]);
    expect(c.authorities.map((a) => a.type)).to.deep.equal(['SOA']); // a-only has no AAAA
    const a = ask(auth, Z(NAMES.cname1.name), 'A');
    expect(data(a.answers, 'A')).to.deep.equal([...NAMES.aOnly.a]);
    const d = ask(auth, Z(NAMES.cnameDual.name), 'AAAA');
    expect(data(d.answers, 'AAAA')).to.deep.equal([...NAMES.dual.aaaa]);
    const out = ask(auth, Z(NAMES.cnameOut.name), 'A');
    expect(out.answers.map((x) => [x.type, x.data])).to.deep.equal([['CNAME', NAMES.cnameOut.cname]]);
    expect(data(ask(auth, NAMES.otherA.name, 'A').answers, 'A')).to.deep.equal([...NAMES.otherA.a]);
  });

  it('DNAME: the DNAME and a synthesised CNAME with its TTL (RFC 6672)', () => {
    const r = ask(auth, Z(NAMES.dname.host), 'A');
    expect(r.answers.map((x) => [x.name, x.type, x.data, x.ttl])).to.deep.equal([
      [Z(NAMES.dname.name), 'DNAME', NAMES.dname.dname, 3600],
      [Z(NAMES.dname.host), 'CNAME', NAMES.dname.target, 3600],
    ]);
    expect(data(ask(auth, NAMES.dname.target, 'A').answers, 'A')).to.deep.equal([...NAMES.dname.a]);
  });

  it('big: 40 A records; over UDP without EDNS the answer is truncated (TC, empty), over TCP whole', () => {
    const udp = ask(auth, Z(NAMES.big.name), 'A', { edns: false });
    expect(udp.tc).to.equal(true);
    expect(udp.answers).to.deep.equal([]);
    expect(udp.bytes.length).to.be.at.most(512);
    expect(read(udp.bytes).m.questions![0].name).to.equal(Z(NAMES.big.name));
    const tcp = ask(auth, Z(NAMES.big.name), 'A', { edns: false, transport: 'tcp' });
    expect(tcp.tc).to.equal(false);
    expect(data(tcp.answers, 'A')).to.have.length(NAMES.big.aCount);
    expect(data(tcp.answers, 'A')[0]).to.equal(NAMES.big.firstA);
    expect(data(tcp.answers, 'A')).to.include('100.0.1.40');
    const edns = ask(auth, Z(NAMES.big.name), 'A', { edns: 4096 });
    expect(edns.tc).to.equal(false);
    expect(data(edns.answers, 'A')).to.have.length(40);
    const small = ask(auth, Z(NAMES.big.name), 'A', { edns: 512 });
    expect(small.tc).to.equal(true);
    expect(small.m.additionals!.map((a) => a.type)).to.deep.equal(['OPT']);
  });

  it('MX with the exchange address in the additional section', () => {
    const r = ask(auth, Z(NAMES.mx.name), 'MX');
    expect(r.answers.map((a) => a.data)).to.deep.equal([{ preference: 10, exchange: NAMES.mx.exchange }]);
    expect(r.additionals.map((a) => [a.name, a.type, a.data])).to.deep.equal([[NAMES.mx.exchange, 'A', NAMES.aOnly.a[0]]]);
  });

  it('the CH-class A answers a CH query and stays out of IN answers', () => {
    const ch = ask(auth, Z(NAMES.chaos.name), 'A', { cls: 'CH' });
    expect(ch.answers.map((a) => [a.class, a.data])).to.deep.equal([['CH', NAMES.chaos.a[0]]]);
    const inA = ask(auth, Z(NAMES.chaos.name), 'A');
    expect(inA.answers.map((a) => a.class)).to.deep.equal(['IN']);
  });

  it('wildcards give fresh names their data', () => {
    const a = ask(auth, `case-1.${NAMES.freshA.suffix}.${DNS.zone}`, 'A');
    expect(a.answers.map((x) => [x.name, x.data, x.ttl])).to.deep.equal([[`case-1.${NAMES.freshA.suffix}.${DNS.zone}`, NAMES.freshA.a[0], 3600]]);
    expectNodata(`case-1.${NAMES.freshA.suffix}.${DNS.zone}`, 'AAAA', DNS.zone, 300);
    const d = ask(auth, `x.y.${NAMES.freshDual.suffix}.${DNS.zone}`, 'AAAA');
    expect(data(d.answers, 'AAAA')).to.deep.equal([...NAMES.freshDual.aaaa]);
    expect(data(ask(auth, `x.${NAMES.freshDual.suffix}.${DNS.zone}`, 'A').answers, 'A')).to.deep.equal([...NAMES.freshDual.a]);
    expectNodata(`q.${NAMES.freshNodata.suffix}.${DNS.zone}`, 'A', DNS.zone, 300);
    expectNodata(`q.${NAMES.freshNodata.suffix}.${DNS.zone}`, 'AAAA', DNS.zone, 300);
    // The empty non-terminal above the wildcard exists: NODATA, not NXDOMAIN.
    expectNodata(`fresh.${DNS.zone}`, 'A', DNS.zone, 300);
  });

  it('soa30.test: A TTL 3600, AAAA NODATA with SOA TTL 30', () => {
    const a = ask(auth, NAMES.shortSoa.name, 'A');
    expect(a.answers.map((x) => [x.data, x.ttl])).to.deep.equal([[NAMES.shortSoa.a[0], NAMES.shortSoa.ttl]]);
    expectNodata(NAMES.shortSoa.name, 'AAAA', DNS.shortSoaZone, 30);
  });

  it('reverse zone: PTRs, and NXDOMAIN for the missing one', () => {
    for (const [v4, host] of Object.entries(REVERSE.ptr)) {
      const r = ask(auth, `${v4.split('.').reverse().join('.')}.in-addr.arpa`, 'PTR');
      expect(r.answers.map((x) => x.data), v4).to.deep.equal([host]);
    }
    const miss = ask(auth, `${REVERSE.missing.split('.').reverse().join('.')}.in-addr.arpa`, 'PTR');
    expect(miss.rcode).to.equal(NXDOMAIN);
    expect(miss.authorities[0].name).to.equal(REVERSE.zone);
  });

  it('ipv4only.arpa: the two well-known addresses (RFC 7050)', () => {
    expect(data(ask(auth, DNS.ipv4only.name, 'A').answers, 'A')).to.have.members([...DNS.ipv4only.addresses]);
    expectNodata(DNS.ipv4only.name, 'AAAA', DNS.ipv4only.name, 300);
  });

  it('REFUSED, without AA, for names outside its zones', () => {
    const r = ask(auth, 'example.com', 'A');
    expect(r.rcode).to.equal(REFUSED);
    expect(r.aa).to.equal(false);
  });
});

describe('dns: authority message handling', () => {
  it('echoes ID and question exactly (case included), copies RD and CD, sets QR and AA', () => {
    const q = query('A-Only.DNS64.test', 'A', { id: 0xbeef, cd: true });
    const r = read(createAuthority().answer(q, 'udp').bytes!);
    expect(r.m.id).to.equal(0xbeef);
    expect(r.m.questions).to.deep.equal([{ name: 'A-Only.DNS64.test', type: 'A', class: 'IN' }]);
    expect(r.m.flag_rd && r.m.flag_cd && r.m.flag_qr && r.m.flag_aa).to.equal(true);
    const norecurse = read(createAuthority().answer(query(Z('a-only'), 'A', { rd: false }), 'udp').bytes!);
    expect(norecurse.m.flag_rd).to.equal(false);
  });

  it('answer owners equal to the question keep its spelling (0x20-style mixed case)', () => {
    const q = 'Case-7.A.Fresh.DNS64.test';
    const r = read(createAuthority().answer(query(q, 'A'), 'udp').bytes!);
    expect(r.answers.map((a) => a.name)).to.deep.equal([q]);
    const c = read(createAuthority().answer(query('CNAME1.dns64.test', 'A'), 'udp').bytes!);
    expect(c.answers.map((a) => a.name)).to.deep.equal(['CNAME1.dns64.test', Z('cname2'), Z('a-only')]);
  });

  it('answers EDNS with EDNS and no OPT without it', () => {
    const withOpt = ask(auth, Z('a-only'), 'A');
    expect(withOpt.m.additionals!.filter((a) => a.type === 'OPT')).to.have.length(1);
    const without = ask(auth, Z('a-only'), 'A', { edns: false });
    expect(without.m.additionals).to.deep.equal([]);
  });

  it('FORMERR for garbage, a missing question or two questions; never a throw', () => {
    const inputs = [
      Buffer.from('00', 'hex'),
      Buffer.from('deadbeefcafe', 'hex'),
      Buffer.from('123401000001000000000000ff', 'hex'), // label runs past the end
      Buffer.from('123401000000000000000000', 'hex'), // no question
    ];
    const two = query(Z('a-only'), 'A', { edns: false });
    two.writeUInt16BE(2, 4);
    inputs.push(Buffer.concat([two, two.subarray(12)]));
    for (const b of inputs) {
      const a = auth.answer(b, 'udp');
      if (b.length < 4) {
        expect(a.bytes, b.toString('hex')).to.equal(undefined);
        continue;
      }
      expect(a.bytes, b.toString('hex')).to.not.equal(undefined);
      expect(a.bytes!.readUInt16BE(0)).to.equal(b.readUInt16BE(0));
      expect(a.bytes![3] & 0x0f, b.toString('hex')).to.equal(1);
      expect(a.bytes![2] & 0x80).to.equal(0x80);
    }
    // Random bytes: always some answer or silence, never an exception.
    let seed = 7;
    for (let i = 0; i < 2000; i++) {
      const len = 12 + (i % 60);
      const b = Buffer.alloc(len);
      for (let k = 0; k < len; k++) b[k] = (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
      b[2] &= 0x7f; // a query
      expect(() => auth.answer(b, i % 2 ? 'udp' : 'tcp')).to.not.throw();
    }
  });

  it('does not answer responses, and says NOTIMP to other opcodes', () => {
    const resp = query(Z('a-only'), 'A');
    resp[2] |= 0x80;
    expect(auth.answer(resp, 'udp')).to.deep.equal({});
    const notify = query(Z('a-only'), 'A');
    notify[2] |= 4 << 3;
    expect(auth.answer(notify, 'udp').bytes![3] & 0x0f).to.equal(4);
  });

  it('BADVERS to EDNS version 1', () => {
    const q = dnsPacket.encode({ type: 'query', id: 1, questions: [{ name: Z('a-only'), type: 'A' }], additionals: [{ name: '.', type: 'OPT', udpPayloadSize: 1232, ednsVersion: 1, flags: 0, options: [] } as unknown as dnsPacket.Answer] });
    const r = read(auth.answer(q, 'udp').bytes!);
    const opt = r.m.additionals!.find((a) => a.type === 'OPT') as dnsPacket.OptAnswer;
    expect(opt.extendedRcode).to.equal(1);
    expect(r.answers).to.deep.equal([]);
  });
});

describe('dns: authority DNSSEC (signed.test fixture)', () => {
  it('RRSIGs only with DO', () => {
    const plain = ask(auth, SIGNED.aOnly.name, 'A');
    expect(plain.answers.map((a) => a.type)).to.deep.equal(['A']);
    const signed = ask(auth, SIGNED.aOnly.name, 'A', { do: true });
    expect(signed.answers.map((a) => a.type)).to.deep.equal(['A', 'RRSIG']);
    expect(signed.answers[1].data.typeCovered).to.equal('A');
    expect(signed.answers[1].data.signersName).to.equal(DNS.signedZone);
    const opt = signed.m.additionals!.find((a) => a.type === 'OPT') as dnsPacket.OptAnswer;
    expect(opt.flag_do).to.equal(true);
  });

  it('NODATA with DO: SOA, its RRSIG and the NSEC of the name with its RRSIG', () => {
    const r = ask(auth, SIGNED.aOnly.name, 'AAAA', { do: true });
    expect(r.rcode).to.equal(NOERROR);
    expect(r.authorities.map((a) => [a.name, a.type])).to.deep.equal([
      [DNS.signedZone, 'SOA'],
      [DNS.signedZone, 'RRSIG'],
      [SIGNED.aOnly.name, 'NSEC'],
      [SIGNED.aOnly.name, 'RRSIG'],
    ]);
    expect(r.authorities[2].data.rrtypes).to.not.include('AAAA');
    const plain = ask(auth, SIGNED.nodata.name, 'A');
    expect(plain.authorities.map((a) => a.type)).to.deep.equal(['SOA']);
  });

  it('NXDOMAIN with DO: NSECs covering the name and the wildcard', () => {
    const r = ask(auth, 'zzz.signed.test', 'AAAA', { do: true });
    expect(r.rcode).to.equal(NXDOMAIN);
    const nsec = r.authorities.filter((a) => a.type === 'NSEC');
    expect(nsec.length).to.be.within(1, 2);
    for (const n of nsec) {
      const covers = (x: string) => canonicalCompare(n.name, x) < 0 && (canonicalCompare(x, n.data.nextDomain) < 0 || n.data.nextDomain === DNS.signedZone);
      expect(covers('zzz.signed.test') || covers('*.signed.test'), `${n.name} → ${n.data.nextDomain}`).to.equal(true);
    }
  });

  it('wildcard answers with DO carry the wildcard RRSIG (labels 3) and the NSEC proof', () => {
    const name = `case-9.${SIGNED.fresh.suffix}`;
    const r = ask(auth, name, 'A', { do: true });
    expect(r.answers.map((a) => [a.name, a.type])).to.deep.equal([[name, 'A'], [name, 'RRSIG']]);
    expect(r.answers[1].data.labels).to.equal(3);
    expect(r.authorities.map((a) => a.type)).to.deep.equal(['NSEC', 'RRSIG']);
  });

  it('DNSKEY: both keys, signed; bogus keeps its non-matching signature', () => {
    const k = ask(auth, DNS.signedZone, 'DNSKEY', { do: true });
    expect(k.answers.filter((a) => a.type === 'DNSKEY').map((a) => a.data.flags).sort()).to.deep.equal([256, 257]);
    expect(k.answers.filter((a) => a.type === 'RRSIG')).to.have.length(2);
    const b = ask(auth, SIGNED.bogus.name, 'A', { do: true });
    expect(data(b.answers, 'A')).to.deep.equal([...SIGNED.bogus.a]);
    expect(b.answers.some((a) => a.type === 'RRSIG')).to.equal(true);
    expect(data(ask(auth, SIGNED.dual.name, 'AAAA').answers, 'AAAA')).to.deep.equal([...SIGNED.dual.aaaa]);
  });

  it('canonical order sorts labels from the right (RFC 4034 §6.1)', () => {
    const names = ['z.signed.test', 'signed.test', '*.fresh.signed.test', 'a-only.signed.test', 'B.signed.test'];
    expect([...names].sort(canonicalCompare)).to.deep.equal(['signed.test', '*.fresh.signed.test', 'a-only.signed.test', 'B.signed.test', 'z.signed.test'].sort(canonicalCompare));
    expect(canonicalCompare('signed.test', 'a.signed.test')).to.be.below(0);
    expect(canonicalCompare('b.test', 'a.b.test')).to.be.below(0);
    expect(canonicalCompare('a.signed.test', 'B.signed.test')).to.be.below(0);
  });
});

describe('dns: authority in fake-root mode', () => {
  it('serves the root: NS ns.dns64.test with glue 127.0.0.2', () => {
    const r = ask(root, '.', 'NS');
    expect(r.answers.map((a) => a.data)).to.deep.equal(['ns.dns64.test']);
    expect(r.additionals.map((a) => [a.name, a.data])).to.deep.equal([['ns.dns64.test', DNS.authorityAddress]]);
  });

  it('delegates every lab zone to itself, and answers the zones authoritatively', () => {
    for (const z of [DNS.zone, DNS.otherZone, DNS.shortSoaZone, DNS.signedZone, REVERSE.zone, DNS.ipv4only.name]) {
      const ns = ask(root, z, 'NS');
      expect(ns.answers.map((a) => a.data), z).to.deep.equal(['ns.dns64.test']);
      expect(ns.aa, z).to.equal(true);
    }
    expect(data(ask(root, Z('a-only'), 'A').answers, 'A')).to.deep.equal([...NAMES.aOnly.a]);
    expect(ask(root, 'example.com', 'A').rcode).to.equal(NXDOMAIN);
  });

  it('answers the DS of signed.test from the parent side (the trust anchor)', () => {
    const r = ask(root, DNS.signedZone, 'DS', { do: true });
    expect(r.answers.map((a) => [a.type, a.data.keyTag])).to.deep.equal([['DS', 60667]]);
  });

  it('forward mode refuses the root', () => {
    expect(ask(auth, '.', 'NS').rcode).to.equal(REFUSED);
  });
});
