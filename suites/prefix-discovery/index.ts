/**
 * What a DNS64 shows of Pref64 discovery: the special name ipv4only.arpa,
 * scored against RFC 8880 §7.1 where RFC 7050 §5 says otherwise (RFC 8880
 * updates it): answered locally and authoritatively, A 192.0.0.170/171,
 * AAAA synthesised with every prefix in use, other types NODATA, names below
 * NXDOMAIN, DS resolved normally; and the reverse names (§7.2, §7.2.1).
 */
import type { DnsCaseContext, DnsCaseDef } from '../../harness/runner/dns-case';
import { DNS, NAMES } from '../../harness/dns/names';
import { parseIPv6 } from '../../harness/packet/address';
import { LAB } from '../../harness/lab/addressing';
import { embed } from '../../harness/packet/rfc6052';
import { Probe, answered, expectAaaaExactly, expectNoUpstream, expectRcode, expectUpstream } from '../dns-lib/checks';
import type { Asked } from '../dns-lib/checks';
import { inAddrArpaName, ip6ArpaName, prefixesInUse } from '../dns-lib/expected';
import { FLAG, RCODE, aOf, aaaaOf, answers, describeMessage, describeUpstream, hasFlag, rcode, sameName, upstreamFor } from '../dns-lib/msg';

const SUITE = 'prefix-discovery';
const WKN = DNS.ipv4only.name;
const WKA = DNS.ipv4only.addresses;

/** Pref64::192.0.0.170 and ::171 for each prefix in use, in configuration order. */
function wkaAaaa(t: DnsCaseContext) {
  return prefixesInUse(t.config).flatMap((p) => WKA.map((w) => ({ address: embed(p, w), why: `${p} + ${w}` })));
}

/** §7.1: answered at once by the DNS64 itself, as an authority (AA=1), no upstream query. */
function local(t: DnsCaseContext, a: Asked, what: string): void {
  expectNoUpstream(t, ['8880-7.1-dns64-no-upstream', '8880-7.1-dns64-special'], `${what}: no upstream query`, a);
  if (answered(t, '8880-7.1-dns64-authoritative', `${what}: authoritative answer (AA=1)`, a)) {
    t.expect('8880-7.1-dns64-authoritative', `${what}: authoritative answer (AA=1)`, hasFlag(a.m, FLAG.AA), `AA=1 expected; ${describeMessage(a.m)}`, a.seen);
  }
}

function aaaaCase(id: string, title: string, needs: DnsCaseDef['needs']): DnsCaseDef {
  return {
    kind: 'dns64',
    id,
    suite: SUITE,
    title,
    requirements: ['8880-7.1-aaaa-answer', '7050-3-dns64-answers-wkn', '8880-7.1-dns64-special', '8880-7.1-dns64-no-upstream', '8880-7.1-dns64-authoritative'],
    needs,
    async run(t) {
      const p = new Probe(t);
      const a = await p.ask(WKN, 'AAAA', { cd: false });
      const want = wkaAaaa(t);
      expectAaaaExactly(t, ['8880-7.1-aaaa-answer', '7050-3-dns64-answers-wkn'], `AAAA ${WKN}: Pref64::${WKA.join(' and Pref64::')} for each prefix in use`, a, want);
      local(t, a, `AAAA ${WKN}`);
    },
  };
}

const aAnswer: DnsCaseDef = {
  kind: 'dns64',
  id: 'ipv4only-a',
  suite: SUITE,
  title: `A ${WKN}: exactly ${WKA.join(' and ')}, answered locally`,
  requirements: ['8880-7.1-a-answer', '8880-7.1-dns64-special', '8880-7.1-dns64-no-upstream', '8880-7.1-dns64-authoritative'],
  async run(t) {
    const p = new Probe(t);
    const a = await p.ask(WKN, 'A');
    if (answered(t, '8880-7.1-a-answer', `A ${WKN}: ${WKA.join(', ')}`, a)) {
      const got = aOf(a.m);
      t.expect(
        '8880-7.1-a-answer',
        `A ${WKN}: ${WKA.join(', ')}`,
        rcode(a.m) === 0 && got.length === 2 && WKA.every((w) => got.includes(w)),
        `exactly A ${WKA.join(', ')} expected; got ${describeMessage(a.m)}`,
        a.seen,
      );
    }
    local(t, a, `A ${WKN}`);
  },
};

/** Types to which §7.1 gives "no error no answer". NS and SOA are left out: RFC 8880's own Appendix A zone answers them. */
const OTHER_TYPES = ['TXT', 'MX', 'SRV', 'PTR', 'HINFO', 'CNAME'];

const otherTypes: DnsCaseDef = {
  kind: 'dns64',
  id: 'ipv4only-other-types',
  suite: SUITE,
  title: `${OTHER_TYPES.join(', ')} for ${WKN}: NOERROR with no answer, locally`,
  requirements: ['8880-7.1-other-nodata', '8880-7.1-dns64-special', '8880-7.1-dns64-no-upstream', '8880-7.1-dns64-authoritative'],
  async run(t) {
    const p = new Probe(t);
    for (const type of OTHER_TYPES) {
      const a = await p.ask(WKN, type);
      const l = `${type} ${WKN}: NODATA`;
      if (answered(t, '8880-7.1-other-nodata', l, a)) {
        t.expect('8880-7.1-other-nodata', l, rcode(a.m) === 0 && answers(a.m).length === 0, `NOERROR with an empty answer expected; got ${describeMessage(a.m)}`, a.seen);
      }
      local(t, a, `${type} ${WKN}`);
    }
    for (const type of ['NS', 'SOA']) {
      const a = await p.ask(WKN, type);
      t.note(`${type} ${WKN} (RFC 8880 §7.1 text: NODATA; its Appendix A zone: data): ${a.m ? describeMessage(a.m) : a.why}; upstream: ${describeUpstream(a.ex.upstream)}`);
    }
  },
};

const subdomains: DnsCaseDef = {
  kind: 'dns64',
  id: 'ipv4only-subdomains',
  suite: SUITE,
  title: `Names below ${WKN}: NXDOMAIN at once, whatever the type`,
  requirements: ['8880-7.1-subdomain-nxdomain', '8880-7.1-dns64-special', '8880-7.1-dns64-no-upstream'],
  async run(t) {
    const p = new Probe(t);
    for (const [name, type] of [[`foo.${WKN}`, 'AAAA'], [`foo.${WKN}`, 'A'], [`a.b.${WKN}`, 'TXT']] as const) {
      const a = await p.ask(name, type);
      expectRcode(t, '8880-7.1-subdomain-nxdomain', `${type} ${name}: NXDOMAIN`, a, RCODE.NXDOMAIN);
      expectNoUpstream(t, ['8880-7.1-subdomain-nxdomain', '8880-7.1-dns64-no-upstream', '8880-7.1-dns64-special'], `${type} ${name}: no upstream query`, a);
    }
  },
};

const ds: DnsCaseDef = {
  kind: 'dns64',
  id: 'ipv4only-ds',
  suite: SUITE,
  title: `DS ${WKN}: the one type resolved the usual way`,
  requirements: ['8880-7.1-ds-exception'],
  async run(t) {
    const p = new Probe(t);
    const a = await p.ask(WKN, 'DS');
    expectUpstream(t, '8880-7.1-ds-exception', `DS ${WKN} resolved upstream`, a, WKN, 'DS');
  },
};

const noValidate: DnsCaseDef = {
  kind: 'dns64',
  id: 'ipv4only-no-validation',
  suite: SUITE,
  title: `A validating DNS64 answers DO=1 AAAA ${WKN} with the synthesised records, not SERVFAIL`,
  requirements: ['8880-5-no-validate'],
  needs: { validate: true },
  async run(t) {
    const p = new Probe(t);
    const a = await p.ask(WKN, 'AAAA', { do: true, cd: false });
    expectAaaaExactly(t, '8880-5-no-validate', `DO=1 AAAA ${WKN}: synthesised, not SERVFAIL`, a, wkaAaaa(t));
  },
};

const reverseWka: DnsCaseDef = {
  kind: 'dns64',
  id: 'ipv4only-reverse',
  suite: SUITE,
  title: 'PTR of Pref64::192.0.0.170/171 answered ipv4only.arpa at once; 170/171.0.0.192.in-addr.arpa resolved normally',
  requirements: ['8880-7.2.1-dns64-ptr-wka', '8880-7.2-resolver-reverse-normal'],
  async run(t) {
    const p = new Probe(t);
    // §7.2 item 4 first: a recursive resolver gives the in-addr.arpa names no special treatment. Asked before
    // the Pref64 names, so an in-addr.arpa answer cached on their account cannot hide the upstream query.
    const name = inAddrArpaName(WKA[0]);
    const r = await p.ask(name, 'PTR');
    expectUpstream(t, '8880-7.2-resolver-reverse-normal', `PTR ${name} resolved upstream like any name`, r, name, 'PTR');
    const prefix = prefixesInUse(t.config)[0];
    for (const w of WKA) {
      const qname = ip6ArpaName(embed(prefix, w));
      const a = await p.ask(qname, 'PTR');
      const l = `PTR ${prefix} + ${w}: ${WKN}, with no in-addr.arpa query`;
      if (!answered(t, '8880-7.2.1-dns64-ptr-wka', l, a)) continue;
      const ptr = answers(a.m, 'PTR').filter((r) => sameName(r.name, qname));
      const reverse = upstreamFor(a.ex, inAddrArpaName(w));
      t.expect(
        '8880-7.2.1-dns64-ptr-wka',
        l,
        ptr.length === 1 && sameName(String(ptr[0].data), WKN) && reverse.length === 0,
        `PTR ${WKN} at ${qname} expected; got ${describeMessage(a.m)}; upstream: ${describeUpstream(a.ex.upstream)}`,
        a.seen,
      );
    }
  },
};

const fqdn: DnsCaseDef = {
  kind: 'dns64',
  id: 'nat64-fqdn-aaaa',
  suite: SUITE,
  title: `AAAA of a NAT64 FQDN (${NAMES.nat64Fqdn.name}.${DNS.zone}): its real Pref64::WKA records come back`,
  requirements: ['7050-3.1.1-fqdn-aaaa'],
  async run(t) {
    const p = new Probe(t);
    const owner = `${NAMES.nat64Fqdn.name}.${DNS.zone}`;
    const a = await p.ask(owner, 'AAAA');
    const want = NAMES.nat64Fqdn.aaaa;
    if (!answered(t, '7050-3.1.1-fqdn-aaaa', `AAAA ${owner}: ${want.join(', ')} among the records`, a)) return;
    // RFC 7050 §3.1.1: the operator's NAT64 FQDN answers Pref64::WKA; that its addresses lie inside the
    // DNS64's own Pref64 is no reason to drop them (nor to synthesise: the name has no A).
    const got = aaaaOf(a.m);
    t.expect(
      '7050-3.1.1-fqdn-aaaa',
      `AAAA ${owner}: ${want.join(', ')} among the records`,
      want.every((w) => got.some((g) => sameAddress(g, w))),
      `${want.join(' and ')} expected; got ${describeMessage(a.m)}`,
      a.seen,
    );
  },
};

function sameAddress(a: string, b: string): boolean {
  try {
    return parseIPv6(a).equals(parseIPv6(b));
  } catch {
    return false;
  }
}

export const cases: DnsCaseDef[] = [
  aaaaCase('ipv4only-aaaa', `AAAA ${WKN} with the lab Pref64`, undefined),
  aaaaCase('ipv4only-aaaa-wkp', `AAAA ${WKN} with no prefix configured (64:ff9b::/96)`, { unsetPrefix: true }),
  aaaaCase('ipv4only-aaaa-64', `AAAA ${WKN} with a /64 Pref64 (u-octet skipped)`, { prefixes: [{ prefix: '2001:db8:64:64::/64' }] }),
  // RFC 8880 §7.1: "more than one pair of IPv6 addresses if there are multiple NAT64 prefixes". Two prefixes that
  // both serve every address, so the pairs are owed under either reading of per-range prefixes.
  aaaaCase('ipv4only-aaaa-two-prefixes', `AAAA ${WKN} with two prefixes configured: one pair per prefix`, {
    prefixes: [{ prefix: LAB.pool6 }, { prefix: DNS.secondPrefix }],
  }),
  aAnswer,
  otherTypes,
  subdomains,
  ds,
  noValidate,
  reverseWka,
  fqdn,
];
