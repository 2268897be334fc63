/**
 * Sizes and next-hop MTUs (RFC 7915 §1.4: the translator behaves as a router
 * and either fragments a packet too big for the next hop or answers it with
 * Packet Too Big / Fragmentation Needed):
 *
 * - IPv4 -> IPv6, DF=0: fragments of at most lowest-ipv6-mtu (default 1280)
 *   with Fragment Headers (§4, §4.1), none when the packet fits (§4);
 *   lowest-ipv6-mtu is a setting (§4, §4.1 MUST); the IPv6 next-hop MTU
 *   still caps a larger setting (§1.4).
 * - IPv4 -> IPv6, DF=1, Total Length + 20 above the IPv6 next-hop MTU:
 *   ICMPv4 3/4 (§4.1 MUST, RFC 5508 §7.1.1) carrying the next-hop MTU as the
 *   IPv4 sender must use it (IPv6 MTU - 20, RFC 1191).
 * - IPv6 -> IPv4 above the IPv4 next-hop MTU: DF clear (at most 1260 octets,
 *   §5) -> IPv4 fragments (§5.1.1 MUST, RFC 4787 REQ-13a in order); DF set ->
 *   ICMPv6 Packet Too Big with IPv4 MTU + 20, never below 1280 (§1.4, §5,
 *   RFC 4787 REQ-13 as NAT64 applies it).
 * - The DF rule of §5 (1260 octets) and §5.1.1 (translated fragments: DF 0).
 */
import { T } from '../../harness/packet/compare';
import type { Expectation } from '../../harness/packet/compare';
import type { CaseContext, CaseDef, Exchange, Seen } from '../../harness/runner/case';
import { only, pool4Addresses, v6 } from '../lib/flows';
import {
  CLIENT,
  S4,
  SUITE,
  byOffset,
  chunks,
  collected,
  dataLength,
  fragment4,
  fragment6,
  openUdp,
  pattern,
  reassemble4,
  reassemble6,
  sendAll,
  setupFailed,
  udp4,
  udp6,
  whatCameOut,
} from './lib';

function fh(s: Seen): { nextHeader?: number; id?: number; m?: boolean } | undefined {
  return s.packet.ipv6?.extensions?.find((e) => e.kind === 'fragment') as { nextHeader?: number; id?: number; m?: boolean } | undefined;
}

/** Checks that a set of IPv6 packets is the datagram cut into fragments no larger than `limit`, each with a Fragment Header. */
function checkIpv6Fragments(t: CaseContext, ids: string[], label: string, list: Seen[], limit: number, expected: Expectation | undefined, ex: Exchange): boolean {
  const sizes = list.map((s) => s.bytes.length);
  const ok = list.length > 1 && sizes.every((n) => n <= limit) && list.every((s) => fh(s) !== undefined);
  t.expect(ids, `${label}: IPv6 fragments of at most ${limit} octets, each with a Fragment Header`, ok, list.length ? `${list.length} packet(s) of ${sizes.join(', ')} octets${list.some((s) => !fh(s)) ? ', some without a Fragment Header' : ''}` : whatCameOut(ex), list);
  if (expected) {
    const w = reassemble6(list);
    if (w.seen) t.expectPacket(ids, `${label}: the fragments put back together are the datagram`, w.seen, expected);
    else t.expect(ids, `${label}: the fragments put back together are the datagram`, false, w.problem ?? 'no packet', list);
  }
  return ok;
}

/** An IPv4 -> IPv6 DF=0 case: a UDP datagram of `total` IPv4 octets from S4 to a fresh mapping. */
async function inbound(t: CaseContext, ids: string[], sport: number, total: number, df: boolean, id = 0xbeef): Promise<{ r: Exchange; payload: Buffer } | undefined> {
  const { ex, m } = await openUdp(t, sport);
  if (!m) {
    setupFailed(t, ids, 'an outbound UDP datagram opens a mapping', ex);
    return undefined;
  }
  const payload = pattern(total - 28, sport);
  return { r: await t.send(4, udp4(m, payload, { df, id })), payload };
}

const expect6 = (t: CaseContext, sport: number, payload: Buffer): Expectation => ({
  ipv6: { src: v6(t, S4), dst: CLIENT },
  udp: { sport: 7, dport: sport, length: payload.length + 8, checksum: T.validChecksum() },
  payload,
});

const df0Cases: CaseDef[] = [
  {
    id: '4to6-df0-1400',
    suite: SUITE,
    title: 'IPv4 -> IPv6: a 1400-octet DF=0 packet leaves as IPv6 fragments of at most 1280 octets with Fragment Headers (ID 0x0000BEEF, Next Header 17)',
    requirements: ['7915-4-df0-fit-1280', '5508-7.1.1-df0-frag', '7915-4.1-df0-frag-threshold', '7915-4.1-fh-when', '7915-4.1-fh-nexthdr', '7915-4.1-fh-id'],
    async run(t) {
      const sent = await inbound(t, this.requirements, 43100, 1400, false);
      if (!sent) return;
      const list = byOffset(sent.r.out6);
      checkIpv6Fragments(t, ['7915-4-df0-fit-1280', '5508-7.1.1-df0-frag', '7915-4.1-df0-frag-threshold'], '1420 octets as IPv6 > 1280', list, 1280, expect6(t, 43100, sent.payload), sent.r);
      if (!list.length) {
        t.expect(['7915-4.1-fh-when', '7915-4.1-fh-nexthdr', '7915-4.1-fh-id'], 'fragments', false, whatCameOut(sent.r));
        return;
      }
      list.forEach((o, i) => {
        const label = `fragment ${i + 1} of ${list.length}`;
        // §4.1: Payload Length = data + 8 for the Fragment Header, Next Header 44.
        t.expectPacket('7915-4.1-fh-when', `${label}: Next Header 44, Payload Length = data + 8`, o, { ipv6: { nextHeader: 44, payloadLength: dataLength(o) + 8 } });
        t.expectPacket('7915-4.1-fh-nexthdr', `${label}: Fragment Header Next Header 17`, o, { ipv6: { extensions: [{ kind: 'fragment', nextHeader: 17 }] } });
        t.expectPacket('7915-4.1-fh-id', `${label}: Identification 0x0000BEEF (IPv4 ID 0xBEEF)`, o, { ipv6: { extensions: [{ kind: 'fragment', id: 0xbeef }] } });
      });
    },
  },
  {
    id: '4to6-df0-3000',
    suite: SUITE,
    title: 'IPv4 -> IPv6: a 3000-octet DF=0 packet leaves in fragments carrying at most 1232 octets of data each',
    requirements: ['7915-4.1-df0-frag-threshold', '7915-4-df0-fit-1280', '5508-7.1.1-df0-frag'],
    async run(t) {
      const sent = await inbound(t, this.requirements, 43102, 3000, false);
      if (!sent) return;
      const list = byOffset(sent.r.out6);
      checkIpv6Fragments(t, ['7915-4-df0-fit-1280', '5508-7.1.1-df0-frag'], '3020 octets as IPv6', list, 1280, expect6(t, 43102, sent.payload), sent.r);
      // §4.1: "at most 1232 bytes (1280 minus 40 for the IPv6 header and 8 for the Fragment Header)".
      const data = list.map(dataLength);
      t.expect('7915-4.1-df0-frag-threshold', 'every fragment carries at most 1232 octets after its Fragment Header', list.length > 1 && data.every((n) => n <= 1232), `data per fragment: ${data.join(', ') || 'none'}`, list);
    },
  },
  {
    id: '4to6-df0-1261',
    suite: SUITE,
    title: 'IPv4 -> IPv6: a 1261-octet DF=0 packet (1281 as IPv6, one over lowest-ipv6-mtu) is fragmented',
    requirements: ['7915-4.1-df0-frag-threshold', '7915-4.1-fh-when'],
    async run(t) {
      const sent = await inbound(t, this.requirements, 43104, 1261, false);
      if (!sent) return;
      checkIpv6Fragments(t, this.requirements, '1281 octets as IPv6', byOffset(sent.r.out6), 1280, expect6(t, 43104, sent.payload), sent.r);
    },
  },
  {
    id: '4to6-ipv4-fragments-1480',
    suite: SUITE,
    title: 'IPv4 -> IPv6: IPv4 fragments of 1500 octets (1480 of data) become IPv6 fragments of at most 1280 octets',
    requirements: ['7915-4.1-df0-frag-threshold', '7915-4-df0-fit-1280', '6146-3.4-frag-support'],
    async run(t) {
      const { ex, m } = await openUdp(t, 43106);
      if (!m) return setupFailed(t, this.requirements, 'an outbound UDP datagram opens a mapping', ex);
      const payload = pattern(3000, 1);
      const frags = fragment4(udp4(m, payload), chunks(3008, 1480), 0x1480);
      const out = collected(await sendAll(t, 4, frags));
      // §4.1: "if the packet is fragmented prior to the translation", the translated fragments still fit lowest-ipv6-mtu.
      checkIpv6Fragments(t, this.requirements, 'fragments of 1528 octets as IPv6', byOffset(out.out6), 1280, expect6(t, 43106, payload), { out4: out.out4, out6: out.out6 });
    },
  },
];

const knobCases: CaseDef[] = [
  {
    id: 'lowest-ipv6-mtu-1500',
    suite: SUITE,
    title: 'lowest-ipv6-mtu set to 1500: a 1400-octet DF=0 IPv4 packet leaves as one 1420-octet IPv6 packet',
    requirements: ['7915-4-min-mtu-knob'],
    needs: { mtu: { lowestIpv6: 1500 } },
    async run(t) {
      const sent = await inbound(t, this.requirements, 43110, 1400, false);
      if (!sent) return;
      // §4: the setting exists so that fewer Fragment Headers are emitted when the network's real minimum is known.
      t.expectPacket('7915-4-min-mtu-knob', '1420-octet IPv6 packet, no Fragment Header', only(sent.r.out6), { ipv6: { payloadLength: 1380, nextHeader: 17, extensions: [] }, payload: sent.payload });
    },
  },
  {
    id: 'lowest-ipv6-mtu-1400',
    suite: SUITE,
    title: 'lowest-ipv6-mtu set to 1400: a 2000-octet DF=0 IPv4 packet leaves in fragments of at most 1400 octets, larger than 1280',
    requirements: ['7915-4-min-mtu-knob', '7915-4.1-df0-frag-threshold'],
    needs: { mtu: { lowestIpv6: 1400 } },
    async run(t) {
      const sent = await inbound(t, this.requirements, 43112, 2000, false);
      if (!sent) return;
      const list = byOffset(sent.r.out6);
      checkIpv6Fragments(t, ['7915-4.1-df0-frag-threshold'], '2020 octets as IPv6, lowest-ipv6-mtu 1400', list, 1400, expect6(t, 43112, sent.payload), sent.r);
      const sizes = list.map((s) => s.bytes.length);
      t.expect('7915-4-min-mtu-knob', 'the setting is used: some fragment is larger than the 1280 default', sizes.some((n) => n > 1280), `fragment sizes ${sizes.join(', ') || 'none'}`, list);
    },
  },
  {
    id: 'lowest-ipv6-mtu-above-link-mtu',
    suite: SUITE,
    title: 'lowest-ipv6-mtu 1500 over a 1400-octet IPv6 link: a 1450-octet DF=0 packet is still cut to fit the link',
    requirements: ['7915-1.4-router-mtu', '5508-7.1.1-df0-frag'],
    needs: { mtu: { lowestIpv6: 1500, ipv6: 1400 } },
    async run(t) {
      const sent = await inbound(t, this.requirements, 43114, 1450, false);
      if (!sent) return;
      // §1.4: as a router the translator fragments (or answers) when the packet exceeds the next-hop MTU.
      checkIpv6Fragments(t, this.requirements, '1470 octets as IPv6 over a 1400-octet link', byOffset(sent.r.out6), 1400, expect6(t, 43114, sent.payload), sent.r);
    },
  },
];

const df1Cases: CaseDef[] = [1500, 1400, 1280].map((mtu6, i) => ({
  id: `4to6-df1-ipv6-mtu-${mtu6}`,
  suite: SUITE,
  title: `IPv6 next-hop MTU ${mtu6}: a DF=1 IPv4 packet of ${mtu6 - 20} octets is translated whole, one of ${mtu6 - 19} draws ICMPv4 3/4 with MTU ${mtu6 - 20}`,
  requirements: ['7915-4.1-df1-frag-needed', '5508-7.1.1-df-ptb', '7915-1.4-router-mtu'],
  needs: { mtu: { ipv6: mtu6 } },
  async run(t) {
    const sport = 43120 + 2 * i;
    const { ex, m } = await openUdp(t, sport);
    if (!m) return setupFailed(t, this.requirements, 'an outbound UDP datagram opens a mapping', ex);
    // Total Length + 20 = MTU: fits; path MTU discovery runs end to end (§4), no Fragment Header.
    const fits = await t.send(4, udp4(m, pattern(mtu6 - 48, 2), { df: true, id: 0x1111 }));
    t.expectPacket('7915-4.1-df1-frag-needed', `${mtu6 - 20}-octet DF=1 packet: one ${mtu6}-octet IPv6 packet, no Fragment Header`, only(fits.out6), {
      ipv6: { payloadLength: mtu6 - 40, extensions: [] },
    });
    const big = await t.send(4, udp4(m, pattern(mtu6 - 47, 3), { df: true, id: 0x2222 }));
    const err = only(big.out4);
    const errExp = { ipv4: { dst: S4 }, icmpv4: { type: 3, code: 4, mtu: mtu6 - 20, quote: { ipv4: { src: S4, dst: m.T, totalLength: mtu6 - 19 } } } };
    // §4.1: Total Length + 20 > next-hop MTU -> Fragmentation Needed to the IPv4 source; RFC 5508 §7.1.1 with the next-hop MTU.
    t.expectPacket(['7915-4.1-df1-frag-needed', '5508-7.1.1-df-ptb'], `${mtu6 - 19}-octet DF=1 packet: ICMPv4 3/4 with next-hop MTU ${mtu6 - 20}`, err, errExp);
    t.expect(['7915-4.1-df1-frag-needed', '5508-7.1.1-df-ptb', '7915-1.4-router-mtu'], `${mtu6 - 19}-octet DF=1 packet: nothing sent to the IPv6 side`, big.out6.length === 0, whatCameOut(big), big.out6);
  },
}));

const ptbCases: CaseDef[] = [
  { mtu4: 1400, fits: 1420, big: 1421, ptb: 1420 },
  { mtu4: 1300, fits: 1320, big: 1400, ptb: 1320 },
  // Below 1260 the PTB cannot go under the IPv6 minimum: 1280, and the host's 1280-octet packets are then fragmented in IPv4.
  { mtu4: 1000, fits: 1020, big: 1400, ptb: 1280 },
].map(({ mtu4, fits, big, ptb }, i) => ({
  id: `6to4-ptb-ipv4-mtu-${mtu4}`,
  suite: SUITE,
  title: `IPv4 next-hop MTU ${mtu4}: a ${fits}-octet IPv6 packet is translated whole, a ${big}-octet one (DF=1 as IPv4) draws Packet Too Big ${ptb}`,
  requirements: ['7915-1.4-router-mtu', '4787-10-req13-df1'],
  needs: { mtu: { ipv4: mtu4 } },
  async run(t) {
    const sport = 43140 + 2 * i;
    const ok = await t.send(6, udp6(t, sport, pattern(fits - 48, 4)));
    t.expectPacket('7915-1.4-router-mtu', `${fits}-octet IPv6 packet: one ${mtu4}-octet IPv4 packet`, only(ok.out4), { ipv4: { totalLength: mtu4, mf: false, fragOffset: 0 } });
    const r = await t.send(6, udp6(t, sport, pattern(big - 48, 5)));
    // §1.4/§5: DF is set (over 1260 octets), so no fragmentation: Packet Too Big, MTU + 20, at least 1280 (RFC 8200 §5).
    t.expectPacket(['7915-1.4-router-mtu', '4787-10-req13-df1'], `${big}-octet IPv6 packet: ICMPv6 Packet Too Big with MTU ${ptb}`, only(r.out6), {
      ipv6: { dst: CLIENT },
      icmpv6: { type: 2, code: 0, mtu: ptb, quote: { ipv6: { src: CLIENT, payloadLength: big - 40 } } },
    });
    t.expect(['7915-1.4-router-mtu', '4787-10-req13-df1'], `${big}-octet IPv6 packet: nothing sent to the IPv4 side`, r.out4.length === 0, whatCameOut(r), r.out4);
  },
}));

/** IPv4 fragments of one datagram: sizes, DF, order of emission, the datagram put back together. */
function checkIpv4Fragments(t: CaseContext, ids: { frag: string[]; order: string[] }, label: string, emitted: Seen[], mtu4: number, expected: Expectation, ex: { out4: Seen[]; out6: Seen[] }): void {
  const sizes = emitted.map((s) => s.bytes.length);
  const ok = emitted.length > 1 && sizes.every((n) => n <= mtu4) && emitted.every((s) => s.packet.ipv4?.df === false);
  t.expect(ids.frag, `${label}: IPv4 fragments of at most ${mtu4} octets, DF 0`, ok, emitted.length ? `${emitted.length} packet(s) of ${sizes.join(', ')} octets, DF ${emitted.map((s) => (s.packet.ipv4?.df ? 1 : 0)).join('')}` : whatCameOut(ex), emitted);
  const w = reassemble4(emitted);
  if (w.seen) t.expectPacket(ids.frag, `${label}: the fragments put back together are the datagram`, w.seen, expected);
  else t.expect(ids.frag, `${label}: the fragments put back together are the datagram`, false, w.problem ?? 'no packet', emitted);
  if (ids.order.length) {
    const offs = emitted.map((s) => s.packet.ipv4?.fragOffset ?? 0);
    const ascending = offs.every((o, i) => i === 0 || o > offs[i - 1]);
    // RFC 4787 REQ-13a: SHOULD send the fragments in order.
    t.expect(ids.order, `${label}: fragments leave in ascending offset order`, emitted.length > 1 && ascending, `offsets in emission order: ${offs.join(', ') || 'none'}`, emitted);
  }
}

const refragCases: CaseDef[] = [1000, 576, 68].map((mtu4, i) => ({
  id: `6to4-refragment-ipv4-mtu-${mtu4}`,
  suite: SUITE,
  title: `IPv4 next-hop MTU ${mtu4}: a 1200-octet IPv6 packet (1180 octets, DF=0 as IPv4) is fragmented in IPv4 to fit`,
  requirements: ['7915-5.1.1-refragment', '4787-10-req13a-fragment', '4787-10-req13a-order', '7915-1.4-router-mtu'],
  needs: { mtu: { ipv4: mtu4 } },
  async run(t) {
    const sport = 43160 + 2 * i;
    const payload = pattern(1152, 6);
    const r = await t.send(6, udp6(t, sport, payload));
    const expected: Expectation = { ipv4: { src: T.oneOf(pool4Addresses(t)), dst: S4, protocol: 17 }, udp: { dport: 7, length: 1160, checksum: T.validChecksum() }, payload };
    // §5.1.1: an IPv6 packet of at most 1280 octets whose translation exceeds the next-hop MTU MUST be fragmented.
    checkIpv4Fragments(t, { frag: ['7915-5.1.1-refragment', '4787-10-req13a-fragment', '7915-1.4-router-mtu'], order: ['4787-10-req13a-order'] }, '1200-octet IPv6 packet', r.out4, mtu4, expected, r);
    if (mtu4 === 1000) {
      // The largest packet §5.1.1 covers: 1280 octets of IPv6, 1260 of IPv4 (DF=0 by §5).
      const p2 = pattern(1232, 7);
      const r2 = await t.send(6, udp6(t, sport, p2));
      checkIpv4Fragments(t, { frag: ['7915-5.1.1-refragment', '4787-10-req13a-fragment'], order: [] }, '1280-octet IPv6 packet', r2.out4, mtu4, { ...expected, udp: { dport: 7, length: 1240, checksum: T.validChecksum() }, payload: p2 }, r2);
    }
  },
}));

const moreCases: CaseDef[] = [
  {
    id: '6to4-fragments-refragment-ipv4-mtu-1000',
    suite: SUITE,
    title: 'IPv4 next-hop MTU 1000: 1280-octet IPv6 fragments are cut further in IPv4 and the datagram still arrives whole',
    requirements: ['7915-1.4-router-mtu', '4787-10-req13a-fragment', '6146-3.4-frag-support'],
    needs: { mtu: { ipv4: 1000 } },
    async run(t) {
      const payload = pattern(3000, 8);
      const frags = fragment6(udp6(t, 43180, payload), chunks(3008, 1232), 0x5151);
      const out = collected(await sendAll(t, 6, frags));
      const expected: Expectation = { ipv4: { src: T.oneOf(pool4Addresses(t)), dst: S4, protocol: 17 }, udp: { dport: 7, length: 3008, checksum: T.validChecksum() }, payload };
      checkIpv4Fragments(t, { frag: this.requirements, order: [] }, '3008-octet datagram in 1280-octet IPv6 fragments', byOffset(out.out4), 1000, expected, out);
    },
  },
  {
    id: '6to4-df-rule',
    suite: SUITE,
    title: 'IPv6 -> IPv4: DF 0 up to 1260 octets, DF 1 above (§5); a translated fragment of 1372 octets has DF 0 (§5.1.1)',
    requirements: ['7915-5-df-rule', '7915-5.1.1-mf-df'],
    async run(t) {
      for (const [size, df] of [
        [1259, false],
        [1260, false],
        [1261, true],
        [1400, true],
      ] as const) {
        const r = await t.send(6, udp6(t, 43190, pattern(size - 28, size)));
        t.expectPacket('7915-5-df-rule', `${size}-octet IPv4 packet: DF ${df ? 1 : 0}`, only(r.out4), { ipv4: { totalLength: size, df, mf: false } });
      }
      const frags = fragment6(udp6(t, 43192, pattern(3000, 9)), [1352, 1352, 3008 - 2704], 0x6161);
      const out = collected(await sendAll(t, 6, frags));
      const first = byOffset(out.out4)[0];
      t.expectPacket('7915-5.1.1-mf-df', '1400-octet IPv6 first fragment: 1372 octets as IPv4 with DF 0 and MF 1', out.out4.length === 3 ? first : undefined, { ipv4: { totalLength: 1372, df: false, mf: true } });
    },
  },
];

export const mtuCases: CaseDef[] = [...df0Cases, ...knobCases, ...df1Cases, ...ptbCases, ...refragCases, ...moreCases];
