/**
 * The whole conformance suites against the real targets, as CI runs them:
 * the own engine daemon and TAYGA on TUN and Jool in its qemu guest (with
 * their comparison), and the
 * DNS64 suites against the own DNS64 and the four packaged resolvers (with
 * theirs). The own implementations must pass every MUST and SHOULD; a
 * third-party target may fail requirements (that is what the lab reports),
 * but no case may end in a harness error.
 *
 * These runs need root and the Debian packages that .ci/run installs; without
 * them the tests are skipped, except under CI where they must run.
 */
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runDns64 } from '../../harness/runner/run-dns';
import { runEach, runMany } from '../../harness/runner/run-many';
import { makeDns64Target } from '../../harness/dns-targets';
import { MUST_LEVELS, SHOULD_LEVELS, passRate } from '../../harness/results/totals';
import type { RunResult } from '../../harness/results/types';
import { execFileSync } from 'child_process';

function missing(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  for (const tool of ['tayga', 'nft', 'conntrack', 'named', 'unbound', 'pdns_recursor', 'kresd', 'qemu-system-x86_64']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} not installed (run .ci/run's apt-get line)`;
    }
  }
  return undefined;
}

function gate(ctx: Mocha.Context): void {
  const why = missing();
  if (!why) return;
  if (process.env.CI) throw new Error(`the full runs must execute under CI: ${why}`);
  ctx.skip();
}

function line(r: RunResult): string {
  const must = passRate(r.totals, MUST_LEVELS);
  const should = passRate(r.totals, SHOULD_LEVELS);
  return `${r.target.name}: ${r.cases.length} cases, MUST ${must.pass}/${must.pass + must.fail}, SHOULD ${should.pass}/${should.pass + should.fail}, na ${r.totals.byVerdict.na}, error ${r.totals.byVerdict.error}`;
}

function errors(r: RunResult): string[] {
  return r.cases.filter((c) => c.verdict === 'error').map((c) => `${c.suite}/${c.id}: ${c.reason ?? ''}`);
}

describe('full runs on the real targets (CI)', function () {
  this.timeout(20 * 60_000);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'nat64lab-full-'));
  after(() => fs.rmSync(out, { recursive: true, force: true }));

  it('NAT64: engine-daemon passes every MUST and SHOULD; TAYGA and Jool run with no harness error; the three are compared', async function () {
    gate(this);
    const { runs, comparison } = await runMany(['engine-daemon', 'tayga', 'jool'], path.join(out, 'nat64'), { progress: null });
    for (const r of runs) process.stderr.write(`      ${line(r.run)} (${Math.round(r.run.durationMs / 1000)} s)\n`);
    const [daemon, ...others] = runs.map((r) => r.run);
    expect(errors(daemon), line(daemon)).to.deep.equal([]);
    expect(passRate(daemon.totals, MUST_LEVELS).fail, line(daemon)).to.equal(0);
    expect(passRate(daemon.totals, SHOULD_LEVELS).fail, line(daemon)).to.equal(0);
    for (const r of others) {
      expect(errors(r), line(r)).to.deep.equal([]);
      expect(r.cases.length).to.equal(daemon.cases.length);
    }
    expect(fs.existsSync(comparison.html)).to.equal(true);
  });

  it('DNS64: the own DNS64 (in-process and daemon) passes every MUST and SHOULD; BIND, Unbound, PowerDNS and Knot run with no harness error', async function () {
    gate(this);
    const names = ['own', 'own-daemon', 'bind', 'unbound', 'pdns', 'knot'];
    const { runs, comparison } = await runEach(names, path.join(out, 'dns64'), undefined, async (name) => {
      const target = makeDns64Target(name);
      try {
        return await runDns64(target, { progress: null });
      } finally {
        await target.shutdown();
      }
    });
    for (const r of runs) process.stderr.write(`      ${line(r.run)} (${Math.round(r.run.durationMs / 1000)} s)\n`);
    for (const r of runs) expect(errors(r.run), line(r.run)).to.deep.equal([]);
    for (const r of runs.filter((x) => x.name.startsWith('own'))) {
      expect(passRate(r.run.totals, MUST_LEVELS).fail, line(r.run)).to.equal(0);
      expect(passRate(r.run.totals, SHOULD_LEVELS).fail, line(r.run)).to.equal(0);
    }
    expect(fs.existsSync(comparison.html)).to.equal(true);
  });
});
