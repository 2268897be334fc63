/**
 * Protection of the NAT64's state against floods (RFC 6146 §5.3): SYNs from
 * the IPv4 side that the NAT64 must store (§3.5.2.2, TCP_INCOMING_SYN),
 * bindings created from many IPv6 sources, sessions created towards many
 * destinations. "Bounded" is observed against a small cap the case
 * configures, so a flood of a few dozen packets is enough; the existing
 * flow must keep working throughout (nothing is evicted, RFC 6888 REQ-11d).
 */
import type { CaseDef } from '../../harness/runner/case';
import { C6A, C6B, S4, tcp4 } from '../mapping/lib';
import type { Flow, Proto } from './lib';
import { SUITE, allStillWork, fmt, host, label, open, refusal, seenOf, server, setupOk } from './lib';

const CAP = 8;
const FLOOD = 12;
/** Held-SYN cap of the SYN flood: small, so that even an ICMP error rate limit (bursts of ~10) cannot hide a missing cap. */
const SYN_CAP = 4;

const heldSyns: CaseDef = {
  id: 'held-syn-flood',
  suite: SUITE,
  title: `A flood of ${3 * SYN_CAP} unsolicited IPv4 SYNs with the held-SYN store capped at ${SYN_CAP}: at most ${SYN_CAP} are held (RFC 6146 §5.3)`,
  requirements: ['6146-5.3-dos-protection'],
  needs: { filtering: 'endpoint-independent', limits: { maxHeldSyns: SYN_CAP } },
  async run(t) {
    const id = '6146-5.3-dos-protection';
    const existing = await open(t, 'udp', C6A, 40000, S4);
    if (!setupOk(t, [id], `${C6A} has a UDP mapping, so its pool address is known`, [existing])) return;
    const T = existing.map!.addr;
    // Unsolicited SYNs to ports without a TCP BIB entry: each is stored for TCP_INCOMING_SYN (§3.5.2.2) if room allows.
    for (let i = 0; i < 3 * SYN_CAP; i++) await t.send(4, tcp4(`198.18.150.${1 + i}`, 1000 + i, T, 3000 + i, { syn: true }));
    // When TCP_INCOMING_SYN runs out every held SYN is answered with ICMPv4 port unreachable: one error per held SYN.
    const ex = await t.elapse((t.config.timeouts.tcpIncomingSyn + 1) * 1000);
    const errors = ex.out4.filter((s) => s.packet.icmpv4?.type === 3 && s.packet.icmpv4.code === 3);
    t.expect(
      id,
      `of ${3 * SYN_CAP} unsolicited SYNs at most ${SYN_CAP} were held (one ICMPv4 port unreachable each when TCP_INCOMING_SYN ran out)`,
      errors.length <= SYN_CAP,
      `${errors.length} held SYNs answered at expiry`,
      errors.slice(0, 3 * SYN_CAP),
    );
    t.note('Held SYNs are counted by the ICMPv4 3/3 each one earns at TCP_INCOMING_SYN expiry (RFC 6146 §3.5.2.2); a target that never sends these passes this bound trivially (the tcp-state-machine suite checks that it does).');
  },
};

const BIB_IDS: Record<Proto, { drop: string[]; icmp: string[]; section: string }> = {
  udp: { drop: ['6146-3.5.1.1-alloc-fail-drop'], icmp: ['6146-3.5.1.1-alloc-fail-icmp'], section: '§3.5.1.1' },
  tcp: { drop: ['6146-3.5.2.3-alloc-fail-drop'], icmp: ['6146-3.5.2.3-alloc-fail-icmp'], section: '§3.5.2.3' },
  // §3.5.3 creates ICMP query entries "if resources and policy permit" and names no error: RFC 5508 REQ-8 is the row.
  icmp: { drop: [], icmp: [], section: '§3.5.3' },
};

function bindingFlood(proto: Proto): CaseDef {
  const a = BIB_IDS[proto];
  return {
    id: `binding-flood-${proto}`,
    suite: SUITE,
    title: `${FLOOD} IPv6 sources open ${proto.toUpperCase()} flows with the BIBs capped at ${CAP} entries: the flood stops at the cap, is refused with ICMPv6 1/3, the existing flow keeps working (RFC 6146 §5.3, ${a.section})`,
    requirements: ['6146-5.3-dos-protection', ...a.drop, ...a.icmp, ...(proto === 'icmp' ? ['5508-6-req8-reject'] : []), '6888-3-req11d-no-eviction'],
    needs: { limits: { maxBib: CAP } },
    async run(t) {
      const existing = await open(t, proto, C6A, 40000, S4);
      if (!setupOk(t, this.requirements, `${C6A} opens a ${proto.toUpperCase()} flow before the flood`, [existing])) return;
      const flood: Flow[] = [];
      for (let i = 0; i < FLOOD; i++) flood.push(await open(t, proto, host(i), 40000, S4));
      const passed = flood.filter((f) => f.map);
      t.expect(
        '6146-5.3-dos-protection',
        `at most ${CAP - 1} of the ${FLOOD} flood flows get a BIB entry (the cap is ${CAP}, one is taken)`,
        passed.length <= CAP - 1,
        `${passed.length} translated: ${passed.map((f) => fmt(f.map)).join(', ') || 'none'}`,
      );
      // "If it is not possible to ... create a BIB entry, then the packet is discarded" + ICMPv6 1/3.
      refusal(t, flood[FLOOD - 1], { drop: a.drop, icmp6146: a.icmp, rfc5508: proto === 'icmp' }, 'the BIBs are at their cap');
      await allStillWork(t, ['6146-5.3-dos-protection', ...a.drop, '6888-3-req11d-no-eviction'], `${label(existing)} still works after the flood`, [existing]);
    },
  };
}

const sessionFlood: CaseDef = {
  id: 'session-flood',
  suite: SUITE,
  title: `One host opens sessions to ${FLOOD} destinations with the session tables capped at ${CAP}: the flood stops at the cap, is refused with an ICMPv6 error, the existing flow keeps working (RFC 6146 §5.3)`,
  requirements: ['6146-5.3-dos-protection', '5508-6-req8-reject', '6888-3-req11d-no-eviction'],
  needs: { limits: { maxSessions: CAP } },
  async run(t) {
    const existing = await open(t, 'udp', C6A, 40000, S4);
    if (!setupOk(t, this.requirements, `${C6A} opens a UDP flow before the flood`, [existing])) return;
    const flood: Flow[] = [];
    for (let i = 0; i < FLOOD; i++) flood.push(await open(t, 'udp', C6B, 40000, server(i)));
    const passed = flood.filter((f) => f.map);
    t.expect(
      '6146-5.3-dos-protection',
      `at most ${CAP - 1} of the ${FLOOD} new sessions are created (the cap is ${CAP}, one is taken)`,
      passed.length <= CAP - 1,
      `${passed.length} translated`,
      passed.slice(0, 2).flatMap((f) => seenOf(f.ex)),
    );
    refusal(t, flood[FLOOD - 1], { drop: [], rfc5508: true }, 'the session tables are at their cap');
    await allStillWork(t, ['6146-5.3-dos-protection', '6888-3-req11d-no-eviction'], `${label(existing)} still works after the flood`, [existing]);
  },
};

export const dosCases: CaseDef[] = [heldSyns, bindingFlood('udp'), bindingFlood('tcp'), bindingFlood('icmp'), sessionFlood];
