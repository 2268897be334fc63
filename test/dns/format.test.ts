import { expect } from 'chai';
import { createAuthority } from '../../harness/dns/authority';
import { formatBytes, summaryLine } from '../../harness/dns/format';
import { query } from './helpers';

const auth = createAuthority();
const text = (name: string, type: string, o = {}) => formatBytes(auth.answer(query(name, type, o), 'udp').bytes!).text;

describe('dns: message text for the evidence', () => {
  it('prints header, EDNS and sections like dig', () => {
    const t = text('a-only.dns64.test', 'AAAA', { do: true });
    expect(t).to.contain(';; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 16962');
    expect(t).to.contain(';; flags: qr aa rd; QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 1');
    expect(t).to.contain('; EDNS: version: 0, flags: do; udp: 1232');
    expect(t).to.contain(';a-only.dns64.test.\t\tIN\tAAAA');
    expect(t).to.contain('dns64.test.\t300\tIN\tSOA\tns.dns64.test. hostmaster.dns64.test. 2026010101 3600 900 604800 300');
  });

  it('prints DNSSEC records in presentation format', () => {
    const sig = text('a-only.signed.test', 'A', { do: true });
    expect(sig).to.match(/a-only\.signed\.test\.\t3600\tIN\tRRSIG\tA 13 3 3600 20460101000000 20260101000000 12337 signed\.test\. \S+/);
    expect(text('a-only.signed.test', 'AAAA', { do: true })).to.contain('IN\tNSEC\tbad-denial.signed.test. A RRSIG NSEC');
    expect(text('signed.test', 'DNSKEY')).to.match(/IN\tDNSKEY\t257 3 13 \S+/);
    expect(text('mx.dns64.test', 'MX')).to.contain('IN\tMX\t10 a-only.dns64.test.');
    expect(text('nodata.dns64.test', 'TXT')).to.contain('IN\tTXT\t"exists but has no A or AAAA"');
  });

  it('one-line summaries for queries and responses', () => {
    const q = query('a-only.dns64.test', 'AAAA', { do: true, cd: true });
    expect(summaryLine('query', formatBytes(q).message, q)).to.equal('query AAAA a-only.dns64.test DO CD');
    const r = auth.answer(query('a-multi.dns64.test', 'A', { edns: false }), 'udp').bytes!;
    expect(summaryLine('response', formatBytes(r).message, r)).to.equal('response NOERROR AA 2 A 100.0.0.11 …');
    const nx = auth.answer(query('does-not-exist.dns64.test', 'A', { edns: false }), 'udp').bytes!;
    expect(summaryLine('response', formatBytes(nx).message, nx)).to.equal('response NXDOMAIN AA no answer, SOA');
  });

  it('shows undecodable bytes as the error and a hex dump', () => {
    const f = formatBytes(Buffer.from('0102', 'hex'));
    expect(f.message).to.equal(undefined);
    expect(f.text).to.match(/^;; undecodable DNS message \(2 octets\): /);
    expect(summaryLine('response', undefined, Buffer.from('0102', 'hex'), f.error)).to.match(/^response undecodable, 2 octets: /);
  });
});
