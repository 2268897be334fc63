/**
 * Per-subscriber limits of a carrier-grade NAT (RFC 6888 REQ-4, REQ-5,
 * REQ-11): a cap on the external ports (ICMP identifiers) one subscriber
 * holds, per protocol if the NAT offers it; a cap on its sessions, also per
 * mapping; caps on how fast it creates mappings and sessions. When a limit is
 * hit the packet is dropped with an ICMP error, other subscribers are not
 * affected, and nothing the subscriber already has is evicted.
 *
 * For a NAT64 the subscriber is an IPv6 address or prefix (RFC 6888 §4
 * "subscriber identifier"); the cases configure /128 unless they test the
 * prefix length, which they do with a /120 so every host stays inside the
 * lab's client /64.
 */
import type { CaseContext, CaseDef } from '../../harness/runner/case';
import { C6A, C6B, S4, S4B, S4C } from '../mapping/lib';
import type { Flow, Proto } from './lib';
import { CONFLICT_NOTE, SUITE, allStillWork, fmt, label, open, outputs, refusal, seenOf, server, setupOk, stillWorks } from './lib';
import { deliveredTo, inbound } from '../mapping/lib';

const SERVERS = [S4, S4B, S4C];

/** CGN duties the lab cannot exercise: translation exemptions, PCP (RFC 7422 and the event-log rows are in deterministic.ts). */
const OPERATOR_ROWS = ['6888-3-req6-no-translate', '6888-3-req9-control', '6888-3-req9-pcp'];

/** Whether the target shows the configured value of a limit; false when it shows limits and the value differs. */
function readBack(t: CaseContext, pick: (l: NonNullable<CaseContext['config']['limits']>) => unknown, want: unknown): { ok: boolean; text: string } {
  const l = t.config.limits;
  if (!l) return { ok: true, text: 'the target does not show its limits' };
  const got = pick(l);
  return { ok: got === want, text: `configured value read back: ${JSON.stringify(got)}` };
}

function portLimit(proto: Proto): CaseDef {
  const extra = proto === 'udp' ? OPERATOR_ROWS : [];
  const ids = ['6888-3-req4-port-limit', '6888-3-req4a-configurable', '6888-3-req11a-drop', '6888-3-req11b-icmp', '6888-3-req11d-no-eviction', '5508-6-req8-reject'];
  return {
    id: `port-limit-${proto}`,
    suite: SUITE,
    title: `A subscriber limited to 3 ${proto === 'icmp' ? 'ICMP identifiers' : `${proto.toUpperCase()} ports`}: its 4th mapping is refused with an ICMPv6 error, others are unaffected, nothing is evicted (RFC 6888 REQ-4, REQ-11)`,
    requirements: [...ids, ...extra],
    needs: { limits: { subscriberPrefix: 128, ports: { [proto]: 3 } } },
    async run(t) {
      const own: Flow[] = [];
      for (let i = 0; i < 3; i++) own.push(await open(t, proto, C6A, 40000 + 2 * i, SERVERS[i]));
      if (!setupOk(t, ids, `three ${proto.toUpperCase()} mappings of ${C6A} (within its limit)`, own)) return;
      const fourth = await open(t, proto, C6A, 40006, S4);
      const other = await open(t, proto, C6B, 40000, S4);
      const rb = readBack(t, (l) => l.ports[proto], 3);
      // REQ-4/4a: the configured limit is what refuses the 4th mapping; another subscriber still gets one.
      t.expect(
        ['6888-3-req4-port-limit', '6888-3-req4a-configurable'],
        `limit 3: ${C6A}'s 4th mapping is refused while ${C6B} still gets one`,
        fourth.ex.out4.length === 0 && !!other.map && rb.ok,
        `${label(fourth)}: ${fourth.map ? `translated from ${fmt(fourth.map)}` : 'not translated'}; ${label(other)}: ${other.map ? fmt(other.map) : outputs(other.ex)}; ${rb.text}`,
        [...seenOf(fourth.ex), ...seenOf(other.ex)],
      );
      refusal(t, fourth, { drop: ['6888-3-req11a-drop'], rfc5508: true, rfc6888: true }, 'per-subscriber port limit reached');
      await allStillWork(t, '6888-3-req11d-no-eviction', `${C6A}'s three existing mappings still work after the refusal`, own);
      if (proto !== 'udp') return;
      // RFC 6888 §1: "the CGN described in this document is IPv4-only"; REQ-6's pass-through forwards a packet "without modification, thus acting like a plain router".
      t.naCheck('6888-3-req6-no-translate', 'translation switched off for chosen destinations', 'does not apply to a NAT64: REQ-6 pass-through forwards packets unmodified like a plain router (RFC 6888 §3, Figure 2), which cannot carry an IPv6 packet to an IPv4 destination; traffic to native IPv6 destinations never enters the translator (RFC 6146 §3.5: only Pref64 destinations are translated), so there is nothing for an exemption list to switch off');
      t.naCheck(['6888-3-req9-control', '6888-3-req9-pcp'], 'subscribers control their mappings (PCP)', 'the lab has no PCP client and the target interface no PCP server address; the engine implements no PCP (RFC 6887) — reported as a gap, not scored');
    },
  };
}

const perProtocol: CaseDef = {
  id: 'port-limit-per-protocol',
  suite: SUITE,
  title: 'Separate per-subscriber limits for UDP (1) and TCP (2), none for ICMP: each protocol is capped at its own value (RFC 6888 REQ-4, REQ-4b)',
  requirements: ['6888-3-req4-port-limit', '6888-3-req4b-per-proto'],
  needs: { limits: { subscriberPrefix: 128, ports: { udp: 1, tcp: 2 } } },
  async run(t) {
    const u = [await open(t, 'udp', C6A, 40000, S4), await open(t, 'udp', C6A, 40002, S4)];
    const c = [await open(t, 'tcp', C6A, 40000, S4), await open(t, 'tcp', C6A, 40002, S4), await open(t, 'tcp', C6A, 40004, S4)];
    const i = [await open(t, 'icmp', C6A, 100, S4), await open(t, 'icmp', C6A, 101, S4), await open(t, 'icmp', C6A, 102, S4)];
    const got = (l: Flow[]) => l.map((f) => (f.map ? 'y' : 'n')).join('');
    const ok = got(u) === 'yn' && got(c) === 'yyn';
    t.expect(
      '6888-3-req4-port-limit',
      `UDP: 1st mapping translated, 2nd refused; TCP: 2 translated, 3rd refused`,
      ok,
      `UDP ${got(u)}, TCP ${got(c)}, ICMP ${got(i)} (y = translated, n = refused)`,
      [...u, ...c].flatMap((f) => seenOf(f.ex)),
    );
    t.behaviour('6888-3-req4b-per-proto', 'per-subscriber port limits set per transport protocol', ok && got(i) === 'yyy' ? 'yes: UDP capped at 1, TCP at 2, ICMP (no limit set) unaffected' : `UDP ${got(u)}, TCP ${got(c)}, ICMP ${got(i)}`);
  },
};

const prefixSubscriber: CaseDef = {
  id: 'port-limit-subscriber-prefix',
  suite: SUITE,
  title: 'Subscribers identified by a /120: two addresses of one prefix share its limit of 2 UDP ports, another prefix has its own (RFC 6888 REQ-4, §4 subscriber identifier)',
  requirements: ['6888-3-req4-port-limit', '6888-3-req4a-configurable'],
  needs: { limits: { subscriberPrefix: 120, ports: { udp: 2 } } },
  async run(t) {
    // 2001:db8:6::10 and ::11 lie in 2001:db8:6::/120; ::110 in 2001:db8:6::100/120.
    const b = '2001:db8:6::110';
    const a1 = await open(t, 'udp', C6A, 40000, S4);
    const a2 = await open(t, 'udp', C6B, 40000, S4);
    if (!setupOk(t, this.requirements, `one mapping each for ${C6A} and ${C6B} (same /120, 2 ports in all)`, [a1, a2])) return;
    const a1b = await open(t, 'udp', C6A, 40002, S4);
    const bb = await open(t, 'udp', b, 40000, S4);
    const rb = readBack(t, (l) => l.subscriberPrefix, 120);
    t.expect(
      this.requirements,
      `a 3rd mapping in 2001:db8:6::/120 is refused; ${b} (another /120) still gets one`,
      a1b.ex.out4.length === 0 && !!bb.map && rb.ok,
      `${label(a1b)}: ${a1b.map ? `translated from ${fmt(a1b.map)} (counted per address, not per prefix)` : 'refused'}; ${label(bb)}: ${bb.map ? fmt(bb.map) : outputs(bb.ex)}; ${rb.text}`,
      [...seenOf(a1b.ex), ...seenOf(bb.ex)],
    );
  },
};

function sessionLimit(proto: Proto): CaseDef {
  const P = proto.toUpperCase();
  return {
    id: `session-limit-${proto}`,
    suite: SUITE,
    title: `A subscriber limited to 3 sessions: a 4th ${P} destination is refused with an ICMPv6 error, an inbound packet that would add a session is dropped, the 3 sessions keep working (RFC 6888 REQ-5)`,
    requirements: ['6888-3-req5-state-limit', '6888-3-req5a-configurable', '5508-6-req8-reject', '6888-3-req11d-no-eviction'],
    needs: { filtering: 'endpoint-independent', limits: { subscriberPrefix: 128, sessions: 3 } },
    async run(t) {
      const ids = this.requirements;
      // One mapping (same source port or identifier), three destinations: three sessions.
      const own: Flow[] = [];
      for (const s of SERVERS) own.push(await open(t, proto, C6A, 40000, s));
      if (!setupOk(t, ids, `[${C6A}]:40000 opens ${P} sessions to ${SERVERS.join(', ')}`, own)) return;
      const fourth = await open(t, proto, C6A, 40000, server(0));
      const other = await open(t, proto, C6B, 40000, server(0));
      const rb = readBack(t, (l) => l.sessions, 3);
      t.expect(
        ['6888-3-req5-state-limit', '6888-3-req5a-configurable'],
        `limit 3: ${C6A}'s 4th session is refused while ${C6B} still opens one`,
        fourth.ex.out4.length === 0 && !!other.map && rb.ok,
        `${label(fourth)}: ${fourth.map ? `translated from ${fmt(fourth.map)}` : 'refused'}; ${label(other)}: ${other.map ? fmt(other.map) : outputs(other.ex)}; ${rb.text}`,
        [...seenOf(fourth.ex), ...seenOf(other.ex)],
      );
      refusal(t, fourth, { drop: [], rfc5508: true }, 'per-subscriber session limit reached');
      // Inbound state counts too: under endpoint-independent filtering a new remote would add a session to the mapping.
      const m = own[0].map!;
      const stranger = server(1);
      const inb = await t.send(4, inbound(proto, stranger, 9, m));
      const leaked = deliveredTo(inb, C6A, 40000, proto);
      t.expect('6888-3-req5-state-limit', `an inbound ${P} packet from ${stranger} to ${fmt(m)} (a 4th session) is dropped`, !leaked, outputs(inb), seenOf(inb));
      await allStillWork(t, '6888-3-req11d-no-eviction', `${C6A}'s three sessions still work after the refusals`, own);
      t.note(CONFLICT_NOTE);
    },
  };
}

const perMapping: CaseDef = {
  id: 'session-limit-per-mapping',
  suite: SUITE,
  title: 'Sessions limited to 2 per mapping: a 3rd destination of the same mapping is refused, another mapping of the subscriber still opens one (RFC 6888 REQ-5)',
  requirements: ['6888-3-req5-state-limit', '6888-3-req5a-configurable'],
  needs: { limits: { sessionsPerMapping: 2 } },
  async run(t) {
    const own = [await open(t, 'udp', C6A, 40000, S4), await open(t, 'udp', C6A, 40000, S4B)];
    if (!setupOk(t, this.requirements, `${C6A}:40000 opens sessions to ${S4} and ${S4B}`, own)) return;
    const third = await open(t, 'udp', C6A, 40000, S4C);
    const again = await open(t, 'udp', C6A, 40002, S4C);
    const rb = readBack(t, (l) => l.sessionsPerMapping, 2);
    t.expect(
      this.requirements,
      `a 3rd session of ${fmt(own[0].map)} is refused; [${C6A}]:40002 (another mapping) still reaches ${S4C}`,
      third.ex.out4.length === 0 && !!again.map && rb.ok,
      `${label(third)}: ${third.map ? `translated from ${fmt(third.map)}` : 'refused'}; ${label(again)}: ${again.map ? fmt(again.map) : outputs(again.ex)}; ${rb.text}`,
      [...seenOf(third.ex), ...seenOf(again.ex)],
    );
  },
};

const mappingRate: CaseDef = {
  id: 'mapping-rate',
  suite: SUITE,
  title: 'New mappings limited to 4 per second per subscriber: of 6 at once 4 pass, another subscriber is unaffected, a second later the subscriber gets mappings again (RFC 6888 REQ-4c)',
  requirements: ['6888-3-req4c-rate', '6888-3-req11a-drop'],
  needs: { limits: { subscriberPrefix: 128, mappingRate: 4 } },
  async run(t) {
    const burst: Flow[] = [];
    for (let i = 0; i < 6; i++) burst.push(await open(t, 'udp', C6A, 40000 + 2 * i, S4));
    const other = await open(t, 'udp', C6B, 40000, S4);
    await t.elapse(1000);
    const later = await open(t, 'udp', C6A, 40020, S4);
    const pattern = burst.map((f) => (f.map ? 'y' : 'n')).join('');
    t.expect(
      '6888-3-req4c-rate',
      `6 new mappings of ${C6A} at once: 4 translated, 2 refused; ${C6B} unaffected; 1 s later ${C6A} gets a mapping again`,
      pattern === 'yyyynn' && !!other.map && !!later.map,
      `${C6A}: ${pattern} (y = translated, n = refused); ${label(other)}: ${other.map ? fmt(other.map) : outputs(other.ex)}; after 1 s ${label(later)}: ${later.map ? fmt(later.map) : outputs(later.ex)}`,
      [...burst.slice(4), other, later].flatMap((f) => seenOf(f.ex)),
    );
    t.expect('6888-3-req11a-drop', 'the mappings refused by the rate limit are not translated', burst.slice(4).every((f) => f.ex.out4.length === 0), burst.slice(4).map((f) => `${label(f)}: ${outputs(f.ex)}`).join('; '), burst.slice(4).flatMap((f) => f.ex.out4));
  },
};

const sessionRate: CaseDef = {
  id: 'session-rate',
  suite: SUITE,
  title: 'New sessions limited to 4 per second per subscriber: of 6 at once 4 pass, a second later the subscriber opens sessions again (RFC 6888 REQ-5b)',
  requirements: ['6888-3-req5b-rate'],
  needs: { limits: { subscriberPrefix: 128, sessionRate: 4 } },
  async run(t) {
    // One mapping, six destinations: six new sessions, one new mapping.
    const burst: Flow[] = [];
    for (let i = 0; i < 6; i++) burst.push(await open(t, 'udp', C6A, 40000, server(i)));
    await t.elapse(1000);
    const later = await open(t, 'udp', C6A, 40000, server(6));
    const existing = await stillWorks(t, burst[0]);
    const pattern = burst.map((f) => (f.map ? 'y' : 'n')).join('');
    t.expect(
      '6888-3-req5b-rate',
      `6 new sessions of ${C6A} at once: 4 translated, 2 refused; 1 s later a new session is translated`,
      pattern === 'yyyynn' && !!later.map && existing.ok,
      `${pattern} (y = translated, n = refused); after 1 s ${label(later)}: ${later.map ? fmt(later.map) : outputs(later.ex)}; ${existing.detail}`,
      [...burst.slice(4), later].flatMap((f) => seenOf(f.ex)),
    );
  },
};

export const subscriberCases: CaseDef[] = [portLimit('udp'), portLimit('tcp'), portLimit('icmp'), perProtocol, prefixSubscriber, sessionLimit('udp'), sessionLimit('tcp'), sessionLimit('icmp'), perMapping, mappingRate, sessionRate];
