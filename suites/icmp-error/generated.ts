/**
 * ICMP errors the NAT64 originates itself: the DSCP they carry (RFC 5508
 * REQ-10d), when none may be sent (REQ-10e, RFC 1812 §4.3.2.7, RFC 4443
 * §2.4(e)), rate limiting (REQ-10f), the administrator's settings (RFC 7915
 * §4.4/§5.4 "sent, rate-limited, or not sent", RFC 5508 REQ-9, §7.2 default
 * on), and the Destination Unreachable of §4.4/§5.4 for packets dropped with
 * no other error prescribed. Time Exceeded itself is the header-translation
 * suite's (tos-ttl.ts); here it is only the trigger.
 */
import { LAB } from '../../harness/lab/addressing';
import { T } from '../../harness/packet/compare';
import { WELL_KNOWN_PREFIX, embed } from '../../harness/packet/rfc6052';
import type { CaseContext, CaseDef, Exchange, Seen } from '../../harness/runner/case';
import { only, udp6, udpReply4 } from '../lib/flows';
import type { IPv4Header, Packet } from '../../harness/packet/types';
import { C6, Flow, R4, R6, S4, SUITE, emitted, err4, err6, expectNothing, openBoth, openOut, quote4, quote6, whatCameOut } from './lib';

/** IPv6 UDP to [Pref64::S4] with Hop Limit 1: the translator must not forward it (RFC 7915 §5.1). */
function expiring6(t: CaseContext, sport: number, trafficClass = 0): Packet {
  const p = udp6(t, { sport, hopLimit: 1 });
  return { ...p, ipv6: { ...p.ipv6!, trafficClass } };
}

/** The server's datagram to the flow's (T,t) with other IPv4 header fields (TTL 1 to make it expire). */
function reply4(f: Flow, ipv4: Partial<IPv4Header>): Packet {
  const p = udpReply4(f.out);
  return { ...p, ipv4: { ...p.ipv4!, ...ipv4 } };
}

function timeExceeded6(list: Seen[]): Seen[] {
  return list.filter((s) => s.packet.icmpv6?.type === 3 && s.packet.icmpv6.code === 0);
}

function timeExceeded4(list: Seen[]): Seen[] {
  return list.filter((s) => s.packet.icmpv4?.type === 11 && s.packet.icmpv4.code === 0);
}

const dscpCase: CaseDef = {
  id: 'originated-error-dscp',
  suite: SUITE,
  title: 'Time Exceeded the NAT64 originates carries the DSCP of the packet that expired (TC / TOS 0xb8 in, 0xb8 out), both sides',
  requirements: ['5508-7-req10d-ds'],
  async run(t) {
    const ex6 = await t.send(6, expiring6(t, 40700, 0xb8));
    t.expectPacket(this.requirements, 'Hop Limit 1, Traffic Class 0xb8: ICMPv6 3/0 with Traffic Class 0xb8', only(ex6.out6), {
      ipv6: { dst: C6, trafficClass: 0xb8 },
      icmpv6: { type: 3, code: 0 },
    });
    const f = await openOut(t, this.requirements, { sport: 40702 });
    if (!f) return;
    const ex4 = await t.send(4, reply4(f, { ttl: 1, tos: 0xb8 }));
    t.expectPacket(this.requirements, 'TTL 1, TOS 0xb8: ICMPv4 11/0 with TOS 0xb8', only(ex4.out4), {
      ipv4: { dst: S4, tos: 0xb8 },
      icmpv4: { type: 11, code: 0 },
    });
  },
};

const whenNotCase: CaseDef = {
  id: 'no-error-about-expiring-errors',
  suite: SUITE,
  title: 'ICMP errors that expire at the NAT64 (TTL / Hop Limit 1) are dropped without a Time Exceeded about them (RFC 1812 §4.3.2.7, RFC 4443 §2.4(e))',
  requirements: ['5508-7-req10e-when-not'],
  async run(t) {
    const both = await openBoth(t, this.requirements);
    if (!both) return;
    const { f, in6 } = both;
    expectNothing(t, this.requirements, 'ICMPv4 3/1 with TTL 1: not forwarded, no ICMP error about it', await t.send(4, err4(f, { type: 3, code: 1 }, quote4(f), R4, 1)));
    expectNothing(t, this.requirements, 'ICMPv6 1/0 with Hop Limit 1: not forwarded, no ICMP error about it', await t.send(6, err6(f, { type: 1, code: 0 }, quote6(in6), R6, 1)));
  },
};

const RATE_PROBES = 40;

const rateCase: CaseDef = {
  id: 'originated-errors-rate-limited',
  suite: SUITE,
  title: `${RATE_PROBES} expiring IPv6 packets in a burst draw clearly fewer Time Exceeded messages (RFC 5508 REQ-10f, RFC 4443 §2.4(f))`,
  requirements: ['5508-7-req10f-ratelimit'],
  async run(t) {
    t.note(`${RATE_PROBES} packets sent back to back (no clock advance between them on a virtual clock)`);
    const te: Seen[] = [];
    for (let i = 0; i < RATE_PROBES; i++) te.push(...timeExceeded6((await t.send(6, expiring6(t, 40800))).out6));
    t.expect(this.requirements, `at most ${RATE_PROBES / 2} Time Exceeded for ${RATE_PROBES} triggering packets`, te.length <= RATE_PROBES / 2 && te.length > 0, `${te.length} Time Exceeded messages`, te.slice(0, 3));
  },
};

/** RFC 7915 §4.4/§5.4 and RFC 5508 REQ-9: the settings that turn originated errors off or limit them. */
const knobCases: CaseDef[] = [
  {
    id: 'setting-no-icmpv6-errors',
    suite: SUITE,
    title: 'With originated ICMPv6 errors switched off, an expiring IPv6 packet draws nothing (RFC 7915 §5.4 setting, RFC 5508 REQ-9 policy)',
    requirements: ['7915-5.4-gen-knob', '5508-7-req9-policy'],
    needs: { icmpErrors: { send6: false } },
    async run(t) {
      const ex = await t.send(6, expiring6(t, 40900));
      expectNothing(t, '7915-5.4-gen-knob', 'Hop Limit 1 with ICMPv6 errors off: nothing on either side', ex);
      t.behaviour('5508-7-req9-policy', 'a policy stops generated ICMP toward the IPv6 side', emitted(ex).length ? 'not effective' : 'available and effective (icmpErrors.send6 = false)', emitted(ex));
    },
  },
  {
    id: 'setting-icmpv6-error-rate',
    suite: SUITE,
    title: 'With originated errors limited to 1 per second (burst 1), three expiring IPv6 packets at once draw one Time Exceeded, one more a second later',
    requirements: ['7915-5.4-gen-knob'],
    needs: { icmpErrors: { ratePerSecond: 1, burst: 1 } },
    async run(t) {
      const te: Seen[] = [];
      for (let i = 0; i < 3; i++) te.push(...timeExceeded6((await t.send(6, expiring6(t, 40910))).out6));
      t.expect(this.requirements, 'three at once: exactly one Time Exceeded', te.length === 1, `${te.length} Time Exceeded messages`, te);
      await t.elapse(1000);
      const later = timeExceeded6((await t.send(6, expiring6(t, 40910))).out6);
      t.expect(this.requirements, 'one second later the next one gets its Time Exceeded', later.length === 1, `${later.length} Time Exceeded messages`, later);
    },
  },
  {
    id: 'setting-no-icmpv4-errors',
    suite: SUITE,
    title: 'With originated ICMPv4 errors switched off, an expiring IPv4 packet draws nothing (RFC 7915 §4.4 setting, RFC 5508 REQ-9 policy)',
    requirements: ['7915-4.4-gen-knob', '5508-7-req9-policy'],
    needs: { icmpErrors: { send4: false } },
    async run(t) {
      const f = await openOut(t, ['7915-4.4-gen-knob'], { sport: 40920 });
      if (!f) return t.behaviour('5508-7-req9-policy', 'a policy stops generated ICMP toward the IPv4 side', 'not observed: no flow');
      const ex = await t.send(4, reply4(f, { ttl: 1 }));
      expectNothing(t, '7915-4.4-gen-knob', 'TTL 1 with ICMPv4 errors off: nothing on either side', ex);
      t.behaviour('5508-7-req9-policy', 'a policy stops generated ICMP toward the IPv4 side', emitted(ex).length ? 'not effective' : 'available and effective (icmpErrors.send4 = false)', emitted(ex));
    },
  },
  {
    id: 'setting-icmpv4-error-rate',
    suite: SUITE,
    title: 'With originated errors limited to 1 per second (burst 1), three expiring IPv4 packets at once draw one Time Exceeded',
    requirements: ['7915-4.4-gen-knob'],
    needs: { icmpErrors: { ratePerSecond: 1, burst: 1 } },
    async run(t) {
      const f = await openOut(t, this.requirements, { sport: 40930 });
      if (!f) return;
      const te: Seen[] = [];
      for (let i = 0; i < 3; i++) te.push(...timeExceeded4((await t.send(4, reply4(f, { ttl: 1 }))).out4));
      t.expect(this.requirements, 'three at once: exactly one Time Exceeded', te.length === 1, `${te.length} Time Exceeded messages`, te);
    },
  },
  {
    id: 'time-exceeded-on-by-default',
    suite: SUITE,
    title: 'In the default configuration Time Exceeded is sent toward both sides (RFC 5508 §7.2: the factory default is on)',
    requirements: ['5508-7.2-te-knob-default'],
    async run(t) {
      const pol = t.config.icmpErrors;
      t.note(pol ? `configured policy: send4 ${pol.send4}, send6 ${pol.send6}, ${pol.ratePerSecond}/s burst ${pol.burst}` : 'the target does not show its ICMP error settings');
      const ex6 = await t.send(6, expiring6(t, 40940));
      const te6 = timeExceeded6(ex6.out6);
      t.expect(this.requirements, 'default: Hop Limit 1 draws ICMPv6 Time Exceeded' + (pol ? ' (and send6 is on)' : ''), te6.length === 1 && (!pol || pol.send6), whatCameOut(ex6), te6);
      const f = await openOut(t, this.requirements, { sport: 40942 });
      if (!f) return;
      const ex4 = await t.send(4, reply4(f, { ttl: 1 }));
      const te4 = timeExceeded4(ex4.out4);
      t.expect(this.requirements, 'default: TTL 1 draws ICMPv4 Time Exceeded' + (pol ? ' (and send4 is on)' : ''), te4.length === 1 && (!pol || pol.send4), whatCameOut(ex4), te4);
    },
  },
];

/** 10.0.0.1 and 10.0.0.5 (RFC 1918) are not global: RFC 6052 §3.1 forbids them under 64:ff9b::/96 ("MUST drop"). */
const NONGLOBAL = '10.0.0.1';

const prohibitedCases: CaseDef[] = [
  {
    id: 'dropped-ipv6-gets-1-1',
    suite: SUITE,
    title: 'UDP to 64:ff9b::10.0.0.1 (dropped by RFC 6052 §3.1) draws ICMPv6 1/1; an echo request to it draws nothing (RFC 7915 §5.4)',
    requirements: ['7915-5.4-gen-icmpv6', '7915-5.4-default-code'],
    needs: { pool6: WELL_KNOWN_PREFIX },
    async run(t) {
      const dst = embed(WELL_KNOWN_PREFIX, NONGLOBAL);
      const p = { ipv6: { src: C6, dst, hopLimit: 64 }, udp: { sport: 41100, dport: 53 }, payload: Buffer.from('to a non-global address') };
      const ex = await t.send(6, p);
      const e = only(ex.out6);
      t.expect('7915-5.4-gen-icmpv6', 'nothing is translated to IPv4; an ICMPv6 error goes back', ex.out4.length === 0 && !!e?.packet.icmpv6, whatCameOut(ex), emitted(ex));
      t.expectPacket('7915-5.4-default-code', 'the error is Destination Unreachable 1/1 (administratively prohibited) to the sender, quoting the packet', e, {
        ipv6: { dst: C6 },
        icmpv6: { type: 1, code: 1, checksum: T.validChecksum(), quote: { ipv6: { src: C6, dst }, udp: { sport: 41100, dport: 53 } } },
      });
      const echo = await t.send(6, { ipv6: { src: C6, dst, hopLimit: 64 }, icmpv6: { type: 128, code: 0, id: 0x7915, seq: 1 }, payload: Buffer.from('ping') });
      expectNothing(t, '7915-5.4-gen-icmpv6', 'an ICMPv6 echo request to the same address: dropped with no ICMPv6 error about it', echo);
    },
  },
  {
    id: 'dropped-ipv4-gets-3-13',
    suite: SUITE,
    title: 'Under 64:ff9b::/96, UDP from non-global 10.0.0.5 to a mapping draws ICMPv4 3/13; an ICMPv4 error from non-global 10.9.9.9 draws nothing (RFC 7915 §4.4)',
    requirements: ['7915-4.4-gen-icmpv4'],
    needs: { pool6: WELL_KNOWN_PREFIX },
    async run(t) {
      const f = await openOut(t, this.requirements, { server: LAB.server4Global[0], sport: 41200 });
      if (!f) return;
      const ex = await t.send(4, { ipv4: { src: '10.0.0.5', dst: f.T, ttl: 64 }, udp: { sport: 53, dport: f.t }, payload: Buffer.from('from a non-global address') });
      t.expectPacket(this.requirements, `UDP from 10.0.0.5 to ${f.T}:${f.t}: not translated, ICMPv4 3/13 back from ${f.T}`, only(ex.out4), {
        ipv4: { src: f.T, dst: '10.0.0.5' },
        icmpv4: { type: 3, code: 13, checksum: T.validChecksum(), quote: { ipv4: { src: '10.0.0.5', dst: f.T }, udp: { dport: f.t } } },
      });
      t.expect(this.requirements, 'and nothing on the IPv6 side', ex.out6.length === 0, whatCameOut(ex), ex.out6);
      const err = await t.send(4, err4(f, { type: 11, code: 0 }, quote4(f), '10.9.9.9'));
      expectNothing(t, this.requirements, 'ICMPv4 11/0 from 10.9.9.9 (not representable under the WKP): dropped, and no ICMP error about an ICMP error', err);
    },
  },
  {
    id: 'router-with-private-source',
    suite: SUITE,
    title: 'Whether ICMPv4 errors from private (10.9.9.9) or illegal (127.0.0.1) router addresses are translated for troubleshooting (recorded)',
    requirements: ['7915-4.1-icmperr-illegal-src'],
    async run(t) {
      const f = await openOut(t, [], { sport: 41300 });
      if (!f) return t.behaviour(this.requirements[0], 'errors from illegal sources', 'not observed: the flow could not be opened');
      const seen: string[] = [];
      const packets: Seen[] = [];
      for (const src of ['10.9.9.9', '127.0.0.1']) {
        const ex: Exchange = await t.send(4, err4(f, { type: 11, code: 0 }, quote4(f), src));
        const e = only(ex.out6);
        packets.push(...emitted(ex));
        seen.push(`${src}: ${e?.packet.icmpv6 ? `translated, ICMPv6 ${e.packet.icmpv6.type}/${e.packet.icmpv6.code} from ${e.packet.ipv6!.src}` : 'dropped'}`);
      }
      t.behaviour(this.requirements[0], `ICMPv4 11/0 from router addresses that are not global (Pref64 ${t.config.pool6})`, seen.join('; '), packets);
    },
  },
];

export const generatedCases: CaseDef[] = [dscpCase, whenNotCase, rateCase, ...knobCases, ...prohibitedCases];

