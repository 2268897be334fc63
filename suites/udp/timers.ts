/**
 * UDP session lifetime (RFC 6146 §3.5.1, §4 UDP_MIN / UDP_DEFAULT; RFC 4787
 * REQ-5 and REQ-6; RFC 7857 §7.1), observed black-box on the target's
 * virtual clock: a session is alive when an inbound packet to (T,t) still
 * reaches (X',x), and gone (with its dynamic BIB entry, §3.1) when it does not.
 * Every probe is itself traffic, so each lifetime question gets its own flow.
 */
import { LAB } from '../../harness/lab/addressing';
import type { Expectation } from '../../harness/packet/compare';
import type { CaseContext, CaseDef, Seen } from '../../harness/runner/case';
import { only, v6 } from '../lib/flows';
import { Opened, SUITE, answer, emitted, mappingOf, openFlow, reachedClient, s, whatCameOut } from './lib';

const clock = { virtualClock: true } as const;

/** Open flows at the same instant, one per source port. */
async function openAll(t: CaseContext, ports: number[], dport = 7): Promise<Opened[]> {
  const out: Opened[] = [];
  for (const sport of ports) out.push(await openFlow(t, { sport, dport }));
  return out;
}

/** Record a failure for every id when a flow could not even be opened. */
function opened(t: CaseContext, ids: string[], flows: Opened[]): flows is (Opened & { out: Seen })[] {
  const bad = flows.filter((f) => !f.out);
  if (!bad.length) return true;
  t.expect(ids, 'outbound UDP opens a session', false, `no single translated packet for source port ${bad[0].flow.sport}: ${whatCameOut(bad[0].ex)}`);
  return false;
}

/** Moves the clock to `at` seconds after the flows were opened (the clock only moves forward). */
function timeline(t: CaseContext): (at: number) => Promise<void> {
  let now = 0;
  return async (at: number) => {
    if (at > now) await t.advance(s(at - now));
    now = Math.max(now, at);
  };
}

interface Probed {
  ok: boolean;
  detail: string;
  packets: Seen[];
  /** The single packet delivered to the IPv6 side, if any. */
  delivered?: Seen;
  /** What a reply through the live session looks like on side 6 (RFC 6146 §3.6.1). */
  expected: Expectation;
}

/** Probe a session with a server reply and say whether it reached the client. */
async function probe(t: CaseContext, f: Opened & { out: Seen }, label: string): Promise<Probed> {
  const payload = Buffer.from(label);
  const ex = await answer(t, f.out, payload);
  return {
    ok: reachedClient(ex, f),
    detail: whatCameOut(ex),
    packets: emitted(ex),
    delivered: only(ex.out6),
    expected: { ipv6: { src: v6(t, f.flow.server), dst: f.flow.client }, udp: { sport: f.flow.dport, dport: f.flow.sport }, payload },
  };
}

/** A STUN Binding Error Response (RFC 8489 §6, ERROR-CODE 400 Bad Request): a "go away" reply (RFC 7857 §7.1). */
function stunErrorResponse(): Buffer {
  const reason = Buffer.from('Bad Request');
  const value = Buffer.concat([Buffer.from([0, 0, 4, 0]), reason]);
  const padded = Buffer.concat([value, Buffer.alloc((4 - (value.length % 4)) % 4)]);
  const attr = Buffer.concat([Buffer.from([0x00, 0x09, 0x00, value.length]), padded]);
  const head = Buffer.alloc(20);
  head.writeUInt16BE(0x0111, 0);
  head.writeUInt16BE(attr.length, 2);
  head.writeUInt32BE(0x2112a442, 4);
  Buffer.from('nat64lab-txn').copy(head, 8);
  return Buffer.concat([head, attr]);
}

export const timerCases: CaseDef[] = [
  {
    id: 'lifetime-default',
    suite: SUITE,
    title: 'An idle UDP session of the default configuration lives at least 2 min (UDP_MIN) and 5 min (UDP_DEFAULT)',
    requirements: ['6146-3.5.1-lifetime-min', '4787-4.3-req5-2min', '6146-3.5.1-lifetime-default', '4787-4.3-req5c-5min'],
    needs: clock,
    async run(t) {
      const ids = this.requirements;
      const flows = await openAll(t, [41000, 41002]);
      if (!opened(t, ids, flows)) return;
      const [a, b] = flows;
      const at = timeline(t);
      // RFC 6146 §4 UDP_MIN, RFC 4787 REQ-5: never less than 2 min, so a reply after 115 s idle passes.
      await at(115);
      const pa = await probe(t, a, 'after 115 s');
      t.expectPacket(['6146-3.5.1-lifetime-min', '4787-4.3-req5-2min'], 'reply after 115 s of idleness still reaches the client', pa.delivered, pa.expected);
      // RFC 6146 §3.5.1 SHOULD UDP_DEFAULT (5 min), RFC 4787 REQ-5 RECOMMENDED 5 min: a reply after 295 s passes.
      await at(295);
      const pb = await probe(t, b, 'after 295 s');
      t.expectPacket(['6146-3.5.1-lifetime-default', '4787-4.3-req5c-5min'], 'reply after 295 s of idleness still reaches the client', pb.delivered, pb.expected);
    },
  },
  {
    id: 'lifetime-configured-minimum',
    suite: SUITE,
    title: 'With the UDP timeout set to its minimum (120 s) a session still lives 2 min, and the setting takes effect',
    requirements: ['6146-3.5.1-lifetime-min', '4787-4.3-req5-2min', '6146-3.5.1-lifetime-config', '4787-4.3-req5b-config'],
    needs: { ...clock, timeouts: { udp: 120 } },
    async run(t) {
      const ids = this.requirements;
      t.note('A configured value below 120 s cannot be asked of a target through the case interface; the engine refuses it at configuration time.');
      const flows = await openAll(t, [41100, 41102]);
      if (!opened(t, ids, flows)) return;
      const [a, b] = flows;
      const at = timeline(t);
      await at(118);
      const pa = await probe(t, a, 'after 118 s');
      t.expectPacket(['6146-3.5.1-lifetime-min', '4787-4.3-req5-2min'], 'configured at 120 s, a reply after 118 s idle still reaches the client', pa.delivered, pa.expected);
      await at(125);
      const pb = await probe(t, b, 'after 125 s');
      const took = pb.ok ? 'no: a reply after 125 s idle was still delivered (the setting did not shorten the lifetime)' : 'yes: a reply after 125 s idle was dropped';
      t.behaviour('6146-3.5.1-lifetime-config', 'the UDP session lifetime is configurable (120 s configured)', took, pb.packets);
      t.behaviour('4787-4.3-req5b-config', 'the UDP mapping timeout is configurable (120 s configured)', took, pb.packets);
    },
  },
  {
    id: 'lifetime-well-known-port',
    suite: SUITE,
    title: 'A flow to a well-known port (DNS, 53) also keeps its session for at least 2 min',
    requirements: ['6146-3.5.1-lifetime-min', '4787-4.3-req5a-shorter'],
    needs: clock,
    async run(t) {
      // RFC 4787 REQ-5a lets NAT44 shorten timers of well-known ports; RFC 6146 §4 has no such exception
      // (conflict 4 of the catalogue summary), so the NAT64 rule is scored and the 4787 freedom recorded.
      const flows = await openAll(t, [41200], 53);
      if (!opened(t, this.requirements, flows)) return;
      await t.advance(s(115));
      const p = await probe(t, flows[0], 'dns after 115 s');
      t.expectPacket('6146-3.5.1-lifetime-min', 'reply from port 53 after 115 s idle still reaches the client', p.delivered, p.expected);
      t.behaviour(
        '4787-4.3-req5a-shorter',
        'shorter lifetime for a well-known destination port',
        p.ok ? 'no shorter timer for port 53 within the first 115 s' : 'the port-53 session was gone after 115 s idle',
        p.packets,
      );
    },
  },
  {
    id: 'outbound-refresh',
    suite: SUITE,
    title: 'An outbound packet restarts the UDP session lifetime',
    requirements: ['6146-3.5.1-refresh', '4787-4.3-req6-outbound-refresh'],
    needs: clock,
    async run(t) {
      const ids = this.requirements;
      const L = t.config.timeouts.udp;
      const flows = await openAll(t, [41300]);
      if (!opened(t, ids, flows)) return;
      const f = flows[0];
      const at = timeline(t);
      // Refresh at 0.6 L; probe at 1.2 L: alive only if the timer restarted (0.6 L after the refresh).
      await at(0.6 * L);
      const again = await t.send(6, f.sent);
      const m0 = mappingOf(f.out);
      const out2 = only(again.out4);
      const same = !!out2 && out2.packet.ipv4?.src === m0.addr && out2.packet.udp?.sport === m0.port;
      t.note(`second outbound packet at ${0.6 * L} s: ${whatCameOut(again)} (mapping ${m0.addr}:${m0.port}${same ? ' reused' : ' not reused'})`);
      await at(1.2 * L);
      const p = await probe(t, f, 'after refresh');
      t.expectPacket(
        ids,
        `after an outbound packet at ${0.6 * L} s, a reply at ${1.2 * L} s (beyond the ${L} s lifetime from the first packet) still reaches the client`,
        p.delivered,
        p.expected,
      );
    },
  },
  {
    id: 'inbound-refresh',
    suite: SUITE,
    title: 'Whether an inbound packet restarts the UDP session lifetime (recorded)',
    requirements: ['4787-4.3-req6a-inbound-refresh', '6146-5.3-no-inbound-extend'],
    needs: clock,
    async run(t) {
      const L = t.config.timeouts.udp;
      const flows = await openAll(t, [41400]);
      if (!opened(t, this.requirements, flows)) return;
      const f = flows[0];
      const at = timeline(t);
      await at(0.6 * L);
      const first = await probe(t, f, 'inbound refresh');
      await at(1.2 * L);
      const p = await probe(t, f, 'after inbound refresh');
      const detail = !first.ok
        ? `the inbound packet at ${0.6 * L} s was not delivered (${first.detail}); nothing to conclude`
        : p.ok
          ? `inbound traffic extends the session: a reply at ${1.2 * L} s still reached the client`
          : `inbound traffic does not extend the session: a reply at ${1.2 * L} s was dropped`;
      t.behaviour('4787-4.3-req6a-inbound-refresh', 'inbound packets refresh the UDP mapping', detail, [...first.packets, ...p.packets]);
      t.behaviour('6146-5.3-no-inbound-extend', 'the session lifetime is not extended by packets from the IPv4 side', detail, [...first.packets, ...p.packets]);
    },
  },
  {
    id: 'expiry-removes-mapping',
    suite: SUITE,
    title: 'Once its only session expires, the dynamic mapping is gone: inbound traffic to (T,t) is dropped',
    requirements: ['6146-3.1-dyn-bib-removal'],
    // Endpoint-independent filtering: a kept BIB entry would then pass the probe, so the drop proves removal.
    needs: { ...clock, filtering: 'endpoint-independent' },
    async run(t) {
      const L = t.config.timeouts.udp;
      const flows = await openAll(t, [41500]);
      if (!opened(t, this.requirements, flows)) return;
      const f = flows[0];
      const m0 = mappingOf(f.out);
      await t.advance(s(L + 1));
      const ex = await answer(t, f.out, Buffer.from('after expiry'));
      t.expect(
        '6146-3.1-dyn-bib-removal',
        `${L + 1} s after the last packet, a packet to ${m0.addr}:${m0.port} is not translated`,
        ex.out6.length === 0,
        whatCameOut(ex),
        emitted(ex),
      );
      // A new outbound packet gets a fresh mapping, possibly another one (not scored: reuse is allowed).
      const again = await openFlow(t, { sport: f.flow.sport, server: LAB.server4[1] });
      const m1 = again.out ? mappingOf(again.out) : undefined;
      t.note(`new outbound packet after expiry: ${m1 ? `mapping ${m1.addr}:${m1.port} (before: ${m0.addr}:${m0.port})` : whatCameOut(again.ex)}`);
    },
  },
  {
    id: 'icmp-error-no-refresh',
    suite: SUITE,
    title: 'An ICMPv6 error the client sends about inbound UDP does not extend the session',
    requirements: ['7857-7.1-no-refresh-errors'],
    needs: clock,
    async run(t) {
      const L = t.config.timeouts.udp;
      const flows = await openAll(t, [41600]);
      if (!opened(t, this.requirements, flows)) return;
      const f = flows[0];
      const at = timeline(t);
      await at(0.6 * L);
      // The client's "go away": port unreachable quoting a datagram [Pref64::S]:7 -> (X',x) it received.
      const quoted = {
        ipv6: { src: v6(t, f.flow.server), dst: f.flow.client, hopLimit: 62 },
        udp: { sport: f.flow.dport, dport: f.flow.sport },
        payload: Buffer.from('nat64lab udp reply'),
      };
      const err = await t.send(6, {
        ipv6: { src: f.flow.client, dst: v6(t, f.flow.server), hopLimit: 64 },
        icmpv6: { type: 1, code: 4, quote: quoted },
      });
      t.note(`ICMPv6 port unreachable at ${0.6 * L} s: ${whatCameOut(err)}`);
      // Without a refresh the session ended at L; a refresh at 0.6 L would keep it until 1.6 L.
      await at(1.1 * L);
      const p = await probe(t, f, 'after error');
      t.expect(
        '7857-7.1-no-refresh-errors',
        `a reply at ${1.1 * L} s (after the ${L} s lifetime, before ${1.6 * L} s) is dropped: the error did not extend the session`,
        !p.ok,
        p.detail,
        p.packets,
      );
    },
  },
  {
    id: 'go-away-reply-refresh',
    suite: SUITE,
    title: 'Whether an outbound STUN error response ("go away" reply) refreshes the session (recorded)',
    requirements: ['7857-7.1-other-config'],
    needs: clock,
    async run(t) {
      // RFC 7857 §7.1 lets the operator list such replies as non-refreshing; with no such setting in the
      // lab interface, the default behaviour is recorded (RFC 4787 REQ-6 makes it refresh).
      const L = t.config.timeouts.udp;
      const flows = await openAll(t, [41700]);
      if (!opened(t, this.requirements, flows)) return;
      const f = flows[0];
      const at = timeline(t);
      await at(0.6 * L);
      const stun = await t.send(6, { ...f.sent, payload: stunErrorResponse() });
      await at(1.2 * L);
      const p = await probe(t, f, 'after stun error');
      t.behaviour(
        '7857-7.1-other-config',
        'an outbound STUN Binding Error Response refreshes the session (no exception list configured)',
        p.ok ? `yes: a reply at ${1.2 * L} s still reached the client` : `no: a reply at ${1.2 * L} s was dropped`,
        [...emitted(stun), ...p.packets],
      );
    },
  },
];
