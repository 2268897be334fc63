/**
 * What RFC 6146 §3.4 leaves to the implementation (recorded, not scored):
 * queueing all fragments or translating them as they come, and whether the
 * offset-0 fragment must hold the whole transport header; and fragments
 * that hairpin (RFC 6146 §3.8: processed as if they had arrived on the IPv4
 * side, so fragment handling applies on both passes).
 */
import { T } from '../../harness/packet/compare';
import type { Packet } from '../../harness/packet/types';
import type { CaseDef } from '../../harness/runner/case';
import { LAB } from '../../harness/lab/addressing';
import { only, pool4Addresses, v6 } from '../lib/flows';
import { CLIENT, S4, SUITE, byOffset, chunks, collected, fragment4, fragment6, openUdp, pattern, reassemble6, sendAll, setupFailed, udp4, udp6, whatCameOut } from './lib';

export const miscCases: CaseDef[] = [
  {
    id: 'queue-or-stream',
    suite: SUITE,
    title: 'Queue or stream: does anything leave before the last fragment of a datagram has arrived? (both directions)',
    requirements: ['6146-3.4-frag-queue-or-stream'],
    async run(t) {
      const a = fragment6(udp6(t, 43600, pattern(344, 1)), [256, 96], 0x5eed);
      const a1 = await t.send(6, a[0]);
      const a2 = await t.send(6, a[1]);
      const { ex, m } = await openUdp(t, 43602);
      const how = (first: number, second: number) =>
        first > 0 ? `stream: ${first} packet(s) left after the first fragment, ${second} after the second` : second > 0 ? `queue: nothing left until the last fragment, then ${second} packet(s)` : 'nothing left at all';
      let detail = `IPv6 -> IPv4: ${how(a1.out4.length, a2.out4.length)}`;
      if (m) {
        const b = fragment4(udp4(m, pattern(344, 2)), [256, 96], 0x5eee);
        const b1 = await t.send(4, b[0]);
        const b2 = await t.send(4, b[1]);
        detail += `; IPv4 -> IPv6: ${how(b1.out6.length, b2.out6.length)}`;
      } else detail += `; IPv4 -> IPv6 not tried (${whatCameOut(ex)})`;
      t.behaviour('6146-3.4-frag-queue-or-stream', 'fragments are queued until the datagram is whole, or translated as they arrive', detail, [...a1.out4, ...a2.out4]);
    },
  },
  {
    id: '6to4-first-fragment-short-tcp-header',
    suite: SUITE,
    title: 'IPv6 -> IPv4: a TCP segment whose offset-0 fragment holds only 16 of the 20 octets of the TCP header',
    requirements: ['6146-3.4-frag-first-has-l4hdr'],
    async run(t) {
      const syn = await t.send(6, { ipv6: { src: CLIENT, dst: v6(t, S4), hopLimit: 64 }, tcp: { sport: 43610, dport: 80, seq: 1000, flags: { syn: true }, window: 65535 } });
      const o = only(syn.out4);
      if (!o?.packet.tcp) {
        t.behaviour('6146-3.4-frag-first-has-l4hdr', 'short transport header in the first fragment', `not tried: the SYN was not translated (${whatCameOut(syn)})`);
        return;
      }
      await t.send(4, { ipv4: { src: S4, dst: o.packet.ipv4!.src, ttl: 64 }, tcp: { sport: 80, dport: o.packet.tcp.sport, seq: 7000, ack: 1001, flags: { syn: true, ack: true }, window: 65535 } });
      const seg: Packet = { ipv6: { src: CLIENT, dst: v6(t, S4), hopLimit: 64 }, tcp: { sport: 43610, dport: 80, seq: 1001, ack: 7001, flags: { ack: true, psh: true }, window: 65535 }, payload: pattern(500, 3) };
      const out = collected(await sendAll(t, 6, fragment6(seg, [16, 504], 0x16)));
      // §3.4: the NAT64 MAY require the whole transport header in the offset-0 fragment; RFC 7112 requires the whole header chain there.
      t.behaviour('6146-3.4-frag-first-has-l4hdr', 'offset-0 fragment with 16 octets of a 20-octet TCP header', out.out4.length ? `translated: ${whatCameOut(out)}` : 'discarded (nothing came out on the IPv4 side)', out.out4);
    },
  },
  {
    id: 'hairpin-fragments',
    suite: SUITE,
    title: 'Hairpinning: a fragmented UDP datagram from one IPv6 host to another\'s mapping [Pref64::T]:t arrives whole',
    requirements: ['6146-3.4-frag-support'],
    async run(t) {
      const { ex, m } = await openUdp(t, 43620);
      if (!m) return setupFailed(t, this.requirements, 'host A opens a UDP mapping', ex);
      const payload = pattern(600, 4);
      const p: Packet = { ipv6: { src: LAB.client6[1], dst: v6(t, m.T), hopLimit: 64 }, udp: { sport: 43622, dport: m.t }, payload };
      const out = collected(await sendAll(t, 6, fragment6(p, chunks(608, 256), 0x4a1f)));
      const w = reassemble6(byOffset(out.out6));
      const label = 'host A receives the 608-octet datagram from [Pref64::T]:t of host B, whole';
      const expected = { ipv6: { dst: CLIENT, src: T.oneOf(pool4Addresses(t).map((a) => v6(t, a))) }, udp: { dport: 43620, length: 608, checksum: T.validChecksum() }, payload };
      if (w.seen) t.expectPacket('6146-3.4-frag-support', label, w.seen, expected);
      else t.expect('6146-3.4-frag-support', label, false, `${w.problem}; ${whatCameOut(out)}`);
    },
  },
];
