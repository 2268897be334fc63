import { expect } from 'chai';
import { encode } from '../../harness/packet/codec';
import { T } from '../../harness/packet/compare';
import type { CaseDef } from '../../harness/runner/case';
import { caseVerdict, runCase, scoreOf } from '../../harness/runner/run-case';
import { FakeTarget } from './fake-target';

// Real catalogue ids with known levels: MUST, SHOULD and MAY rows.
const MUST = '6146-3.5.1-bib-create';
const SHOULD = '6146-3.5.1.1-parity';
const MAY = '6146-3.5.1.1-cross-bib';

const probe = encode({ ipv6: { src: '2001:db8:6::10', dst: '2001:db8:64::c612:640a' }, udp: { sport: 1, dport: 2 } });
const answer = encode({ ipv4: { src: '198.18.0.1', dst: '198.18.100.10', ttl: 63 }, udp: { sport: 1, dport: 2 } });

function def(run: CaseDef['run'], extra: Partial<CaseDef> = {}): CaseDef {
  return { id: 'x', suite: 'test', title: 'a test case', requirements: [MUST], run, ...extra };
}

describe('runner: runCase', () => {
  const echoing = new FakeTarget((side) => (side === 6 ? [{ side: 4, bytes: answer }] : []));

  it('records a passing field check per requirement, with the packets as evidence', async () => {
    const r = await runCase(
      def(async (t) => {
        const ex = await t.send(6, probe);
        t.expectPacket(MUST, 'ttl', ex.out4[0], { ipv4: { ttl: T.decrementedBy(1, 64) }, udp: { checksum: T.validChecksum() } });
      }),
      echoing,
    );
    expect(r.verdict).to.equal('pass');
    expect(r.checks).to.have.length(1);
    expect(r.checks[0]).to.include({ requirement: MUST, level: 'MUST', verdict: 'pass', score: 'pass' });
    expect(r.checks[0].packets).to.deep.equal([1]);
    expect(r.evidence.map((e) => [e.direction, e.side])).to.deep.equal([['sent', 6], ['received', 4]]);
    expect(r.evidence[1].dissection).to.match(/Internet Protocol Version 4/);
  });

  it('fails a check when no packet came out where one was required', async () => {
    const silent = new FakeTarget();
    const r = await runCase(
      def(async (t) => {
        const ex = await t.send(6, probe);
        t.expectPacket(MUST, 'translated', ex.out4[0], { ipv4: { ttl: 63 } });
      }),
      silent,
    );
    expect(r.verdict).to.equal('fail');
    expect(r.checks[0].detail).to.match(/no packet came out/);
    expect(r.checks[0].score).to.equal('fail');
  });

  it('scores by level: SHOULD failures warn, MAY is behaviour', () => {
    expect(scoreOf('MUST', 'fail')).to.equal('fail');
    expect(scoreOf('MUST NOT', 'fail')).to.equal('fail');
    expect(scoreOf('SHOULD', 'fail')).to.equal('warn');
    expect(scoreOf('RECOMMENDED', 'fail')).to.equal('warn');
    expect(scoreOf('MAY', 'pass')).to.equal('behaviour');
    expect(scoreOf('MAY', 'fail')).to.equal('behaviour');
    expect(scoreOf('SHOULD', 'na')).to.equal('na');
  });

  it('records a mismatch field by field and names it in the detail', async () => {
    const r = await runCase(
      def(
        async (t) => {
          const ex = await t.send(6, probe);
          t.expectPacket([MUST, SHOULD], 'ttl', ex.out4[0], { ipv4: { ttl: 62 } });
          t.behaviour(MAY, 'cross-protocol', 'not observed');
        },
        { requirements: [MUST, SHOULD, MAY] },
      ),
      echoing,
    );
    expect(r.checks.map((c) => c.score)).to.deep.equal(['fail', 'warn', 'behaviour']);
    expect(r.checks[0].detail).to.equal('ipv4.ttl: expected 62, observed 63');
    expect(r.checks[0].fields?.find((f) => f.path === 'ipv4.ttl')?.ok).to.equal(false);
  });

  it('makes the whole case na with the reason when the target cannot meet its needs', async () => {
    const r = await runCase(def(async () => undefined, { needs: { filtering: 'address-dependent' } }), echoing);
    expect(r.verdict).to.equal('na');
    expect(r.reason).to.match(/endpoint-independent filtering only/);
    expect(r.checks.map((c) => c.verdict)).to.deep.equal(['na']);
  });

  it('makes a case na when it needs a clock the target does not have', async () => {
    const r = await runCase(def(async (t) => void (await t.advance(1000))), echoing);
    expect(r.verdict).to.equal('na');
    expect(r.reason).to.match(/no controllable clock/);
  });

  it('turns a declared but unchecked requirement into an error of the case', async () => {
    const r = await runCase(def(async () => undefined), echoing);
    expect(r.verdict).to.equal('error');
    expect(r.reason).to.match(/recorded no check for 6146-3.5.1-bib-create/);
  });

  it('turns a harness exception into error, keeps earlier checks, and closes the session', async () => {
    const target = new FakeTarget();
    const r = await runCase(
      def(
        async (t) => {
          t.expect(MUST, 'first', true, 'ok');
          throw new Error('boom');
        },
        { requirements: [MUST, SHOULD] },
      ),
      target,
    );
    expect(r.checks.map((c) => c.verdict)).to.deep.equal(['pass', 'error']);
    expect(r.verdict).to.equal('error');
    expect(r.reason).to.equal('harness error: boom');
    expect(target.closed).to.equal(1);
  });

  it('refuses a check of a requirement the case did not declare', async () => {
    const r = await runCase(def(async (t) => void t.expect(SHOULD, 'undeclared', true, 'x')), echoing);
    expect(r.verdict).to.equal('error');
    expect(r.reason).to.match(/does not declare it/);
  });

  it('case verdict is the worst check verdict', () => {
    const c = (verdict: 'pass' | 'fail' | 'na' | 'error' | 'skip') => ({ requirement: MUST, level: 'MUST' as const, verdict, score: verdict, label: '', detail: '' });
    expect(caseVerdict([c('pass'), c('na')])).to.equal('pass');
    expect(caseVerdict([c('pass'), c('fail')])).to.equal('fail');
    expect(caseVerdict([c('fail'), c('error')])).to.equal('error');
    expect(caseVerdict([c('na')])).to.equal('na');
  });
});

describe('runner: time and configuration attempts', () => {
  it('elapse: a short real wait on a target without a clock, recorded in the notes', async () => {
    const r = await runCase(
      def(async (t) => {
        await t.elapse(5);
        t.expect(MUST, 'waited', true, 'ok');
      }),
      new FakeTarget(),
    );
    expect(r.verdict).to.equal('pass');
    expect(r.notes.join(' ')).to.match(/waited 0.005 s of real time/);
  });

  it('elapse: na beyond the real-wait limit outside the soak tier', async () => {
    const r = await runCase(def(async (t) => void (await t.elapse(120_000))), new FakeTarget(), { realWaitLimitMs: 10_000 });
    expect(r.verdict).to.equal('na');
    expect(r.reason).to.match(/needs 120 s of real time .* --soak/);
  });

  it('attempt: reports acceptance, and turns a refusal into data rather than an error', async () => {
    const { EngineTarget } = await import('../../harness/targets/engine');
    const r = await runCase(
      def(async (t) => {
        const ok = await t.attempt({ timeouts: { udp: 300 } });
        const refused = await t.attempt({ timeouts: { udp: 60 } });
        t.expect(MUST, 'accepted', ok.accepted, 'udp 300 s accepted');
        t.expect(MUST, 'refused', !refused.accepted && /UDP_MIN/.test(refused.reason), refused.accepted ? 'accepted' : refused.reason);
      }),
      new EngineTarget(),
    );
    expect(r.checks.map((c) => c.verdict)).to.deep.equal(['pass', 'pass']);
    expect(r.checks[1].detail).to.match(/below UDP_MIN/);
  });

  it('a case whose own needs the target refuses is na with the refusal', async () => {
    const { EngineTarget } = await import('../../harness/targets/engine');
    const r = await runCase(def(async () => undefined, { needs: { timeouts: { udp: 1 } } }), new EngineTarget());
    expect(r.verdict).to.equal('na');
    expect(r.reason).to.match(/refused the case's configuration: .*UDP_MIN/);
  });
});
