/**
 * RFC 6147 §5.1–§5.1.3: what the outcome of the AAAA lookup decides —
 * real AAAA data goes back without synthesis, NXDOMAIN is relayed, any other
 * RCODE and a timeout count as an empty answer (so A lookup and synthesis
 * follow), and classes other than IN get no DNS64 treatment at all.
 */
import type { DnsCaseDef } from '../../harness/runner/dns-case';
import { NAMES } from '../../harness/dns/names';
import { inPrefix, parseIPv6, parsePrefix } from '../../harness/packet/address';
import { Probe, answered, expectAaaaExactly, expectRcode, fresh, inZone } from '../dns-lib/checks';
import { prefixesInUse } from '../dns-lib/expected';
import { RCODE, aaaaOf, describeMessage, describeUpstream, upstreamFor } from '../dns-lib/msg';
import { SUITE, expectedFor } from './lib';

const realAaaa: DnsCaseDef = {
  kind: 'dns64',
  id: 'real-aaaa-no-synthesis',
  suite: SUITE,
  title: 'A name with real AAAA and A records: only the real AAAA records, nothing synthesised',
  requirements: ['6147-5.1.1-no-mix', '6147-5.1.1-default-no-synth'],
  async run(t) {
    const p = new Probe(t);
    const owner = fresh.dual('real-aaaa-no-synthesis');
    const a = await p.ask(owner, 'AAAA');
    const real = NAMES.freshDual.aaaa.map((x) => ({ address: x, why: 'the real AAAA record' }));
    // §5.1.1 SHOULD NOT: the reply holds the real records and nothing else.
    expectAaaaExactly(t, '6147-5.1.1-no-mix', 'only the real AAAA records, no synthetic ones added', a, real);
    // §5.1.1 MUST NOT (default settings): no address under any prefix in use.
    if (answered(t, '6147-5.1.1-default-no-synth', 'no Pref64-based AAAA for a name with real AAAA', a)) {
      const prefixes = prefixesInUse(t.config);
      const synth = aaaaOf(a.m).filter((x) => prefixes.some((pfx) => inPrefix(parseIPv6(x), parsePrefix(pfx))));
      t.expect(
        '6147-5.1.1-default-no-synth',
        'no Pref64-based AAAA for a name with real AAAA',
        synth.length === 0 && aaaaOf(a.m).length > 0,
        `real AAAA ${NAMES.freshDual.aaaa.join(', ')} expected and nothing under ${prefixes.join(', ')}; got ${aaaaOf(a.m).join(', ') || 'no AAAA'}`,
        a.seen,
      );
    }
  },
};

const nxdomain: DnsCaseDef = {
  kind: 'dns64',
  id: 'aaaa-nxdomain',
  suite: SUITE,
  title: 'AAAA lookup answered NXDOMAIN: relayed, no synthesis',
  requirements: ['6147-5.1.2-nxdomain'],
  async run(t) {
    const p = new Probe(t);
    const a = await p.ask(`nxdomain-case.${inZone(NAMES.nxdomain.name)}`, 'AAAA');
    expectRcode(t, '6147-5.1.2-nxdomain', 'NXDOMAIN relayed to the client', a, RCODE.NXDOMAIN);
    // A name whose AAAA lookup says NXDOMAIN while its A lookup would find an address: the NXDOMAIN still stands.
    const owner = inZone(NAMES.nxdomainAaaa.name);
    const b = await p.ask(owner, 'AAAA');
    expectRcode(t, '6147-5.1.2-nxdomain', `${NAMES.nxdomainAaaa.name} (A ${NAMES.nxdomainAaaa.a[0]}): NXDOMAIN relayed`, b, RCODE.NXDOMAIN);
    if (answered(t, '6147-5.1.2-nxdomain', 'no AAAA with the NXDOMAIN', b)) {
      t.expect(
        '6147-5.1.2-nxdomain',
        'no AAAA with the NXDOMAIN',
        aaaaOf(b.m).length === 0,
        `no AAAA expected although ${owner} has A ${NAMES.nxdomainAaaa.a[0]}; got ${aaaaOf(b.m).join(', ') || 'none'}`,
        b.seen,
      );
    }
  },
};

const otherRcode: DnsCaseDef = {
  kind: 'dns64',
  id: 'aaaa-error-rcodes',
  suite: SUITE,
  title: 'AAAA lookup answered SERVFAIL or REFUSED: treated as empty, AAAA synthesised from the A record',
  requirements: ['6147-5.1.2-other-rcode'],
  async run(t) {
    const p = new Probe(t);
    for (const n of [NAMES.servfailAaaa, NAMES.refusedAaaa]) {
      const a = await p.ask(inZone(n.name), 'AAAA');
      expectAaaaExactly(t, '6147-5.1.2-other-rcode', `${n.name}: RCODE on AAAA treated as NOERROR/empty, synthesised from A`, a, expectedFor(t.config, n.a));
    }
  },
};

const timeout: DnsCaseDef = {
  kind: 'dns64',
  id: 'aaaa-timeout',
  suite: SUITE,
  title: 'AAAA lookup never answered: treated as SERVFAIL, hence empty, AAAA synthesised from the A record',
  requirements: ['6147-5.1.3-timeout'],
  async run(t) {
    const p = new Probe(t);
    // The DNS64's own upstream timeout and retries run first; give it ample time.
    const a = await p.ask(inZone(NAMES.timeoutAaaa.name), 'AAAA', { timeoutMs: 30_000 });
    expectAaaaExactly(t, '6147-5.1.3-timeout', 'unanswered AAAA lookup: synthesised from the A record', a, expectedFor(t.config, NAMES.timeoutAaaa.a));
  },
};

const nonIn: DnsCaseDef = {
  kind: 'dns64',
  id: 'class-chaos',
  suite: SUITE,
  title: 'AAAA query in class CH: no DNS64 processing (the name has a CH A record)',
  requirements: ['6147-5.1-non-in-class'],
  async run(t) {
    const p = new Probe(t);
    const owner = inZone(NAMES.chaos.name);
    const a = await p.ask(owner, 'AAAA', { class: 'CH' });
    if (answered(t, '6147-5.1-non-in-class', 'CH AAAA: no synthetic AAAA', a)) {
      t.expect(
        '6147-5.1-non-in-class',
        'CH AAAA: no synthetic AAAA',
        aaaaOf(a.m).length === 0,
        `no AAAA expected (the CH A ${NAMES.chaos.a[0]} must not be synthesised from); got ${describeMessage(a.m)}`,
        a.seen,
      );
    }
    // Behaving as though no DNS64 is configured: no A lookup follows the AAAA one, in any class.
    const aLookups = upstreamFor(a.ex, owner, 'A');
    t.expect(
      '6147-5.1-non-in-class',
      'CH AAAA: no A lookup for synthesis',
      aLookups.length === 0,
      `upstream A queries for ${owner}: ${aLookups.length}; all upstream: ${describeUpstream(a.ex.upstream)}`,
      a.seen,
    );
  },
};

export const aaaaDataCases: DnsCaseDef[] = [realAaaa, nxdomain, otherRcode, timeout, nonIn];
