/**
 * A slice of the conformance suites against the `engine-daemon` target, run
 * as a user runs it (needs root): no MUST failure, no error, and nothing of
 * the lab left behind. The whole suite runs in CI separately.
 */
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CLI, ROOT, labPrefix, needRoot } from './helpers';

describe('daemon: suites udp and mapping against engine-daemon', function () {
  this.timeout(180_000);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'nat64lab-ed-run-'));
  after(() => fs.rmSync(out, { recursive: true, force: true }));

  it('passes with 0 MUST failures and 0 errors, and removes its namespace', function () {
    needRoot(this);
    const prefix = labPrefix();
    const r = spawnSync(process.execPath, [CLI, 'run', '--target', 'engine-daemon', '--suite', 'udp,mapping', '--quiet', '--out', out], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 170_000,
      env: { ...process.env, NAT64LAB_PREFIX: prefix },
    });
    expect(r.status, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^engine-daemon: \d+ cases, \d+ checks — MUST (\d+)\/\1, .*error 0 → PASS$/m);
    const results = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
    expect(results.target.version).to.match(/^nat64lab \S+ \(daemon, TUN\)$/);
    expect(results.totals.byVerdict.error).to.equal(0);
    const must = results.cases.flatMap((c: { checks: { score: string }[] }) => c.checks).filter((c: { score: string }) => c.score === 'fail');
    expect(must).to.have.length(0);
    expect(results.cases.length).to.be.greaterThan(20);
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.to.include(prefix);
  });
});
