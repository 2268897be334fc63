import { expect } from 'chai';
import { NotApplicable } from '../../harness/lab/target';
import { blanket, caseVerdict, CheckRecorder, missingChecks, scoreOf } from '../../harness/runner/check-recorder';
import * as runCase from '../../harness/runner/run-case';

const DEF = { id: 'c', suite: 's', title: 'T', requirements: ['6147-5.1.4-only-excluded', '6147-5.1.4-exclude-mapped-default'] };

describe('runner: check recorder', () => {
  it('records one check per id with the level from the catalogue and evidence references', () => {
    const r = new CheckRecorder(DEF);
    expect(r.expect(DEF.requirements, 'both', true, 'fine', [{ index: 3 }, { index: 5 }])).to.equal(true);
    expect(r.checks.map((c) => [c.requirement, c.level, c.score, c.packets])).to.deep.equal([
      ['6147-5.1.4-only-excluded', 'MUST', 'pass', [3, 5]],
      ['6147-5.1.4-exclude-mapped-default', 'SHOULD', 'pass', [3, 5]],
    ]);
  });

  it('refuses undeclared ids, throws NotApplicable from na, keeps notes', () => {
    const r = new CheckRecorder(DEF);
    expect(() => r.expect('6147-5.1-non-in-class', 'x', true, 'y')).to.throw(/does not declare it/);
    expect(() => r.na('why')).to.throw(NotApplicable, 'why');
    r.note('a note');
    expect(r.notes).to.deep.equal(['a note']);
  });

  it('blanket fills only the unchecked ids; missingChecks names them', () => {
    const r = new CheckRecorder(DEF);
    r.naCheck(DEF.requirements[0], 'l', 'cannot');
    expect(missingChecks(DEF, r.checks)).to.deep.equal([DEF.requirements[1]]);
    const all = blanket(DEF, 'error', 'oops', r.checks);
    expect(all.map((c) => [c.verdict, c.detail])).to.deep.equal([['na', 'cannot'], ['error', 'oops']]);
    expect(caseVerdict(all)).to.equal('error');
  });

  it('is what the NAT64 runner exports, unchanged', () => {
    expect(runCase.scoreOf).to.equal(scoreOf);
    expect(runCase.caseVerdict).to.equal(caseVerdict);
    expect(scoreOf('SHOULD', 'fail')).to.equal('warn');
    expect(scoreOf('MAY', 'fail')).to.equal('behaviour');
    expect(caseVerdict([])).to.equal('skip');
  });
});
