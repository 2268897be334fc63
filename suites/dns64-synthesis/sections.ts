/**
 * RFC 6147 §5.3.2–§5.4: what a DNS64 leaves alone and how it assembles a
 * synthesised reply — additional sections unchanged and never synthesised
 * from, other record types passed back as they are, authority and
 * additional taken from the A response, and the usual truncation and EDNS(0)
 * rules applied to the result.
 */
import type { DnsCaseDef } from '../../harness/runner/dns-case';
import { NAMES } from '../../harness/dns/names';
import { numberToIPv4, ipv4ToNumber } from '../../harness/packet/address';
import { Probe, answered, expectAaaaExactly, fresh, inZone, soaOf } from '../dns-lib/checks';
import { FLAG, answers, describeMessage, describeRecords, hasFlag, rcode, recordKey, records, sameName } from '../dns-lib/msg';
import type { Record } from '../dns-lib/msg';
import { SUITE, expectedFor } from './lib';

function keys(list: Record[]): string[] {
  return list.map(recordKey).sort();
}

const additional: DnsCaseDef = {
  kind: 'dns64',
  id: 'other-types-unchanged',
  suite: SUITE,
  title: 'Replies to A, MX and TXT queries come back unchanged (an MX reply\'s additional A stays an A)',
  requirements: ['6147-5.3.3-other-rr-unchanged'],
  async run(t) {
    const p = new Probe(t);
    const mx = await p.ask(inZone(NAMES.mx.name), 'MX');
    const host = NAMES.mx.exchange;
    if (answered(t, '6147-5.3.3-other-rr-unchanged', 'MX reply unchanged', mx)) {
      const mxRecs = answers(mx.m, 'MX');
      const mxData = mxRecs.map((r) => r.data as { preference?: number; exchange: string });
      t.expect(
        '6147-5.3.3-other-rr-unchanged',
        'MX answer unchanged',
        rcode(mx.m) === 0 && mxRecs.length === 1 && mxData[0].preference === 10 && sameName(mxData[0].exchange, host) && (mxRecs[0] as { ttl?: number }).ttl === 3600 && answers(mx.m).length === 1,
        `${inZone(NAMES.mx.name)} 3600 MX 10 ${host} expected as the only answer; got ${describeMessage(mx.m)}`,
        mx.seen,
      );
      // §5.3.3 asks for the reply unchanged, not for additional data: a resolver may leave it out (minimal
      // responses; RFC 2181 §5.4.1 ranks it low). Without it, nothing can show whether it was changed.
      const add = records(mx.m.additionals);
      const label = `MX additional section unchanged: A ${NAMES.aOnly.a[0]} for ${host} as served, no AAAA made of it`;
      if (add.length === 0) {
        t.naCheck('6147-5.3.3-other-rr-unchanged', label, `the MX reply carries no additional section, so a changed one cannot show`);
      } else {
        const aRecs = add.filter((r) => r.type === 'A' && sameName(r.name, host));
        const asServed = aRecs.every((r) => String(r.data) === NAMES.aOnly.a[0] && (r as { ttl?: number }).ttl === NAMES.aOnly.ttl);
        t.expect(
          '6147-5.3.3-other-rr-unchanged',
          label,
          aRecs.length <= 1 && asServed && add.every((r) => r.type !== 'AAAA'),
          `${host} ${NAMES.aOnly.ttl} A ${NAMES.aOnly.a[0]} (or no record for it), and no AAAA, expected; additional: ${describeRecords(add)}`,
          mx.seen,
        );
      }
    }
    // A queries are other RRs too: the A record comes back as it is, no AAAA added.
    const owner = fresh.a('additional-section');
    const a = await p.ask(owner, 'A');
    if (answered(t, '6147-5.3.3-other-rr-unchanged', 'A reply unchanged', a)) {
      const ans = answers(a.m);
      t.expect(
        '6147-5.3.3-other-rr-unchanged',
        'A reply unchanged',
        rcode(a.m) === 0 && ans.length === 1 && ans[0].type === 'A' && String(ans[0].data) === NAMES.freshA.a[0] && (ans[0] as { ttl?: number }).ttl === NAMES.freshA.ttl,
        `${owner} ${NAMES.freshA.ttl} A ${NAMES.freshA.a[0]} expected as the only answer; got ${describeMessage(a.m)}`,
        a.seen,
      );
    }
    const txt = await p.ask(inZone(NAMES.nodata.name), 'TXT');
    if (answered(t, '6147-5.3.3-other-rr-unchanged', 'TXT reply unchanged', txt)) {
      const ans = answers(txt.m);
      const text = ans.map((r) => [r.data].flat().map((x) => String(x)).join(''));
      t.expect(
        '6147-5.3.3-other-rr-unchanged',
        'TXT reply unchanged',
        // names.ts gives no TTL for this TXT; the lab zone serves it with 3600 (harness/dns/zones.ts).
        ans.length === 1 && ans[0].type === 'TXT' && text[0] === NAMES.nodata.txt && (ans[0] as { ttl?: number }).ttl === 3600,
        `${inZone(NAMES.nodata.name)} 3600 TXT "${NAMES.nodata.txt}" expected; got ${describeRecords(ans)}`,
        txt.seen,
      );
    }
  },
};

const assembly: DnsCaseDef = {
  kind: 'dns64',
  id: 'synthesised-reply-sections',
  suite: SUITE,
  title: 'Synthesised reply: authority and additional sections of the A response, not of the AAAA NODATA',
  requirements: ['6147-5.4-auth-additional', '6147-5.3.2-additional-unchanged', '6147-5.3.2-no-additional-synth'],
  async run(t) {
    const p = new Probe(t);
    // A name whose A response carries authority and additional records (the zone's NS and its address).
    const owner = inZone(NAMES.withAdditional.name);
    const a = await p.ask(owner, 'AAAA');
    // The A response for the same name, as the DNS64 passes it on (§5.3.3): the sections the synthesised reply must carry.
    const base = await p.ask(owner, 'A');
    const reqs = ['6147-5.4-auth-additional', '6147-5.3.2-additional-unchanged', '6147-5.3.2-no-additional-synth'];
    if (!answered(t, reqs, 'synthesised reply', a) || !answered(t, reqs, 'A reply for the same name', base)) return;
    // The SOA belongs to the AAAA negative answer; it has no place next to a synthesised positive answer.
    const soa = soaOf(a.m);
    const authOk = soa.length === 0 && keys(records(a.m.authorities)).join('|') === keys(records(base.m.authorities)).join('|');
    t.expect(
      '6147-5.4-auth-additional',
      'authority section = the A response\'s (no SOA from the AAAA NODATA)',
      authOk && answers(a.m, 'AAAA').length > 0,
      `A response authority: ${describeRecords(records(base.m.authorities))}; synthesised reply authority: ${describeRecords(records(a.m.authorities))}`,
      [...a.seen, ...base.seen],
    );
    // §5.3.2 needs a synthesised reply whose A response had additional records; without them there is nothing to compare.
    const baseAdd = records(base.m.additionals);
    if (baseAdd.length === 0) {
      const why = `the DNS64's A reply for ${owner} carries no additional records (the upstream answer has them; the server leaves them out), so a changed or synthesised additional section cannot show`;
      t.naCheck(['6147-5.3.2-additional-unchanged', '6147-5.3.2-no-additional-synth'], 'additional section of a synthesised reply', why);
      t.note(`synthesised reply additional: ${describeRecords(records(a.m.additionals))}`);
      return;
    }
    t.expect(
      ['6147-5.4-auth-additional', '6147-5.3.2-additional-unchanged'],
      'additional section = the A response\'s, record for record',
      keys(records(a.m.additionals)).join('|') === keys(baseAdd).join('|'),
      `A response additional: ${describeRecords(baseAdd)}; synthesised reply additional: ${describeRecords(records(a.m.additionals))}`,
      [...a.seen, ...base.seen],
    );
    const synth = records(a.m.additionals, 'AAAA').filter((r) => !records(base.m.additionals, 'AAAA').some((b) => recordKey(b) === recordKey(r)));
    t.expect('6147-5.3.2-no-additional-synth', 'no synthetic AAAA added to the additional section', synth.length === 0, `AAAA only in the synthesised reply's additional: ${describeRecords(synth)}`, a.seen);
  },
};

const ipv4sOf = (n: { aCount: number; firstA: string }) => Array.from({ length: n.aCount }, (_, i) => numberToIPv4(ipv4ToNumber(n.firstA) + i));
const bigIpv4s = ipv4sOf(NAMES.big);

const truncation: DnsCaseDef = {
  kind: 'dns64',
  id: 'truncation-and-edns',
  suite: SUITE,
  title: `${NAMES.big.aCount} synthetic AAAA: TC=1 within 512 octets without EDNS(0), the client's EDNS(0) size honoured, all over TCP`,
  requirements: ['6147-5.4-dns-rules'],
  async run(t) {
    const p = new Probe(t);
    const owner = inZone(NAMES.big.name);
    const want = expectedFor(t.config, bigIpv4s);
    const plain = await p.ask(owner, 'AAAA', { edns: false });
    if (answered(t, '6147-5.4-dns-rules', 'UDP without EDNS(0): at most 512 octets, TC=1', plain)) {
      const size = plain.ex.response!.bytes.length;
      t.expect(
        '6147-5.4-dns-rules',
        'UDP without EDNS(0): at most 512 octets, TC=1',
        size <= 512 && hasFlag(plain.m, FLAG.TC),
        `${want.length} AAAA need about ${want.length * 28 + 40} octets; got ${size} octets, TC=${hasFlag(plain.m, FLAG.TC) ? 1 : 0}, ${answers(plain.m, 'AAAA').length} AAAA`,
        plain.seen,
      );
    }
    for (const size of [1232, 4096]) {
      const e = await p.ask(owner, 'AAAA', { edns: { udpPayloadSize: size } });
      const l = `UDP with EDNS(0) ${size}: at most ${size} octets; all ${want.length} AAAA unless TC=1`;
      if (!answered(t, '6147-5.4-dns-rules', l, e)) continue;
      const len = e.ex.response!.bytes.length;
      const tc = hasFlag(e.m, FLAG.TC);
      const n = answers(e.m, 'AAAA').length;
      // Name compression is optional (RFC 1035 §4.1.4): 40 AAAA take about 1160 octets compressed, 1720 not,
      // so at 1232 either the whole answer or TC=1 is right; at 4096 the whole answer always fits, unless the
      // responder's own OPT advertises a smaller payload size: a responder sends no more than it can itself
      // (RFC 6891 §6.2.3-§6.2.5, the sizes both ends advertise), so TC=1 is then normal DNS too.
      const own = responderPayloadSize(e.m);
      const fits = size >= 1800 && (own === undefined || own >= 1800);
      const ok = len <= size && (fits ? !tc && n === want.length : tc || n === want.length);
      const why = fits ? ' (all of them fit: TC=0 and 40 AAAA expected)' : own !== undefined && own < 1800 ? ` (the responder advertises ${own} octets)` : '';
      t.expect('6147-5.4-dns-rules', l, ok, `${len} octets, TC=${tc ? 1 : 0}, ${n} AAAA${why}`, e.seen);
    }
    // An answer over 512 octets that fits 1232 however it is encoded: at EDNS(0) 1232 it must come whole, unless
    // the responder advertises less than it needs.
    const mid = await p.ask(inZone(NAMES.medium.name), 'AAAA', { edns: { udpPayloadSize: 1232 } });
    const ml = `UDP with EDNS(0) 1232, ${NAMES.medium.aCount} synthetic AAAA (over 512 octets, under 1232): all of them, TC=0`;
    if (answered(t, '6147-5.4-dns-rules', ml, mid)) {
      const own = responderPayloadSize(mid.m);
      const tc = hasFlag(mid.m, FLAG.TC);
      const n = answers(mid.m, 'AAAA').length;
      const excused = own !== undefined && own < 1150 && tc;
      t.expect(
        '6147-5.4-dns-rules',
        ml,
        excused || (!tc && n === NAMES.medium.aCount),
        `${mid.ex.response!.bytes.length} octets, TC=${tc ? 1 : 0}, ${n} AAAA${own !== undefined ? `; the responder advertises ${own} octets` : ''}`,
        mid.seen,
      );
    }
    const tcp = await p.ask(owner, 'AAAA', { transport: 'tcp' });
    expectAaaaExactly(t, '6147-5.4-dns-rules', `TCP: all ${want.length} synthetic AAAA, TC=0`, tcp, want);
    if (tcp.m) t.expect('6147-5.4-dns-rules', 'TCP: TC=0', !hasFlag(tcp.m, FLAG.TC), `TC=${hasFlag(tcp.m, FLAG.TC) ? 1 : 0}`, tcp.seen);
  },
};

export const sectionCases: DnsCaseDef[] = [additional, assembly, truncation];

/** The UDP payload size the responder advertises in its own OPT record, if it sent one. */
function responderPayloadSize(m: { additionals?: Array<{ type: string; udpPayloadSize?: number }> } | undefined): number | undefined {
  const opt = m?.additionals?.find((r) => r.type === 'OPT');
  return opt?.udpPayloadSize;
}
