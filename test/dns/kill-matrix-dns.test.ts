/**
 * The proof that the DNS64 cases mean something: on the correct own DNS64
 * every MUST/SHOULD check passes, and each one fails under at least one
 * named fault of engine/dns64/faults.ts.
 */
import { expect } from 'chai';
import { DNS64_FAULTS } from '../../engine/dns64/faults';
import { loadCatalogue } from '../../harness/catalogue';
import { makeDns64Target } from '../../harness/dns-targets';
import type { KillMatrix } from '../../harness/runner/kill-matrix';
import { dnsKillMatrix } from '../../suites/dns-lib/kill-matrix';
import { allDnsCases } from '../../suites/dns-index';

/**
 * Faults whose rows no DNS64 case can check, with the reason; the fault
 * exists for the project's own engine tests or waits for a lab capability.
 */
const NO_CASE: Record<string, string> = {
  'ptr-cname-dangling': '6147-5.3.1-ptr-cname-target: the own DNS64 answers PTRs locally, so the CNAME-style check is na',
  'forwarder-ipv4only-special': '8880-7.1-fwd-not-special: a traditional forwarder is not a DNS64 target',
  'fixed-query-id': 'resolver hygiene, no catalogue row',
  'fixed-source-port': 'resolver hygiene, no catalogue row',
  'acl-ignored': 'resolver hygiene, no catalogue row',
  'no-cache-expiry': 'resolver hygiene, no catalogue row',
};

/** Checks no named fault breaks yet, with the fault that would (engine/dns64/faults.ts has to add it). */
const AWAITING_FAULT: Record<string, string> = {};

describe('DNS64 kill matrix (every DNS64 case on the correct own DNS64 and under every fault)', function () {
  this.timeout(600_000);
  let m: KillMatrix;
  const faults = DNS64_FAULTS.map((f) => f.name);

  before(async () => {
    m = await dnsKillMatrix(allDnsCases(), faults, (f) => makeDns64Target('own', { faults: f }));
  });

  it('has MUST/SHOULD checks to prove', () => {
    expect(m.rows.length).to.be.greaterThan(0);
  });

  it('the correct own DNS64 fails no MUST and no SHOULD check (and has no error)', () => {
    expect(m.baselineFailures, m.baselineFailures.join('\n')).to.deep.equal([]);
  });

  it('every MUST and SHOULD check fails under at least one named fault', () => {
    const unkilled = m.rows.filter((r) => r.killedBy.length === 0).map((r) => r.check);
    expect(unkilled.filter((c) => !(c in AWAITING_FAULT)), `unkilled checks:\n${unkilled.join('\n')}`).to.deep.equal([]);
    const nowKilled = Object.keys(AWAITING_FAULT).filter((c) => !unkilled.includes(c));
    expect(nowKilled, 'these checks are killed now: remove them from AWAITING_FAULT').to.deep.equal([]);
  });

  it('every fault with catalogue rows kills a check, or is listed with the reason it cannot', () => {
    const useless = faults.filter((f) => !m.rows.some((r) => r.killedBy.includes(f)));
    expect(useless.filter((f) => !(f in NO_CASE)), `faults that break no check: ${useless.join(', ')}`).to.deep.equal([]);
    const nowKilling = Object.keys(NO_CASE).filter((f) => !useless.includes(f));
    expect(nowKilling, 'these faults kill checks now: remove them from NO_CASE').to.deep.equal([]);
    const catalogue = loadCatalogue();
    for (const f of DNS64_FAULTS) for (const id of f.violates) expect(catalogue.has(id), `${f.name} cites unknown ${id}`).to.equal(true);
  });
});
