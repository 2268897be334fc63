import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { parseDsText, dsMatches, keyTag, verifyRrsig } from '../../engine/dns64/dnssec';
import { parseZoneFile } from '../../harness/dns/zonefile';
import { data, rig, validatingRig } from './helpers';
import { FakeUpstream, signedRecords, trustAnchor } from './fake-upstream';

const flags = (r: any) => ({ ad: !!r.flag_ad, rcode: r.rcode });

describe('dns64: DNSSEC (RFC 6147 §5.5, RFC 4035 §5) against the committed signed.test fixture', () => {
  it('the fixture: the DS matches the KSK, every RRSIG verifies except those of bogus (A) and bad-denial (NSEC)', () => {
    const recs = signedRecords();
    const ds = parseDsText(trustAnchor());
    const keys = recs.filter((r) => r.type === 'DNSKEY').map((r) => r.data);
    expect(keys.some((k) => dsMatches('signed.test', k, ds))).to.equal(true);
    const bad: string[] = [];
    for (const sig of recs.filter((r) => r.type === 'RRSIG')) {
      const set = recs.filter((r) => r.name === sig.name && r.type === sig.data.typeCovered);
      const key = keys.find((k) => keyTag(k) === sig.data.keyTag)!;
      if (!verifyRrsig(set as any, sig.data, key)) bad.push(`${sig.name}/${sig.data.typeCovered}`);
    }
    expect(bad.sort()).to.deep.equal(['bad-denial.signed.test/NSEC', 'bogus.signed.test/A']);
    const text = fs.readFileSync(path.resolve(__dirname, '../../../fixtures/zones/signed.test.zone.signed'), 'utf8');
    expect(parseZoneFile(text, 'x').find((r) => r.name === 'bogus.signed.test' && r.type === 'A')!.data).to.equal('100.0.0.52');
  });

  it('synthesises from validated data and sets AD only for DO=1 (§5.5 items 1 and 2)', async () => {
    const g = validatingRig();
    const do1 = await g.ask('a-only.signed.test', 'AAAA', { do: true });
    expect(flags(do1)).to.deep.equal({ ad: true, rcode: 'NOERROR' });
    expect(data(do1, 'AAAA')).to.deep.equal(['2001:db8:64::6400:32']);
    const do0 = await g.ask('a-only.signed.test', 'AAAA');
    expect(flags(do0)).to.deep.equal({ ad: false, rcode: 'NOERROR' });
    expect(do0.answers.filter((x: any) => x.type === 'RRSIG')).to.have.length(0);
    const a = await g.ask('dual.signed.test', 'AAAA', { do: true });
    expect(flags(a)).to.deep.equal({ ad: true, rcode: 'NOERROR' });
    expect(a.answers.some((x: any) => x.type === 'RRSIG')).to.equal(true);
  });

  it('validates wildcard answers and the wildcard NODATA', async () => {
    const g = validatingRig();
    const r = await g.ask('case1.fresh.signed.test', 'AAAA', { do: true });
    expect(flags(r)).to.deep.equal({ ad: true, rcode: 'NOERROR' });
    expect(data(r, 'AAAA')).to.deep.equal(['2001:db8:64::6400:35']);
  });

  it('answers SERVFAIL for bogus data, with or without DO (§5.5)', async () => {
    const g = validatingRig();
    expect((await g.ask('bogus.signed.test', 'AAAA', { do: true })).rcode).to.equal('SERVFAIL');
    expect((await g.ask('bogus.signed.test', 'AAAA')).rcode).to.equal('SERVFAIL');
    expect((await g.ask('bogus.signed.test', 'A')).rcode).to.equal('SERVFAIL');
  });

  it('validates the NODATA before using A: no NSEC proof -> SERVFAIL, no A query (§5.5)', async () => {
    const g = validatingRig();
    g.upstream.misbehave('a-only.signed.test', 'AAAA', 'strip-nsec');
    expect((await g.ask('a-only.signed.test', 'AAAA', { do: true })).rcode).to.equal('SERVFAIL');
    expect(g.upstream.queries('A')).to.have.length(0);
  });

  it('proves NXDOMAIN with NSEC', async () => {
    const g = validatingRig();
    const r = await g.ask('nothing-here.signed.test', 'AAAA', { do: true });
    expect(flags(r)).to.deep.equal({ ad: true, rcode: 'NXDOMAIN' });
    const n = await g.ask('nodata.signed.test', 'AAAA', { do: true });
    expect(flags(n)).to.deep.equal({ ad: true, rcode: 'NOERROR' });
    expect(n.answers).to.have.length(0);
  });

  it('CD=1 DO=1: no synthesis, data passed through with its signatures, bogus included (§5.5 item 3)', async () => {
    const g = validatingRig();
    const r = await g.ask('a-only.signed.test', 'AAAA', { do: true, cd: true });
    expect(r.rcode).to.equal('NOERROR');
    expect(data(r, 'AAAA')).to.deep.equal([]);
    expect(r.authorities.map((x: any) => x.type)).to.include.members(['SOA', 'NSEC', 'RRSIG']);
    expect(!!r.flag_ad).to.equal(false);
    const b = await g.ask('bogus.signed.test', 'A', { do: true, cd: true });
    expect(data(b, 'A')).to.deep.equal(['100.0.0.52']);
  });

  it('names under no trust anchor are insecure: synthesised, never AD', async () => {
    const r = await validatingRig().ask('a-only.dns64.test', 'AAAA', { do: true });
    expect(flags(r)).to.deep.equal({ ad: false, rcode: 'NOERROR' });
    expect(data(r, 'AAAA')).to.have.length(1);
  });

  it('a wrong trust anchor makes the zone bogus', async () => {
    const wrong = trustAnchor().replace(/[0-9A-F]{8}$/, '00000000');
    const g = rig({ dnssec: { validate: true, trustAnchors: [wrong] } }, new FakeUpstream());
    expect((await g.ask('a-only.signed.test', 'AAAA')).rcode).to.equal('SERVFAIL');
  });

  it('signatures outside their validity period are bogus (wall time injected)', async () => {
    const g = validatingRig();
    g.clock.advance(25 * 365 * 86400 * 1000); // beyond the 20-year expiry
    expect((await g.ask('a-only.signed.test', 'A')).rcode).to.equal('SERVFAIL');
  });
});

describe('dns64: RRSIG verification primitives', () => {
  it('verifies RSASHA256 (algorithm 8) with an RFC 3110 key, and rejects a changed RRset', () => {
    const crypto = require('crypto') as typeof import('crypto');
    const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 });
    const jwk = publicKey.export({ format: 'jwk' }) as { n: string; e: string };
    const e = Buffer.from(jwk.e, 'base64url');
    const key = { flags: 257, algorithm: 8, key: Buffer.concat([Buffer.from([e.length]), e, Buffer.from(jwk.n, 'base64url')]) };
    const rrset = [
      { name: 'Host.Example.test', type: 'A', class: 'IN', ttl: 300, data: '192.0.2.2' },
      { name: 'host.example.test', type: 'A', class: 'IN', ttl: 300, data: '192.0.2.1' },
    ];
    const { signedData } = require('../../engine/dns64/dnssec') as typeof import('../../engine/dns64/dnssec');
    const sig: any = { typeCovered: 'A', algorithm: 8, labels: 3, originalTTL: 300, expiration: 2000000000, inception: 1700000000, keyTag: keyTag(key), signersName: 'example.test', signature: Buffer.alloc(0) };
    sig.signature = crypto.sign('sha256', signedData(rrset as any, sig), privateKey);
    expect(verifyRrsig(rrset as any, sig, key)).to.equal(true);
    expect(verifyRrsig([rrset[0]] as any, sig, key)).to.equal(false);
  });
});
