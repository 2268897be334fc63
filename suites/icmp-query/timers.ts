/**
 * ICMP query session lifetime (RFC 6146 §3.5.3 ICMP_DEFAULT 60 s, RFC 5508
 * REQ-2 and REQ-6) on the target's virtual clock. A session is alive when
 * the server's Echo Reply still reaches the client. Each probe is traffic
 * that may refresh what it probes, so every question gets its own mapping
 * (its own identifier), all opened at the same instant.
 */
import { LAB } from '../../harness/lab/addressing';
import type { Expectation } from '../../harness/packet/compare';
import type { CaseContext, CaseDef, Seen } from '../../harness/runner/case';
import { only, v6 } from '../lib/flows';
import { Echoed, SUITE, echoOut, echoReply4, emitted, mappingOf, reached, s, whatCameOut } from './lib';

const clock = { virtualClock: true } as const;

type Live = Echoed & { out: Seen };

async function openAll(t: CaseContext, ids: string[], identifiers: number[]): Promise<Live[] | undefined> {
  const flows: Echoed[] = [];
  for (const id of identifiers) flows.push(await echoOut(t, { id }));
  const bad = flows.find((f) => !f.out);
  if (bad) {
    t.expect(ids, 'echo requests open ICMP query sessions', false, `identifier ${bad.flow.id}: ${whatCameOut(bad.ex)}`);
    return undefined;
  }
  return flows as Live[];
}

function timeline(t: CaseContext): (at: number) => Promise<void> {
  let now = 0;
  return async (at: number) => {
    if (at > now) await t.advance(s(at - now));
    now = Math.max(now, at);
  };
}

async function probe(t: CaseContext, f: Live): Promise<{ ok: boolean; detail: string; packets: Seen[]; delivered?: Seen; expected: Expectation }> {
  const ex = await t.send(4, echoReply4(f.out));
  return {
    ok: reached(ex, f.flow.client, f.flow.id),
    detail: whatCameOut(ex),
    packets: emitted(ex),
    delivered: only(ex.out6),
    expected: { ipv6: { src: v6(t, f.flow.server), dst: f.flow.client }, icmpv6: { type: 129, id: f.flow.id } },
  };
}

export const timerCases: CaseDef[] = [
  {
    id: 'lifetime-default',
    suite: SUITE,
    title: 'An idle ICMP query session lives 60 s (ICMP_DEFAULT): a reply after 58 s passes, one after 65 s does not',
    requirements: ['6146-3.5.3-lifetime-default', '5508-3.2-req2-60s', '7857-11-icmp-mapping-delete'],
    needs: clock,
    async run(t) {
      const flows = await openAll(t, this.requirements, [0x7001, 0x7002]);
      if (!flows) return;
      const [a, b] = flows;
      const at = timeline(t);
      await at(58);
      const pa = await probe(t, a);
      // RFC 5508 REQ-2: MUST NOT expire in less than 60 s.
      t.expectPacket('5508-3.2-req2-60s', 'echo reply after 58 s idle still reaches the client', pa.delivered, pa.expected);
      await at(65);
      const pb = await probe(t, b);
      // RFC 6146 §3.5.3: ICMP_DEFAULT is 60 s, so both bounds are part of the one requirement.
      t.expect(
        '6146-3.5.3-lifetime-default',
        'default lifetime is 60 s: a reply after 58 s idle passes and a reply after 65 s idle is dropped',
        pa.ok && !pb.ok,
        `58 s: ${pa.ok ? 'delivered' : `not delivered (${pa.detail})`}; 65 s: ${pb.ok ? 'delivered' : 'dropped'} (${pb.detail})`,
        [...pa.packets, ...pb.packets],
      );
      // RFC 7857 §11 MAY: the mapping of B has no session left. Only endpoint-independent filtering lets a
      // new host's request show whether (T,i2) still exists.
      if (t.config.filtering !== 'endpoint-independent') {
        t.naCheck('7857-11-icmp-mapping-delete', 'mapping deleted with its last session', 'observable only with endpoint-independent filtering');
        return;
      }
      const m = mappingOf(b.out);
      const ex = await t.send(4, { ipv4: { src: LAB.server4[2], dst: m.addr, ttl: 64 }, icmpv4: { type: 8, code: 0, id: m.id, seq: 9 }, payload: Buffer.from('still there?') });
      t.behaviour(
        '7857-11-icmp-mapping-delete',
        'the ICMP mapping is deleted once no session refers to it',
        only(ex.out6) ? `kept: an echo request from a new host to ${m.addr} identifier ${m.id} still reached the client` : `deleted: an echo request from a new host to ${m.addr} identifier ${m.id} was dropped`,
        emitted(ex),
      );
    },
  },
  {
    id: 'lifetime-configured',
    suite: SUITE,
    title: 'The ICMP query timeout can be set (120 s): a reply after 115 s passes, one after 125 s does not',
    requirements: ['6146-3.5.3-lifetime-config', '5508-3.2-req2a-config'],
    needs: { ...clock, timeouts: { icmp: 120 } },
    async run(t) {
      const flows = await openAll(t, this.requirements, [0x7101, 0x7102]);
      if (!flows) return;
      const [a, b] = flows;
      const at = timeline(t);
      await at(115);
      const pa = await probe(t, a);
      await at(125);
      const pb = await probe(t, b);
      t.expect(
        ['6146-3.5.3-lifetime-config', '5508-3.2-req2a-config'],
        'the configured 120 s lifetime takes effect: a reply after 115 s passes, one after 125 s is dropped',
        pa.ok && !pb.ok,
        `115 s: ${pa.ok ? 'delivered' : `not delivered (${pa.detail})`}; 125 s: ${pb.ok ? 'delivered' : 'dropped'} (${pb.detail})`,
        [...pa.packets, ...pb.packets],
      );
    },
  },
  {
    id: 'error-no-refresh',
    suite: SUITE,
    title: 'An ICMP error about an echo request neither extends nor deletes the query session',
    requirements: ['5508-4.3-req6-no-refresh'],
    needs: clock,
    async run(t) {
      const flows = await openAll(t, this.requirements, [0x7201, 0x7202]);
      if (!flows) return;
      const [a, b] = flows;
      const at = timeline(t);
      await at(40);
      // A router on the IPv4 side reports host unreachable for each translated echo request (quote as sent).
      for (const f of flows) {
        const ex = await t.send(4, {
          ipv4: { src: LAB.router4, dst: f.out.packet.ipv4!.src, ttl: 64 },
          icmpv4: { type: 3, code: 1, quote: f.out.packet },
        });
        t.note(`host unreachable about identifier ${mappingOf(f.out).id} at 40 s: ${whatCameOut(ex)}`);
      }
      // Not deleted: B still answers at 50 s. Not extended: A (refreshed at 40 s it would live to 100 s) is gone at 65 s.
      await at(50);
      const pb = await probe(t, b);
      await at(65);
      const pa = await probe(t, a);
      t.expect(
        '5508-4.3-req6-no-refresh',
        'after ICMP errors at 40 s the sessions keep their schedule: a reply at 50 s passes, a reply at 65 s is dropped',
        pb.ok && !pa.ok,
        `50 s: ${pb.ok ? 'delivered' : `dropped — the error deleted the session (${pb.detail})`}; 65 s: ${pa.ok ? 'delivered — the error extended the session' : 'dropped'} (${pa.detail})`,
        [...pb.packets, ...pa.packets],
      );
    },
  },
];
