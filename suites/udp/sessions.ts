/**
 * UDP BIB and session creation (RFC 6146 §3.5.1) and the tuple of inbound
 * packets delivered through an existing session (§3.6.1), without timers.
 */
import { LAB } from '../../harness/lab/addressing';
import { T } from '../../harness/packet/compare';
import type { CaseContext, CaseDef } from '../../harness/runner/case';
import { only, pool4Addresses, v6 } from '../lib/flows';
import { SUITE, answer, openFlow, whatCameOut } from './lib';

/**
 * Network-specific Pref64s of every RFC 6052 length, chosen so that the lab
 * clients (2001:db8:6::/64) never fall inside them (RFC 6146 §3.5 drops
 * sources inside Pref64). 3fff::/20 is documentation space (RFC 9637).
 */
const PREF64_BY_LENGTH: Record<number, string> = {
  32: '3fff:64::/32',
  40: '2001:db8:6400::/40',
  48: '2001:db8:64::/48',
  56: '2001:db8:64:6400::/56',
  64: '2001:db8:64:64::/64',
  96: LAB.pool6,
};

const PAYLOAD = Buffer.from('nat64lab udp probe');
const REPLY = Buffer.from('nat64lab udp reply');

/** §3.5.1 / §3.6.1: an outbound flow creates (X',x)<->(T,t), goes to the embedded server, and the reply comes back. */
async function roundTrip(t: CaseContext, zeroChecksumReply: boolean): Promise<void> {
  const client = LAB.client6[0];
  const server = LAB.server4[0];
  const o = await openFlow(t, { client, server, sport: 40000, dport: 7, payload: PAYLOAD });
  const pool = pool4Addresses(t);

  // §3.5.1: the first packet creates the BIB entry; T is a pool address.
  t.expectPacket('6146-3.5.1-bib-create', 'first outbound UDP leaves from a pool4 transport address (T,t)', o.out, {
    ipv4: { src: T.oneOf(pool) },
    udp: { sport: T.range(1, 65535) },
  });
  // §3.5.1 / §3.6.1: destination is the IPv4 address embedded in [Pref64::S] (RFC 6052), port as sent.
  t.expectPacket('6146-3.5.1-ste-dst', 'destination is the IPv4 address embedded in the IPv6 destination, port unchanged', o.out, {
    ipv4: { dst: server },
    udp: { dport: 7 },
    payload: PAYLOAD,
  });
  if (!o.out) {
    t.expect(['6146-3.6.1-v4v6-tuple'], 'reply through the session', false, `no translated packet to answer (${whatCameOut(o.ex)})`);
    if (zeroChecksumReply) t.expect('6146-3.4-udp0-checksum', 'zero-checksum reply', false, 'no translated packet to answer');
    return;
  }

  // The server answers (T,t) from (S,7); a zero checksum means "none" in IPv4 (RFC 768).
  const reply = {
    ipv4: { src: server, dst: o.out.packet.ipv4!.src, ttl: 64 },
    udp: { sport: 7, dport: o.out.packet.udp!.sport, ...(zeroChecksumReply ? { checksum: 0 } : {}) },
    payload: REPLY,
  };
  const ex = await t.send(4, reply);
  const back = only(ex.out6);
  // §3.5.1: the BIB entry exists: traffic to (T,t) reaches (X',x).
  t.expectPacket('6146-3.5.1-bib-create', 'the reply to (T,t) reaches the client transport address (X\',x)', back, {
    ipv6: { dst: client },
    udp: { dport: 40000 },
  });
  // §3.6.1: (S,s) -> (D,d) leaves as [Pref64::S]:s -> (X',x).
  t.expectPacket('6146-3.6.1-v4v6-tuple', 'reply leaves as [Pref64::S]:s -> (X\',x) with the payload unchanged', back, {
    ipv6: { src: v6(t, server), dst: client },
    udp: { sport: 7, dport: 40000 },
    payload: REPLY,
  });
  if (zeroChecksumReply) {
    // RFC 6146 §3.4: a stateful NAT64 MUST compute the missing checksum (IPv6 forbids zero, RFC 8200 §8.1).
    t.expectPacket('6146-3.4-udp0-checksum', 'a zero-checksum IPv4 reply arrives with the checksum computed over the IPv6 pseudo-header', back, {
      udp: { checksum: T.validChecksum() },
    });
  }
}

const perLength: CaseDef[] = Object.entries(PREF64_BY_LENGTH).map(([len, pool6]) => ({
  id: `round-trip-pref64-${len}`,
  suite: SUITE,
  title: `Outbound UDP creates a mapping and its reply returns through the session (Pref64 /${len})`,
  requirements: ['6146-3.5.1-bib-create', '6146-3.5.1-ste-dst', '6146-3.6.1-v4v6-tuple'],
  needs: { pool6 },
  run: (t) => roundTrip(t, false),
}));

export const sessionCases: CaseDef[] = [
  ...perLength,
  {
    id: 'inbound-zero-checksum',
    suite: SUITE,
    title: 'An IPv4 reply with a zero UDP checksum is delivered through the session with a computed checksum',
    requirements: ['6146-3.5.1-bib-create', '6146-3.5.1-ste-dst', '6146-3.6.1-v4v6-tuple', '6146-3.4-udp0-checksum'],
    run: (t) => roundTrip(t, true),
  },
  {
    id: 'same-port-two-clients',
    suite: SUITE,
    title: 'Two clients using the same source port each get their own mapping and their own replies',
    requirements: ['6146-3.5.1-bib-create', '6146-3.6.1-v4v6-tuple'],
    async run(t) {
      // Two hosts behind the translator commonly pick the same ephemeral port; (T,t) must tell them apart.
      const a = await openFlow(t, { client: LAB.client6[0], sport: 50000, payload: Buffer.from('from a') });
      const b = await openFlow(t, { client: LAB.client6[1], sport: 50000, payload: Buffer.from('from b') });
      const pool = pool4Addresses(t);
      for (const [name, o] of [['a', a], ['b', b]] as const) {
        t.expectPacket('6146-3.5.1-bib-create', `client ${name}: first packet leaves from a pool4 address`, o.out, {
          ipv4: { src: T.oneOf(pool) },
          udp: { sport: T.range(1, 65535) },
        });
      }
      if (!a.out || !b.out) {
        t.expect('6146-3.6.1-v4v6-tuple', 'replies to both mappings', false, `a: ${whatCameOut(a.ex)}; b: ${whatCameOut(b.ex)}`);
        return;
      }
      // Answer b first, then a: each reply must find its own client.
      for (const [name, o] of [['b', b], ['a', a]] as const) {
        const ex = await answer(t, o.out!, Buffer.from(`to ${name}`));
        t.expectPacket('6146-3.6.1-v4v6-tuple', `reply to client ${name}'s mapping reaches client ${name} at its own port`, only(ex.out6), {
          ipv6: { src: v6(t, o.flow.server), dst: o.flow.client },
          udp: { sport: o.flow.dport, dport: o.flow.sport },
          payload: Buffer.from(`to ${name}`),
        });
      }
    },
  },
];
