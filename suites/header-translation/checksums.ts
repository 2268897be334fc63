/**
 * Transport checksums across the translation (RFC 7915 §4.5/§5.5, RFC 6146
 * §3.7): TCP, UDP and ICMP are recomputed for the new pseudo-header (ICMPv6
 * has one, ICMPv4 has none), including odd-length data and a UDP result that
 * computes to zero and must be sent as 0xffff; and IPv4 UDP without a
 * checksum gets a real one on the IPv6 side (RFC 6146 §3.4).
 */
import { T } from '../../harness/packet/compare';
import type { Packet } from '../../harness/packet/types';
import type { CaseDef } from '../../harness/runner/case';
import { CLIENT, open, setupFailed, udpIn, udpOut, zeroSumPayload } from './lib';

const BOTH = ['7915-5.5-l4-checksum', '7915-4.5-l4-checksum', '6146-3.7-l4-rewrite'];

export const checksumCases: CaseDef[] = [
  {
    id: 'udp-checksum-odd-length',
    suite: 'header-translation',
    title: 'UDP checksum with odd-length payloads (the last octet padded in the sum), both directions',
    requirements: BOTH,
    async run(t) {
      const { ex, flow } = await open(t, udpOut(t, { payload: Buffer.from('odd-length payload: 37 octets long..') }));
      if (!flow) return setupFailed(t, BOTH, 'the outbound UDP datagram is translated', ex);
      t.expectPacket(['7915-5.5-l4-checksum', '6146-3.7-l4-rewrite'], 'IPv6 -> IPv4, 37-octet payload: valid UDP checksum', flow.out, {
        udp: { checksum: T.validChecksum() },
      });
      const payload = Buffer.from('an odd reply of 23 oct.');
      const r = await t.send(4, udpIn(flow, payload));
      t.expectPacket(['7915-4.5-l4-checksum', '6146-3.7-l4-rewrite'], 'IPv4 -> IPv6, 23-octet payload: valid UDP checksum', r.out6.length === 1 ? r.out6[0] : undefined, {
        udp: { checksum: T.validChecksum() },
        payload,
      });
    },
  },
  {
    id: 'udp-checksum-all-ones',
    suite: 'header-translation',
    title: 'A translated UDP checksum that computes to zero is sent as 0xffff (RFC 768), both directions',
    requirements: BOTH,
    async run(t) {
      const { ex, flow } = await open(t, udpOut(t, { sport: 40500 }));
      if (!flow) return setupFailed(t, BOTH, 'the outbound UDP datagram is translated', ex);
      // The mapping is known now, so the next datagram of the flow can be made to sum to zero after translation.
      const up = zeroSumPayload(4, flow.T, flow.server, flow.t, flow.dport, Buffer.from('ones upstream'));
      const r6 = await t.send(6, udpOut(t, { sport: 40500, payload: up }));
      t.expectPacket(['7915-5.5-l4-checksum', '6146-3.7-l4-rewrite'], 'IPv6 -> IPv4: checksum 0xffff, not 0 ("no checksum")', r6.out4.length === 1 ? r6.out4[0] : undefined, {
        udp: { checksum: 0xffff },
        payload: up,
      });
      const down = zeroSumPayload(6, flow.server6, CLIENT, flow.dport, flow.sport, Buffer.from('ones downstream'));
      const r4 = await t.send(4, udpIn(flow, down));
      t.expectPacket(['7915-4.5-l4-checksum', '6146-3.7-l4-rewrite'], 'IPv4 -> IPv6: checksum 0xffff (0 is not allowed over IPv6)', r4.out6.length === 1 ? r4.out6[0] : undefined, {
        udp: { checksum: 0xffff },
        payload: down,
      });
    },
  },
  {
    id: 'tcp-checksum',
    suite: 'header-translation',
    title: 'TCP checksum recomputed on SYN, SYN-ACK and data segments, both directions',
    requirements: BOTH,
    async run(t) {
      const dst = udpOut(t).ipv6!.dst;
      const { ex, flow } = await open(t, { ipv6: { src: CLIENT, dst, hopLimit: 64 }, tcp: { sport: 40600, dport: 80, seq: 100, flags: { syn: true }, window: 65535 } });
      if (!flow) return setupFailed(t, BOTH, 'the outbound SYN is translated', ex);
      t.expectPacket(['7915-5.5-l4-checksum', '6146-3.7-l4-rewrite'], 'SYN, IPv6 -> IPv4: valid TCP checksum', flow.out, { tcp: { dport: 80, checksum: T.validChecksum() } });
      const synack = await t.send(4, {
        ipv4: { src: flow.server, dst: flow.T, ttl: 64 },
        tcp: { sport: 80, dport: flow.t, seq: 900, ack: 101, flags: { syn: true, ack: true }, window: 65535 },
      });
      t.expectPacket(['7915-4.5-l4-checksum', '6146-3.7-l4-rewrite'], 'SYN-ACK, IPv4 -> IPv6: valid TCP checksum', synack.out6.length === 1 ? synack.out6[0] : undefined, {
        tcp: { sport: 80, dport: 40600, checksum: T.validChecksum() },
      });
      const data6: Packet = {
        ipv6: { src: CLIENT, dst, hopLimit: 64 },
        tcp: { sport: 40600, dport: 80, seq: 101, ack: 901, flags: { ack: true, psh: true }, window: 65535 },
        payload: Buffer.from('GET / HTTP/1.0\r\n\r\n!'),
      };
      const d6 = await t.send(6, data6);
      t.expectPacket(['7915-5.5-l4-checksum', '6146-3.7-l4-rewrite'], '19-octet data segment, IPv6 -> IPv4: valid TCP checksum', d6.out4.length === 1 ? d6.out4[0] : undefined, {
        tcp: { checksum: T.validChecksum() },
        payload: data6.payload,
      });
      const body = Buffer.from('HTTP/1.0 200 OK\r\n\r\nodd');
      const d4 = await t.send(4, {
        ipv4: { src: flow.server, dst: flow.T, ttl: 64 },
        tcp: { sport: 80, dport: flow.t, seq: 901, ack: 120, flags: { ack: true, psh: true }, window: 65535 },
        payload: body,
      });
      t.expectPacket(['7915-4.5-l4-checksum', '6146-3.7-l4-rewrite'], '23-octet data segment, IPv4 -> IPv6: valid TCP checksum', d4.out6.length === 1 ? d4.out6[0] : undefined, {
        tcp: { checksum: T.validChecksum() },
        payload: body,
      });
    },
  },
  {
    id: 'icmp-checksum',
    suite: 'header-translation',
    title: 'ICMP checksum: the ICMPv6 pseudo-header is removed (IPv6 -> IPv4) and added (IPv4 -> IPv6)',
    requirements: ['7915-5.5-l4-checksum', '7915-4.5-l4-checksum'],
    async run(t) {
      const payload = Buffer.from('odd echo payload.');
      const ex = await t.send(6, { ipv6: { src: CLIENT, dst: udpOut(t).ipv6!.dst, hopLimit: 64 }, icmpv6: { type: 128, code: 0, id: 0x4443, seq: 7 }, payload });
      const o = ex.out4.length === 1 ? ex.out4[0] : undefined;
      t.expectPacket('7915-5.5-l4-checksum', 'echo request, IPv6 -> IPv4: valid ICMPv4 checksum', o, { icmpv4: { type: 8, checksum: T.validChecksum() }, payload });
      if (!o?.packet.icmpv4) return setupFailed(t, ['7915-4.5-l4-checksum'], 'the echo request is translated', ex);
      const r = await t.send(4, {
        ipv4: { src: o.packet.ipv4!.dst, dst: o.packet.ipv4!.src, ttl: 64 },
        icmpv4: { type: 0, code: 0, id: o.packet.icmpv4.id, seq: 7 },
        payload,
      });
      t.expectPacket('7915-4.5-l4-checksum', 'echo reply, IPv4 -> IPv6: valid ICMPv6 checksum', r.out6.length === 1 ? r.out6[0] : undefined, {
        icmpv6: { type: 129, checksum: T.validChecksum() },
        payload,
      });
    },
  },
  {
    id: 'udp-zero-checksum',
    suite: 'header-translation',
    title: 'IPv4 UDP with checksum 0 leaves as IPv6 UDP with a computed, non-zero checksum (RFC 6146 §3.4)',
    requirements: ['6146-3.4-udp0-checksum'],
    async run(t) {
      const { ex, flow } = await open(t, udpOut(t));
      if (!flow) return setupFailed(t, this.requirements, 'the outbound UDP datagram is translated', ex);
      for (const payload of [Buffer.from('no checksum here'), Buffer.from('no checksum, odd!')]) {
        const r = await t.send(4, udpIn(flow, payload, {}, 0));
        t.expectPacket('6146-3.4-udp0-checksum', `checksum-0 datagram of ${payload.length} octets: translated with a valid checksum`, r.out6.length === 1 ? r.out6[0] : undefined, {
          // validChecksum over IPv6 never accepts 0: the computed value, or 0xffff where it sums to 0.
          udp: { sport: 7, dport: flow.sport, checksum: T.validChecksum() },
          payload,
        });
      }
    },
  },
];
