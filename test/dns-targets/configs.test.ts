/**
 * The generated configurations of the four resolver targets, and what a
 * target refuses before starting anything: no root, no servers needed.
 */
import { expect } from 'chai';
import { parseDnsperf } from '../../bench/dns';
import { labTrustAnchor } from '../../harness/dns/dns-lab';
import { DNS, NAMES } from '../../harness/dns/names';
import type { Dns64Needs } from '../../harness/dns/types';
import { bindDriver } from '../../harness/dns-targets/bind';
import { knotDriver } from '../../harness/dns-targets/knot';
import { pdnsDriver } from '../../harness/dns-targets/pdns';
import { checkCommon, LabSettings, ServerDriver, settingsFor } from '../../harness/dns-targets/server-process';
import { unboundDriver } from '../../harness/dns-targets/unbound';
import { LAB } from '../../harness/lab/addressing';
import { NotApplicable } from '../../harness/lab/target';

function plan(driver: ServerDriver, needs: Dns64Needs = {}): { main: string; files: Record<string, string>; argv: string[]; mode: string } {
  const s: LabSettings = { ...settingsFor(needs, DNS.ports[driver.name], labTrustAnchor(), driver.queryFrom), dir: '/tmp/nat64lab-test' };
  const p = driver.plan(s);
  return { main: Object.values(p.files)[0], files: p.files, argv: p.argv, mode: p.mode };
}

function refusal(driver: ServerDriver, needs: Dns64Needs): string {
  try {
    checkCommon(driver.capabilities, driver.name, needs);
  } catch (e) {
    expect(e).to.be.instanceOf(NotApplicable);
    return (e as Error).message;
  }
  return '';
}

const digest = labTrustAnchor().split(' ').pop()!;

describe('DNS64 server configurations', () => {
  it('bind: one dns64 statement per prefix, mapped by IPv4 range, the lab DS as the only trust anchor', () => {
    const { main, files, mode } = plan(bindDriver, { prefixes: [{ prefix: LAB.pool6 }, { prefix: DNS.secondPrefix, ipv4: [NAMES.secondRange.range] }] });
    expect(mode).to.equal('root');
    expect(main).to.include(`dns64 ${LAB.pool6} { mapped { !101.0.0.0/8; any; }; };`);
    expect(main).to.include(`dns64 ${DNS.secondPrefix} { mapped { 101.0.0.0/8; }; };`);
    expect(main).to.match(new RegExp(`trust-anchors \\{ signed\\.test\\. static-ds \\d+ 13 2 "${digest}"; \\};`));
    expect(main).to.include('dnssec-validation yes;');
    expect(main).to.include('empty-zones-enable no;');
    expect(main, 'the default exclusion list is BIND\'s own').to.not.include('exclude');
    expect(main, 'no ACL unless a case sets one').to.not.include('allow-query');
    expect(files['root.hints']).to.include(`ns.${DNS.zone}.   3600000 IN A  ${DNS.authorityAddress}`);
  });

  it('bind: an exclusion list, an ACL of lab clients, and no validation when asked', () => {
    const { main } = plan(bindDriver, { exclude: ['::ffff:0:0/96', NAMES.excludeRange], acl: [LAB.client6[0]], validate: false });
    expect(main).to.include(`exclude { ::ffff:0:0/96; ${NAMES.excludeRange}; };`);
    expect(main).to.include('allow-recursion { 127.0.0.101/32; };');
    expect(main).to.include('clients { 127.0.0.101/32; };');
    expect(main).to.include('dnssec-validation no;');
    expect(main).to.not.include('trust-anchors');
  });

  it('unbound: dns64 before the validator, the lab zones freed from the built-in local zones, validation off drops the validator', () => {
    const on = plan(unboundDriver).main;
    expect(on).to.include('module-config: "dns64 validator iterator"');
    expect(on).to.include(`dns64-prefix: ${LAB.pool6}`);
    expect(on).to.include('local-zone: "test." nodefault');
    expect(on).to.include('do-not-query-localhost: no');
    expect(on).to.include(`trust-anchor: "signed.test. DS`);
    const off = plan(unboundDriver, { validate: false, unsetPrefix: true }).main;
    expect(off).to.include('module-config: "dns64 iterator"');
    expect(off).to.not.include('dns64-prefix');
    expect(off).to.not.include('trust-anchor');
  });

  it('unbound: a case ACL replaces the built-in loopback rule', () => {
    const { main } = plan(unboundDriver, { acl: ['127.0.0.1/32'] });
    expect(main).to.include('access-control: 127.0.0.0/8 refuse');
    expect(main).to.include('access-control: 127.0.0.1/32 allow');
  });

  it('pdns: the built-in root anchor cleared, the lab DS added, 127/8 queryable', () => {
    const { files, argv } = plan(pdnsDriver);
    expect(files['recursor.conf']).to.include('dont-query=\n');
    expect(files['recursor.conf']).to.include('dnssec=validate');
    expect(files['recursor.lua']).to.match(new RegExp(`^clearTA\\(\\)\\naddTA\\('signed\\.test\\.', '\\d+ 13 2 ${digest}'\\)`));
    expect(argv[0]).to.equal('pdns_recursor');
  });

  it('knot: everything forwarded to the authority; no prefix still switches the module on', () => {
    const { main, mode } = plan(knotDriver);
    expect(mode).to.equal('forward');
    expect(main).to.include(`dns64.config({ prefix = '2001:db8:64::' })`);
    expect(main).to.include(`policy.add(policy.all(policy.FORWARD({'${DNS.authorityAddress}'})))`);
    expect(main).to.include("trust_anchors.remove('.')");
    expect(plan(knotDriver, { unsetPrefix: true }).main).to.include('dns64.config({})');
    expect(plan(knotDriver, { exclude: ['::ffff:0:0/96', NAMES.excludeRange] }).main).to.include(`exclude_subnets = { '::ffff:0:0/96', '${NAMES.excludeRange}' }`);
  });

  it('needs beyond a server are NotApplicable with a one-line reason', () => {
    expect(refusal(pdnsDriver, { prefixes: [{ prefix: '2001:db8:64::/64' }] })).to.match(/\/96 only; the case needs 2001:db8:64::\/64/);
    expect(refusal(unboundDriver, { prefixes: [{ prefix: LAB.pool6 }, { prefix: DNS.secondPrefix, ipv4: ['101.0.0.0/8'] }] })).to.match(/single Pref64/);
    expect(refusal(bindDriver, { unsetPrefix: true })).to.match(/without a configured prefix/);
    expect(refusal(knotDriver, { virtualClock: true })).to.match(/real time/);
    expect(refusal(unboundDriver, { exclude: ['::ffff:0:0/96'] }), 'the default list is no change').to.equal('');
    expect(() => settingsFor({ acl: ['2001:db8:99::/48'] }, 5301, labTrustAnchor(), undefined)).to.throw(NotApplicable, /DNS lab's clients/);
  });

  it('reads dnsperf\'s summary', () => {
    const out = [
      '  Queries sent:         205660',
      '  Queries completed:    205653 (100.00%)',
      '  Queries lost:         7 (0.00%)',
      '  Response codes:       NOERROR 205300 (99.83%), SERVFAIL 353 (0.17%)',
      '  Queries per second:   101963.123',
      '  Average Latency (s):  0.001737 (min 0.000031, max 0.112233)',
    ].join('\n');
    expect(parseDnsperf(out)).to.deep.equal({ qps: 101963.123, completed: 205653, lost: 7, latencyMs: 1.737, rcodes: { NOERROR: 99.83, SERVFAIL: 0.17 } });
  });
});
