/** The mocha-driven case loop: results for every case, and nothing left on the process between runs. */
import { expect } from 'chai';
import { runWithMocha } from '../../harness/runner/mocha-run';
import type { CaseResult } from '../../harness/results/types';

const result = (id: string, verdict: CaseResult['verdict']) => ({ suite: 's', id, title: id, verdict, checks: [] }) as unknown as CaseResult;

describe('runner: runWithMocha', () => {
  it('returns one result per case and removes the process listeners its runner added', async () => {
    const before = [process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')];
    for (let run = 0; run < 12; run++) {
      const cases = [{ suite: 's', id: `a${run}`, title: 'a' }, { suite: 's', id: `b${run}`, title: 'b' }] as never[];
      const got = await runWithMocha(cases, async (d: { id: string }) => result(d.id, d.id.startsWith('a') ? 'pass' : 'na'), { progress: null });
      expect(got.map((r) => [r.id, r.verdict])).to.deep.equal([[`a${run}`, 'pass'], [`b${run}`, 'na']]);
    }
    expect([process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')]).to.deep.equal(before);
  });
});
