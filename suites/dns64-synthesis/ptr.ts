/**
 * RFC 6147 §5.3.1: PTR queries in ip6.arpa. For an address under a Pref64
 * the DNS64 answers itself — either a local PTR, or a CNAME into the
 * in-addr.arpa name of the embedded IPv4 address — and uses one style; for
 * any other address it resolves the query like any other.
 */
import type { DnsCaseContext, DnsCaseDef } from '../../harness/runner/dns-case';
import { REVERSE } from '../../harness/dns/names';
import { WELL_KNOWN_PREFIX, embed } from '../../harness/packet/rfc6052';
import { Probe, answered } from '../dns-lib/checks';
import type { Asked } from '../dns-lib/checks';
import { inAddrArpaName, ip6ArpaName, prefixesInUse } from '../dns-lib/expected';
import { answers, describeMessage, describeUpstream, sameName, upstreamFor } from '../dns-lib/msg';
import { SUITE } from './lib';

type Mode = 'local PTR' | 'CNAME to in-addr.arpa' | 'both styles at once' | 'neither';

/** Which of the two §5.3.1 styles an answer for `qname` (embedding `ipv4`) shows. */
function modeOf(a: Asked, qname: string, ipv4: string): Mode {
  if (!a.m) return 'neither';
  const cname = answers(a.m, 'CNAME').filter((r) => sameName(r.name, qname));
  const ptr = answers(a.m, 'PTR').filter((r) => sameName(r.name, qname));
  const toInAddr = cname.length === 1 && sameName(String(cname[0].data), inAddrArpaName(ipv4));
  if (toInAddr && ptr.length > 0) return 'both styles at once';
  if (toInAddr) return 'CNAME to in-addr.arpa';
  if (cname.length === 0 && ptr.length > 0) return 'local PTR';
  return 'neither';
}

async function askPtr(p: Probe, prefix: string, ipv4: string): Promise<{ a: Asked; qname: string; mode: Mode }> {
  const qname = ip6ArpaName(embed(prefix, ipv4));
  const a = await p.ask(qname, 'PTR');
  return { a, qname, mode: modeOf(a, qname, ipv4) };
}

function firstPrefix(t: DnsCaseContext): string {
  return prefixesInUse(t.config)[0];
}

const ptrUnderPref64: DnsCaseDef = {
  kind: 'dns64',
  id: 'ptr-under-pref64',
  suite: SUITE,
  title: 'ip6.arpa PTR for addresses under the Pref64: decoded and answered in one of the two styles, consistently',
  requirements: ['6147-5.3.1-ptr-parse', '6147-5.3.1-ptr-one-mode', '6147-5.3.1-ptr-not-both', '6147-5.3.1-ptr-cname-target', '6147-5.3.1-ptr-local-rdata'],
  async run(t) {
    const p = new Probe(t);
    const prefix = firstPrefix(t);
    const [v4a, v4b] = Object.keys(REVERSE.ptr);
    const first = await askPtr(p, prefix, v4a);
    const label = `PTR ${first.qname}: under ${prefix}, so not forwarded as an ip6.arpa query`;
    if (answered(t, '6147-5.3.1-ptr-parse', label, first.a)) {
      const fwd = upstreamFor(first.a.ex, first.qname);
      t.expect(
        '6147-5.3.1-ptr-parse',
        label,
        fwd.length === 0 && first.mode === 'local PTR' || first.mode === 'CNAME to in-addr.arpa',
        `recognised as ${prefix} + ${v4a} expected (answered locally or by CNAME, no upstream ip6.arpa query); got ${first.mode}, upstream: ${describeUpstream(first.a.ex.upstream)}`,
        first.a.seen,
      );
    }
    for (const q of [first, await askPtr(p, prefix, v4b)]) {
      const ipv4 = q === first ? v4a : v4b;
      const l = `PTR for ${prefix} + ${ipv4}: a local PTR or a CNAME to ${inAddrArpaName(ipv4)}`;
      if (!answered(t, '6147-5.3.1-ptr-one-mode', l, q.a)) continue;
      t.expect('6147-5.3.1-ptr-one-mode', l, q.mode === 'local PTR' || q.mode === 'CNAME to in-addr.arpa', `${q.mode}: ${describeMessage(q.a.m!)}`, q.a.seen);
      if (q.mode === 'both styles at once') {
        t.expect('6147-5.3.1-ptr-not-both', 'one style per answer, not a CNAME and a local PTR together', false, `${ipv4}: ${describeMessage(q.a.m!)}`, q.a.seen);
      } else if (q !== first) {
        t.expect(
          '6147-5.3.1-ptr-not-both',
          'the same style for every address of the Pref64',
          q.mode === first.mode,
          `${v4a}: ${first.mode}; ${ipv4}: ${q.mode}`,
          [...first.a.seen, ...q.a.seen],
        );
      }
    }
    // §5.3.1 option 2: no CNAME to an in-addr.arpa name without a PTR (100.0.0.99 has none).
    const missing = await askPtr(p, prefix, REVERSE.missing);
    if (first.mode === 'CNAME to in-addr.arpa') {
      const l = `${REVERSE.missing} has no PTR: no CNAME to ${inAddrArpaName(REVERSE.missing)}`;
      if (answered(t, '6147-5.3.1-ptr-cname-target', l, missing.a)) {
        t.expect('6147-5.3.1-ptr-cname-target', l, missing.mode !== 'CNAME to in-addr.arpa', `got ${missing.mode}: ${describeMessage(missing.a.m!)}`, missing.a.seen);
      }
    } else {
      t.naCheck('6147-5.3.1-ptr-cname-target', 'no dangling CNAME to in-addr.arpa', `the DNS64 answers in the ${first.mode} style, not with CNAMEs`);
    }
    // §5.3.1 option 1 may also cover the WKP; what this DNS64 does with it is reported.
    if (prefix !== WELL_KNOWN_PREFIX) {
      const wkp = await askPtr(p, WELL_KNOWN_PREFIX, v4a);
      t.behaviour(
        '6147-5.3.1-ptr-local-rdata',
        `PTR for ${WELL_KNOWN_PREFIX} + ${v4a} while ${prefix} is configured`,
        `${wkp.mode}; upstream: ${describeUpstream(wkp.a.ex.upstream)}${wkp.a.m ? ` — ${describeMessage(wkp.a.m)}` : ` — ${wkp.a.why}`}`,
        wkp.a.seen,
      );
    }
    if (first.a.m) {
      const rdata = answers(first.a.m, 'PTR').map((r) => String(r.data));
      t.behaviour('6147-5.3.1-ptr-local-rdata', 'RDATA of the reverse answer', `${first.mode}; PTR data ${rdata.join(', ') || 'none'} (in-addr.arpa has ${REVERSE.ptr[v4a]})`, first.a.seen);
    } else {
      t.naCheck('6147-5.3.1-ptr-local-rdata', 'RDATA of the reverse answer', `no reverse answer to describe (${first.a.why})`);
    }
  },
};

const ptrOutside: DnsCaseDef = {
  kind: 'dns64',
  id: 'ptr-outside-pref64',
  suite: SUITE,
  title: 'ip6.arpa PTR for an address under no Pref64: resolved like any other query',
  requirements: ['6147-5.3.1-ptr-other'],
  async run(t) {
    const p = new Probe(t);
    const address = '2001:db8:d0a1::20';
    const qname = ip6ArpaName(address);
    const a = await p.ask(qname, 'PTR');
    const fwd = upstreamFor(a.ex, qname, 'PTR');
    const label = `PTR ${address}: forwarded upstream, not answered from a Pref64`;
    if (answered(t, '6147-5.3.1-ptr-other', label, a)) {
      const local = answers(a.m, 'CNAME').some((r) => String(r.data).toLowerCase().endsWith('in-addr.arpa'));
      t.expect(
        '6147-5.3.1-ptr-other',
        label,
        fwd.length > 0 && !local,
        `upstream PTR query for ${qname} expected; upstream: ${describeUpstream(a.ex.upstream)}; reply: ${describeMessage(a.m)}`,
        a.seen,
      );
    }
  },
};

export const ptrCases: DnsCaseDef[] = [ptrUnderPref64, ptrOutside];
