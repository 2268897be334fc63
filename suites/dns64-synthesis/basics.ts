/**
 * RFC 6147 §5.1.6–§5.1.7 and §5.2 on the plainest case: a name with A
 * records and an AAAA NODATA (with SOA). The answer is checked field by
 * field, its TTL against the A TTL and the negative answer's SOA, and the
 * upstream queries for the A lookup that synthesis needs.
 */
import type { DnsCaseDef } from '../../harness/runner/dns-case';
import { NAMES } from '../../harness/dns/names';
import { WELL_KNOWN_PREFIX, extract } from '../../harness/packet/rfc6052';
import { inPrefix, parseIPv6, parsePrefix } from '../../harness/packet/address';
import { LAB } from '../../harness/lab/addressing';
import { Probe, answered, expectAaaaExactly, expectNoneOfType, expectRrFields, expectTtl, expectUpstream, fresh, inZone } from '../dns-lib/checks';
import { NEGATIVE_SOA_TTL, prefixFor, synthTtl } from '../dns-lib/expected';
import { aaaaOf, describeMessage, describeUpstream, normName, rcode, upstreamFor } from '../dns-lib/msg';
import { SUITE, expectedFor } from './lib';

/** Mixed-case owner so that a question rewritten to lower case shows (§5.4). */
function mixedCase(name: string): string {
  return name
    .split('')
    .map((c, i) => (i % 2 === 0 ? c.toUpperCase() : c))
    .join('');
}

const aOnlySynth: DnsCaseDef = {
  kind: 'dns64',
  id: 'a-only-synthesis',
  suite: SUITE,
  title: 'A-only name: AAAA synthesised from the A record, field by field, TTL, sections and the upstream A lookup',
  requirements: [
    '6147-5.1.6-a-lookup',
    '6147-5.1.6-no-a-in-answer',
    '6147-5.1.7-rr-fields',
    '6147-5.1.7-ttl',
    '6147-5.2-rfc6052-default',
    '6147-5.2-use-configured',
    '6147-5.2-reversible',
    '6147-5.2-same-algo',
    '6147-5.4-question-copied',
  ],
  async run(t) {
    const p = new Probe(t);
    const owner = fresh.a('a-only-synthesis');
    const qname = mixedCase(owner);
    const a = await p.ask(qname, 'AAAA');
    const want = expectedFor(t.config, NAMES.freshA.a);

    // §5.1.6: NODATA for AAAA, so the DNS64 asks for A, and synthesises from it.
    expectUpstream(t, '6147-5.1.6-a-lookup', 'after the AAAA NODATA the DNS64 queries A for the name', a, owner, 'A');
    expectAaaaExactly(t, '6147-5.1.6-a-lookup', 'the A records become the synthetic answer', a, want);
    expectNoneOfType(t, '6147-5.1.6-no-a-in-answer', 'no A record in the answer of a synthesised reply', a, 'A');
    expectRrFields(t, '6147-5.1.7-rr-fields', a, owner, want);
    expectTtl(t, '6147-5.1.7-ttl', p, a, synthTtl(NAMES.freshA.ttl, NEGATIVE_SOA_TTL));

    const got = a.m ? aaaaOf(a.m) : [];
    // §5.2: with a Pref64 configured, the RFC 6052 embedding with it is the default algorithm, never the WKP.
    expectAaaaExactly(t, '6147-5.2-rfc6052-default', 'default algorithm: RFC 6052 §2.2 embedding in the configured Pref64', a, want);
    if (answered(t, '6147-5.2-use-configured', 'synthesis uses the configured Pref64, not 64:ff9b::/96', a)) {
      const wkp = parsePrefix(WELL_KNOWN_PREFIX);
      const inWkp = got.filter((x) => inPrefix(parseIPv6(x), wkp));
      const configured = t.config.prefixes.map((x) => x.prefix);
      t.expect(
        '6147-5.2-use-configured',
        'synthesis uses the configured Pref64, not 64:ff9b::/96',
        got.length > 0 && inWkp.length === 0 && got.every((x) => configured.some((c) => inPrefix(parseIPv6(x), parsePrefix(c)))),
        `configured ${configured.join(', ') || '(none)'}; got ${got.join(', ') || 'no AAAA'}${inWkp.length ? ` — ${inWkp.join(', ')} in ${WELL_KNOWN_PREFIX}` : ''}`,
        a.seen,
      );
    }
    // §5.2 reversible: extracting with the prefix that made it gives the A address back.
    if (answered(t, '6147-5.2-reversible', 'IPv4 extracted back from each synthetic AAAA', a)) {
      const back = got.map((x) => {
        const pfx = prefixFor(t.config, NAMES.freshA.a[0])?.prefix ?? WELL_KNOWN_PREFIX;
        try {
          return extract(pfx, x);
        } catch (e) {
          return `(${(e as Error).message})`;
        }
      });
      t.expect(
        '6147-5.2-reversible',
        'IPv4 extracted back from each synthetic AAAA',
        back.length > 0 && back.every((b) => b === NAMES.freshA.a[0]),
        `RFC 6052 extraction of ${got.join(', ') || 'no AAAA'} gives ${back.join(', ') || 'nothing'}, expected ${NAMES.freshA.a[0]}`,
        a.seen,
      );
    }
    // §5.2 same algorithm as the NAT64: the lab's NAT64 runs with pool6 = LAB.pool6 and
    // writes embed(pool6, X) as the source of packets from X (checked by the NAT64 suites).
    const nat64 = expectedFor({ ...t.config, prefixes: [{ prefix: LAB.pool6 }] }, NAMES.freshA.a);
    if (t.config.prefixes.length === 1 && t.config.prefixes[0].prefix === LAB.pool6) {
      expectAaaaExactly(t, '6147-5.2-same-algo', `AAAA equals the IPv6 source the lab NAT64 (pool6 ${LAB.pool6}) writes for ${NAMES.freshA.a[0]}`, a, nat64);
    } else {
      t.naCheck('6147-5.2-same-algo', 'same algorithm as the NAT64', `the DNS64 runs with ${t.config.prefixes.map((x) => x.prefix).join(', ')}, not the lab NAT64's pool6 ${LAB.pool6}`);
    }

    // §5.4: the question section is the client's, letter case included.
    if (answered(t, '6147-5.4-question-copied', 'question section copied from the query, letter case included', a)) {
      const q = a.m.questions ?? [];
      const ok = q.length === 1 && q[0].name === qname && q[0].type === 'AAAA' && (q[0].class ?? 'IN') === 'IN';
      t.expect(
        '6147-5.4-question-copied',
        'question section copied from the query, letter case included',
        ok,
        `expected "${qname}" AAAA IN, got ${q.map((x) => `"${x.name}" ${x.type} ${x.class ?? 'IN'}`).join('; ') || 'no question'}`,
        a.seen,
      );
    }
  },
};

const aMulti: DnsCaseDef = {
  kind: 'dns64',
  id: 'a-multi-synthesis',
  suite: SUITE,
  title: 'Two A records: one synthetic AAAA per A record',
  requirements: ['6147-5.1.7-rr-fields', '6147-5.1.6-no-a-in-answer'],
  async run(t) {
    const p = new Probe(t);
    const owner = inZone(NAMES.aMulti.name);
    const a = await p.ask(owner, 'AAAA');
    expectRrFields(t, '6147-5.1.7-rr-fields', a, owner, expectedFor(t.config, NAMES.aMulti.a));
    expectNoneOfType(t, '6147-5.1.6-no-a-in-answer', 'no A record in the answer of a synthesised reply', a, 'A');
  },
};

const ttlCases: DnsCaseDef = {
  kind: 'dns64',
  id: 'ttl-rules',
  suite: SUITE,
  title: 'TTL of synthetic AAAA: lower of A TTL and negative-answer SOA; 600 s cap without SOA',
  requirements: ['6147-5.1.7-ttl', '6147-5.1.7-ttl-no-soa'],
  async run(t) {
    const p = new Probe(t);
    // A TTL 60 below the SOA's 300: the A TTL wins.
    const short = await p.ask(inZone(NAMES.aShort.name), 'AAAA');
    expectTtl(t, '6147-5.1.7-ttl', p, short, synthTtl(NAMES.aShort.ttl, NEGATIVE_SOA_TTL));
    // SOA MINIMUM 30 in soa30.test below the A TTL 3600: the SOA wins.
    const soa30 = await p.ask(NAMES.shortSoa.name, 'AAAA');
    expectTtl(t, '6147-5.1.7-ttl', p, soa30, synthTtl(NAMES.shortSoa.ttl, 30));
    // NODATA without SOA: min(A TTL 3600, 600).
    const noSoa = await p.ask(inZone(NAMES.noSoa.name), 'AAAA');
    expectAaaaExactly(t, '6147-5.1.7-ttl-no-soa', 'AAAA synthesised although the NODATA had no SOA', noSoa, expectedFor(t.config, NAMES.noSoa.a));
    expectTtl(t, '6147-5.1.7-ttl-no-soa', p, noSoa, synthTtl(NAMES.noSoa.ttl, undefined));
  },
};

const nodata: DnsCaseDef = {
  kind: 'dns64',
  id: 'nothing-to-synthesise',
  suite: SUITE,
  title: 'Neither AAAA nor A: the A lookup happens and the original AAAA NODATA goes back unchanged',
  requirements: ['6147-5.1.6-a-lookup', '6147-5.4-empty-passthrough'],
  async run(t) {
    const p = new Probe(t);
    const owner = fresh.nodata('nothing-to-synthesise');
    const a = await p.ask(owner, 'AAAA');
    expectUpstream(t, '6147-5.1.6-a-lookup', 'after the AAAA NODATA the DNS64 queries A for the name', a, owner, 'A');
    if (answered(t, ['6147-5.1.6-a-lookup', '6147-5.4-empty-passthrough'], 'empty A result passed on', a)) {
      const soa = (a.m.authorities ?? []).filter((r) => r.type === 'SOA');
      const ok = rcode(a.m) === 0 && (a.m.answers ?? []).length === 0;
      const detail = `NOERROR, empty answer expected; got rcode ${rcode(a.m)}, ${(a.m.answers ?? []).length} answer record(s)`;
      t.expect('6147-5.1.6-a-lookup', 'empty A result: the client gets an empty answer', ok, detail, a.seen);
      // §5.4: "responds ... with the answer the DNS64 received to the original query": the NODATA with its SOA.
      const soaOk = soa.length === 1 && normName(soa[0].name) === 'dns64.test';
      t.expect(
        '6147-5.4-empty-passthrough',
        'the AAAA NODATA is returned as received: NOERROR, no answer, SOA of dns64.test in the authority section',
        ok && soaOk,
        `${detail}; authority SOA: ${soa.map((s) => normName(s.name)).join(', ') || 'none'}`,
        a.seen,
      );
    }
    // §5.1.6: "If this new A RR query results in ... an error, then the ... error is used as the basis for the answer".
    const sf = await p.ask(inZone(NAMES.servfailA.name), 'AAAA');
    if (answered(t, '6147-5.1.6-a-lookup', 'A lookup failed (SERVFAIL): the error is the answer', sf)) {
      const rc = rcode(sf.m);
      const ok = rc === 2 && aaaaOf(sf.m).length === 0;
      t.expect('6147-5.1.6-a-lookup', 'A lookup failed (SERVFAIL): the error is the answer', ok, `SERVFAIL with no AAAA expected; got ${describeMessage(sf.m)}`, sf.seen);
    }
  },
};

const parallel: DnsCaseDef = {
  kind: 'dns64',
  id: 'parallel-queries',
  suite: SUITE,
  title: 'AAAA answered after 1.5 s, A at once: are the A and AAAA lookups made in parallel (a MAY)?',
  requirements: ['6147-5.1.8-parallel'],
  async run(t) {
    const p = new Probe(t);
    const owner = inZone(NAMES.slowAaaa.name);
    const a = await p.ask(owner, 'AAAA', { timeoutMs: 10_000 });
    const aaaa = upstreamFor(a.ex, owner, 'AAAA')[0];
    const aq = upstreamFor(a.ex, owner, 'A')[0];
    let how: string;
    if (!aaaa || !aq) how = `upstream: ${describeUpstream(a.ex.upstream)}`;
    else {
      const gapMs = (aq.timeUs - aaaa.timeUs) / 1000;
      how = `${gapMs < NAMES.slowAaaa.delayMs ? 'parallel' : 'sequential'}: A query ${gapMs.toFixed(0)} ms after the AAAA query (the AAAA answer took ${NAMES.slowAaaa.delayMs} ms)`;
    }
    const result = a.m ? `; reply AAAA ${aaaaOf(a.m).join(', ') || 'none'}` : `; ${a.why}`;
    t.behaviour('6147-5.1.8-parallel', 'AAAA and A lookups in parallel or in sequence', how + result, a.seen);
  },
};

export const basicCases: DnsCaseDef[] = [aOnlySynth, aMulti, ttlCases, nodata, parallel];
