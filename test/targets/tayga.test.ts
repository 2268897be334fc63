/**
 * The `tayga` target end to end: TAYGA + NAT44 in its namespace, driven
 * through the harness's TUNs. Needs root and TAYGA (apt-get install tayga
 * nftables conntrack); skipped otherwise, except in CI, where a missing
 * prerequisite fails.
 */
import { expect } from 'chai';
import { existsSync } from 'fs';
import { allCases } from '../../suites';
import { LAB } from '../../harness/lab/addressing';
import { runPrefix } from '../../harness/lab/netns';
import { ConfigRefused, NotApplicable } from '../../harness/lab/target';
import { decode, encode } from '../../harness/packet/codec';
import { embed } from '../../harness/packet/rfc6052';
import { runCase } from '../../harness/runner/run-case';
import { selectCases } from '../../harness/runner/select';
import { TaygaTarget } from '../../harness/targets/tayga';
import { namespaces, needRoot } from '../lab/lab-helpers';
import { expectUdpRoundTrip } from './udp-round-trip';

function haveTools(): string | undefined {
  for (const [tool, pkg] of [['tayga', 'tayga'], ['nft', 'nftables'], ['conntrack', 'conntrack']]) {
    if (!['/usr/sbin', '/usr/bin', '/sbin', '/bin'].some((d) => existsSync(`${d}/${tool}`))) return `${tool} not installed: apt-get install ${pkg}`;
  }
  return undefined;
}

describe('target tayga', function () {
  this.timeout(60_000);
  let target: TaygaTarget;

  before(function () {
    needRoot(this);
    const missing = haveTools();
    if (missing) {
      if (process.env.CI) throw new Error(missing);
      this.skip();
    }
    target = new TaygaTarget();
  });

  after(async () => {
    await target?.shutdown();
  });

  it('translates a UDP datagram 6->4 from a pool4 address and returns the reply', async () => {
    const s = await target.open({});
    try {
      await expectUdpRoundTrip(s, 'nat64lab tayga test');
    } finally {
      await s.close();
    }
  });

  it('starts every case afresh: a mapping of the previous session does not let inbound traffic through', async () => {
    let s = await target.open({});
    await s.send(6, encode({ ipv6: { src: LAB.client6[1], dst: embed(LAB.pool6, LAB.server4[0]), hopLimit: 64 }, udp: { sport: 41001, dport: 7 }, payload: Buffer.from('x') }));
    const [out] = await s.collect({});
    const mapped = decode(out.bytes);
    await s.close();
    s = await target.open({});
    try {
      await s.send(4, encode({ ipv4: { src: LAB.server4[0], dst: mapped.ipv4!.src, ttl: 64 }, udp: { sport: 7, dport: mapped.udp!.sport }, payload: Buffer.from('y') }));
      const got = await s.collect({});
      expect(got.filter((c) => c.side === 6)).to.have.length(0);
    } finally {
      await s.close();
    }
    expect(target.reset.resets).to.be.at.least(2);
  });

  it("refuses a Pref64 TAYGA refuses with TAYGA's own reason, and accepts the RFC 6052 lengths", async () => {
    const refused = await target.validate({ pool6: '2001:db8:64::/80' }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(refused).to.be.instanceOf(ConfigRefused);
    expect(refused!.message).to.match(/prefix length/);
    expect(refused!.message.split('\n')).to.have.length(1);
    for (const pool6 of ['3fff:64::/32', '2001:db8:64:64::/64', '64:ff9b::/96']) expect((await target.validate({ pool6 })).pool6).to.equal(pool6);
  });

  it('makes a case na, with the reason, when it needs a setting TAYGA + NAT44 lacks', async () => {
    for (const needs of [{ filtering: 'endpoint-independent' as const }, { virtualClock: true }, { trafficClass: 'zero' as const }, { timeouts: { tcpIncomingSyn: 6 } }]) {
      const err = await target.open(needs).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err, JSON.stringify(needs)).to.be.instanceOf(NotApplicable);
      expect(err!.message).to.have.length.above(10);
    }
  });

  it('runs the udp suite with no harness errors', async () => {
    const results = [];
    for (const c of selectCases(allCases(), { suites: ['udp'] })) results.push(await runCase(c, target, { verdictsOnly: true }));
    const errors = results.filter((r) => r.verdict === 'error').map((r) => `${r.id}: ${r.reason}`);
    expect(errors).to.deep.equal([]);
    expect(results.filter((r) => r.verdict === 'pass').length).to.be.above(0);
  });

  it('leaves no namespace behind after shutdown', async () => {
    await target.shutdown();
    expect(namespaces()).not.to.include(`${runPrefix()}-tg`);
  });
});
