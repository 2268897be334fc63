import { expect } from 'chai';
import { renderJUnit } from '../../harness/results/junit';
import { computeTotals, MUST_LEVELS, passRate, SHOULD_LEVELS } from '../../harness/results/totals';
import type { CaseResult, CheckResult, RunResult } from '../../harness/results/types';

function check(requirement: string, level: CheckResult['level'], verdict: CheckResult['verdict'], score: CheckResult['score'], detail = 'd'): CheckResult {
  return { requirement, level, verdict, score, label: 'l', detail };
}

function caseOf(id: string, suite: string, checks: CheckResult[]): CaseResult {
  return { id, suite, title: id, requirements: checks.map((c) => c.requirement), verdict: 'pass', checks, evidence: [], notes: [], durationMs: 2 };
}

const cases = [
  caseOf('a', 's1', [check('6146-1', 'MUST', 'pass', 'pass'), check('6146-2', 'SHOULD', 'fail', 'warn')]),
  caseOf('b', 's1', [check('6146-3', 'MUST', 'fail', 'fail', 'ipv4.ttl: expected 63, observed 64 <&>'), check('6146-4', 'MAY', 'pass', 'behaviour')]),
  caseOf('c', 's2', [check('6146-5', 'MUST NOT', 'na', 'na'), check('6146-6', 'MUST', 'error', 'error')]),
];

const run: RunResult = {
  schema: 'nat64lab-results/1',
  tool: { name: 'nat64lab', version: '0' },
  target: { name: 'x"y', version: '1', config: {} },
  startedAt: new Date(0).toISOString(),
  durationMs: 10,
  filter: {},
  cases,
  totals: computeTotals(cases),
};

describe('results: totals', () => {
  it('counts checks per verdict, score and level', () => {
    const t = run.totals;
    expect(t.byVerdict).to.deep.equal({ pass: 2, fail: 2, na: 1, error: 1, skip: 0 });
    expect(t.byScore).to.include({ pass: 1, fail: 1, warn: 1, behaviour: 1, na: 1, error: 1 });
    expect(t.byLevel.MUST).to.include({ pass: 1, fail: 1, error: 1 });
    expect(passRate(t, MUST_LEVELS)).to.deep.equal({ pass: 1, fail: 1, rate: 0.5 });
    expect(passRate(t, SHOULD_LEVELS)).to.deep.equal({ pass: 0, fail: 1, rate: 0 });
  });
});

describe('results: JUnit', () => {
  const xml = renderJUnit(run);
  it('writes one testsuite per suite and one testcase per check', () => {
    expect(xml.match(/<testsuite /g)).to.have.length(2);
    expect(xml.match(/<testcase /g)).to.have.length(6);
  });
  it('fails only MUST-class failures; SHOULD failures and MAY behaviour are output', () => {
    expect(xml.match(/<failure /g)).to.have.length(1);
    expect(xml).to.match(/<system-out>\[warn\]/);
    expect(xml).to.match(/<system-out>\[behaviour\]/);
    expect(xml.match(/<skipped /g)).to.have.length(1);
    expect(xml.match(/<error /g)).to.have.length(1);
  });
  it('escapes text from targets', () => {
    expect(xml).to.include('observed 64 &lt;&amp;&gt;');
    expect(xml).to.include('name="nat64lab x&quot;y"');
  });
});
