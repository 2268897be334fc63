/** `nat64lab compare` and `nat64lab run --target a,b` as a user runs them: a child process, real files, exit codes. */
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'dist', 'bin', 'nat64lab.js');

function cli(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
}

function expectOneLineError(r: ReturnType<typeof cli>, pattern: RegExp): void {
  expect(r.status, r.stderr).to.equal(2);
  expect(r.stderr.trim().split('\n')).to.have.length(1);
  expect(r.stderr).to.match(/^nat64lab: /);
  expect(r.stderr).to.match(pattern);
  expect(r.stderr).not.to.match(/\bat .*\.js:\d+/);
}

describe('cli: compare and multi-target run', function () {
  this.timeout(180_000);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'nat64lab-cli-compare-'));
  after(() => fs.rmSync(out, { recursive: true, force: true }));

  it('run --target engine,engine writes both runs and their comparison', () => {
    const r = cli(['run', '--target', 'engine,engine', '--suite', 'hairpinning', '--quiet', '--out', out]);
    expect(r.status, r.stderr + r.stdout).to.equal(0);
    for (const d of ['engine', 'engine-2']) expect(fs.existsSync(path.join(out, d, 'results.json')), d).to.equal(true);
    expect(fs.existsSync(path.join(out, 'compare', 'index.html'))).to.equal(true);
    expect(r.stdout).to.match(/^engine: \d+ cases/m);
    expect(r.stdout).to.include(path.join(out, 'compare', 'index.html'));
    const cmp = JSON.parse(fs.readFileSync(path.join(out, 'compare', 'compare.json'), 'utf8'));
    expect(cmp.targets.map((t: { label: string }) => t.label)).to.deep.equal(['engine', 'engine #2']);
    expect(cmp.differing).to.equal(0);
  });

  it('compare takes results.json files or run folders and writes the page', () => {
    const dest = path.join(out, 'side-by-side');
    const r = cli(['compare', path.join(out, 'engine', 'results.json'), path.join(out, 'engine-2'), '--out', dest]);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/0 requirement rows differ/);
    const html = fs.readFileSync(path.join(dest, 'index.html'), 'utf8');
    expect(html).to.include('href="../engine/index.html#case-hairpinning-');
  });

  it('bad input: one line naming the file, status 2', () => {
    const notJson = path.join(out, 'not.json');
    fs.writeFileSync(notJson, '<html>');
    const wrong = path.join(out, 'wrong.json');
    fs.writeFileSync(wrong, JSON.stringify({ schema: 'other/1' }));
    expectOneLineError(cli(['compare', path.join(out, 'nope.json'), '--out', path.join(out, 'x')]), /nope\.json: cannot read it/);
    expectOneLineError(cli(['compare', notJson, '--out', path.join(out, 'x')]), /not\.json: not JSON/);
    expectOneLineError(cli(['compare', wrong, '--out', path.join(out, 'x')]), /wrong\.json: not a nat64lab results\.json/);
    expectOneLineError(cli(['compare']), /give the results\.json/);
    expectOneLineError(cli(['run', '--target', 'engine,nope', '--quiet', '--out', path.join(out, 'y')]), /unknown target "nope"/);
    expectOneLineError(cli(['run', '--target', 'engine,engine', '--fault', 'no-hairpin', '--out', path.join(out, 'y')]), /--fault applies to a single engine target/);
    expect(fs.existsSync(path.join(out, 'y'))).to.equal(false);
  });
});
