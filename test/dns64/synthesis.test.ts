import { expect } from 'chai';
import { extractDetailed } from '../../harness/packet/rfc6052';
import { data, rig, ttls } from './helpers';

describe('dns64: synthesis (RFC 6147 §5.1-§5.4)', () => {
  it('synthesises from A when there is no AAAA, without the A records (§5.1.6, §5.1.7)', async () => {
    const r = await rig().ask('a-only.dns64.test', 'AAAA');
    expect(r.rcode).to.equal('NOERROR');
    expect(data(r, 'AAAA')).to.deep.equal(['2001:db8:64::6400:a']);
    expect(data(r, 'A')).to.deep.equal([]);
    expect(r.answers[0].name).to.equal('a-only.dns64.test');
  });

  it('returns real AAAA untouched and does not mix (§5.1.1)', async () => {
    const r = await rig().ask('dual.dns64.test', 'AAAA');
    expect(data(r, 'AAAA')).to.deep.equal(['2001:db8:d0a1::20']);
  });

  it('passes NXDOMAIN through without an A lookup (§5.1.2)', async () => {
    const g = rig();
    const r = await g.ask('does-not-exist.dns64.test', 'AAAA');
    expect(r.rcode).to.equal('NXDOMAIN');
    expect(g.upstream.queries('A')).to.have.length(0);
  });

  it('treats SERVFAIL, REFUSED and a timeout on AAAA as empty (§5.1.2, §5.1.3), TTL capped at 600 without SOA', async () => {
    const g = rig();
    g.upstream.misbehave('servfail-aaaa.dns64.test', 'AAAA', 'servfail').misbehave('refused-aaaa.dns64.test', 'AAAA', 'refused').misbehave('timeout-aaaa.dns64.test', 'AAAA', 'drop');
    expect(data(await g.ask('servfail-aaaa.dns64.test', 'AAAA'), 'AAAA')).to.deep.equal(['2001:db8:64::6400:1f']);
    expect(data(await g.ask('refused-aaaa.dns64.test', 'AAAA'), 'AAAA')).to.deep.equal(['2001:db8:64::6400:20']);
    const t = await g.ask('timeout-aaaa.dns64.test', 'AAAA');
    expect(data(t, 'AAAA')).to.deep.equal(['2001:db8:64::6400:21']);
    expect(ttls(t, 'AAAA')).to.deep.equal([600]);
  });

  it('applies the exclusion set: mapped-only -> synthesis from A, mixed -> only the good ones (§5.1.4)', async () => {
    const g = rig({ exclude: ['2001:db8:bad::/48'] });
    expect(data(await g.ask('mapped-a.dns64.test', 'AAAA'), 'AAAA')).to.deep.equal(['2001:db8:64::6400:17']);
    expect(data(await g.ask('mapped-mixed.dns64.test', 'AAAA'), 'AAAA')).to.deep.equal(['2001:db8:d0a1::24']);
    expect(data(await g.ask('excluded.dns64.test', 'AAAA'), 'AAAA')).to.deep.equal(['2001:db8:64::6400:19']);
    expect(data(await g.ask('excluded-mixed.dns64.test', 'AAAA'), 'AAAA')).to.deep.equal(['2001:db8:d0a1::26']);
    const m = await g.ask('mapped-only.dns64.test', 'AAAA');
    expect(m.rcode).to.equal('NOERROR');
    expect(m.answers).to.have.length(0);
  });

  it('follows CNAME chains in and out of the zone and DNAME, keeping the chain (§5.1.5)', async () => {
    const g = rig();
    const c = await g.ask('cname1.dns64.test', 'AAAA');
    expect(c.answers.map((x: any) => x.type)).to.deep.equal(['CNAME', 'CNAME', 'AAAA']);
    expect(c.answers[2]).to.include({ name: 'a-only.dns64.test', data: '2001:db8:64::6400:a' });
    const o = await g.ask('cname-out.dns64.test', 'AAAA');
    expect(o.answers.map((x: any) => x.type)).to.deep.equal(['CNAME', 'AAAA']);
    expect(o.answers[1].name).to.equal('a-only.other.test');
    const d = await g.ask('host.sub.dns64.test', 'AAAA');
    expect(d.answers.map((x: any) => x.type)).to.deep.equal(['DNAME', 'CNAME', 'AAAA']);
    expect(data(d, 'AAAA')).to.deep.equal(['2001:db8:64::6400:1e']);
    expect(data(await g.ask('cname-dual.dns64.test', 'AAAA'), 'AAAA')).to.deep.equal(['2001:db8:d0a1::20']);
  });

  it('returns the AAAA NODATA unchanged when there is no A (§5.4), and the A error when A fails', async () => {
    const g = rig();
    const r = await g.ask('nodata.dns64.test', 'AAAA');
    expect(r.rcode).to.equal('NOERROR');
    expect(r.answers).to.have.length(0);
    expect(r.authorities[0].type).to.equal('SOA');
    g.upstream.misbehave('servfail-a.dns64.test', 'A', 'servfail');
    expect((await g.ask('servfail-a.dns64.test', 'AAAA')).rcode).to.equal('SERVFAIL');
  });

  it('sets the TTL to min(A TTL, SOA of the NODATA) (§5.1.7)', async () => {
    const g = rig();
    expect(ttls(await g.ask('a-only.dns64.test', 'AAAA'), 'AAAA')).to.deep.equal([300]);
    expect(ttls(await g.ask('a-short.dns64.test', 'AAAA'), 'AAAA')).to.deep.equal([60]);
    expect(ttls(await g.ask('a-only.soa30.test', 'AAAA'), 'AAAA')).to.deep.equal([30]);
    g.upstream.misbehave('no-soa.dns64.test', 'AAAA', 'nodata-no-soa');
    expect(ttls(await g.ask('no-soa.dns64.test', 'AAAA'), 'AAAA')).to.deep.equal([600]);
  });

  it('chooses the prefix per IPv4 range (§5.2) and embeds at every RFC 6052 length', async () => {
    const g = rig({ prefixes: ['2001:db8:64::/96', { prefix: '2001:db8:65::/96', ipv4: ['101.0.0.0/8'] }] });
    expect(data(await g.ask('second-range.dns64.test', 'AAAA'), 'AAAA')).to.deep.equal(['2001:db8:65::6500:28']);
    expect(data(await g.ask('a-only.dns64.test', 'AAAA'), 'AAAA')).to.deep.equal(['2001:db8:64::6400:a']);
    for (const p of ['2001:db8::/32', '2001:db8:100::/40', '2001:db8:122::/48', '2001:db8:122:300::/56', '2001:db8:122:344::/64', '2001:db8:64::/96']) {
      const r = await rig({ prefixes: [p] }).ask('a-only.dns64.test', 'AAAA');
      const [addr] = data(r, 'AAAA');
      expect(extractDetailed(p, addr), p).to.deep.include({ ipv4: '100.0.0.10', uOctet: 0, clean: true });
    }
  });

  it('falls back to 64:ff9b::/96 with no prefix, and forms no WKP address for non-global IPv4', async () => {
    const g = rig({ prefixes: [] });
    expect(data(await g.ask('a-only.dns64.test', 'AAAA'), 'AAAA')).to.deep.equal(['64:ff9b::6400:a']);
    expect(data(await g.ask('mixed.dns64.test', 'AAAA'), 'AAAA')).to.deep.equal(['64:ff9b::6400:22']);
    const p = await g.ask('priv10.dns64.test', 'AAAA');
    expect(p.answers).to.have.length(0);
  });

  it('leaves other classes and other types alone (§5.1, §5.3.3), additional section unchanged', async () => {
    const g = rig();
    const ch = await g.ask('a-only.dns64.test', 'AAAA', { class: 'CH' });
    expect(data(ch, 'AAAA')).to.deep.equal([]);
    const a = await g.ask('a-only.dns64.test', 'A');
    expect(data(a, 'A')).to.deep.equal(['100.0.0.10']);
    expect(ttls(a, 'A')).to.deep.equal([3600]);
  });

  it('copies the question with its letter case (§5.4)', async () => {
    const r = await rig().ask('A-Only.DNS64.test', 'AAAA');
    expect(r.questions[0].name).to.equal('A-Only.DNS64.test');
    expect(data(r, 'AAAA')).to.deep.equal(['2001:db8:64::6400:a']);
  });

  it('takes authority and additional from the A response, unchanged (§5.3.2, §5.4), and asks each question once', async () => {
    const g = rig({ cacheEntries: 0 });
    g.upstream.additional.set('a-only.dns64.test|A', [{ name: 'ns.dns64.test', type: 'A', ttl: 3600, data: '127.0.0.2' }]);
    const r = await g.ask('a-only.dns64.test', 'AAAA');
    expect(r.authorities).to.have.length(0);
    expect(r.additionals.filter((x: any) => x.type !== 'OPT').map((x: any) => [x.name, x.type, x.data])).to.deep.equal([['ns.dns64.test', 'A', '127.0.0.2']]);
    expect(g.upstream.seen.map((s) => s.message.questions[0].type)).to.deep.equal(['AAAA', 'A']);
    const mx = await g.ask('mx.dns64.test', 'MX');
    expect(mx.answers.map((x: any) => [x.type, x.ttl])).to.deep.equal([['MX', 3600]]);
  });
});
