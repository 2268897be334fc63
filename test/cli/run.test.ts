/** The CLI end to end, as a user runs it: a child process, real files, exit codes. */
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { readPcap } from '../../harness/packet/pcap';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'dist', 'bin', 'nat64lab.js');

function cli(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
}

describe('cli', function () {
  this.timeout(180_000);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'nat64lab-cli-'));
  after(() => fs.rmSync(out, { recursive: true, force: true }));

  it('--help lists the commands', () => {
    const r = cli(['--help']);
    expect(r.status).to.equal(0);
    expect(r.stdout).to.match(/usage: nat64lab <command>/);
    for (const c of ['run', 'coverage', 'dissect']) expect(r.stdout).to.include(`  ${c}`);
  });

  it('rejects an unknown command, target, suite or option in one line with status 2', () => {
    for (const args of [['frobnicate'], ['run', '--target', 'nope'], ['run', '--suite', 'nope'], ['run', '--bogus']]) {
      const r = cli(args);
      expect(r.status, args.join(' ')).to.equal(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).to.have.length(1);
      expect(r.stderr).to.match(/^nat64lab: /);
      expect(r.stderr).not.to.match(/\bat .*\.js:\d+/);
    }
  });

  describe('run on the own engine', () => {
    let status: number | null;
    let stdout: string;
    before(() => {
      const r = cli(['run', '--out', out, '--quiet']);
      status = r.status;
      stdout = r.stdout;
    });

    it('exits 0 with a summary line and the output paths', () => {
      expect(status, stdout).to.equal(0);
      expect(stdout).to.match(/^engine: \d+ cases, \d+ checks — MUST (\d+)\/\1, .* → PASS$/m);
      expect(stdout).to.include(path.join(out, 'index.html'));
    });

    it('writes results.json that validates against the published schema', () => {
      const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'harness', 'results', 'results.schema.json'), 'utf8'));
      const results = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
      const ajv = new Ajv2020({ allErrors: true, strict: false });
      addFormats(ajv);
      const validate = ajv.compile(schema);
      const ok = validate(results);
      expect(ok, JSON.stringify(validate.errors?.slice(0, 5))).to.equal(true);
      expect(results.cases.length).to.be.greaterThan(0);
      expect(results.totals.byScore.fail).to.equal(0);
    });

    it('writes junit.xml, a self-contained index.html and one readable pcap per case', async () => {
      const junit = fs.readFileSync(path.join(out, 'junit.xml'), 'utf8');
      expect(junit).to.match(/^<\?xml/);
      expect(junit).not.to.include('<failure');
      const html = fs.readFileSync(path.join(out, 'index.html'), 'utf8');
      expect(html).to.match(/<!DOCTYPE html>/i);
      const results = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
      const withEvidence = results.cases.filter((c: { evidence: unknown[] }) => c.evidence.length > 0);
      expect(withEvidence.length).to.be.greaterThan(0);
      for (const c of withEvidence.slice(0, 20)) {
        const cap = await readPcap(path.join(out, c.pcap));
        expect(cap.linkType).to.equal(101);
        expect(cap.records.length).to.equal(c.evidence.length);
      }
    });
  });

  it('exits 1 when a MUST fails (engine with a fault)', () => {
    const r = cli(['run', '--out', path.join(out, 'faulty'), '--quiet', '--fault', 'no-hop-limit-decrement', '--suite', 'header-translation']);
    expect(r.status, r.stdout + r.stderr).to.equal(1);
    expect(r.stdout).to.match(/→ FAIL \(\d+ MUST failures\)/);
  });

  it('dissects the demo capture', () => {
    const text = execFileSync(process.execPath, [CLI, 'dissect', path.join(ROOT, 'fixtures', 'pcap', 'demo.pcap')], { encoding: 'utf8' });
    expect(text).to.match(/Internet Protocol Version 6/);
    expect(text).to.match(/Internet Protocol Version 4/);
  });
});
