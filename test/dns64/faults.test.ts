/**
 * Every DNS64 fault changes what the server does (a battery of queries
 * answered differently), and every MUST/SHOULD row of the DNS64 suites that
 * a black-box or config check can verify is listed by at least one fault.
 */
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { DNS64_FAULTS, parseDns64Config } from '../../engine/dns64';
import { FAULTS } from '../../engine/faults';
import { parseIPv6 } from '../../harness/packet/address';
import { AskOptions, rig } from './helpers';
import { FakeUpstream, trustAnchor } from './fake-upstream';

const rev = (v6: string) => parseIPv6(v6).toString('hex').split('').reverse().join('.') + '.ip6.arpa';

function show(r: any): string {
  if (!r) return 'no answer';
  const rr = (x: any) => `${x.name} ${x.ttl} ${x.class} ${x.type} ${JSON.stringify(x.data)}`;
  return JSON.stringify({
    q: r.questions?.[0]?.name,
    rcode: r.rcode,
    aa: r.flag_aa,
    ad: r.flag_ad,
    tc: r.flag_tc,
    an: (r.answers ?? []).map(rr),
    ns: (r.authorities ?? []).map((x: any) => x.type),
    ar: (r.additionals ?? []).filter((x: any) => x.type !== 'OPT').map(rr),
  });
}

type Q = [string, string, AskOptions?];

const MAIN: Q[] = [
  ['a-only.dns64.test', 'AAAA'],
  ['dual.dns64.test', 'AAAA'],
  ['does-not-exist.dns64.test', 'AAAA'],
  ['servfail-aaaa.dns64.test', 'AAAA'],
  ['refused-aaaa.dns64.test', 'AAAA'],
  ['timeout-aaaa.dns64.test', 'AAAA'],
  ['mapped-a.dns64.test', 'AAAA'],
  ['mapped-only.dns64.test', 'AAAA'],
  ['mapped-mixed.dns64.test', 'AAAA'],
  ['excluded.dns64.test', 'AAAA'],
  ['excluded-mixed.dns64.test', 'AAAA'],
  ['cname1.dns64.test', 'AAAA'],
  ['cname-out.dns64.test', 'AAAA'],
  ['host.sub.dns64.test', 'AAAA'],
  ['nodata.dns64.test', 'AAAA'],
  ['servfail-a.dns64.test', 'AAAA'],
  ['no-soa.dns64.test', 'AAAA'],
  ['a-only.soa30.test', 'AAAA'],
  ['second-range.dns64.test', 'AAAA'],
  ['nat64.dns64.test', 'AAAA'],
  ['a-only.dns64.test', 'AAAA', { class: 'CH' }],
  ['a-only.dns64.test', 'A'],
  ['mx.dns64.test', 'MX'],
  ['A-Only.DNS64.test', 'AAAA'],
  ['big.dns64.test', 'AAAA', { edns: false }],
  ['big.dns64.test', 'AAAA', { edns: 4096 }],
  ['big.dns64.test', 'AAAA', { edns: false, transport: 'tcp' }],
  ['nx-aaaa.dns64.test', 'AAAA'],
  ['170.0.0.192.in-addr.arpa', 'PTR'],
  ['a-only.dns64.test', 'AAAA', { client: '192.0.2.1' }],
  ['ipv4only.arpa', 'A'],
  ['ipv4only.arpa', 'AAAA'],
  ['ipv4only.arpa', 'AAAA', { do: true }],
  ['ipv4only.arpa', 'TXT'],
  ['ipv4only.arpa', 'DS'],
  ['foo.ipv4only.arpa', 'A'],
  [rev('2001:db8:64::6400:a'), 'PTR'],
  [rev('2001:db8:64::6400:63'), 'PTR'],
  [rev('2001:db8:64::c000:aa'), 'PTR'],
  [rev('2001:db8:d0a1::20'), 'PTR'],
  ['a-only.signed.test', 'AAAA', { do: true }],
  ['a-only.signed.test', 'A'],
  ['dual.signed.test', 'AAAA', { do: true }],
  ['bogus.signed.test', 'A'],
  ['stripped.fresh.signed.test', 'AAAA', { do: true }],
  ['a-only.signed.test', 'AAAA', { do: true, cd: true }],
];

async function battery(faults: string[]): Promise<string[]> {
  const out: string[] = [];
  try {
    parseDns64Config({ prefixes: ['2001:db8::/104'], faults }, 'x');
    out.push('long prefix accepted');
  } catch {
    out.push('long prefix refused');
  }
  const upstream = () => {
    const u = new FakeUpstream();
    u.records.push({ name: 'nat64.dns64.test', type: 'AAAA', ttl: 3600, data: '2001:db8:64::c000:aa' });
    u.additional.set('a-only.dns64.test|A', [{ name: 'ns.dns64.test', type: 'A', ttl: 3600, data: '127.0.0.2' }]);
    u.additional.set('mx.dns64.test|MX', [{ name: 'a-only.dns64.test', type: 'A', ttl: 3600, data: '100.0.0.10' }]);
    u.records.push({ name: 'nx-aaaa.dns64.test', type: 'A', ttl: 3600, data: '100.0.0.38' });
    u.misbehave('nx-aaaa.dns64.test', 'AAAA', 'nxdomain');
    u.misbehave('servfail-aaaa.dns64.test', 'AAAA', 'servfail').misbehave('refused-aaaa.dns64.test', 'AAAA', 'refused').misbehave('timeout-aaaa.dns64.test', 'AAAA', 'drop');
    u.misbehave('servfail-a.dns64.test', 'A', 'servfail').misbehave('no-soa.dns64.test', 'AAAA', 'nodata-no-soa').misbehave('stripped.fresh.signed.test', 'AAAA', 'strip-nsec');
    return u;
  };
  const main = rig(
    {
      prefixes: ['2001:db8:64::/96', { prefix: '2001:db8:65::/96', ipv4: ['101.0.0.0/8'] }],
      exclude: ['2001:db8:bad::/48'],
      dnssec: { validate: true, trustAnchors: [trustAnchor()] },
      acl: ['2001:db8:6::/64'],
      faults,
    },
    upstream(),
  );
  for (const [name, type, opts] of MAIN) {
    const before = main.upstream.seen.length;
    const r = show(await main.ask(name, type, opts));
    const asked = main.upstream.seen.slice(before).map((x) => `${x.message.questions[0].type}/${x.transport}`);
    out.push(`${name} ${type} ${JSON.stringify(opts ?? {})}: ${r} upstream ${asked.join(',')}`);
  }
  out.push(`ids ${main.upstream.seen.slice(0, 3).map((s) => `${s.message.id}/${s.sourcePort}`).join(' ')}`);
  main.server.flush();
  await main.ask('a-short.dns64.test', 'A');
  main.clock.advance(61_000);
  out.push(`after expiry: ${show(await main.ask('a-short.dns64.test', 'A'))}`);
  const wkp = rig({ prefixes: [], faults }, upstream());
  for (const n of ['a-only', 'priv10']) out.push(`wkp ${n}: ${show(await wkp.ask(`${n}.dns64.test`, 'AAAA'))}`);
  const fwd = rig({ mode: 'forwarder', faults }, upstream());
  out.push(`forwarder: ${show(await fwd.ask('ipv4only.arpa', 'AAAA'))} upstream ${fwd.upstream.seen.length}`);
  return out;
}

describe('dns64: faults', () => {
  let correct: string[];
  before(async () => {
    correct = await battery([]);
  });

  it('names are unique and do not collide with the NAT64 engine faults', () => {
    const names = DNS64_FAULTS.map((f) => f.name);
    expect(new Set(names).size).to.equal(names.length);
    for (const f of FAULTS) expect(names, f.name).to.not.include(f.name);
  });

  for (const f of DNS64_FAULTS) {
    it(`${f.name} changes behaviour`, async () => {
      const faulty = await battery([f.name]);
      const diff = faulty.filter((line, i) => line !== correct[i]);
      expect(diff, f.description).to.not.be.empty;
    });
  }

  it('every DNS64 MUST/SHOULD row (black-box or config) is violated by some fault', () => {
    const dir = path.resolve(__dirname, '../../../fixtures/catalogue');
    const rows = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.tsv'))
      .flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n').slice(1))
      .map((l) => l.split('\t'))
      .filter((c) => c.length >= 7);
    const wanted = rows.filter(([id, , , level, suite, testability]) => {
      const side = ['dns64-synthesis', 'dns64-dnssec'].includes(suite) || (suite === 'prefix-discovery' && /^(7050-3-dns64-|7050-3\.1\.1-|8880-5-|8880-7\.1-|8880-7\.2\.1-dns64-)/.test(id));
      return side && /MUST|SHOULD/.test(level) && ['black-box', 'config'].includes(testability);
    });
    const violated = new Set(DNS64_FAULTS.flatMap((f) => f.violates));
    const known = new Set(rows.map((r) => r[0]));
    expect(wanted.map((r) => r[0]).filter((id) => !violated.has(id))).to.deep.equal([]);
    expect([...violated].filter((id) => !known.has(id))).to.deep.equal([]);
  });
});
