/**
 * Traffic Class <-> TOS (the whole octet, DSCP and ECN alike, RFC 7915 §4.1
 * and §5.1 "by default, copied") and Hop Limit <-> TTL (decremented by
 * exactly one, as by any router; at zero the packet is not forwarded and
 * ICMPv6 3/0 or ICMPv4 11/0 goes back).
 */
import { T } from '../../harness/packet/compare';
import type { CaseDef } from '../../harness/runner/case';
import { CLIENT, S4, open, outputs, setupFailed, udpIn, udpOut } from './lib';

/** DSCP and ECN values: CS1+ECT(0), EF+ECT(1), not-ECT CS7, and CE alone (the ECN bits are half the octet's point). */
const TOS_VALUES = [0x2e, 0xb9, 0xe0, 0x03];

function hex(n: number): string {
  return `0x${n.toString(16).padStart(2, '0')}`;
}

const tosCases: CaseDef[] = TOS_VALUES.map((v) => ({
  id: `traffic-class-${hex(v)}`,
  suite: 'header-translation',
  title: `Traffic Class ${hex(v)} becomes TOS ${hex(v)} and back (DSCP ${v >> 2}, ECN ${v & 3})`,
  requirements: ['7915-5.1-tos-copy', '7915-4.1-tc-copy'],
  async run(t) {
    const { ex, flow } = await open(t, udpOut(t, { ipv6: { trafficClass: v } }));
    t.expectPacket('7915-5.1-tos-copy', `Traffic Class ${hex(v)} -> TOS ${hex(v)}`, flow?.out, { ipv4: { tos: v } });
    if (!flow) return setupFailed(t, ['7915-4.1-tc-copy'], 'the outbound UDP datagram is translated', ex);
    const r = await t.send(4, udpIn(flow, Buffer.from('tos reply'), { tos: v }));
    t.expectPacket('7915-4.1-tc-copy', `TOS ${hex(v)} -> Traffic Class ${hex(v)}`, r.out6.length === 1 ? r.out6[0] : undefined, {
      ipv6: { trafficClass: v },
    });
  },
}));

/**
 * The administrator's option to clear the octet (RFC 7915 §4.1 "SHOULD
 * provide a configuration function ... to ignore the IPv4 TOS and always set
 * the IPv6 Traffic Class to zero", and the §5.1 counterpart). A target
 * without the knob makes this case na.
 */
const knobCase: CaseDef = {
  id: 'traffic-class-zero-knob',
  suite: 'header-translation',
  title: 'With the "zero" TOS/Traffic Class option, 0xb9 becomes 0 in both directions',
  requirements: ['7915-5.1-tos-knob', '7915-4.1-tc-zero-knob'],
  needs: { trafficClass: 'zero' },
  async run(t) {
    const v = 0xb9;
    const { ex, flow } = await open(t, udpOut(t, { ipv6: { trafficClass: v } }));
    t.expectPacket('7915-5.1-tos-knob', `Traffic Class ${hex(v)} -> TOS 0x00 under the option`, flow?.out, { ipv4: { tos: 0 } });
    if (!flow) return setupFailed(t, ['7915-4.1-tc-zero-knob'], 'the outbound UDP datagram is translated', ex);
    const r = await t.send(4, udpIn(flow, Buffer.from('tos reply'), { tos: v }));
    t.expectPacket('7915-4.1-tc-zero-knob', `TOS ${hex(v)} -> Traffic Class 0x00 under the option`, r.out6.length === 1 ? r.out6[0] : undefined, {
      ipv6: { trafficClass: 0 },
    });
  },
};

const ttlCases: CaseDef[] = [
  {
    id: 'hop-limit-to-ttl',
    suite: 'header-translation',
    title: 'IPv6 -> IPv4: TTL = Hop Limit - 1; Hop Limit 1 is not forwarded and gets ICMPv6 Time Exceeded',
    requirements: ['7915-5.1-ttl', '7915-5.1-hlim-expired', '5508-7.2-time-exceeded'],
    async run(t) {
      let sport = 40200;
      for (const hl of [255, 64, 2]) {
        const ex = await t.send(6, udpOut(t, { sport: sport++, ipv6: { hopLimit: hl } }));
        t.expectPacket('7915-5.1-ttl', `Hop Limit ${hl} -> TTL ${hl - 1}`, ex.out4.length === 1 ? ex.out4[0] : undefined, {
          ipv4: { ttl: T.decrementedBy(1, hl) },
        });
      }
      const p = udpOut(t, { sport: sport++, ipv6: { hopLimit: 1 } });
      const ex = await t.send(6, p);
      t.expect('7915-5.1-hlim-expired', 'Hop Limit 1: nothing is forwarded to IPv4', ex.out4.length === 0, outputs(ex), ex.out4);
      t.expectPacket(['7915-5.1-hlim-expired', '5508-7.2-time-exceeded'], 'Hop Limit 1: ICMPv6 Time Exceeded 3/0 back to the sender', ex.out6.length === 1 ? ex.out6[0] : undefined, {
        ipv6: { dst: CLIENT },
        icmpv6: {
          type: 3,
          code: 0,
          checksum: T.validChecksum(),
          quote: { ipv6: { src: CLIENT, dst: p.ipv6!.dst }, udp: { sport: p.udp!.sport, dport: 7 } },
        },
      });
    },
  },
  {
    id: 'ttl-to-hop-limit',
    suite: 'header-translation',
    title: 'IPv4 -> IPv6: Hop Limit = TTL - 1; TTL 1 is not forwarded and gets ICMPv4 Time Exceeded',
    requirements: ['7915-4.1-hop-limit', '7915-4.1-ttl-expired', '5508-7.2-time-exceeded'],
    async run(t) {
      const { ex: setup, flow } = await open(t, udpOut(t));
      if (!flow) return setupFailed(t, this.requirements, 'the outbound UDP datagram is translated', setup);
      for (const ttl of [255, 64, 2]) {
        const ex = await t.send(4, udpIn(flow, Buffer.from(`ttl ${ttl}`), { ttl }));
        t.expectPacket('7915-4.1-hop-limit', `TTL ${ttl} -> Hop Limit ${ttl - 1}`, ex.out6.length === 1 ? ex.out6[0] : undefined, {
          ipv6: { hopLimit: T.decrementedBy(1, ttl) },
        });
      }
      const ex = await t.send(4, udpIn(flow, Buffer.from('ttl 1'), { ttl: 1 }));
      t.expect('7915-4.1-ttl-expired', 'TTL 1: nothing is forwarded to IPv6', ex.out6.length === 0, outputs(ex), ex.out6);
      t.expectPacket(['7915-4.1-ttl-expired', '5508-7.2-time-exceeded'], 'TTL 1: ICMPv4 Time Exceeded 11/0 back to the sender', ex.out4.length === 1 ? ex.out4[0] : undefined, {
        ipv4: { dst: S4, checksum: T.validChecksum() },
        icmpv4: {
          type: 11,
          code: 0,
          checksum: T.validChecksum(),
          quote: { ipv4: { src: S4, dst: flow.T }, udp: { sport: 7, dport: flow.t } },
        },
      });
    },
  },
];

export const tosTtlCases: CaseDef[] = [...tosCases, knobCase, ...ttlCases];
