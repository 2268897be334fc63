/**
 * RFC 6147 §5.5: a validating DNS64 (vDNS64) and the DO, CD and AD bits.
 * Data in signed.test validates (trust anchor: fixtures/zones/signed.test.ds);
 * bogus.signed.test's A RRset does not. Every case runs with validation on.
 *
 * Scoring choices: AD with DO=0 is held to 6147 strictly ("MUST NOT set the
 * AD bit in any response"), also when the query itself had AD=1 (which
 * RFC 6840 §5.7 would otherwise allow); CD=1 with DO=0 is undefined in
 * §5.5 and only noted.
 */
import type { DnsCaseContext, DnsCaseDef } from '../../harness/runner/dns-case';
import { SIGNED } from '../../harness/dns/names';
import { Probe, answered, expectAaaaExactly, expectAd, expectRcode, fresh } from '../dns-lib/checks';
import type { Asked } from '../dns-lib/checks';
import { synthesized } from '../dns-lib/expected';
import { RCODE, aaaaOf, answers, describeMessage, describeUpstream, rcode, records, sameName } from '../dns-lib/msg';

const SUITE = 'dns64-dnssec';
const NEEDS = { validate: true } as const;

function synthOf(t: DnsCaseContext, ipv4s: readonly string[]) {
  return ipv4s.map((a) => synthesized(t.config, a) ?? { address: `(no Pref64 for ${a})`, why: 'configuration' });
}

/** Indices of the upstream queries of `type` for `name` in the exchange, in arrival order. */
function upstreamIndices(a: Asked, name: string, type: string): number[] {
  return a.ex.upstream.flatMap((u, i) => ((u.message?.questions ?? []).some((q) => sameName(q.name, name) && q.type === type) ? [i] : []));
}

const do0: DnsCaseDef = {
  kind: 'dns64',
  id: 'cd0-do0',
  suite: SUITE,
  title: 'CD=0 DO=0: validated and synthesised, never AD=1 (also when the query sets AD)',
  requirements: ['6147-5.5-cd0do0-validate', '6147-5.5-cd0do0-no-ad'],
  needs: NEEDS,
  async run(t) {
    const p = new Probe(t);
    const a = await p.ask(fresh.signed('cd0-do0'), 'AAAA', { do: false, cd: false });
    expectAaaaExactly(t, '6147-5.5-cd0do0-validate', 'validated A-only name: synthesised', a, synthOf(t, SIGNED.fresh.a));
    expectAd(t, '6147-5.5-cd0do0-no-ad', 'synthesised reply to DO=0: AD=0', a, false);
    // Validation shows in the bogus name being refused.
    const bogus = await p.ask(SIGNED.bogus.name, 'AAAA', { do: false, cd: false });
    expectRcode(t, '6147-5.5-cd0do0-validate', 'bogus A data with DO=0: SERVFAIL (validation was done)', bogus, RCODE.SERVFAIL);
    // "in any response": with AD=1 in the query too, and for validated data that is not synthesised.
    const adq = await p.ask(fresh.signed('cd0-do0', 'adq'), 'AAAA', { do: false, cd: false, ad: true });
    expectAd(t, '6147-5.5-cd0do0-no-ad', 'query with AD=1, DO=0: synthesised reply still AD=0', adq, false);
    const real = await p.ask(SIGNED.dual.name, 'AAAA', { do: false, cd: false, ad: true });
    expectAd(t, '6147-5.5-cd0do0-no-ad', 'validated real AAAA, query AD=1 DO=0: AD=0', real, false);
    const plainA = await p.ask(SIGNED.aOnly.name, 'A', { do: false, cd: false, ad: true });
    expectAd(t, '6147-5.5-cd0do0-no-ad', 'validated A, query AD=1 DO=0: AD=0', plainA, false);
  },
};

const do1: DnsCaseDef = {
  kind: 'dns64',
  id: 'cd0-do1',
  suite: SUITE,
  title: 'CD=0 DO=1: validated, synthesised with AD=1; bogus data SERVFAIL',
  requirements: ['6147-5.5-cd0do1-validate', '6147-5.5-synth-after-validation', '6147-5.5-ad-on-synth', '6147-5.5-bogus-servfail'],
  needs: NEEDS,
  async run(t) {
    const p = new Probe(t);
    const a = await p.ask(fresh.signed('cd0-do1'), 'AAAA', { do: true, cd: false });
    const want = synthOf(t, SIGNED.fresh.a);
    // Synthesis is a MAY once both answers validated: NOERROR with the synthetic AAAA, or the validated NODATA.
    if (answered(t, '6147-5.5-cd0do1-validate', 'validated A-only name, DO=1: NOERROR, synthesised or the validated NODATA', a)) {
      const got = aaaaOf(a.m);
      const ok = rcode(a.m) === 0 && (got.length === 0 || (got.length === want.length && got.every((x) => want.some((w) => w.address === x))));
      t.expect(
        '6147-5.5-cd0do1-validate',
        'validated A-only name, DO=1: NOERROR, synthesised or the validated NODATA',
        ok,
        `NOERROR with ${want.map((w) => w.address).join(', ')} or with no AAAA expected; got ${describeMessage(a.m)}`,
        a.seen,
      );
    }
    if (a.m) {
      const got = aaaaOf(a.m);
      t.behaviour('6147-5.5-synth-after-validation', 'synthesis after both answers validated', got.length ? `synthesised ${got.join(', ')}` : `no synthesis: ${describeMessage(a.m)}`, a.seen);
      if (got.length) expectAd(t, '6147-5.5-ad-on-synth', 'validated and synthesised, DO=1: AD=1', a, true);
      else t.naCheck('6147-5.5-ad-on-synth', 'AD=1 on the synthesised reply', 'the DNS64 did not synthesise after validation (a MAY)');
    } else {
      answered(t, '6147-5.5-ad-on-synth', 'AD=1 on the synthesised reply', a);
      t.naCheck('6147-5.5-synth-after-validation', 'synthesis after both answers validated', `no answer to describe (${a.why})`);
    }
    const bogus = await p.ask(SIGNED.bogus.name, 'AAAA', { do: true, cd: false });
    expectRcode(t, ['6147-5.5-cd0do1-validate', '6147-5.5-bogus-servfail'], 'bogus A data, DO=1: SERVFAIL', bogus, RCODE.SERVFAIL);
    const bogus0 = await p.ask(SIGNED.bogus.name, 'AAAA', { do: false, cd: false });
    expectRcode(t, '6147-5.5-bogus-servfail', 'bogus A data, DO=0: SERVFAIL', bogus0, RCODE.SERVFAIL);
    if (bogus.m && aaaaOf(bogus.m).length) t.note(`bogus data synthesised: ${aaaaOf(bogus.m).join(', ')}`);
  },
};

const nodataFirst: DnsCaseDef = {
  kind: 'dns64',
  id: 'validate-nodata-first',
  suite: SUITE,
  title: 'The AAAA denial is fetched before any A query; validated real AAAA and NODATA are never replaced by synthesis',
  requirements: ['6147-5.5-validate-nodata-first'],
  needs: NEEDS,
  async run(t) {
    const p = new Probe(t);
    const owner = fresh.signed('validate-nodata-first');
    const a = await p.ask(owner, 'AAAA', { do: false, cd: false });
    const iAaaa = upstreamIndices(a, owner, 'AAAA')[0] ?? -1;
    const iA = upstreamIndices(a, owner, 'A').pop() ?? -1;
    // §5.5 item 2: "MUST validate the negative answer for AAAA queries before proceeding to query for A records":
    // the A lookup synthesis uses (the last A query; an earlier one may be a QNAME-minimisation probe, RFC 9156)
    // follows the AAAA query. No A lookup at all (no synthesis) is allowed.
    t.expect(
      '6147-5.5-validate-nodata-first',
      'the A lookup for synthesis only after the AAAA query',
      iAaaa >= 0 && (iA < 0 || iA > iAaaa),
      `upstream order: ${describeUpstream(a.ex.upstream)}`,
      a.seen,
    );
    // A bogus AAAA denial next to an A that validates: the denial must be proven before the A data is used,
    // so nothing is synthesised (a validating resolver answers SERVFAIL).
    const bad = await p.ask(SIGNED.badDenial.name, 'AAAA', { do: false, cd: false });
    if (answered(t, '6147-5.5-validate-nodata-first', 'bogus AAAA denial: no synthesis from the valid A', bad)) {
      t.expect(
        '6147-5.5-validate-nodata-first',
        'bogus AAAA denial: no synthesis from the valid A',
        aaaaOf(bad.m).length === 0,
        `the NSEC denying AAAA at ${SIGNED.badDenial.name} does not verify, so no AAAA from A ${SIGNED.badDenial.a[0]} expected; got ${describeMessage(bad.m)}`,
        bad.seen,
      );
    }
    const ctl = await p.ask(SIGNED.badDenial.name, 'A', { do: true, cd: false });
    t.note(`control, A ${SIGNED.badDenial.name} (its signature is good): ${ctl.m ? describeMessage(ctl.m) : ctl.why}`);
    // A validated real AAAA is the answer; nothing synthesised.
    const dual = await p.ask(SIGNED.dual.name, 'AAAA', { do: true, cd: false });
    expectAaaaExactly(t, '6147-5.5-validate-nodata-first', 'signed name with AAAA: the real record only', dual, SIGNED.dual.aaaa.map((x) => ({ address: x, why: 'validated real AAAA' })));
    // A signed name with neither: the validated NODATA, no synthesis.
    const nd = await p.ask(SIGNED.nodata.name, 'AAAA', { do: true, cd: false });
    if (answered(t, '6147-5.5-validate-nodata-first', 'signed NODATA for AAAA and A: empty answer', nd)) {
      t.expect('6147-5.5-validate-nodata-first', 'signed NODATA for AAAA and A: empty answer', rcode(nd.m) === 0 && aaaaOf(nd.m).length === 0, describeMessage(nd.m), nd.seen);
    }
  },
};

const cd1: DnsCaseDef = {
  kind: 'dns64',
  id: 'cd1-do1',
  suite: SUITE,
  title: 'CD=1 DO=1: no synthesis; data with RRSIG/NSEC passed to the client as a plain resolver would',
  requirements: ['6147-5.5-cd1-no-synth', '6147-5.5-cd1-passthrough', '6147-5.5-cd1-may-validate'],
  needs: NEEDS,
  async run(t) {
    const p = new Probe(t);
    const owner = fresh.signed('cd1-do1');
    const a = await p.ask(owner, 'AAAA', { do: true, cd: true });
    if (answered(t, ['6147-5.5-cd1-no-synth', '6147-5.5-cd1-passthrough'], 'CD=1 DO=1 AAAA for an A-only name', a)) {
      t.expect('6147-5.5-cd1-no-synth', 'no synthetic AAAA with CD=1 DO=1', aaaaOf(a.m).length === 0, `AAAA in the answer: ${aaaaOf(a.m).join(', ') || 'none'}`, a.seen);
      // The client validates the denial itself, so it needs the SOA, the NSEC records and their RRSIGs.
      const auth = records(a.m.authorities);
      const has = (type: string) => auth.some((r) => r.type === type);
      const sigs = auth.filter((r) => r.type === 'RRSIG').map((r) => (r.data as { typeCovered: string }).typeCovered);
      t.expect(
        '6147-5.5-cd1-passthrough',
        'NODATA passed through with SOA, NSEC and their RRSIGs',
        rcode(a.m) === 0 && has('SOA') && has('NSEC') && sigs.includes('NSEC') && sigs.includes('SOA'),
        `NOERROR with SOA, NSEC, RRSIG(SOA), RRSIG(NSEC) in the authority section expected; got ${describeMessage(a.m)}`,
        a.seen,
      );
    }
    const aq = await p.ask(SIGNED.aOnly.name, 'A', { do: true, cd: true });
    if (answered(t, '6147-5.5-cd1-passthrough', 'CD=1 DO=1 A: the A record with its RRSIG', aq)) {
      const ans = answers(aq.m);
      const ok = ans.some((r) => r.type === 'A' && String(r.data) === SIGNED.aOnly.a[0]) && ans.some((r) => r.type === 'RRSIG' && (r.data as { typeCovered: string }).typeCovered === 'A');
      t.expect('6147-5.5-cd1-passthrough', 'CD=1 DO=1 A: the A record with its RRSIG', ok, `A ${SIGNED.aOnly.a[0]} and RRSIG(A) expected; got ${describeMessage(aq.m)}`, aq.seen);
    }
    // §5.5 item 3: validating is allowed; what the DNS64 does with bogus data under CD=1 is reported.
    const bogus = await p.ask(SIGNED.bogus.name, 'A', { do: true, cd: true });
    t.behaviour(
      '6147-5.5-cd1-may-validate',
      'bogus A with CD=1 DO=1',
      bogus.m ? describeMessage(bogus.m) : bogus.why,
      bogus.seen,
    );
    // CD=1 with DO=0 is not defined by §5.5: noted, not scored.
    const cdOnly = await p.ask(fresh.signed('cd1-do1', 'do0'), 'AAAA', { do: false, cd: true });
    t.note(`CD=1 DO=0 (undefined in RFC 6147 §5.5): ${cdOnly.m ? describeMessage(cdOnly.m) : cdOnly.why}`);
  },
};

export const cases: DnsCaseDef[] = [do0, do1, nodataFirst, cd1];
