/**
 * The `jool` target end to end: Jool in its qemu guest, driven through the
 * harness's L2 ports. Needs root, qemu-system-x86 and (to build the
 * appliance when it is not cached) debootstrap, cpio and zstd; skipped
 * otherwise, except in CI, where a missing prerequisite fails. The parsing
 * of Jool's tables runs everywhere.
 */
import { expect } from 'chai';
import { existsSync } from 'fs';
import { LAB } from '../../harness/lab/addressing';
import { ConfigRefused, NotApplicable } from '../../harness/lab/target';
import { cachedAppliance } from '../../harness/targets/jool-appliance';
import { joolTime, parseBib, parseJoolTime, parseSessions, planFor } from '../../harness/targets/jool-config';
import { JoolTarget } from '../../harness/targets/jool';
import { needRoot } from '../lab/lab-helpers';
import { expectUdpRoundTrip } from './udp-round-trip';

describe('target jool: configuration and tables', () => {
  it("writes and reads Jool's H:MM:SS times", () => {
    expect(joolTime(300)).to.equal('0:05:00');
    expect(joolTime(7200)).to.equal('2:00:00');
    expect(parseJoolTime('0:04:57.808')).to.equal(297_808);
    expect(parseJoolTime('1:59:59.552')).to.equal(7_199_552);
  });

  it('maps BIB and session CSV lines to the lab model', () => {
    const bib = parseBib('UDP,2001:db8:6::10,5000,198.18.0.1,62601,0\n', 'udp');
    expect(bib).to.deep.equal([{ protocol: 'udp', v6: { address: '2001:db8:6::10', port: 5000 }, v4: { address: '198.18.0.1', port: 62601 }, static: false }]);
    const s = parseSessions('TCP,2001:db8:6::10,5000,2001:db8:64::c612:640a,80,198.18.0.1,62601,198.18.100.10,80,1:59:59.552,ESTABLISHED\n', 'tcp', 1000);
    expect(s).to.deep.equal([
      {
        protocol: 'tcp',
        v6: { src: '2001:db8:6::10', sport: 5000, dst: '2001:db8:64::c612:640a', dport: 80 },
        v4: { src: '198.18.0.1', sport: 62601, dst: '198.18.100.10', dport: 80 },
        state: 'ESTABLISHED',
        expires: 1000 + 7_199_552,
      },
    ]);
  });

  it('turns needs into one atomic configuration and refuses what Jool has no knob for', () => {
    const plan = planFor({ filtering: 'address-dependent', timeouts: { udp: 150 }, pool4: [{ address: '198.18.0.1', ports: { udp: { min: 2000, max: 2001 } } }] }, 30);
    const g = plan.json.global as Record<string, unknown>;
    expect(g['address-dependent-filtering']).to.equal(true);
    expect(g['udp-timeout']).to.equal('0:02:30');
    expect(plan.json.pool4).to.deep.include({ protocol: 'UDP', prefix: '198.18.0.1/32', 'port range': '2000-2001' });
    expect(plan.json.pool4).to.deep.include({ protocol: 'TCP', prefix: '198.18.0.1/32', 'port range': '1-65535' });
    expect(() => planFor({ virtualClock: true }, 30)).to.throw(NotApplicable);
    expect(() => planFor({ timeouts: { tcpIncomingSyn: 10 } }, 30)).to.throw(NotApplicable, /fixed 6 s/);
  });
});

describe('target jool', function () {
  // A cold appliance build takes ~3-5 min; from the cache, boot to ready is ~10-20 s under TCG.
  this.timeout(cachedAppliance() ? 120_000 : 900_000);
  let target: JoolTarget;

  before(function () {
    needRoot(this);
    if (!['/usr/bin', '/usr/local/bin'].some((d) => existsSync(`${d}/qemu-system-x86_64`))) {
      if (process.env.CI) throw new Error('qemu-system-x86_64 not installed: apt-get install qemu-system-x86');
      this.skip();
    }
    target = new JoolTarget();
  });

  after(async () => {
    await target?.shutdown();
  });

  it('translates a UDP datagram 6->4 from a pool4 address, returns the reply, and shows the session', async () => {
    const s = await target.open({ readState: true });
    const { out4: p } = await expectUdpRoundTrip(s, 'nat64lab jool test');
    // Jool translates in the kernel's forwarding path: one hop.
    expect(p.ipv4!.ttl).to.equal(63);

    const st = await s.state!();
    expect(st.bib).to.deep.include({ protocol: 'udp', v6: { address: LAB.client6[0], port: 41000 }, v4: { address: p.ipv4!.src, port: p.udp!.sport }, static: false });
    const sess = st.sessions.find((x) => x.protocol === 'udp' && x.v6.sport === 41000);
    expect(sess?.v4).to.deep.equal({ src: p.ipv4!.src, sport: p.udp!.sport, dst: LAB.server4[0], dport: 7 });
    expect(sess!.expires - Date.now()).to.be.within(200_000, 300_000);
    await s.close();
  });

  it('starts every case with empty tables', async () => {
    const s = await target.open({ readState: true });
    const st = await s.state!();
    expect(st).to.deep.equal({ bib: [], sessions: [] });
    await s.close();
  });

  it("refuses a UDP timeout below Jool's minimum with Jool's own message", async () => {
    const err = await target.validate({ timeouts: { udp: 119 } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(ConfigRefused);
    expect((err as Error).message).to.match(/^jool: .*(udp|UDP)/);
    const ok = await target.validate({ timeouts: { udp: 120 } });
    expect(ok.timeouts.udp).to.equal(120);
  });

  it('leaves no qemu process after shutdown', async () => {
    const pid = target.vmPid;
    expect(pid).to.be.a('number');
    await target.shutdown();
    expect(() => process.kill(pid!, 0)).to.throw();
  });
});
