/**
 * A suite run against the external target as a user runs it
 * (`nat64lab run --target external:device.json`), with the own engine
 * daemon as the appliance: no harness error, and every case the device can
 * run has the verdict the in-process engine gets; the others are na with the
 * reason (clock, undeclared knobs).
 */
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { needRoot } from '../lab/lab-helpers';
import { buildAppliance, nlkPrefix } from './appliance';
import type { Appliance } from './appliance';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'dist', 'bin', 'nat64lab.js');

interface CaseRow {
  suite: string;
  id: string;
  verdict: string;
  reason?: string;
}

function run(target: string, out: string, suites: string): { status: number | null; text: string; cases: CaseRow[]; errors: number } {
  const r = spawnSync(process.execPath, [CLI, 'run', '--target', target, '--suite', suites, '--quiet', '--out', out], { cwd: ROOT, encoding: 'utf8', timeout: 100_000 });
  const text = r.stdout + r.stderr;
  const file = path.join(out, 'results.json');
  if (!fs.existsSync(file)) throw new Error(`no results from ${target}: ${text}`);
  const results = JSON.parse(fs.readFileSync(file, 'utf8'));
  return { status: r.status, text, cases: results.cases, errors: results.totals.byVerdict.error };
}

describe('external: suites udp and icmp-query against the engine daemon as an appliance', function () {
  this.timeout(120_000);
  let app: Appliance | undefined;
  let out = '';
  after(async () => {
    await app?.close();
    if (out) fs.rmSync(out, { recursive: true, force: true });
  });

  it('has no harness error and the in-process verdict on every case it can run', async function () {
    needRoot(this);
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'nlk-ext-run-'));
    app = await buildAppliance(nlkPrefix());
    const suites = 'udp,icmp-query';
    const ext = run(`external:${app.targetFile}`, path.join(out, 'external'), suites);
    const own = run('engine', path.join(out, 'engine'), suites);
    expect(ext.errors, ext.text).to.equal(0);
    expect(ext.status, ext.text).to.equal(0);
    const inProcess = new Map(own.cases.map((c) => [`${c.suite}/${c.id}`, c.verdict]));
    const ran = ext.cases.filter((c) => c.verdict !== 'na');
    const differ = ran.filter((c) => inProcess.get(`${c.suite}/${c.id}`) !== c.verdict).map((c) => `${c.suite}/${c.id}: ${c.verdict} vs ${inProcess.get(`${c.suite}/${c.id}`)}`);
    expect(differ).to.deep.equal([]);
    expect(ran.map((c) => c.id)).to.include.members(['round-trip-pref64-96', 'inbound-zero-checksum', 'same-port-two-clients', 'v6-nd-dropped']);
    expect(ran.length).to.be.greaterThan(15);
    for (const c of ext.cases.filter((x) => x.verdict === 'na')) expect(c.reason, c.id).to.match(/^needs /);
  });
});
