/**
 * Hairpinning (RFC 6146 §3.8; RFC 4787 REQ-9, RFC 5382 REQ-8, RFC 5508
 * REQ-7): a packet from client a to [Pref64::T_b]:t_b, the outside address of
 * client b, is translated, found to be addressed to the pool, processed again
 * as inbound (filtering included) and comes back out on side 6 from a's
 * outside address [Pref64::T_a]:t_a to b. Every case learns a's and b's
 * mappings first, by talking to IPv4 servers.
 */
import { LAB } from '../../harness/lab/addressing';
import { summary } from '../../harness/packet/dissect';
import type { Packet } from '../../harness/packet/types';
import type { CaseContext, CaseDef } from '../../harness/runner/case';
import { T } from '../../harness/packet/compare';
import { echo6, only, pool4Addresses, v6 } from '../lib/flows';
import { A, B, Outside, SUITE, emitted, learn, udpTo, whatCameOut } from './lib';

const eif = { filtering: 'endpoint-independent' } as const;

function tcp(from: { client: string; port: number }, to: Outside, seq: number, ack: number, flags: Record<string, boolean>, payload?: Buffer): Packet {
  return {
    ipv6: { src: from.client, dst: to.v6, hopLimit: 64 },
    tcp: { sport: from.port, dport: to.port, seq, ack, flags, window: 65535 },
    ...(payload ? { payload } : {}),
  };
}

/**
 * RFC 5508 REQ-7 requires hairpinned ICMP query sessions of Basic NAT only. In a NAPT/NAT64 a's echo request
 * to [Pref64::T_b] carries a's own identifier, i2_a after translation, and (T_b, i2_a) is not b's mapping: there
 * is nothing to require, so what happens is recorded as not applicable with the observation.
 */
async function echoQuery(t: CaseContext, tb: Outside): Promise<void> {
  const eb = await t.send(6, echo6(t, { client: B.client, server: LAB.server4[0], id: 0x0b0b }));
  const ob = only(eb.out4);
  if (!ob) {
    t.naCheck('5508-5-req7-hairpin-query', 'hairpinned ICMP query', `b's echo request was not translated (${whatCameOut(eb)}); nothing to record`);
    return;
  }
  const ex = await t.send(6, echo6(t, { client: A.client, server: ob.packet.ipv4!.src, id: 0x0a0a }));
  t.naCheck(
    '5508-5-req7-hairpin-query',
    'hairpinned ICMP query between two clients',
    `REQ-7 binds Basic NAT only; a NAT64 is an NAPT. Observed for a's echo request to [Pref64::${ob.packet.ipv4!.src}] (b's query mapping identifier ${ob.packet.icmpv4!.id}; b's UDP mapping ${tb.addr}:${tb.port}): ${whatCameOut(ex)}`,
  );
}

export const hairpinCases: CaseDef[] = [
  {
    id: 'udp',
    suite: SUITE,
    title: "UDP from client a to client b's outside address comes back to b from a's outside address, and b's answer returns",
    requirements: ['6146-3.8-hairpin-udp', '4787-6-req9-hairpin', '4787-6-req9a-ext-src', '6146-3.6-dst-algorithmic'],
    needs: eif,
    async run(t) {
      const ids = this.requirements;
      const tb = await learn(t, 'udp', B, LAB.server4[0], ids);
      const ta = tb && (await learn(t, 'udp', A, LAB.server4[1], ids));
      if (!tb || !ta) return;
      const data = Buffer.from('a to b via the pool');
      const ex = await t.send(6, udpTo(A, tb, data));
      const h = only(ex.out6);
      // RFC 4787 REQ-9: looped back and delivered to b.
      t.expectPacket('4787-6-req9-hairpin', `a's datagram to ${tb.addr}:${tb.port} is delivered to b`, h, {
        ipv6: { dst: B.client },
        udp: { dport: B.port },
        payload: data,
      });
      // RFC 4787 REQ-9a: the source is an external transport address [Pref64::T]:t, never a's internal one;
      // that it is a's own mapping is shown below by b's answer to it reaching a.
      t.expectPacket('4787-6-req9a-ext-src', 'the source is an outside address [Pref64::T]:t of the pool, not a\'s IPv6 address', h, {
        ipv6: { src: T.oneOf(pool4Addresses(t).map((a) => v6(t, a))) },
        udp: { sport: T.range(1, 65535) },
      });
      // RFC 6146 §3.6: [Pref64::T_b] -> T_b and T_a -> [Pref64::T_a] by the prefix algorithm, not by a BIB lookup.
      t.expectPacket('6146-3.6-dst-algorithmic', 'addresses converted algorithmically: [Pref64::T_a] -> b, not a BIB shortcut', h, {
        ipv6: { src: ta.v6, dst: B.client },
      });
      // RFC 6146 §3.8: the whole outgoing tuple of the second pass.
      t.expectPacket('6146-3.8-hairpin-udp', 'hairpinned datagram: [Pref64::T_a]:t_a -> (b, x_b), data unchanged', h, {
        ipv6: { src: ta.v6, dst: B.client },
        udp: { sport: ta.port, dport: B.port },
        payload: data,
      });
      const back = Buffer.from('b answers a');
      // b answers the source it saw (a's mapping under EIM; whatever a's packet showed otherwise).
      const seenFrom: Outside = h ? { addr: '', port: h.packet.udp?.sport ?? ta.port, v6: h.packet.ipv6?.src ?? ta.v6 } : ta;
      const ex2 = await t.send(6, udpTo(B, seenFrom, back));
      const r = only(ex2.out6);
      t.expectPacket('4787-6-req9a-ext-src', "b's answer to the source it saw reaches a: that source was a's external transport address", r, {
        ipv6: { dst: A.client },
        udp: { dport: A.port },
      });
      t.expectPacket(['6146-3.8-hairpin-udp', '4787-6-req9-hairpin'], `b's answer reaches a from b's outside address [Pref64::${tb.addr}]:${tb.port}`, r, {
        ipv6: { src: tb.v6, dst: A.client },
        udp: { sport: tb.port, dport: A.port },
        payload: back,
      });
    },
  },
  {
    id: 'tcp',
    suite: SUITE,
    title: "TCP from client a to client b's outside address: handshake and data through the hairpin",
    requirements: ['6146-3.8-hairpin-tcp', '5382-7.2-req8-hairpin', '5382-7.2-req8a-ext-src'],
    needs: eif,
    async run(t) {
      const ids = this.requirements;
      const tb = await learn(t, 'tcp', B, LAB.server4[0], ids);
      const ta = tb && (await learn(t, 'tcp', A, LAB.server4[1], ids));
      if (!tb || !ta) return;
      const steps: [string, boolean][] = [];
      const aToB = { ipv6: { src: ta.v6, dst: B.client }, tcp: { sport: ta.port, dport: B.port } };
      const bToA = { ipv6: { src: tb.v6, dst: A.client }, tcp: { sport: tb.port, dport: A.port } };

      // SYN a -> b
      let ex = await t.send(6, tcp(A, tb, 1000, 0, { syn: true }));
      let p = only(ex.out6);
      steps.push(['SYN', t.expectPacket('6146-3.8-hairpin-tcp', "a's SYN reaches b", p, { ...aToB, tcp: { ...aToB.tcp, seq: 1000, flags: { syn: true, ack: false } } })]);
      t.expectPacket('5382-7.2-req8a-ext-src', `a's SYN comes from a's outside address [Pref64::${ta.addr}]:${ta.port}`, p, aToB);
      // SYN-ACK b -> a
      ex = await t.send(6, tcp(B, ta, 5000, 1001, { syn: true, ack: true }));
      p = only(ex.out6);
      steps.push(['SYN-ACK', t.expectPacket('6146-3.8-hairpin-tcp', "b's SYN-ACK reaches a", p, { ...bToA, tcp: { ...bToA.tcp, seq: 5000, ack: 1001, flags: { syn: true, ack: true } } })]);
      t.expectPacket('5382-7.2-req8a-ext-src', `b's SYN-ACK comes from b's outside address [Pref64::${tb.addr}]:${tb.port}`, p, bToA);
      // ACK a -> b
      ex = await t.send(6, tcp(A, tb, 1001, 5001, { ack: true }));
      p = only(ex.out6);
      steps.push(['ACK', t.expectPacket('6146-3.8-hairpin-tcp', "a's ACK reaches b", p, { ...aToB, tcp: { ...aToB.tcp, seq: 1001, ack: 5001, flags: { ack: true, syn: false } } })]);
      // data both ways
      const d1 = Buffer.from('hello b');
      ex = await t.send(6, tcp(A, tb, 1001, 5001, { ack: true, psh: true }, d1));
      p = only(ex.out6);
      steps.push(['data a->b', t.expectPacket('6146-3.8-hairpin-tcp', "a's data reaches b", p, { ...aToB, tcp: { ...aToB.tcp, seq: 1001 }, payload: d1 })]);
      t.expectPacket('5382-7.2-req8a-ext-src', "a's data segment comes from a's outside address", p, aToB);
      const d2 = Buffer.from('hello a');
      ex = await t.send(6, tcp(B, ta, 5001, 1001 + d1.length, { ack: true, psh: true }, d2));
      p = only(ex.out6);
      steps.push(['data b->a', t.expectPacket('6146-3.8-hairpin-tcp', "b's data reaches a", p, { ...bToA, tcp: { ...bToA.tcp, seq: 5001, ack: 1001 + d1.length }, payload: d2 })]);
      // RFC 5382 REQ-8: the connection is established and carries data.
      const bad = steps.filter(([, ok]) => !ok).map(([n]) => n);
      t.expect('5382-7.2-req8-hairpin', 'handshake completes and data flows both ways through the hairpin', bad.length === 0, bad.length ? `failed at: ${bad.join(', ')}` : 'SYN, SYN-ACK, ACK and data both ways delivered');
    },
  },
  {
    id: 'filtering-address-dependent',
    suite: SUITE,
    title: 'Hairpinned packets pass the IPv4-side filter as if they came from outside (address-dependent filtering)',
    requirements: ['6146-3.8-hairpin-filter'],
    needs: { filtering: 'address-dependent' },
    async run(t) {
      const ids = this.requirements;
      const tb = await learn(t, 'udp', B, LAB.server4[0], ids);
      const ta = tb && (await learn(t, 'udp', A, LAB.server4[0], ids));
      if (!tb || !ta) return;
      // b has only talked to the server: T_a is not an address b has sent to, so the second pass filters a's packet.
      const ex1 = await t.send(6, udpTo(A, tb, Buffer.from('unsolicited')));
      t.expect(
        '6146-3.8-hairpin-filter',
        `a's datagram to b is dropped: b never sent anything to ${ta.addr}`,
        ex1.out6.length === 0 && ex1.out4.length === 0,
        whatCameOut(ex1),
        emitted(ex1),
      );
      // b now sends to a: a's own datagram above opened a's filter for T_b, and b's opens b's for T_a.
      const ex2 = await t.send(6, udpTo(B, ta, Buffer.from('b opens')));
      t.expectPacket('6146-3.8-hairpin-filter', `b's datagram reaches a, which sent to ${tb.addr} before`, only(ex2.out6), {
        ipv6: { src: tb.v6, dst: A.client },
        udp: { sport: tb.port, dport: A.port },
      });
      const ex3 = await t.send(6, udpTo(A, tb, Buffer.from('now allowed')));
      t.expectPacket('6146-3.8-hairpin-filter', `once b has sent to ${ta.addr}, a's datagram reaches b`, only(ex3.out6), {
        ipv6: { src: ta.v6, dst: B.client },
        udp: { sport: ta.port, dport: B.port },
        payload: Buffer.from('now allowed'),
      });
    },
  },
  {
    id: 'icmp',
    suite: SUITE,
    title: "b's ICMPv6 error about a hairpinned datagram reaches a, outer destination and quote translated; a hairpinned echo is recorded",
    requirements: ['5508-5-req7-hairpin-error', '5508-5-req7a-outer-dst', '5508-5-req7-hairpin-query'],
    needs: eif,
    async run(t) {
      const ids = ['5508-5-req7-hairpin-error', '5508-5-req7a-outer-dst'];
      const tb = await learn(t, 'udp', B, LAB.server4[0], ids);
      const ta = tb && (await learn(t, 'udp', A, LAB.server4[1], ids));
      if (!tb || !ta) {
        t.naCheck('5508-5-req7-hairpin-query', 'hairpinned ICMP query', 'the clients got no mappings; nothing to record');
        return;
      }
      const ex = await t.send(6, udpTo(A, tb, Buffer.from('closed port')));
      const h = only(ex.out6);
      if (!h) {
        t.expect(ids, 'a hairpinned datagram for b to answer', false, `a's datagram did not reach b: ${whatCameOut(ex)}`);
        await echoQuery(t, tb);
        return;
      }
      // b: port unreachable, quoting the datagram as b received it, sent to its source [Pref64::T_a].
      const err = await t.send(6, {
        ipv6: { src: B.client, dst: h.packet.ipv6!.src, hopLimit: 64 },
        icmpv6: { type: 1, code: 4, quote: h.packet },
      });
      const e = only(err.out6);
      // RFC 5508 REQ-7 (with REQ-5): outer and embedded headers both translated, the quote reverted to what a sent.
      t.expectPacket('5508-5-req7-hairpin-error', "the error reaches a as port unreachable from b's outside address, quoting a's own datagram", e, {
        ipv6: { src: tb.v6 },
        icmpv6: {
          type: 1,
          code: 4,
          quote: { ipv6: { src: A.client, dst: tb.v6 }, udp: { sport: A.port, dport: tb.port } },
        },
      });
      // RFC 5508 REQ-7a: outer destination = source of the embedded packet after translation.
      t.expectPacket('5508-5-req7a-outer-dst', 'outer destination equals the translated embedded source (a)', e, {
        ipv6: { dst: A.client },
        icmpv6: { quote: { ipv6: { src: A.client } } },
      });
      if (e) t.note(`error as a sees it: ${summary(e.packet)}`);
      await echoQuery(t, tb);
    },
  },
];
