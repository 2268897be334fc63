/**
 * RFC 6147 §5.1.4: AAAA records in excluded ranges (::ffff:0:0/96 by
 * default, plus configured ones) count as absent. Only excluded records →
 * synthesise from A; a mix → the good records only (SHOULD) or synthesis
 * (MAY); an excluded record never reaches the client.
 */
import type { DnsCaseDef } from '../../harness/runner/dns-case';
import { NAMES } from '../../harness/dns/names';
import { inPrefix, parseIPv6, parsePrefix } from '../../harness/packet/address';
import { Probe, answered, expectAaaaExactly, inZone } from '../dns-lib/checks';
import type { Asked } from '../dns-lib/checks';
import { aaaaOf, describeMessage, rcode } from '../dns-lib/msg';
import type { DnsCaseContext } from '../../harness/runner/dns-case';
import { SUITE, expectedFor } from './lib';

const MAPPED = '::ffff:0:0/96';

function neverExcluded(t: DnsCaseContext, a: Asked, ranges: string[]): void {
  const label = `no AAAA inside ${ranges.join(' or ')} in the reply`;
  if (!answered(t, '6147-5.1.4-never-excluded', label, a)) return;
  const bad = aaaaOf(a.m).filter((x) => ranges.some((r) => inPrefix(parseIPv6(x), parsePrefix(r))));
  t.expect('6147-5.1.4-never-excluded', label, bad.length === 0, `${a.name}: excluded AAAA in the reply: ${bad.join(', ') || 'none'} (answer ${aaaaOf(a.m).join(', ') || 'empty'})`, a.seen);
}

const mappedDefault: DnsCaseDef = {
  kind: 'dns64',
  id: 'exclude-mapped-default',
  suite: SUITE,
  title: 'Default exclusion of ::ffff:0:0/96: a mapped-only AAAA answer is treated as empty',
  requirements: ['6147-5.1.4-exclude-mapped-default', '6147-5.1.4-only-excluded', '6147-5.1.4-never-excluded'],
  async run(t) {
    const p = new Probe(t);
    // Only a mapped AAAA, plus an A: synthesis from the A.
    const a = await p.ask(inZone(NAMES.mappedA.name), 'AAAA');
    const want = expectedFor(t.config, NAMES.mappedA.a);
    expectAaaaExactly(t, '6147-5.1.4-exclude-mapped-default', '::ffff:100.0.0.23 excluded by default: synthesised from the A', a, want);
    expectAaaaExactly(t, '6147-5.1.4-only-excluded', 'all AAAA excluded: answer treated as empty, synthesised from the A', a, want);
    neverExcluded(t, a, [MAPPED]);
    // Only a mapped AAAA and no A: nothing to synthesise from, and the mapped record stays out.
    const o = await p.ask(inZone(NAMES.mappedOnly.name), 'AAAA');
    neverExcluded(t, o, [MAPPED]);
    if (answered(t, '6147-5.1.4-only-excluded', 'mapped-only, no A: empty answer', o)) {
      t.expect(
        '6147-5.1.4-only-excluded',
        'mapped-only, no A: empty answer',
        rcode(o.m) === 0 && aaaaOf(o.m).length === 0,
        `NOERROR with no AAAA expected (excluded AAAA = empty, and no A to synthesise from); got ${describeMessage(o.m)}`,
        o.seen,
      );
    }
  },
};

const mixed: DnsCaseDef = {
  kind: 'dns64',
  id: 'exclude-mixed',
  suite: SUITE,
  title: 'A mapped AAAA next to a good one: the good one only (default), never the mapped one',
  requirements: ['6147-5.1.4-mixed-keep-good', '6147-5.1.4-mixed-as-empty', '6147-5.1.4-never-excluded'],
  async run(t) {
    const p = new Probe(t);
    const a = await p.ask(inZone(NAMES.mappedMixed.name), 'AAAA');
    const good = NAMES.mappedMixed.aaaa.filter((x) => !x.startsWith('::ffff:'));
    expectAaaaExactly(t, '6147-5.1.4-mixed-keep-good', 'only the non-excluded AAAA records', a, good.map((x) => ({ address: x, why: 'the non-excluded record' })));
    neverExcluded(t, a, [MAPPED]);
    if (a.m) {
      const synth = expectedFor(t.config, NAMES.mappedMixed.a).map((e) => e.address);
      const got = aaaaOf(a.m);
      const asEmpty = got.length > 0 && got.every((x) => synth.includes(x));
      t.behaviour(
        '6147-5.1.4-mixed-as-empty',
        'a mixed AAAA answer handled as empty (synthesis) instead',
        asEmpty ? `treated as empty: synthesised ${got.join(', ')}` : `not treated as empty: answered ${got.join(', ') || 'no AAAA'}`,
        a.seen,
      );
    } else {
      t.naCheck('6147-5.1.4-mixed-as-empty', 'a mixed AAAA answer handled as empty (synthesis) instead', `no answer to describe (${a.why})`);
    }
  },
};

const configured: DnsCaseDef = {
  kind: 'dns64',
  id: 'exclude-configured',
  suite: SUITE,
  title: 'A configured exclusion range (2001:db8:bad::/48) works like ::ffff:0:0/96',
  requirements: ['6147-5.1.4-exclusion-config', '6147-5.1.4-only-excluded', '6147-5.1.4-mixed-keep-good', '6147-5.1.4-never-excluded'],
  needs: { exclude: [MAPPED, NAMES.excludeRange] },
  async run(t) {
    const p = new Probe(t);
    const ranges = [MAPPED, NAMES.excludeRange];
    const a = await p.ask(inZone(NAMES.excluded.name), 'AAAA');
    const want = expectedFor(t.config, NAMES.excluded.a);
    expectAaaaExactly(t, '6147-5.1.4-exclusion-config', `AAAA in ${NAMES.excludeRange} handled as empty: synthesised from the A`, a, want);
    expectAaaaExactly(t, '6147-5.1.4-only-excluded', 'all AAAA in a configured range: synthesised from the A', a, want);
    neverExcluded(t, a, ranges);
    const m = await p.ask(inZone(NAMES.excludedMixed.name), 'AAAA');
    const good = NAMES.excludedMixed.aaaa.filter((x) => !inPrefix(parseIPv6(x), parsePrefix(NAMES.excludeRange)));
    expectAaaaExactly(t, ['6147-5.1.4-exclusion-config', '6147-5.1.4-mixed-keep-good'], `${NAMES.excludedMixed.name}: only the record outside ${NAMES.excludeRange}`, m, good.map((x) => ({ address: x, why: 'the non-excluded record' })));
    neverExcluded(t, m, ranges);
  },
};

export const exclusionCases: DnsCaseDef[] = [mappedDefault, mixed, configured];
