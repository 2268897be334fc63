/**
 * Protocols other than TCP, UDP and ICMP. RFC 7915 §4.5/§5.5 would forward
 * them, but for a stateful NAT64 RFC 6146 §3.4 prevails (requirements
 * summary, conflict 2): discard, and send ICMPv6 1/4 or ICMPv4 3/2 where
 * policy permits. IGMP is silently dropped (RFC 7915 §4.2). Whether the
 * target fixes DCCP checksums is recorded (RFC 7915 §4.5/§5.5 OPTIONAL).
 *
 * A UDP mapping is opened first, so the host and the pool address are both
 * live and a translator that forwarded by address alone would have somewhere
 * to send the packets.
 */
import { internetChecksum } from '../../harness/packet/checksum';
import { T } from '../../harness/packet/compare';
import type { Packet } from '../../harness/packet/types';
import type { CaseDef, Exchange } from '../../harness/runner/case';
import { CLIENT, S4, open, outputs, setupFailed, udpOut } from './lib';

interface Raw {
  proto: number;
  name: string;
  bytes: Buffer;
}

/** An SCTP common header (ports 40000 -> 7, verification tag 0, CRC32c left 0) and an empty INIT chunk. */
const SCTP: Raw = {
  proto: 132,
  name: 'SCTP (132)',
  bytes: Buffer.from('9c4000070000000000000000' + '01000014' + '11223344' + '0000ffff' + '00010001' + '00000001', 'hex'),
};
/** A DCCP-Request generic header with extended sequence number and a service code (RFC 4340 §5.1, §5.2). */
const DCCP: Raw = { proto: 33, name: 'DCCP (33)', bytes: Buffer.from('9c411389' + '05000000' + '01000000' + '00000001' + '00000000', 'hex') };
/** A GRE header (RFC 2784) carrying IPv4 (0x0800) and a few octets. */
const GRE: Raw = { proto: 47, name: 'GRE (47)', bytes: Buffer.from('00000800' + '4500001c00000000', 'hex') };

function dccpNote(ex: Exchange, out: 4 | 6): string {
  const o = (out === 4 ? ex.out4 : ex.out6)[0];
  if (!o) return `DCCP was not translated (${outputs(ex)})`;
  const p = o.packet.payload;
  const sent = ex.sent?.packet.payload;
  const same = p && sent && p.subarray(6, 8).equals(sent.subarray(6, 8));
  return `DCCP was translated; its checksum field was ${same ? 'left as received (not fixed up)' : 'changed (fixed up)'}`;
}

export const protocolCases: CaseDef[] = [
  {
    id: 'unknown-protocols-from-ipv6',
    suite: 'header-translation',
    title: 'IPv6 packets carrying SCTP, DCCP or GRE are not translated; ICMPv6 1/4 goes back (RFC 6146 §3.4)',
    requirements: ['6146-3.4-unknown-proto6-drop', '6146-3.4-unknown-proto6-icmp', '7915-4.5-other-proto-optional'],
    async run(t) {
      const { ex: setup, flow } = await open(t, udpOut(t));
      if (!flow) return setupFailed(t, ['6146-3.4-unknown-proto6-drop', '6146-3.4-unknown-proto6-icmp'], 'a UDP mapping for the host is opened', setup);
      for (const r of [SCTP, DCCP, GRE]) {
        const p: Packet = { ipv6: { src: CLIENT, dst: flow.server6, hopLimit: 64, nextHeader: r.proto }, payload: r.bytes };
        const ex = await t.send(6, p);
        t.expect('6146-3.4-unknown-proto6-drop', `${r.name}: nothing on the IPv4 side`, ex.out4.length === 0, outputs(ex), ex.out4);
        t.expectPacket('6146-3.4-unknown-proto6-icmp', `${r.name}: ICMPv6 Destination Unreachable 1/4 (port unreachable) to the sender`, ex.out6.length === 1 ? ex.out6[0] : undefined, {
          ipv6: { dst: CLIENT },
          icmpv6: { type: 1, code: 4, checksum: T.validChecksum(), quote: { ipv6: { src: CLIENT, dst: flow.server6, nextHeader: r.proto } } },
        });
        if (r === DCCP) t.behaviour('7915-4.5-other-proto-optional', 'DCCP from IPv6: translated, and checksum fixed up?', dccpNote(ex, 4), [...ex.out4]);
      }
    },
  },
  {
    id: 'unknown-protocols-from-ipv4',
    suite: 'header-translation',
    title: 'IPv4 packets to the pool carrying SCTP, DCCP or GRE are not translated; ICMPv4 3/2 goes back (RFC 6146 §3.4)',
    requirements: ['6146-3.4-unknown-proto4-drop', '6146-3.4-unknown-proto4-icmp', '7915-4.5-other-proto-optional'],
    async run(t) {
      const { ex: setup, flow } = await open(t, udpOut(t));
      if (!flow) return setupFailed(t, ['6146-3.4-unknown-proto4-drop', '6146-3.4-unknown-proto4-icmp'], 'a UDP mapping for the host is opened', setup);
      for (const r of [SCTP, DCCP, GRE]) {
        const p: Packet = { ipv4: { src: S4, dst: flow.T, ttl: 64, protocol: r.proto }, payload: r.bytes };
        const ex = await t.send(4, p);
        t.expect('6146-3.4-unknown-proto4-drop', `${r.name}: nothing on the IPv6 side`, ex.out6.length === 0, outputs(ex), ex.out6);
        t.expectPacket('6146-3.4-unknown-proto4-icmp', `${r.name}: ICMPv4 Destination Unreachable 3/2 (protocol unreachable) to ${S4}`, ex.out4.length === 1 ? ex.out4[0] : undefined, {
          ipv4: { dst: S4 },
          icmpv4: { type: 3, code: 2, checksum: T.validChecksum(), quote: { ipv4: { src: S4, dst: flow.T, protocol: r.proto } } },
        });
        if (r === DCCP) t.behaviour('7915-4.5-other-proto-optional', 'DCCP from IPv4: translated, and checksum fixed up?', dccpNote(ex, 6), [...ex.out6]);
      }
    },
  },
  {
    id: 'igmp-dropped',
    suite: 'header-translation',
    title: 'IGMP (protocol 2) to the pool address is dropped, never translated (RFC 7915 §4.2)',
    requirements: ['7915-4.2-igmp-drop'],
    async run(t) {
      const { ex: setup, flow } = await open(t, udpOut(t));
      if (!flow) return setupFailed(t, this.requirements, 'a UDP mapping for the host is opened', setup);
      // IGMPv2 membership query (0x11) and report (0x16) with valid checksums; multicast routing (DVMRP, 0x13) too.
      for (const [name, hex] of [
        ['membership query', '11640000' + '00000000'],
        ['v2 membership report', '16000000' + 'e0000101'],
        ['DVMRP (multicast routing)', '13000000' + '00000000'],
      ] as const) {
        const body = Buffer.from(hex, 'hex');
        body.writeUInt16BE(internetChecksum(body), 2);
        const ex = await t.send(4, { ipv4: { src: S4, dst: flow.T, ttl: 64, protocol: 2 }, payload: body });
        t.expect('7915-4.2-igmp-drop', `IGMP ${name}: nothing on the IPv6 side`, ex.out6.length === 0, outputs(ex), ex.out6);
      }
    },
  },
];
