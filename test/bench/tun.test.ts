/**
 * The TUN benchmark in its quick form (needs root and TAYGA; CI has both):
 * the three devices are measured in the same lab, every figure is there and
 * the ratios are the ones the figures give, latency probes come back, and
 * the lab goes away. No figure is held to a time budget.
 */
import { expect } from 'chai';
import { execFileSync } from 'child_process';
import { runTunBench } from '../../bench/tun';
import { Uring } from '../../harness/io/uring';

function needRootAndTayga(ctx: Mocha.Context): void {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  let tayga = true;
  try {
    execFileSync('sh', ['-c', 'command -v tayga'], { stdio: 'ignore' });
  } catch {
    tayga = false;
  }
  if (root && tayga) return;
  if (process.env.CI) throw new Error('the TUN benchmark test needs root and TAYGA in CI (.ci/run installs tayga)');
  ctx.skip();
}

describe('bench: the TUN lab, quick', function () {
  this.timeout(180_000);

  it('measures the own daemon (default and busy-polling) and TAYGA side by side, and leaves nothing behind', async function () {
    needRootAndTayga(this);
    const prefix = `nlt${Math.floor(Math.random() * 36 ** 3).toString(36)}`;
    const saved = process.env.NAT64LAB_PREFIX;
    process.env.NAT64LAB_PREFIX = prefix;
    let r;
    try {
      r = await runTunBench({ quick: true });
    } finally {
      if (saved === undefined) delete process.env.NAT64LAB_PREFIX;
      else process.env.NAT64LAB_PREFIX = saved;
    }
    expect(r.skipped, r.skipped).to.equal(undefined);
    const duts = r.duts!;
    expect(duts.map((d) => d.name)).to.deep.equal(['engine daemon (nat64lab)', 'TAYGA + NAT44', 'engine daemon (nat64lab), busyPollUs 50']);
    let uring = true;
    try {
      Uring.open(2).close();
    } catch {
      uring = false;
    }
    const io = uring ? 'io_uring' : 'read-write';
    expect(duts[0].setup).to.equal(`io ${io}, busyPollUs 0`);
    expect(duts[2].setup).to.equal(`io ${io}, busyPollUs 50`);
    for (const d of duts) {
      expect(d.pps, d.name).to.be.greaterThan(0);
      expect(d.ppsRuns, d.name).to.have.length(1);
      expect(d.cpuUsPerPacket, d.name).to.be.greaterThan(0);
      expect(d.offeredPps, d.name).to.be.greaterThan(0);
      expect(d.latencyUs.probes, d.name).to.equal(500);
      // A probe is lost only after 100 ms without its answer; a handful is tolerated on a shared machine.
      expect(d.latencyUs.lost, d.name).to.be.at.most(5);
      expect(d.latencyUs.min, d.name).to.be.at.most(d.latencyUs.p50);
      expect(d.latencyUs.p50, d.name).to.be.at.most(d.latencyUs.p99);
    }
    const [own, tayga, busy] = duts;
    const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;
    expect(r.ratioOwnOverTayga).to.equal(ratio(own.pps, tayga.pps));
    expect(r.pairedRatioOwnOverTayga!.median).to.equal(ratio(own.ppsRuns[0], tayga.ppsRuns[0]));
    expect(r.cpuRatioOwnOverTayga).to.equal(ratio(own.cpuUsPerPacket, tayga.cpuUsPerPacket));
    expect(r.latencyRatioOwnOverTayga).to.equal(ratio(own.latencyUs.p50, tayga.latencyUs.p50));
    expect(r.latencyRatioBusyPollOverTayga).to.equal(ratio(busy.latencyUs.p50, tayga.latencyUs.p50));
    expect(r.harness!.sendPps).to.be.greaterThan(0);
    expect(r.harness!.capturePps).to.be.greaterThan(0);
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.to.include(prefix);
    expect(execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })).not.to.include(prefix);
  });
});
