/**
 * ICMP query sessions (RFC 6146 §3.5.3, RFC 5508 §3 and §7) and the Echo
 * translation both ways (RFC 7915 §4.2 / §5.2): types 128/129 <-> 8/0, the
 * identifier i1 <-> i2 (RFC 6146 §3.7), checksums with the IPv6
 * pseudo-header on the ICMPv6 side only, and the data carried unchanged.
 */
import { LAB } from '../../harness/lab/addressing';
import { T } from '../../harness/packet/compare';
import type { CaseContext, CaseDef } from '../../harness/runner/case';
import { only, pool4Addresses, udp6, v6 } from '../lib/flows';
import { SUITE, echoOut, echoReply4, emitted, mappingOf, reached, samePayload, whatCameOut } from './lib';

/** Data sizes that exercise the checksum: none, odd (a padded last octet), the ping default, large. */
const PAYLOADS: Record<string, Buffer> = {
  empty: Buffer.alloc(0),
  odd: Buffer.from([0xa5]),
  '56': Buffer.from(Array.from({ length: 56 }, (_, i) => i)),
  '1000': Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff)),
};

const ROUND_TRIP_IDS = [
  '6146-3.5.3-translate',
  '7915-5.2-echo-request',
  '7915-5.2-checksum',
  '7915-4.2-echo-reply',
  '7915-4.2-checksum',
  '5508-3.1-req1-permit',
  '5508-7-req10a-echo',
  '6146-3.5.3-policy-filter',
];

async function roundTrip(t: CaseContext, payload: Buffer): Promise<void> {
  const e = await echoOut(t, { id: 0x1234, seq: 7, payload });
  const { client, server } = e.flow;
  // RFC 7915 §5.2: 128 -> 8, code 0; id/seq word and data carried (the id then rewritten, RFC 6146 §3.7).
  t.expectPacket('7915-5.2-echo-request', 'ICMPv6 Echo Request leaves as ICMPv4 Echo Request (type 8, code 0), sequence and data unchanged', e.out, {
    icmpv4: { type: 8, code: 0, seq: 7 },
    payload: samePayload(payload),
  });
  // RFC 7915 §5.2: the ICMPv4 checksum no longer covers a pseudo-header.
  t.expectPacket('7915-5.2-checksum', 'ICMPv4 checksum is valid (pseudo-header contribution removed, type change accounted for)', e.out, {
    icmpv4: { checksum: T.validChecksum() },
  });
  // RFC 6146 §3.5.3: from T (a pool address) to the embedded server, with identifier i2.
  t.expectPacket('6146-3.5.3-translate', 'echo request leaves from a pool4 address toward the embedded IPv4 server', e.out, {
    ipv4: { src: T.oneOf(pool4Addresses(t)), dst: server },
    icmpv4: { id: T.range(0, 65535) },
  });
  t.behaviour(
    '6146-3.5.3-policy-filter',
    'outbound ICMPv6 informational (echo) filtered by a local policy',
    e.out ? 'no filtering policy in effect: the echo request was translated' : `the echo request was not translated: ${whatCameOut(e.ex)}`,
    emitted(e.ex),
  );
  if (!e.out) {
    t.expect(['7915-4.2-echo-reply', '7915-4.2-checksum', '5508-3.1-req1-permit', '5508-7-req10a-echo'], 'echo reply', false, 'no translated echo request to answer');
    return;
  }
  const { id: i2 } = mappingOf(e.out);
  const ex = await t.send(4, echoReply4(e.out, payload));
  const back = only(ex.out6);
  t.expectPacket('7915-4.2-echo-reply', 'ICMPv4 Echo Reply arrives as ICMPv6 Echo Reply (type 129, code 0), sequence and data unchanged', back, {
    icmpv6: { type: 129, code: 0, seq: 7 },
    payload: samePayload(payload),
  });
  // RFC 7915 §4.2: the ICMPv6 checksum covers the IPv6 pseudo-header (RFC 4443 §2.3).
  t.expectPacket('7915-4.2-checksum', 'ICMPv6 checksum is valid over the message and the IPv6 pseudo-header', back, {
    icmpv6: { checksum: T.validChecksum() },
  });
  // RFC 6146 §3.5.3 / §3.7: the reply to (T,i2) reaches X' from [Pref64::S] with i1 restored.
  t.expectPacket('6146-3.5.3-translate', `reply to identifier ${i2} reaches the client from [Pref64::server] with its own identifier 0x1234`, back, {
    ipv6: { src: v6(t, server), dst: client },
    icmpv6: { id: 0x1234 },
  });
  const passed = reached(ex, client, 0x1234);
  for (const id of ['5508-3.1-req1-permit', '5508-7-req10a-echo']) {
    t.expect(id, 'an echo request from inside and its reply from outside both pass', passed, `request: ${whatCameOut(e.ex)}; reply: ${whatCameOut(ex)}`, [e.out, ...emitted(ex)]);
  }
}

const roundTrips: CaseDef[] = Object.entries(PAYLOADS).map(([name, payload]) => ({
  id: `echo-round-trip-${name}`,
  suite: SUITE,
  title: `Echo request out and echo reply back, ${payload.length} octets of data`,
  requirements: ROUND_TRIP_IDS,
  run: (t) => roundTrip(t, payload),
}));

export const echoCases: CaseDef[] = [
  ...roundTrips,
  {
    id: 'inbound-echo-request',
    suite: SUITE,
    title: 'With endpoint-independent filtering, a new IPv4 host can ping the mapping; the client answers',
    requirements: ['6146-3.5.3-v4-query-new-session', '7915-4.2-echo-request', '7915-4.2-checksum', '7915-5.2-echo-reply', '7915-5.2-checksum'],
    needs: { filtering: 'endpoint-independent' },
    async run(t) {
      const e = await echoOut(t, { server: LAB.server4[0], id: 0x2345 });
      if (!e.out) {
        t.expect(this.requirements, 'mapping for the client', false, `the client's echo request was not translated: ${whatCameOut(e.ex)}`);
        return;
      }
      const m = mappingOf(e.out);
      const other = LAB.server4[1];
      const data = Buffer.from('ping from a new IPv4 host');
      // RFC 6146 §3.5.3: (T,i2) is in the ICMP BIB, no session with this host yet, no filtering: new session.
      const ex = await t.send(4, { ipv4: { src: other, dst: m.addr, ttl: 64 }, icmpv4: { type: 8, code: 0, id: m.id, seq: 3 }, payload: data });
      const req6 = only(ex.out6);
      t.expectPacket('6146-3.5.3-v4-query-new-session', 'echo request from a new IPv4 host reaches the client with identifier i1', req6, {
        ipv6: { src: v6(t, other), dst: e.flow.client },
        icmpv6: { id: 0x2345 },
      });
      t.expectPacket('7915-4.2-echo-request', 'ICMPv4 Echo Request arrives as ICMPv6 Echo Request (type 128, code 0), sequence and data unchanged', req6, {
        icmpv6: { type: 128, code: 0, seq: 3 },
        payload: data,
      });
      t.expectPacket('7915-4.2-checksum', 'ICMPv6 checksum of the translated request is valid (with the IPv6 pseudo-header)', req6, {
        icmpv6: { checksum: T.validChecksum() },
      });
      // The client answers [Pref64::other] with i1; RFC 7915 §5.2: 129 -> 0.
      const rep = await t.send(6, {
        ipv6: { src: e.flow.client, dst: v6(t, other), hopLimit: 64 },
        icmpv6: { type: 129, code: 0, id: 0x2345, seq: 3 },
        payload: data,
      });
      const rep4 = only(rep.out4);
      t.expectPacket('7915-5.2-echo-reply', 'ICMPv6 Echo Reply leaves as ICMPv4 Echo Reply (type 0, code 0) to the new host, from (T,i2)', rep4, {
        ipv4: { src: m.addr, dst: other },
        icmpv4: { type: 0, code: 0, id: m.id, seq: 3 },
        payload: data,
      });
      t.expectPacket('7915-5.2-checksum', 'ICMPv4 checksum of the translated reply is valid', rep4, { icmpv4: { checksum: T.validChecksum() } });
    },
  },
  {
    id: 'identifier-unique-across-clients',
    suite: SUITE,
    title: 'Four clients using the same echo identifier get distinct identifiers on each pool address, and their own replies',
    requirements: ['6146-3.5.3-id-unique'],
    async run(t) {
      const flows = [];
      for (const client of LAB.client6) flows.push(await echoOut(t, { client, id: 0x1234, payload: Buffer.from(`from ${client}`) }));
      const outs = flows.filter((f) => f.out);
      if (outs.length !== flows.length) {
        t.expect('6146-3.5.3-id-unique', 'every client gets a mapping', false, flows.map((f) => `${f.flow.client}: ${whatCameOut(f.ex)}`).join(' | '));
        return;
      }
      const seen = new Map<string, string>();
      const clashes: string[] = [];
      for (const f of outs) {
        const m = mappingOf(f.out!);
        const key = `${m.addr}#${m.id}`;
        if (seen.has(key)) clashes.push(`${f.flow.client} and ${seen.get(key)} both use ${m.addr} identifier ${m.id}`);
        seen.set(key, f.flow.client);
      }
      // RFC 6146 §3.5.3: i2 must not already be in use on T, however many hosts chose i1 = 0x1234.
      t.expect('6146-3.5.3-id-unique', 'no two clients share (T, i2)', clashes.length === 0, clashes.join('; ') || [...seen.entries()].map(([k, c]) => `${c} -> ${k}`).join(', '), outs.map((f) => f.out!));
      // Replies in reverse order: each one must find its own client.
      for (const f of [...outs].reverse()) {
        const ex = await t.send(4, echoReply4(f.out!));
        t.expectPacket('6146-3.5.3-id-unique', `reply to ${mappingOf(f.out!).addr} identifier ${mappingOf(f.out!).id} reaches ${f.flow.client} only`, only(ex.out6), {
          ipv6: { dst: f.flow.client },
          icmpv6: { type: 129, id: 0x1234 },
          payload: f.flow.payload,
        });
      }
    },
  },
  {
    id: 'identifier-endpoint-independent',
    suite: SUITE,
    title: 'One client identifier keeps one external (T,i2) toward two different IPv4 hosts',
    requirements: ['5508-3.1-req1a-eim'],
    async run(t) {
      const a = await echoOut(t, { server: LAB.server4[0], id: 0x3456 });
      const b = await echoOut(t, { server: LAB.server4[1], id: 0x3456 });
      if (!a.out || !b.out) {
        t.expect('5508-3.1-req1a-eim', 'both echo requests translated', false, `first: ${whatCameOut(a.ex)}; second: ${whatCameOut(b.ex)}`);
        return;
      }
      const ma = mappingOf(a.out);
      // RFC 5508 REQ-1a: endpoint-independent identifier mapping.
      t.expectPacket('5508-3.1-req1a-eim', `echo to the second host leaves with the same mapping ${ma.addr} identifier ${ma.id}`, b.out, {
        ipv4: { src: ma.addr, dst: LAB.server4[1] },
        icmpv4: { id: ma.id },
      });
    },
  },
  {
    id: 'address-paired-with-udp',
    suite: SUITE,
    title: 'An ICMP mapping takes the IPv4 address each client already has in the UDP BIB',
    requirements: ['6146-3.5.3-bib-create'],
    needs: { pool4: LAB.pool4.map((address) => ({ address })) },
    async run(t) {
      // RFC 6146 §3.5.3: "if X' already has a BIB entry (any protocol), T is that entry's IPv4 address".
      // Every lab client in turn: a translator that picks the address at random pairs one client by luck
      // half the time with two pool addresses, all four only once in sixteen.
      for (const [i, client] of LAB.client6.entries()) {
        const u = await t.send(6, udp6(t, { client, sport: 40000 + i }));
        const u4 = only(u.out4);
        if (!u4) {
          t.expect('6146-3.5.3-bib-create', `UDP mapping for ${client}`, false, `the UDP packet was not translated: ${whatCameOut(u)}`);
          continue;
        }
        const e = await echoOut(t, { client, id: 0x4567 + i });
        t.expectPacket('6146-3.5.3-bib-create', `echo request from ${client} leaves from its existing address ${u4.packet.ipv4!.src}`, e.out, {
          ipv4: { src: u4.packet.ipv4!.src },
        });
      }
    },
  },
  {
    id: 'inbound-without-mapping',
    suite: SUITE,
    title: 'Echo request and echo reply to a pool address and identifier without an ICMP mapping are dropped',
    requirements: ['6146-3.5.3-v4-no-bib-drop', '6146-3.5.3-v4-no-bib-icmp'],
    async run(t) {
      // A mapping on T makes the pool address "live", so a lax translator could guess a host for it.
      const e = await echoOut(t, { id: 0x5678 });
      if (!e.out) {
        t.expect(['6146-3.5.3-v4-no-bib-drop', '6146-3.5.3-v4-no-bib-icmp'], 'a mapping on the pool address', false, `the client's echo request was not translated: ${whatCameOut(e.ex)}`);
        return;
      }
      const m = mappingOf(e.out);
      const unused = (m.id ^ 0x8000) & 0xffff;
      const errors: string[] = [];
      for (const [type, name] of [[8, 'Echo Request'], [0, 'Echo Reply']] as const) {
        const ex = await t.send(4, { ipv4: { src: LAB.server4[1], dst: m.addr, ttl: 64 }, icmpv4: { type, code: 0, id: unused, seq: 1 }, payload: Buffer.from('no mapping') });
        // RFC 6146 §3.5.3: no ICMP BIB entry for (T, unused): silently discarded toward IPv6.
        t.expect('6146-3.5.3-v4-no-bib-drop', `ICMPv4 ${name} to ${m.addr} identifier ${unused} (no mapping) does not reach the IPv6 side`, ex.out6.length === 0, whatCameOut(ex), emitted(ex));
        for (const p of ex.out4) if (p.packet.icmpv4?.type === 3) errors.push(`${name}: ICMPv4 3/${p.packet.icmpv4.code}`);
      }
      t.behaviour('6146-3.5.3-v4-no-bib-icmp', 'ICMPv4 Destination Unreachable (3/1) for a query without mapping', errors.length ? errors.join('; ') : 'none sent (silent drop)');
    },
  },
];
