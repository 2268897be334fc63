/**
 * Comparing real runs: the correct engine against engines with defects, and
 * against runs over other suites or of a DNS64. The page must put the rows
 * where the targets differ first, link every cell to the right check of the
 * right report, agree with each run's totals and describe each target's
 * behaviour from its checks only.
 */
import { expect } from 'chai';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { caseAnchors, checkAnchor } from '../../harness/compare/anchors';
import { NOT_OBSERVED, behaviourCard, filteringKind, mappingKind } from '../../harness/compare/behaviour';
import { CompareInputError, loadRun } from '../../harness/compare/load';
import type { LoadedRun } from '../../harness/compare/load';
import { buildComparison } from '../../harness/compare/model';
import type { Comparison, Row } from '../../harness/compare/model';
import { renderComparison } from '../../harness/compare/html';
import { reportHref, writeComparison } from '../../harness/compare/write';
import { renderReport } from '../../harness/report/html';
import { MUST_LEVELS, SHOULD_LEVELS, computeTotals, passRate } from '../../harness/results/totals';
import type { CaseResult, CheckResult, RunResult } from '../../harness/results/types';
import { writeRun } from '../../harness/results/write';
import { runTarget } from '../../harness/runner/run';
import { runMany, targetDirs } from '../../harness/runner/run-many';
import { EngineTarget } from '../../harness/targets/engine';

const SUITES = ['mapping', 'filtering', 'hairpinning', 'header-translation'];
const FAULTS = ['address-dependent-mapping', 'port-dependent-filtering', 'no-port-parity'];

async function engineRun(opts: ConstructorParameters<typeof EngineTarget>[0], suites = SUITES): Promise<RunResult> {
  const target = new EngineTarget(opts);
  try {
    return await runTarget(target, { suites, progress: null });
  } finally {
    await target.shutdown();
  }
}

function ids(html: string): Set<string> {
  return new Set([...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]));
}

/** The check a link of the page points at, found by walking the run as the report numbers it. */
function checkAt(run: RunResult, anchor: string): { c: CaseResult; k: CheckResult } | undefined {
  const anchors = caseAnchors(run);
  for (let ci = 0; ci < run.cases.length; ci++) {
    const c = run.cases[ci];
    for (let i = 0; i < c.checks.length; i++) if (checkAnchor(anchors[ci], i + 1) === anchor) return { c, k: c.checks[i] };
  }
  return undefined;
}

function rowOf(cmp: Comparison, suite: string, requirement: string): Row {
  const r = cmp.suites.find((s) => s.name === suite)?.rows.find((x) => x.requirement === requirement);
  if (!r) throw new Error(`no row ${suite}/${requirement}`);
  return r;
}

function line(run: RunResult, key: string): string {
  return behaviourCard(run).find((l) => l.key === key)!.value;
}

describe('compare', function () {
  this.timeout(120_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nat64lab-compare-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  let good: LoadedRun;
  let bad: LoadedRun;
  let cmp: Comparison;
  let outDir: string;
  let page: string;

  before(async () => {
    const a = await engineRun({});
    const b = await engineRun({ faults: FAULTS });
    writeRun(a, path.join(tmp, 'runs', 'good'));
    writeRun(b, path.join(tmp, 'runs', 'faulted'));
    good = loadRun(path.join(tmp, 'runs', 'good', 'results.json'));
    bad = loadRun(path.join(tmp, 'runs', 'faulted'));
    outDir = path.join(tmp, 'cmp');
    const w = writeComparison([good, bad], outDir);
    cmp = w.comparison;
    page = fs.readFileSync(w.html, 'utf8');
  });

  describe('rows', () => {
    it('puts the rows where the targets differ first in every suite, and marks exactly those whose outcome differs', () => {
      expect(cmp.differing).to.be.greaterThan(0);
      for (const s of cmp.suites) {
        const firstSame = s.rows.findIndex((r) => !r.differs);
        const lastDiff = s.rows.map((r) => r.differs).lastIndexOf(true);
        if (firstSame >= 0) expect(lastDiff, s.name).to.be.lessThan(firstSame);
        for (const r of s.rows) expect(r.differs, `${s.name}/${r.requirement}`).to.equal(r.cells[0].status !== r.cells[1].status);
        expect(s.differing).to.equal(s.rows.filter((r) => r.differs).length);
      }
    });

    it('shows the broken requirements as differing: EIM fails and parity warns on the faulted engine only', () => {
      const eim = rowOf(cmp, 'mapping', '6146-5.2-eim');
      expect(eim.differs).to.equal(true);
      expect(eim.cells.map((c) => c.status)).to.deep.equal(['pass', 'fail']);
      expect(rowOf(cmp, 'mapping', '6146-3.5.1.1-parity').cells.map((c) => c.status)).to.deep.equal(['pass', 'warn']);
      expect(rowOf(cmp, 'filtering', '4787-5-req8-filtering').cells[1].status).to.equal('warn');
    });

    it('links each cell to the deciding check of that target in its own report', () => {
      const eim = rowOf(cmp, 'mapping', '6146-5.2-eim');
      const [goodHref, badHref] = eim.cells.map((c) => c.href!);
      expect(goodHref.split('#')[0]).to.equal('../runs/good/index.html');
      expect(badHref.split('#')[0]).to.equal('../runs/faulted/index.html');
      const hit = checkAt(bad.run, badHref.split('#')[1])!;
      expect(hit.k.requirement).to.equal('6146-5.2-eim');
      expect(hit.k.verdict).to.equal('fail');
      expect(checkAt(good.run, goodHref.split('#')[1])!.k.requirement).to.equal('6146-5.2-eim');
    });

    it('every link of the page lands on an element of the report it names', () => {
      const reports = new Map<string, Set<string>>();
      const hrefs = [...page.matchAll(/href="([^"]+)"/g)].map((m) => m[1].replace(/&amp;/g, '&'));
      expect(hrefs.length).to.be.greaterThan(100);
      for (const h of hrefs) {
        const [file, anchor] = h.split('#');
        const abs = path.resolve(outDir, decodeURIComponent(file));
        if (!reports.has(abs)) reports.set(abs, ids(fs.readFileSync(abs, 'utf8')));
        if (anchor) expect(reports.get(abs)!.has(anchor), h).to.equal(true);
      }
    });

    it('scores agree with each run\'s totals', () => {
      for (const [i, r] of [good, bad].entries()) {
        const t = computeTotals(r.run.cases);
        const must = passRate(t, MUST_LEVELS);
        const should = passRate(t, SHOULD_LEVELS);
        const s = cmp.targets[i];
        expect(s.must).to.deep.equal({ pass: must.pass, fail: must.fail, total: must.pass + must.fail });
        expect(s.should).to.deep.equal({ pass: should.pass, warn: should.fail, total: should.pass + should.fail });
        expect([s.na, s.behaviour, s.error]).to.deep.equal([t.byScore.na, t.byScore.behaviour, t.byScore.error]);
        expect(s.checks).to.equal(Object.values(t.byVerdict).reduce((a, b) => a + b, 0));
      }
      expect(cmp.targets.map((t) => t.verdict)).to.deep.equal(['pass', 'fail']);
      expect(cmp.targets[1].must.fail).to.be.greaterThan(0);
    });

    it('counts of every cell add up to the run\'s checks', () => {
      for (const [i, r] of [good, bad].entries()) {
        const n = cmp.suites.flatMap((s) => s.rows).reduce((sum, row) => sum + row.cells[i].checks, 0);
        expect(n).to.equal(r.run.cases.reduce((sum, c) => sum + c.checks.length, 0));
      }
    });
  });

  describe('behaviour card', () => {
    it('the correct engine: EIM on every protocol, EIF as configured, ports and pooling as it allocates', () => {
      expect(line(good.run, 'mapping')).to.equal('EIM (UDP, TCP, ICMP)');
      expect(line(good.run, 'filtering')).to.equal('EIF (UDP, TCP); configured endpoint-independent');
      expect(line(good.run, 'parity')).to.match(/^kept/);
      expect(line(good.run, 'pooling')).to.match(/^paired/);
      expect(line(good.run, 'hairpinning')).to.match(/^UDP yes; TCP yes; source: the sender's external address/);
      expect(line(good.run, 'port-preservation')).to.match(/^no \(0 of \d+/);
      expect(line(good.run, 'icmp-source')).to.match(/toward IPv6: the expired packet's destination .*toward IPv4: the pool address/);
      expect(line(good.run, 'timers')).to.match(/^UDP 300 s, TCP established 7200 s/);
    });

    it('the engine set to address-dependent filtering shows ADF', async () => {
      const adf = await engineRun({ base: { filtering: 'address-dependent' } }, ['filtering']);
      expect(line(adf, 'filtering')).to.equal('ADF (UDP, TCP); configured address-dependent');
    });

    it('the faulted engine differs: ADM, APDF, parity not kept, and the rows are marked', () => {
      expect(line(bad.run, 'mapping')).to.match(/^UDP ADM/);
      expect(line(bad.run, 'filtering')).to.match(/^APDF \(UDP, TCP\)/);
      expect(line(bad.run, 'parity')).to.match(/^not kept/);
      const differs = cmp.behaviour.filter((b) => b.differs).map((b) => b.key);
      expect(differs).to.include.members(['mapping', 'filtering', 'parity']);
      expect(differs).not.to.include('timers');
    });

    it('says "not observed" for what a run did not check, and links only what it did', () => {
      const card = behaviourCard({ ...good.run, cases: good.run.cases.filter((c) => c.suite === 'mapping') });
      const byKey = Object.fromEntries(card.map((l) => [l.key, l]));
      for (const k of ['filtering', 'hairpinning', 'fragments', 'df', 'icmp-source']) {
        expect(byKey[k].value, k).to.equal(NOT_OBSERVED);
        expect(byKey[k].evidence).to.deep.equal([]);
      }
      expect(byKey.mapping.observed).to.equal(true);
      expect(byKey.mapping.evidence.length).to.be.greaterThan(0);
    });

    it('an na check is not an observation', () => {
      const run = structuredClone(good.run);
      for (const c of run.cases) for (const k of c.checks) if (['6146-5.2-eim', '4787-4.1-req1-eim', '5382-4.1-req1-eim'].includes(k.requirement)) Object.assign(k, { verdict: 'na', score: 'na' });
      expect(line(run, 'mapping')).to.equal(NOT_OBSERVED);
    });

    it('classifies mapping and filtering details', () => {
      expect(mappingKind('198.18.100.10:9 → 198.18.0.2:1; 198.18.100.11:9 → 198.18.0.2:2; 198.18.100.10:10 → 198.18.0.2:1')).to.equal('ADM');
      expect(mappingKind('198.18.100.10:9 → 198.18.0.2:1; 198.18.100.10:10 → 198.18.0.2:3')).to.equal('APDM');
      expect(mappingKind('198.18.100.10:9 → 198.18.0.2:1; 198.18.100.11:9 → (nothing translated)')).to.match(/not translated/);
      expect(filteringKind('… → address-and-port-dependent')).to.equal('APDF');
      expect(filteringKind('no classification here')).to.equal(undefined);
    });
  });

  describe('runs over other suites and other kinds of target', () => {
    it('a suite one run did not include is "not run", not a difference', async () => {
      const mappingOnly = await engineRun({}, ['mapping']);
      const c = buildComparison([{ run: good.run }, { run: mappingOnly }]);
      const filt = c.suites.find((s) => s.name === 'filtering')!;
      expect(filt.rows.every((r) => r.cells[1].status === 'not-run' && !r.differs)).to.equal(true);
      expect(c.suites.find((s) => s.name === 'mapping')!.differing).to.equal(0);
      expect(c.targets[1].suites).to.deep.equal(['mapping']);
      expect(c.behaviour.find((b) => b.key === 'filtering')!.cells[1].value).to.equal(NOT_OBSERVED);
    });

    it('compares DNS64 runs (same schema, their own suites) with every NAT64 behaviour "not observed"', () => {
      const check = (requirement: string, verdict: 'pass' | 'fail', score: 'pass' | 'fail'): CheckResult => ({ requirement, level: 'MUST', verdict, score, label: 'AAAA synthesized', detail: 'one AAAA' });
      const dns = (name: string, verdict: 'pass' | 'fail'): RunResult => {
        const cases: CaseResult[] = [
          { id: 'synth-a-only', suite: 'dns64-synthesis', title: 'A only', requirements: ['6147-5.1.1-default-no-synth'], verdict, checks: [check('6147-5.1.1-default-no-synth', verdict, verdict)], evidence: [], notes: [], durationMs: 1 },
        ];
        return { schema: 'nat64lab-results/1', tool: { name: 'nat64lab', version: '0' }, target: { name, version: '9', config: {} }, startedAt: '', durationMs: 1, filter: {}, cases, totals: computeTotals(cases) };
      };
      const c = buildComparison([{ run: dns('bind', 'pass') }, { run: dns('unbound', 'fail') }]);
      expect(c.targets.map((t) => t.label)).to.deep.equal(['bind', 'unbound']);
      expect(c.suites[0].rows[0].differs).to.equal(true);
      expect(c.behaviour.every((b) => b.cells.every((x) => x.value === NOT_OBSERVED && !b.differs))).to.equal(true);
      const html = renderComparison(c);
      expect(html).to.include('No NAT64 behaviour was observed');
      expect(html).to.include('6147-5.1.1-default-no-synth');
    });

    it('labels two runs of the same target apart', () => {
      const c = buildComparison([{ run: good.run }, { run: good.run }]);
      expect(c.targets.map((t) => t.label)).to.deep.equal(['engine', 'engine #2']);
      expect(c.differing).to.equal(0);
    });
  });

  describe('the page', () => {
    it('is self-contained: no external URL, no script, a CSP that pins the inline style', () => {
      expect(page).not.to.match(/(?:src|href)="(?:https?:)?\/\//i);
      expect(page).not.to.match(/<script|<link|<img|<iframe/i);
      const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(page)![1].replace(/&#x27;/g, "'").replace(/&#x3D;/g, '=');
      expect(csp).to.include("default-src 'none'");
      const style = /<style>([\s\S]*?)<\/style>/.exec(page)![1];
      const hash = crypto.createHash('sha256').update(style, 'utf8').digest('base64');
      expect(csp).to.include(`'sha256-${hash}'`);
    });

    it('shows the differences section with the differing rows, scores and behaviour', () => {
      expect(page).to.include('id="differences"');
      expect(page).to.include('6146-5.2-eim');
      expect(page).to.include('EIM (UDP, TCP, ICMP)');
      expect(page).to.match(/APDF \(UDP, TCP\)/);
      const diffSection = page.slice(page.indexOf('id="differences"'), page.indexOf('id="requirements"'));
      expect((diffSection.match(/<tr class="differs">/g) ?? []).length).to.equal(cmp.differing);
    });

    it('escapes what runs contain', () => {
      const run = structuredClone(good.run);
      run.target.name = '<script>x</script>';
      const html = renderComparison(buildComparison([{ run }]));
      expect(html).not.to.include('<script>x');
      expect(html).to.include('&lt;script&gt;x');
    });

    it('uses the ids the single-run report gives cases and checks', () => {
      const html = renderReport(good.run);
      const all = ids(html);
      const anchors = caseAnchors(good.run);
      for (const [i, c] of good.run.cases.entries()) {
        expect(all.has(anchors[i]), anchors[i]).to.equal(true);
        if (c.checks.length) expect(all.has(checkAnchor(anchors[i], c.checks.length))).to.equal(true);
      }
    });

    it('links nowhere when a run has no report beside its results', () => {
      const bare = path.join(tmp, 'bare');
      fs.mkdirSync(bare, { recursive: true });
      fs.writeFileSync(path.join(bare, 'results.json'), JSON.stringify(good.run));
      expect(reportHref(path.join(tmp, 'x'), path.join(bare, 'results.json'))).to.equal(undefined);
      expect(reportHref(path.join(tmp, 'x'), path.join(tmp, 'runs', 'good', 'results.json'))).to.equal('../runs/good/index.html');
    });
  });

  describe('bad input', () => {
    const oneLine = (f: () => unknown, pattern: RegExp) => {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(CompareInputError);
      const msg = (err as Error).message;
      expect(msg.split('\n')).to.have.length(1);
      expect(msg).to.match(pattern);
    };

    it('names the file and the fix in one line', () => {
      const f = (name: string, text: string) => {
        const p = path.join(tmp, name);
        fs.writeFileSync(p, text);
        return p;
      };
      oneLine(() => loadRun(path.join(tmp, 'missing.json')), /missing\.json: cannot read it \(no such file\)/);
      oneLine(() => loadRun(f('text.json', 'not json\nat all')), /text\.json: not JSON/);
      oneLine(() => loadRun(f('other.json', '{"schema":"something-else/2"}')), /other\.json: not a nat64lab results\.json \(schema "something-else\/2"/);
      oneLine(
        () => loadRun(f('broken.json', JSON.stringify({ schema: 'nat64lab-results/1', target: { name: 'x' }, cases: [{ suite: 's', id: 'i', verdict: 'pass', checks: [{ requirement: 'r' }] }] }))),
        /broken\.json: cases\[0\]\.checks\[0\]\.level is missing/,
      );
    });

    it('refuses to write the page over a run\'s own report', () => {
      oneLine(() => writeComparison([good], path.dirname(good.file)), /this folder holds .*results\.json/);
    });
  });

  describe('run-many', () => {
    it('gives each target its own folder, apart from compare/', () => {
      expect(targetDirs(['engine', 'engine', 'tayga', 'compare', 'a/b'])).to.deep.equal(['engine', 'engine-2', 'tayga', 'compare-2', 'a_b']);
    });

    it('runs targets in turn into OUT/<target>/ and compares them into OUT/compare/', async () => {
      const out = path.join(tmp, 'many');
      let n = 0;
      const made: string[] = [];
      const { runs, comparison } = await runMany(['engine', 'engine'], out, {
        suites: ['hairpinning'],
        progress: null,
        make: (name) => {
          made.push(name);
          return new EngineTarget(n++ === 0 ? {} : { faults: ['no-hairpin'] });
        },
      });
      expect(made).to.deep.equal(['engine', 'engine']);
      expect(runs.map((r) => path.relative(out, r.dir))).to.deep.equal(['engine', 'engine-2']);
      for (const d of ['engine', 'engine-2']) for (const f of ['results.json', 'index.html', 'junit.xml']) expect(fs.existsSync(path.join(out, d, f)), `${d}/${f}`).to.equal(true);
      expect(comparison.html).to.equal(path.join(out, 'compare', 'index.html'));
      expect(fs.existsSync(path.join(out, 'compare', 'compare.json'))).to.equal(true);
      const hairpin = comparison.comparison.behaviour.find((b) => b.key === 'hairpinning')!;
      expect(hairpin.differs).to.equal(true);
      expect(hairpin.cells[1].value).to.match(/UDP no \(dropped\)/);
      expect(hairpin.cells[1].hrefs[0]).to.match(/^\.\.\/engine-2\/index\.html#case-hairpinning-/);
    });
  });
});
