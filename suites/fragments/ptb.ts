/**
 * The MTU arithmetic of translated "too big" errors:
 *
 * - RFC 7915 §4.2: ICMPv4 Fragmentation Needed (3/4) from an IPv4 router
 *   becomes ICMPv6 Packet Too Big with MTU = max(1280, min(MTU + 20,
 *   MTU_of_IPv6_nexthop, MTU_of_IPv4_nexthop + 20)); an MTU of 0 (a router
 *   older than RFC 1191) is replaced by the greatest RFC 1191 plateau below
 *   the quoted Total Length that is at least 1280. RFC 7915 does not say
 *   whether 20 is added to that plateau: both readings are accepted
 *   (catalogue summary, conflict 13), so the MTUs are set high enough
 *   (9000) for neither to be capped. RFC 5508 §7.1.2: such errors are relayed
 *   to the internal sender at all.
 * - RFC 7915 §5.2: ICMPv6 Packet Too Big from an IPv6 router becomes ICMPv4
 *   3/4 with MTU = min(MTU - 20, MTU_of_IPv4_nexthop, MTU_of_IPv6_nexthop -
 *   20), "taking into account whether or not the packet in error includes a
 *   Fragment Header" — how is unsaid: for a quoted fragment 1400 - 28 and
 *   1400 - 20 are both accepted.
 *
 * The routers quote the classic RFC 792 minimum for IPv4 (header + 8 octets)
 * and as much as fits 1280 octets for IPv6 (RFC 4443 §2.4(c)).
 */
import { decode, encode } from '../../harness/packet/codec';
import { T } from '../../harness/packet/compare';
import type { CaseDef, Seen } from '../../harness/runner/case';
import { LAB } from '../../harness/lab/addressing';
import { only, v6 } from '../lib/flows';
import { CLIENT, S4, SUITE, fragment6, openUdp, pattern, setupFailed, udp6, whatCameOut } from './lib';

interface V4Row {
  id: string;
  title: string;
  requirements: string[];
  /** Size of the IPv4 packet the client's datagram becomes (its Total Length, quoted by the router). */
  total: number;
  reported: number;
  expected: number | number[];
  mtu?: { ipv6?: number; ipv4?: number };
}

const BIG = { ipv6: 9000, ipv4: 9000 };

const v4Rows: V4Row[] = [
  { id: 'frag-needed-1400', title: 'ICMPv4 3/4 MTU 1400 becomes Packet Too Big 1420 (1500-octet links)', requirements: ['7915-4.2-ptb-mtu', '5508-7.1.2-forward-ptb'], total: 1500, reported: 1400, expected: 1420 },
  { id: 'frag-needed-1300', title: 'ICMPv4 3/4 MTU 1300 becomes Packet Too Big 1320', requirements: ['7915-4.2-ptb-mtu', '5508-7.1.2-forward-ptb'], total: 1400, reported: 1300, expected: 1320 },
  { id: 'frag-needed-576', title: 'ICMPv4 3/4 MTU 576 becomes Packet Too Big 1280, never less', requirements: ['7915-4.2-ptb-floor', '5508-7.1.2-forward-ptb'], total: 1500, reported: 576, expected: 1280 },
  { id: 'frag-needed-68', title: 'ICMPv4 3/4 MTU 68 becomes Packet Too Big 1280, never less', requirements: ['7915-4.2-ptb-floor', '5508-7.1.2-forward-ptb'], total: 1500, reported: 68, expected: 1280 },
  { id: 'frag-needed-1270', title: 'ICMPv4 3/4 MTU 1270 (1290 as IPv6) becomes Packet Too Big 1290', requirements: ['7915-4.2-ptb-mtu', '7915-4.2-ptb-floor'], total: 1300, reported: 1270, expected: 1290 },
  {
    id: 'frag-needed-ipv6-nexthop-1400',
    title: 'IPv6 next-hop MTU 1400: ICMPv4 3/4 MTU 1450 becomes Packet Too Big 1400 (the IPv6 link caps it)',
    requirements: ['7915-4.2-ptb-mtu'],
    total: 1380,
    reported: 1450,
    expected: 1400,
    mtu: { ipv6: 1400 },
  },
  {
    id: 'frag-needed-ipv4-nexthop-1300',
    title: 'IPv4 next-hop MTU 1300: ICMPv4 3/4 MTU 1450 becomes Packet Too Big 1320 (the IPv4 link + 20 caps it)',
    requirements: ['7915-4.2-ptb-mtu'],
    total: 1300,
    reported: 1450,
    expected: 1320,
    mtu: { ipv4: 1300 },
  },
  // MTU 0: the plateau below the quoted Total Length (1492 below 1500, 2002 below 4000), with or without + 20.
  { id: 'frag-needed-zero-1500', title: 'ICMPv4 3/4 MTU 0 about a 1500-octet packet: Packet Too Big 1492 (plateau; 1512 with + 20)', requirements: ['7915-4.2-ptb-zero-plateau'], total: 1500, reported: 0, expected: [1492, 1512], mtu: BIG },
  { id: 'frag-needed-zero-4000', title: 'ICMPv4 3/4 MTU 0 about a 4000-octet packet: Packet Too Big 2002 (plateau; 2022 with + 20)', requirements: ['7915-4.2-ptb-zero-plateau'], total: 4000, reported: 0, expected: [2002, 2022], mtu: BIG },
  // No plateau of 1280 or more lies below 1400: the floor.
  { id: 'frag-needed-zero-1400', title: 'ICMPv4 3/4 MTU 0 about a 1400-octet packet: no plateau >= 1280 below it, Packet Too Big 1280', requirements: ['7915-4.2-ptb-zero-plateau', '7915-4.2-ptb-floor'], total: 1400, reported: 0, expected: 1280, mtu: BIG },
];

/** A router on the IPv4 side answers the translated packet `out` with 3/4 carrying `mtu`, quoting its header and 8 octets. */
function fragNeeded(out: Seen, mtu: number) {
  return {
    ipv4: { src: LAB.router4, dst: out.packet.ipv4!.src, ttl: 64 },
    icmpv4: { type: 3, code: 4, mtu, quote: decode(out.bytes.subarray(0, (out.bytes[0] & 0x0f) * 4 + 8)) },
  };
}

const toPtb: CaseDef[] = v4Rows.map((row, i) => ({
  id: `4to6-${row.id}`,
  suite: SUITE,
  title: row.title,
  requirements: row.requirements,
  ...(row.mtu ? { needs: { mtu: row.mtu } } : {}),
  async run(t) {
    const sport = 43500 + 2 * i;
    const r = await t.send(6, udp6(t, sport, pattern(row.total - 28, i)));
    const out = only(r.out4);
    if (!out?.packet.ipv4 || out.packet.ipv4.totalLength !== row.total) return setupFailed(t, this.requirements, `a ${row.total + 20}-octet IPv6 datagram leaves as one ${row.total}-octet IPv4 packet`, r);
    const e = await t.send(4, fragNeeded(out, row.reported));
    const ptb = only(e.out6);
    const mtu = Array.isArray(row.expected) ? T.oneOf(row.expected) : row.expected;
    const what = `ICMPv6 Packet Too Big to the client with MTU ${Array.isArray(row.expected) ? row.expected.join(' or ') : row.expected}`;
    t.expectPacket(row.requirements, what, ptb, { ipv6: { dst: CLIENT }, icmpv6: { type: 2, code: 0, mtu, quote: { ipv6: { src: CLIENT, dst: v6(t, S4) }, udp: { sport } } } });
    if (!ptb) t.note(`after the Fragmentation Needed: ${whatCameOut(e)}`);
  },
}));

interface V6Row {
  id: string;
  title: string;
  reported: number;
  expected: number | number[];
  fragment?: boolean;
  mtu?: { ipv6?: number; ipv4?: number };
}

const v6Rows: V6Row[] = [
  { id: 'ptb-1400', title: 'ICMPv6 Packet Too Big 1400 becomes ICMPv4 3/4 MTU 1380 (1500-octet links)', reported: 1400, expected: 1380 },
  { id: 'ptb-1280', title: 'ICMPv6 Packet Too Big 1280 becomes ICMPv4 3/4 MTU 1260', reported: 1280, expected: 1260 },
  { id: 'ptb-1400-ipv4-nexthop-1300', title: 'IPv4 next-hop MTU 1300: Packet Too Big 1400 becomes 3/4 MTU 1300 (the IPv4 link caps it)', reported: 1400, expected: 1300, mtu: { ipv4: 1300 } },
  { id: 'ptb-1480-ipv6-nexthop-1400', title: 'IPv6 next-hop MTU 1400: Packet Too Big 1480 becomes 3/4 MTU 1380 (the IPv6 link - 20 caps it)', reported: 1480, expected: 1380, mtu: { ipv6: 1400 } },
  { id: 'ptb-1400-about-fragment', title: 'Packet Too Big 1400 about a packet with a Fragment Header becomes 3/4 MTU 1372 (or 1380)', reported: 1400, expected: [1372, 1380], fragment: true },
];

const toFragNeeded: CaseDef[] = v6Rows.map((row, i) => ({
  id: `6to4-${row.id}`,
  suite: SUITE,
  title: row.title,
  requirements: ['7915-5.2-ptb'],
  ...(row.mtu ? { needs: { mtu: row.mtu } } : {}),
  async run(t) {
    const sport = 43540 + 2 * i;
    const { ex, m } = await openUdp(t, sport);
    if (!m) return setupFailed(t, this.requirements, 'an outbound UDP datagram opens a mapping', ex);
    // The packet in error: what the server's answer looks like on the IPv6 side (built here, so no MTU of the target interferes).
    const inner = { ipv6: { src: v6(t, S4), dst: CLIENT, hopLimit: 63 }, udp: { sport: 7, dport: sport }, payload: pattern(1400, i) };
    // RFC 4443 §2.4(c): the error stays within 1280 octets, so the router quotes the first 1232 octets.
    const whole = row.fragment ? fragment6(inner, [1232, 1408 - 1232], 0x0f0f0f0f)[0] : inner;
    const quoted = decode(encode(whole).subarray(0, 1232));
    const r = await t.send(6, { ipv6: { src: LAB.router6, dst: v6(t, S4), hopLimit: 64 }, icmpv6: { type: 2, code: 0, mtu: row.reported, quote: quoted } });
    const err = only(r.out4);
    const mtu = Array.isArray(row.expected) ? T.oneOf(row.expected) : row.expected;
    t.expectPacket('7915-5.2-ptb', `ICMPv4 3/4 to the server with MTU ${Array.isArray(row.expected) ? row.expected.join(' or ') : row.expected}`, err, {
      ipv4: { dst: S4 },
      icmpv4: { type: 3, code: 4, mtu, quote: { ipv4: { src: S4, dst: m.T } } },
    });
    if (!err) t.note(`after the Packet Too Big: ${whatCameOut(r)}`);
  },
}));

export const ptbCases: CaseDef[] = [...toPtb, ...toFragNeeded];
