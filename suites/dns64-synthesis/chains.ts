/**
 * RFC 6147 §5.1.5: a CNAME or DNAME chain is followed to its end; the
 * terminal name's AAAA (real) or A (synthesised) data answers, and every
 * CNAME/DNAME of the chain stays in the answer section.
 */
import type { DnsCaseContext, DnsCaseDef } from '../../harness/runner/dns-case';
import { NAMES } from '../../harness/dns/names';
import { Probe, answered, expectAaaaExactly, inZone } from '../dns-lib/checks';
import type { Asked, Expected } from '../dns-lib/checks';
import { answers, describeRecords, describeUpstream, sameName, upstreamFor } from '../dns-lib/msg';
import { SUITE, expectedFor } from './lib';

interface Link {
  owner: string;
  type: 'CNAME' | 'DNAME';
  target: string;
}

/** §5.1.5 second paragraph: each link of the chain is in the answer, and the AAAA records belong to the terminal name. */
function chainInAnswer(t: DnsCaseContext, a: Asked, links: Link[], terminal: string): void {
  const label = `answer holds ${links.map((l) => `${l.type} ${l.owner}→${l.target}`).join(', ')} and AAAA at ${terminal}`;
  if (!answered(t, '6147-5.1.5-chain-in-answer', label, a)) return;
  const missing = links.filter(
    (l) => !answers(a.m, l.type).some((r) => sameName(r.name, l.owner) && sameName(String(r.data), l.target)),
  );
  const aaaa = answers(a.m, 'AAAA');
  const wrongOwner = aaaa.filter((r) => !sameName(r.name, terminal));
  const ok = missing.length === 0 && aaaa.length > 0 && wrongOwner.length === 0;
  t.expect(
    '6147-5.1.5-chain-in-answer',
    label,
    ok,
    `${missing.length ? `missing ${missing.map((l) => `${l.type} ${l.owner}→${l.target}`).join(', ')}; ` : ''}${aaaa.length === 0 ? 'no AAAA; ' : ''}${wrongOwner.length ? `AAAA not owned by ${terminal}: ${describeRecords(wrongOwner)}; ` : ''}answer: ${describeRecords(answers(a.m))}`,
    a.seen,
  );
}

async function chainCase(t: DnsCaseContext, p: Probe, qname: string, links: Link[], terminal: string, want: Expected[], synthesising: boolean): Promise<void> {
  const a = await p.ask(qname, 'AAAA');
  expectAaaaExactly(t, '6147-5.1.5-chain-follow', `${qname}: chain followed to ${terminal}${synthesising ? ', its A synthesised' : ', its real AAAA'}`, a, want);
  // §5.1.5 second paragraph speaks of answers with synthetic AAAA; a chain ending in real AAAA is plain DNS.
  if (synthesising) chainInAnswer(t, a, links, terminal);
  if (synthesising) {
    // Evidence only: a cache may already hold the terminal name's A record.
    const chainNames = [qname, ...links.map((l) => l.target)];
    const aQueries = chainNames.flatMap((n) => upstreamFor(a.ex, n, 'A'));
    t.note(`${qname}: upstream A lookups for the chain: ${describeUpstream(aQueries)} (all upstream: ${describeUpstream(a.ex.upstream)})`);
  }
}

const cnameChain: DnsCaseDef = {
  kind: 'dns64',
  id: 'cname-chain',
  suite: SUITE,
  title: 'CNAME chains (two links, in zone; one link out of zone; to a dual-stack name)',
  requirements: ['6147-5.1.5-chain-follow', '6147-5.1.5-chain-in-answer'],
  async run(t) {
    const p = new Probe(t);
    const c1 = inZone(NAMES.cname1.name);
    const c2 = inZone(NAMES.cname2.name);
    const end = NAMES.cname2.cname;
    await chainCase(
      t,
      p,
      c1,
      [
        { owner: c1, type: 'CNAME', target: NAMES.cname1.cname },
        { owner: c2, type: 'CNAME', target: end },
      ],
      end,
      expectedFor(t.config, NAMES.aOnly.a),
      true,
    );
    const out = inZone(NAMES.cnameOut.name);
    await chainCase(t, p, out, [{ owner: out, type: 'CNAME', target: NAMES.cnameOut.cname }], NAMES.cnameOut.cname, expectedFor(t.config, NAMES.otherA.a), true);
    const dual = inZone(NAMES.cnameDual.name);
    await chainCase(
      t,
      p,
      dual,
      [{ owner: dual, type: 'CNAME', target: NAMES.cnameDual.cname }],
      NAMES.cnameDual.cname,
      NAMES.dual.aaaa.map((x) => ({ address: x, why: 'the real AAAA at the end of the chain' })),
      false,
    );
  },
};

const dnameChain: DnsCaseDef = {
  kind: 'dns64',
  id: 'dname-chain',
  suite: SUITE,
  title: 'DNAME: host.sub.dns64.test → host.sub.other.test, synthesised from its A record',
  requirements: ['6147-5.1.5-chain-follow', '6147-5.1.5-chain-in-answer'],
  async run(t) {
    const p = new Probe(t);
    const d = NAMES.dname;
    const qname = inZone(d.host);
    const a = await p.ask(qname, 'AAAA');
    const want = expectedFor(t.config, d.a);
    expectAaaaExactly(t, '6147-5.1.5-chain-follow', `${qname}: DNAME followed to ${d.target}, its A synthesised`, a, want);
    // The CNAME the DNAME implies (RFC 6672 §3.4) comes from upstream with it; both are links of the chain.
    chainInAnswer(
      t,
      a,
      [
        { owner: inZone(d.name), type: 'DNAME', target: d.dname },
        { owner: qname, type: 'CNAME', target: d.target },
      ],
      d.target,
    );
  },
};

export const chainCases: DnsCaseDef[] = [cnameChain, dnameChain];
