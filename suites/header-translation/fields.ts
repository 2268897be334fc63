/**
 * The IP header fields RFC 7915 §4.1 and §5.1 set, checked field by field on
 * ordinary UDP in both directions, and the protocol numbers (RFC 7915 §4.1
 * "Next Header", §5.1 "Protocol", RFC 6146 §3.6.1) for UDP, TCP and ICMP.
 */
import { T } from '../../harness/packet/compare';
import type { CaseDef } from '../../harness/runner/case';
import { pool4Addresses } from '../lib/flows';
import { CLIENT, S4, open, setupFailed, udpIn, udpOut } from './lib';

export const fieldCases: CaseDef[] = [
  {
    id: 'ipv6-to-ipv4-header',
    suite: 'header-translation',
    title: 'IPv6 -> IPv4: version, IHL, flags, offset, Total Length, header checksum, DF by size, UDP ports and checksum',
    requirements: ['7915-5.1-basic-fields', '7915-5-df-rule', '7915-5.5-l4-checksum', '6146-3.7-l4-rewrite'],
    async run(t) {
      const payload = Buffer.alloc(100, 0x5a);
      // A non-zero flow label and traffic class 0: neither has an IPv4 field to land in.
      const { ex, flow } = await open(t, udpOut(t, { payload, ipv6: { flowLabel: 0x12345 } }));
      if (!flow) return setupFailed(t, this.requirements, 'the first UDP datagram is translated', ex);
      const sent = ex.sent!.packet;
      t.expectPacket('7915-5.1-basic-fields', 'IPv4 header of a translated 148-octet IPv6 packet', flow.out, {
        ipv4: {
          version: 4,
          ihl: 5,
          options: [],
          mf: false,
          fragOffset: 0,
          // §5.1: Payload Length + 20 (no extension headers here).
          totalLength: sent.ipv6!.payloadLength! + 20,
          checksum: T.validChecksum(),
        },
      });
      t.expectPacket('7915-5.5-l4-checksum', 'UDP checksum recomputed for the IPv4 pseudo-header', flow.out, { udp: { checksum: T.validChecksum() } });
      // RFC 6146 §3.7: ports from the outgoing tuple (T,t)->(S4,7), payload untouched, checksum consistent with both.
      t.expectPacket('6146-3.7-l4-rewrite', 'UDP carries the outgoing tuple and the payload unchanged', flow.out, {
        ipv4: { src: T.oneOf(pool4Addresses(t)), dst: S4 },
        udp: { dport: 7, length: 108, checksum: T.validChecksum() },
        payload,
      });
      t.expectPacket('7915-5-df-rule', '148-octet IPv4 packet (<= 1260) has DF clear', flow.out, { ipv4: { df: false, totalLength: 128 } });

      // §5.1: "less than or equal to 1260 bytes" -> DF 0; otherwise DF 1. 20 + 8 + 1232 = 1260.
      for (const [size, df] of [
        [1232, false],
        [1233, true],
      ] as const) {
        const big = await t.send(6, udpOut(t, { payload: Buffer.alloc(size, 0x42) }));
        t.expectPacket('7915-5-df-rule', `${28 + size}-octet IPv4 packet has DF ${df ? 'set' : 'clear'}`, big.out4.length === 1 ? big.out4[0] : undefined, {
          ipv4: { totalLength: 28 + size, df },
        });
      }
    },
  },
  {
    id: 'ipv4-to-ipv6-header',
    suite: 'header-translation',
    title: 'IPv4 -> IPv6: version, Payload Length, Flow Label 0, no Fragment Header for DF=0, UDP ports and checksum',
    requirements: ['7915-4.1-basic-fields', '7915-4.1-flow-label', '7915-4-df0-no-atomic', '7915-4.5-l4-checksum', '6146-3.7-l4-rewrite'],
    async run(t) {
      const { ex, flow } = await open(t, udpOut(t));
      if (!flow) return setupFailed(t, this.requirements, 'the outbound UDP datagram is translated', ex);
      const payload = Buffer.alloc(100, 0x33);
      for (const df of [false, true]) {
        const r = await t.send(4, udpIn(flow, payload, { df, id: df ? 0 : 0x4242 }));
        const o = r.out6.length === 1 ? r.out6[0] : undefined;
        const sent = r.sent!.packet.ipv4!;
        const label = `DF=${df ? 1 : 0} UDP datagram`;
        t.expectPacket('7915-4.1-basic-fields', `${label}: version 6, Payload Length = Total Length - IHL*4`, o, {
          ipv6: { version: 6, payloadLength: sent.totalLength! - sent.ihl! * 4 },
        });
        t.expectPacket('7915-4.1-flow-label', `${label}: Flow Label 0`, o, { ipv6: { flowLabel: 0 } });
        if (!df) {
          // RFC 7915 §4 drops the RFC 6145 atomic fragment: a DF=0 packet that fits gets no Fragment Header.
          t.expectPacket('7915-4-df0-no-atomic', `${label} of 128 octets: no Fragment Header`, o, { ipv6: { nextHeader: 17, extensions: [] } });
        }
        t.expectPacket('7915-4.5-l4-checksum', `${label}: UDP checksum recomputed for the IPv6 pseudo-header`, o, { udp: { checksum: T.validChecksum() } });
        t.expectPacket('6146-3.7-l4-rewrite', `${label}: ports of the outgoing tuple (S4,7)->(client,40000), payload unchanged`, o, {
          ipv6: { src: flow.server6, dst: CLIENT },
          udp: { sport: 7, dport: flow.sport, length: 108, checksum: T.validChecksum() },
          payload,
        });
      }
    },
  },
  {
    id: 'protocol-numbers',
    suite: 'header-translation',
    title: 'Protocol / Next Header: UDP 17 and TCP 6 are copied, ICMP 1 and ICMPv6 58 swap, both directions',
    requirements: ['6146-3.6.1-proto', '7915-5.1-protocol', '7915-4.1-next-header', '7915-5.5-forward-all', '7915-4.5-forward-all'],
    async run(t) {
      // 7915 §4.5/§5.5 "forward all transport protocols" is scored here on the protocols a stateful NAT64
      // carries; for the others RFC 6146 §3.4 prevails (summary conflict 2), checked in protocols.ts.
      const up = ['6146-3.6.1-proto', '7915-5.1-protocol', '7915-5.5-forward-all'];
      const down = ['6146-3.6.1-proto', '7915-4.1-next-header', '7915-4.5-forward-all'];

      const u = await open(t, udpOut(t, { sport: 40100 }));
      t.expectPacket(up, 'UDP: IPv4 Protocol 17', u.flow?.out, { ipv4: { protocol: 17 }, udp: { dport: 7 } });
      const ur = u.flow ? await t.send(4, udpIn(u.flow, Buffer.from('udp reply'))) : undefined;
      t.expectPacket(down, 'UDP: IPv6 Next Header 17', ur?.out6.length === 1 ? ur.out6[0] : undefined, { ipv6: { nextHeader: 17 }, udp: { sport: 7 } });

      const syn = await open(t, {
        ipv6: { src: CLIENT, dst: u.flow?.server6 ?? udpOut(t).ipv6!.dst, hopLimit: 64 },
        tcp: { sport: 40101, dport: 80, seq: 1000, flags: { syn: true }, window: 65535 },
      });
      t.expectPacket(up, 'TCP: IPv4 Protocol 6', syn.flow?.out, { ipv4: { protocol: 6 }, tcp: { dport: 80 } });
      const synack = syn.flow
        ? await t.send(4, {
            ipv4: { src: syn.flow.server, dst: syn.flow.T, ttl: 64 },
            tcp: { sport: 80, dport: syn.flow.t, seq: 7000, ack: 1001, flags: { syn: true, ack: true }, window: 65535 },
          })
        : undefined;
      t.expectPacket(down, 'TCP: IPv6 Next Header 6', synack?.out6.length === 1 ? synack.out6[0] : undefined, { ipv6: { nextHeader: 6 }, tcp: { sport: 80 } });

      const echo = await t.send(6, {
        ipv6: { src: CLIENT, dst: udpOut(t).ipv6!.dst, hopLimit: 64 },
        icmpv6: { type: 128, code: 0, id: 0x7915, seq: 1 },
        payload: Buffer.from('nat64lab echo'),
      });
      const e4 = echo.out4.length === 1 ? echo.out4[0] : undefined;
      t.expectPacket(up, 'ICMPv6 echo request: IPv4 Protocol 1 (58 becomes 1)', e4, { ipv4: { protocol: 1 }, icmpv4: { type: 8 } });
      const reply = e4?.packet.icmpv4
        ? await t.send(4, {
            ipv4: { src: e4.packet.ipv4!.dst, dst: e4.packet.ipv4!.src, ttl: 64 },
            icmpv4: { type: 0, code: 0, id: e4.packet.icmpv4.id, seq: e4.packet.icmpv4.seq },
            payload: Buffer.from('nat64lab echo'),
          })
        : undefined;
      t.expectPacket(down, 'ICMPv4 echo reply: IPv6 Next Header 58 (1 becomes 58)', reply?.out6.length === 1 ? reply.out6[0] : undefined, {
        ipv6: { nextHeader: 58 },
        icmpv6: { type: 129 },
      });
    },
  },
];
