/**
 * Pool exhaustion: a pool4 address whose port (identifier) range holds four
 * values, so four flows fill it and the fifth shows what the NAT64 does when
 * it cannot allocate (T,t): RFC 6146 §3.5.1.1 / §3.5.2.3 (discard, ICMPv6
 * 1/3), RFC 5508 REQ-8, RFC 6888 REQ-11 (drop, ICMP, never evict); and the
 * paired-pooling variant of RFC 7857 §4, where the host's own address is
 * full while another pool address still has room.
 */
import { LAB } from '../../harness/lab/addressing';
import type { CaseDef } from '../../harness/runner/case';
import { C6A, C6B, C6C, C6D, S4 } from '../mapping/lib';
import { CONFLICT_NOTE, Flow, Proto, SUITE, allStillWork, fmt, host, label, open, outputs, refusal, seenOf, setupOk } from './lib';

const RANGE = { min: 2000, max: 2003 };

const ALLOC_IDS: Record<Proto, { drop: string[]; icmp: string[] }> = {
  udp: { drop: ['6146-3.5.1.1-alloc-fail-drop'], icmp: ['6146-3.5.1.1-alloc-fail-icmp'] },
  tcp: { drop: ['6146-3.5.2.3-alloc-fail-drop'], icmp: ['6146-3.5.2.3-alloc-fail-icmp'] },
  // RFC 6146 §3.5.3 creates ICMP query entries "if resources and policy permit" and names no error: only the NAT rows apply.
  icmp: { drop: [], icmp: [] },
};

const WORD: Record<Proto, string> = { udp: 'UDP ports', tcp: 'TCP ports', icmp: 'ICMP identifiers' };

function poolExhaustion(proto: Proto): CaseDef {
  const a = ALLOC_IDS[proto];
  return {
    id: `pool-exhaustion-${proto}`,
    suite: SUITE,
    title: `${WORD[proto]} of the pool exhausted: the next new ${proto.toUpperCase()} flow is dropped with ICMPv6 1/3, existing flows keep working (RFC 6146, RFC 5508 REQ-8, RFC 6888 REQ-11)`,
    requirements: [...a.drop, ...a.icmp, '5508-6-req8-reject', '6888-3-req11a-drop', '6888-3-req11b-icmp', '6888-3-req11d-no-eviction'],
    needs: { pool4: [{ address: LAB.pool4[0], ports: { [proto]: RANGE } }] },
    async run(t) {
      const ids = this.requirements;
      // Four hosts take the four values of the range (one address, so paired pooling plays no part).
      const fill: Flow[] = [];
      for (const [i, c] of [C6A, C6B, C6C, C6D].entries()) fill.push(await open(t, proto, c, 40000 + 2 * i, S4));
      if (!setupOk(t, ids, `four ${proto.toUpperCase()} flows fill the ${RANGE.min}-${RANGE.max} range of ${LAB.pool4[0]}`, fill)) return;
      t.note(`the range is full: ${fill.map((f) => fmt(f.map)).join(', ')}`);
      const fifth = await open(t, proto, host(0), 40010, S4);
      refusal(t, fifth, { drop: [...a.drop, '6888-3-req11a-drop'], icmp6146: a.icmp, rfc5508: true, rfc6888: true }, 'no free (T,t) left');
      // RFC 6888 REQ-11d, RFC 5508 §6: nothing was evicted to make room; RFC 6146: existing mappings keep working.
      await allStillWork(t, [...a.drop, '6888-3-req11d-no-eviction'], 'after the refusal, the four existing flows still get their answers', fill);
    },
  };
}

const PAIRED_IDS: Record<'udp' | 'tcp', string> = { udp: '7857-4-app-exhaust', tcp: '7857-4-app-tcp' };

function pairedExhaustion(proto: 'udp' | 'tcp'): CaseDef {
  const id = PAIRED_IDS[proto];
  const a = ALLOC_IDS[proto];
  return {
    id: `paired-exhaustion-${proto}`,
    suite: SUITE,
    title: `Paired pooling: when the host's pool address has no free ${proto.toUpperCase()} port, its new flow is dropped, not moved to another address (RFC 7857 §4)`,
    requirements: [id, ...a.icmp, '7857-4-soft-app'],
    // Two addresses with two ports each: the host fills its own address, the other still has room.
    needs: { pool4: LAB.pool4.map((address) => ({ address, ports: { [proto]: { min: 2000, max: 2001 } } })) },
    async run(t) {
      const own = [await open(t, proto, C6A, 40000, S4), await open(t, proto, C6A, 40002, S4)];
      if (!setupOk(t, [id, ...a.icmp], `two ${proto.toUpperCase()} flows of ${C6A} fill its pool address`, own)) return;
      const T = own[0].map!.addr;
      t.note(`${C6A} holds ${own.map((f) => fmt(f.map)).join(' and ')}`);
      const third = await open(t, proto, C6A, 40004, S4);
      // Another host still gets a port, from the other address: the pool as a whole is not exhausted.
      const other = await open(t, proto, C6B, 40000, S4);
      const otherAddr = other.map?.addr;
      const ok = third.ex.out4.length === 0 && !!other.map && otherAddr !== T;
      t.expect(
        id,
        `a third flow of ${C6A} is dropped while ${C6B} still gets a port of the other address`,
        ok,
        `${label(third)}: ${third.map ? `translated from ${fmt(third.map)}${third.map.addr !== T ? ' (another pool address: soft-APP)' : ''}` : outputs(third.ex)}; ${label(other)}: ${other.map ? fmt(other.map) : outputs(other.ex)}`,
        [...seenOf(third.ex), ...seenOf(other.ex)],
      );
      if (a.icmp.length) refusal(t, third, { drop: [], icmp6146: a.icmp }, `${T} has no free port`);
      t.behaviour(
        '7857-4-soft-app',
        'a "soft-APP" setting lets such flows take a port of another address',
        third.map && third.map.addr !== T ? `by default the flow took ${fmt(third.map)}: soft-APP behaviour` : 'strict APP by default; the lab interface has no soft-APP setting to switch on',
        seenOf(third.ex),
      );
      t.note(CONFLICT_NOTE);
    },
  };
}

export const exhaustionCases: CaseDef[] = [
  poolExhaustion('udp'),
  poolExhaustion('tcp'),
  poolExhaustion('icmp'),
  pairedExhaustion('udp'),
  pairedExhaustion('tcp'),
];
