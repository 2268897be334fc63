/**
 * IPv4 options (RFC 7915 §4.1: ignored, except an unexpired source route,
 * which is dropped with ICMPv4 3/5) and IPv6 extension headers (§5.1:
 * Hop-by-Hop, Destination Options and Segments-Left-0 Routing headers are
 * skipped; a Routing header with Segments Left > 0 is not translated and
 * gets ICMPv6 Parameter Problem 4/0 pointing at Segments Left).
 */
import { parseIPv6 } from '../../harness/packet/address';
import { T } from '../../harness/packet/compare';
import type { ExtensionHeader, IPv4Option, Packet } from '../../harness/packet/types';
import type { CaseDef } from '../../harness/runner/case';
import { v6 } from '../lib/flows';
import { CLIENT, RECORD_ROUTE, S4, TIMESTAMP, open, outputs, setupFailed, sourceRoute, udpIn, udpOut } from './lib';

const LSRR = 131;
const SSRR = 137;

const optionCases: CaseDef[] = [
  {
    id: 'ipv4-options-ignored',
    suite: 'header-translation',
    title: 'IPv4 options (Record Route, Timestamp, NOP, expired source routes) are ignored and the packet translated normally',
    requirements: ['7915-4.1-options-ignored', '7915-4.1-basic-fields'],
    async run(t) {
      const { ex, flow } = await open(t, udpOut(t));
      if (!flow) return setupFailed(t, this.requirements, 'the outbound UDP datagram is translated', ex);
      const sets: { label: string; options: IPv4Option[] }[] = [
        { label: 'Record Route + Timestamp', options: [RECORD_ROUTE, TIMESTAMP] },
        { label: 'NOP + NOP + Record Route', options: [{ type: 1 }, { type: 1 }, RECORD_ROUTE] },
        { label: 'expired LSRR (pointer past the end)', options: [sourceRoute(LSRR, '198.18.200.1', true)] },
        { label: 'expired SSRR (pointer past the end)', options: [sourceRoute(SSRR, '198.18.200.1', true)] },
      ];
      for (const s of sets) {
        const payload = Buffer.from(`options: ${s.label}`);
        const r = await t.send(4, udpIn(flow, payload, { options: s.options }));
        const o = r.out6.length === 1 ? r.out6[0] : undefined;
        // "no attempt to translate the options": no extension header appears in their place.
        t.expectPacket('7915-4.1-options-ignored', `${s.label}: translated, no extension headers`, o, {
          ipv6: { nextHeader: 17, extensions: [], dst: CLIENT },
          udp: { sport: 7, dport: flow.sport, checksum: T.validChecksum() },
          payload,
        });
        const sent = r.sent!.packet.ipv4!;
        t.expectPacket('7915-4.1-basic-fields', `${s.label}: Payload Length = Total Length ${sent.totalLength} - IHL*4 ${sent.ihl! * 4}`, o, {
          ipv6: { version: 6, payloadLength: sent.totalLength! - sent.ihl! * 4 },
        });
      }
    },
  },
  {
    id: 'ipv4-source-route',
    suite: 'header-translation',
    title: 'An unexpired LSRR or SSRR option: the packet is discarded and ICMPv4 3/5 (source route failed) returned',
    requirements: ['7915-4.1-srr-drop', '7915-4.1-srr-icmp'],
    async run(t) {
      const { ex, flow } = await open(t, udpOut(t));
      if (!flow) return setupFailed(t, this.requirements, 'the outbound UDP datagram is translated', ex);
      for (const [type, name] of [
        [LSRR, 'LSRR'],
        [SSRR, 'SSRR'],
      ] as const) {
        const r = await t.send(4, udpIn(flow, Buffer.from(`${name} probe`), { options: [sourceRoute(type, '198.18.200.1', false)] }));
        t.expect('7915-4.1-srr-drop', `unexpired ${name}: nothing is translated to IPv6`, r.out6.length === 0, outputs(r), r.out6);
        t.expectPacket('7915-4.1-srr-icmp', `unexpired ${name}: ICMPv4 3/5 back to ${S4}`, r.out4.length === 1 ? r.out4[0] : undefined, {
          ipv4: { dst: S4 },
          icmpv4: { type: 3, code: 5, checksum: T.validChecksum(), quote: { ipv4: { src: S4, dst: flow.T }, udp: { sport: 7, dport: flow.t } } },
        });
      }
    },
  },
];

/** PadN filling an 8-octet Hop-by-Hop or Destination Options header. */
const PADN4 = [{ type: 1, data: Buffer.alloc(4) }];

/** A Segment Routing Header (type 4) whose segment list is `segments` (list[0] is the final one). */
function srh(segmentsLeft: number, segments: string[]): ExtensionHeader {
  const head = Buffer.from([segments.length - 1, 0, 0, 0]); // Last Entry, Flags, Tag
  return { kind: 'routing', routingType: 4, segmentsLeft, data: Buffer.concat([head, ...segments.map((s) => parseIPv6(s))]) };
}

/** A type 0 Routing header (RFC 2460, deprecated by RFC 5095) with one address. */
function rh0(segmentsLeft: number, hop: string): ExtensionHeader {
  return { kind: 'routing', routingType: 0, segmentsLeft, data: Buffer.concat([Buffer.alloc(4), parseIPv6(hop)]) };
}

const extCases: CaseDef[] = [
  {
    id: 'ipv6-extension-headers-skipped',
    suite: 'header-translation',
    title: 'Hop-by-Hop, Destination Options and Segments-Left-0 Routing headers are skipped: Protocol and Total Length leave them out',
    requirements: ['7915-5.1-ext-skip', '7915-5.1-protocol', '7915-5.1-basic-fields'],
    async run(t) {
      const dst = v6(t, S4);
      const chains: { label: string; ext: ExtensionHeader[] }[] = [
        { label: 'Hop-by-Hop', ext: [{ kind: 'hop-by-hop', options: PADN4 }] },
        { label: 'Destination Options', ext: [{ kind: 'destination', options: PADN4 }] },
        { label: 'Routing (SRH, Segments Left 0)', ext: [srh(0, [dst])] },
        {
          label: 'Hop-by-Hop + Destination Options + Routing (SL 0) + Destination Options',
          ext: [{ kind: 'hop-by-hop', options: PADN4 }, { kind: 'destination', options: PADN4 }, srh(0, [dst]), { kind: 'destination', options: PADN4 }],
        },
      ];
      let sport = 40300;
      for (const c of chains) {
        const payload = Buffer.from(`behind ${c.label}`);
        const p: Packet = { ipv6: { src: CLIENT, dst, hopLimit: 64, extensions: c.ext }, udp: { sport: sport++, dport: 7 }, payload };
        const ex = await t.send(6, p);
        const o = ex.out4.length === 1 ? ex.out4[0] : undefined;
        const udpLength = 8 + payload.length;
        t.expectPacket('7915-5.1-ext-skip', `UDP behind ${c.label} is translated; the headers are gone`, o, {
          ipv4: { ihl: 5, options: [] },
          udp: { sport: T.any(), dport: 7, length: udpLength, checksum: T.validChecksum() },
          payload,
        });
        t.expectPacket('7915-5.1-protocol', `behind ${c.label}: Protocol 17 (the first Next Header that is not 0, 43 or 60)`, o, { ipv4: { protocol: 17 } });
        t.expectPacket('7915-5.1-basic-fields', `behind ${c.label}: Total Length ${20 + udpLength} (IPv6 payload minus the skipped headers, plus 20)`, o, {
          ipv4: { version: 4, totalLength: 20 + udpLength, mf: false, fragOffset: 0, checksum: T.validChecksum() },
        });
      }
      // ICMPv6 behind a Hop-by-Hop header: skipped first, then 58 becomes 1.
      const echo: Packet = {
        ipv6: { src: CLIENT, dst, hopLimit: 64, extensions: [{ kind: 'hop-by-hop', options: PADN4 }] },
        icmpv6: { type: 128, code: 0, id: 0x0e0e, seq: 1 },
        payload: Buffer.from('echo behind hop-by-hop'),
      };
      const ex = await t.send(6, echo);
      t.expectPacket('7915-5.1-protocol', 'ICMPv6 echo behind Hop-by-Hop: Protocol 1', ex.out4.length === 1 ? ex.out4[0] : undefined, {
        ipv4: { protocol: 1 },
        icmpv4: { type: 8 },
      });
    },
  },
  {
    id: 'routing-header-segments-left',
    suite: 'header-translation',
    title: 'A Routing header with Segments Left > 0 blocks translation; ICMPv6 4/0 points at Segments Left',
    requirements: ['7915-5.1-rh-sl-drop', '7915-5.1-rh-sl-icmp'],
    async run(t) {
      const dst = v6(t, S4);
      const cases: { label: string; ext: ExtensionHeader[]; pointer: number }[] = [
        // Segments Left is octet 3 of the Routing header: 40 + 3 right after the fixed header.
        { label: 'SRH, Segments Left 1, right after the IPv6 header', ext: [srh(1, [dst, dst])], pointer: 43 },
        { label: 'type 0, Segments Left 1, right after the IPv6 header', ext: [rh0(1, dst)], pointer: 43 },
        // Behind an 8-octet Hop-by-Hop header: 40 + 8 + 3.
        { label: 'SRH, Segments Left 1, after Hop-by-Hop', ext: [{ kind: 'hop-by-hop', options: PADN4 }, srh(1, [dst, dst])], pointer: 51 },
      ];
      let sport = 40400;
      for (const c of cases) {
        const p: Packet = { ipv6: { src: CLIENT, dst, hopLimit: 64, extensions: c.ext }, udp: { sport: sport++, dport: 7 }, payload: Buffer.from(c.label) };
        const ex = await t.send(6, p);
        t.expect('7915-5.1-rh-sl-drop', `${c.label}: nothing is translated`, ex.out4.length === 0, outputs(ex), ex.out4);
        t.expectPacket('7915-5.1-rh-sl-icmp', `${c.label}: ICMPv6 Parameter Problem 4/0, pointer ${c.pointer}`, ex.out6.length === 1 ? ex.out6[0] : undefined, {
          ipv6: { dst: CLIENT },
          icmpv6: { type: 4, code: 0, pointer: c.pointer, checksum: T.validChecksum(), quote: { ipv6: { src: CLIENT, dst } } },
        });
      }
    },
  },
];

export const optionExtCases: CaseDef[] = [...optionCases, ...extCases];
