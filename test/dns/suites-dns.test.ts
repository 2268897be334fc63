/**
 * The DNS64 suites' structure: unique ids, declared requirements that exist
 * in the catalogue and belong to the case's suite, and the share of the
 * black-box and config rows a DNS64 can show that the cases cover.
 */
import { expect } from 'chai';
import * as dnsPacket from 'dns-packet';
import { loadCatalogue } from '../../harness/catalogue';
import { allDnsCases } from '../../suites/dns-index';
import { inAddrArpaName, ip6ArpaName, synthTtl, synthesized } from '../../suites/dns-lib/expected';
import { rawRecords } from '../../suites/dns-lib/raw';

const SUITES = ['dns64-synthesis', 'dns64-dnssec', 'prefix-discovery'];

/**
 * prefix-discovery rows (black-box or config) that a DNS64 under test cannot
 * show, with the reason. Client-side and untestable rows are left out by
 * their testability already.
 */
const NOT_DNS64_SIDE: Record<string, string> = {
  '8781-4-sender-length': 'a Router Advertisement option (RFC 8781): sent by a router, not a DNS64',
  '8781-4-plc': 'a Router Advertisement option (RFC 8781)',
  '8781-4.1-router-lifetime': 'a Router Advertisement field (RFC 8781)',
  '8781-4.1-default-lifetime': 'a router setting (RFC 8781)',
  '8781-4.1-admin-lifetime': 'a router setting (RFC 8781)',
  '8781-5.2-consistency': 'a router duty (RFC 8781)',
  '7050-3.2-no-icmp-ratelimit': 'ICMPv6 echo through the NAT64, not DNS',
  '7050-3.2.1-no-server-wka': 'about servers at Pref64::192.0.0.170/171, not DNS answers',
  '8880-7.1-fwd-not-special': 'applies to traditional forwarders, which a DNS64 is not by definition',
  '7050-5-no-interference': 'superseded by RFC 8880 §7.1, which requires the opposite of a DNS64 (scored there)',
  '7050-3.1-operator-validation': "the operator's NAT64 FQDN and its zone, not DNS64 behaviour",
  '7050-3.1.1-wka-ptr': "the operator's zone (NAT64 FQDN); for the DNS64 itself RFC 8880 §7.2.1 (ipv4only.arpa) applies",
  '7050-3.1.1-sign': "the operator's signed zone",
  '7050-3.2-check-servers': "the operator's zone (connectivity-check servers)",
  '7050-7-sign-fqdn': "the operator's signed zone",
};

/** DNS64-side rows no case covers yet, and what is missing. */
const NOT_COVERED: Record<string, string> = {};

describe('DNS64 suites: structure and coverage', () => {
  const cases = allDnsCases();
  const catalogue = loadCatalogue();

  it('has cases in each of the three suites, all of kind dns64', () => {
    for (const s of SUITES) expect(cases.filter((c) => c.suite === s).length, s).to.be.greaterThan(0);
    for (const c of cases) {
      expect(c.kind).to.equal('dns64');
      expect(SUITES, `${c.id}: suite ${c.suite}`).to.include(c.suite);
    }
  });

  it('has unique, kebab-case case ids', () => {
    const keys = cases.map((c) => `${c.suite}/${c.id}`);
    expect(new Set(keys).size).to.equal(keys.length);
    for (const c of cases) expect(c.id, c.id).to.match(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it('declares only catalogue requirements of its own suite, each once', () => {
    for (const c of cases) {
      expect(c.requirements.length, c.id).to.be.greaterThan(0);
      expect(new Set(c.requirements).size, `${c.id} declares a requirement twice`).to.equal(c.requirements.length);
      for (const id of c.requirements) {
        const r = catalogue.get(id);
        expect(r, `${c.id}: unknown requirement ${id}`).to.not.equal(undefined);
        expect(r!.suite, `${c.suite}/${c.id} declares ${id} of suite ${r!.suite}`).to.equal(c.suite);
        expect(r!.testability, `${c.id}: ${id} is ${r!.testability}`).to.be.oneOf(['black-box', 'config']);
      }
    }
  });

  it('lists real catalogue rows as not DNS64-side or not covered', () => {
    for (const id of [...Object.keys(NOT_DNS64_SIDE), ...Object.keys(NOT_COVERED)]) {
      const r = catalogue.get(id);
      expect(r, id).to.not.equal(undefined);
      expect(SUITES, id).to.include(r!.suite);
    }
  });

  it('covers at least 90 % of the black-box and config rows a DNS64 can show, missing exactly the listed ones', () => {
    const rows = [...catalogue.values()].filter(
      (r) => SUITES.includes(r.suite) && (r.testability === 'black-box' || r.testability === 'config') && !(r.id in NOT_DNS64_SIDE),
    );
    const declared = new Set(cases.flatMap((c) => c.requirements));
    const missing = rows.filter((r) => !declared.has(r.id)).map((r) => r.id);
    expect(missing.sort(), 'uncovered rows differ from NOT_COVERED').to.deep.equal(Object.keys(NOT_COVERED).sort());
    const share = (rows.length - missing.length) / rows.length;
    for (const s of SUITES) {
      const inSuite = rows.filter((r) => r.suite === s);
      const covered = inSuite.filter((r) => declared.has(r.id));
      // Shown by `mocha --reporter spec` next to the test; the figure the report quotes.
      console.log(`      ${s}: ${covered.length}/${inSuite.length} rows`);
    }
    console.log(`      all: ${rows.length - missing.length}/${rows.length} = ${(share * 100).toFixed(1)} %`);
    expect(share).to.be.at.least(0.9);
  });
});

describe('DNS64 suite helpers', () => {
  const config = (prefixes: { prefix: string; ipv4?: string[] }[]) => ({ prefixes, exclude: [], validate: true, listen: 'x', upstream: 'y' });

  it('selects the prefix of the most specific IPv4 range, else the default one, else the WKP', () => {
    const c = config([
      { prefix: '2001:db8:64::/96' },
      { prefix: '2001:db8:65::/96', ipv4: ['101.0.0.0/8'] },
      { prefix: '2001:db8:66::/96', ipv4: ['101.1.0.0/16'] },
    ]);
    expect(synthesized(c, '101.1.2.3')?.address).to.equal('2001:db8:66::6501:203');
    expect(synthesized(c, '101.2.2.3')?.address).to.equal('2001:db8:65::6502:203');
    expect(synthesized(c, '100.0.0.10')?.address).to.equal('2001:db8:64::6400:a');
    expect(synthesized(config([]), '100.0.0.10')?.address).to.equal('64:ff9b::6400:a');
    expect(synthesized(config([{ prefix: '2001:db8:65::/96', ipv4: ['101.0.0.0/8'] }]), '100.0.0.10')).to.equal(undefined);
  });

  it('computes the §5.1.7 TTL with and without an SOA', () => {
    expect(synthTtl(3600, 300).ttl).to.equal(300);
    expect(synthTtl(60, 300).ttl).to.equal(60);
    expect(synthTtl(3600, undefined).ttl).to.equal(600);
    expect(synthTtl(30, undefined).ttl).to.equal(30);
  });

  it('writes reverse names (RFC 3596 §2.5, RFC 1035 §3.5)', () => {
    expect(ip6ArpaName('2001:db8::567:89ab')).to.equal('b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa');
    expect(inAddrArpaName('192.0.0.170')).to.equal('170.0.0.192.in-addr.arpa');
  });

  it('reads RDLENGTH, CLASS and owner from the wire, through name compression', () => {
    const bytes = dnsPacket.encode({
      type: 'response',
      id: 1,
      questions: [{ name: 'x.dns64.test', type: 'AAAA' }],
      answers: [{ name: 'x.dns64.test', type: 'AAAA', ttl: 300, data: '2001:db8:64::6400:a' }],
    });
    // dns-packet does not compress; point the answer's owner at the question name by hand.
    const q = 12;
    const nameLength = 'x.dns64.test'.length + 2; // a length octet per label, and the root's zero
    const ans = q + nameLength + 4;
    const compressed = Buffer.concat([bytes.subarray(0, ans), Buffer.from([0xc0, q]), bytes.subarray(ans + nameLength)]);
    for (const b of [bytes, compressed]) {
      expect(rawRecords(b)).to.deep.equal([{ section: 'answer', name: 'x.dns64.test', type: 28, class: 1, ttl: 300, rdlength: 16 }]);
    }
  });
});
