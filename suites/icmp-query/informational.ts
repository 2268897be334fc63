/**
 * ICMP informational messages other than Echo are never translated
 * (RFC 7915 §4.2 and §5.2: "silently drop"; RFC 5508 REQ-10c for
 * Information Request/Reply). Each probe is aimed where a translator that
 * treated it like a query would deliver it: IPv4 messages go to a pool
 * address that has an ICMP mapping and carry its identifier (i2) in the
 * first half of the second word; IPv6 messages go to [Pref64::server].
 * "Silently" means nothing comes out on either side, not even an ICMP error.
 */
import { LAB } from '../../harness/lab/addressing';
import { parseIPv6 } from '../../harness/packet/address';
import type { ICMPv4Header, ICMPv6Header, Packet } from '../../harness/packet/types';
import type { CaseContext, CaseDef } from '../../harness/runner/case';
import { v6 } from '../lib/flows';
import { SUITE, echoOut, emitted, mappingOf, whatCameOut } from './lib';

interface Probe4 {
  name: string;
  /** The message, given the identifier of a live ICMP mapping. */
  build(id: number): { icmpv4: ICMPv4Header; payload?: Buffer };
}

interface Probe6 {
  name: string;
  icmpv6: ICMPv6Header;
  payload?: Buffer;
  hopLimit?: number;
}

const ts = Buffer.alloc(12); // originate / receive / transmit timestamps (RFC 792)

const V4: Record<string, Probe4[]> = {
  timestamp: [
    { name: 'Timestamp (13)', build: (id) => ({ icmpv4: { type: 13, code: 0, id, seq: 1 }, payload: ts }) },
    { name: 'Timestamp Reply (14)', build: (id) => ({ icmpv4: { type: 14, code: 0, id, seq: 1 }, payload: ts }) },
  ],
  information: [
    { name: 'Information Request (15)', build: (id) => ({ icmpv4: { type: 15, code: 0, id, seq: 1 } }) },
    { name: 'Information Reply (16)', build: (id) => ({ icmpv4: { type: 16, code: 0, id, seq: 1 } }) },
  ],
  'address-mask': [
    { name: 'Address Mask Request (17)', build: (id) => ({ icmpv4: { type: 17, code: 0, id, seq: 1 }, payload: Buffer.alloc(4) }) },
    { name: 'Address Mask Reply (18)', build: (id) => ({ icmpv4: { type: 18, code: 0, id, seq: 1 }, payload: Buffer.from([255, 255, 255, 0]) }) },
  ],
  // RFC 1256: one router address entry (198.18.200.1, preference 0), lifetime 1800 s in the low half.
  'router-advertisement': [
    { name: 'Router Advertisement (9)', build: (id) => ({ icmpv4: { type: 9, code: 0, rest: ((id << 16) | 1800) >>> 0 }, payload: Buffer.from([198, 18, 200, 1, 0, 0, 0, 0]) }) },
  ],
  'router-solicitation': [{ name: 'Router Solicitation (10)', build: (id) => ({ icmpv4: { type: 10, code: 0, rest: (id << 16) >>> 0 } }) }],
  // 42 is RFC 8335 Extended Echo Request, which RFC 7915 does not list; 253 is an experimental type (RFC 4727).
  unknown: [
    { name: 'type 42', build: (id) => ({ icmpv4: { type: 42, code: 0, rest: ((id << 16) | 1) >>> 0 }, payload: Buffer.from('probe') }) },
    { name: 'type 253', build: (id) => ({ icmpv4: { type: 253, code: 0, rest: ((id << 16) | 1) >>> 0 }, payload: Buffer.from('probe') }) },
  ],
};

/** An IPv6 address as the 16 octets of an ND/MLD message body. */
const addr6 = (text: string): Buffer => parseIPv6(text);

const V6: Record<string, Probe6[]> = {
  // Hop limit 64, not the 1 of real MLD: a hop-limit expiry would answer with Time Exceeded and hide the type rule.
  mld: [
    { name: 'MLD Query (130)', icmpv6: { type: 130, code: 0, rest: (1000 << 16) >>> 0 }, payload: Buffer.alloc(16) },
    { name: 'MLD Report (131)', icmpv6: { type: 131, code: 0, rest: 0 }, payload: addr6('ff05::1:3') },
    { name: 'MLD Done (132)', icmpv6: { type: 132, code: 0, rest: 0 }, payload: addr6('ff05::1:3') },
  ],
  // Hop limit 255 as RFC 4861 requires of ND messages.
  nd: [
    { name: 'Router Solicitation (133)', icmpv6: { type: 133, code: 0, rest: 0 }, hopLimit: 255 },
    { name: 'Router Advertisement (134)', icmpv6: { type: 134, code: 0, rest: ((64 << 24) | 1800) >>> 0 }, payload: Buffer.alloc(8), hopLimit: 255 },
    { name: 'Neighbor Solicitation (135)', icmpv6: { type: 135, code: 0, rest: 0 }, payload: addr6('2001:db8:6::1'), hopLimit: 255 },
    { name: 'Neighbor Advertisement (136)', icmpv6: { type: 136, code: 0, rest: 0x60000000 }, payload: addr6('2001:db8:6::10'), hopLimit: 255 },
    { name: 'Redirect (137)', icmpv6: { type: 137, code: 0, rest: 0 }, payload: Buffer.concat([addr6('2001:db8:6::1'), addr6('2001:db8:99::1')]), hopLimit: 255 },
  ],
  // 139 is Node Information Query (RFC 4620), which RFC 7915 does not list; 200 private experimentation; 255 reserved.
  unknown: [
    { name: 'type 139', icmpv6: { type: 139, code: 0, rest: 0x00001234 }, payload: Buffer.alloc(8) },
    { name: 'type 200', icmpv6: { type: 200, code: 0, rest: 0x12340001 }, payload: Buffer.from('probe') },
    { name: 'type 255', icmpv6: { type: 255, code: 0, rest: 0x12340001 }, payload: Buffer.from('probe') },
  ],
};

async function dropV4(t: CaseContext, probes: Probe4[], ids: string[], behaviour?: string): Promise<void> {
  const e = await echoOut(t, { id: 0x6789 });
  if (!e.out) {
    t.expect([...ids, ...(behaviour ? [behaviour] : [])], 'an ICMP mapping to aim at', false, `the client's echo request was not translated: ${whatCameOut(e.ex)}`);
    return;
  }
  const m = mappingOf(e.out);
  const seen: string[] = [];
  for (const p of probes) {
    const { icmpv4, payload } = p.build(m.id);
    const pkt: Packet = { ipv4: { src: LAB.server4[0], dst: m.addr, ttl: 64 }, icmpv4, ...(payload ? { payload } : {}) };
    const ex = await t.send(4, pkt);
    const ok = ex.out4.length === 0 && ex.out6.length === 0;
    seen.push(`${p.name}: ${ok ? 'dropped' : whatCameOut(ex)}`);
    t.expect(ids, `ICMPv4 ${p.name} to ${m.addr} (identifier ${m.id} of a live mapping) is dropped silently`, ok, whatCameOut(ex), emitted(ex));
  }
  if (behaviour) t.behaviour(behaviour, 'handling of ICMP messages that are neither queries nor errors', seen.join('; '));
}

async function dropV6(t: CaseContext, probes: Probe6[], ids: string[]): Promise<void> {
  for (const p of probes) {
    const pkt: Packet = {
      ipv6: { src: LAB.client6[0], dst: v6(t, LAB.server4[0]), hopLimit: p.hopLimit ?? 64 },
      icmpv6: p.icmpv6,
      ...(p.payload ? { payload: p.payload } : {}),
    };
    const ex = await t.send(6, pkt);
    t.expect(ids, `ICMPv6 ${p.name} to [Pref64::${LAB.server4[0]}] is dropped silently`, ex.out4.length === 0 && ex.out6.length === 0, whatCameOut(ex), emitted(ex));
  }
}

export const informationalCases: CaseDef[] = [
  {
    id: 'v4-timestamp-dropped',
    suite: SUITE,
    title: 'ICMPv4 Timestamp and Timestamp Reply are not translated',
    requirements: ['7915-4.2-timestamp-drop'],
    run: (t) => dropV4(t, V4.timestamp, ['7915-4.2-timestamp-drop']),
  },
  {
    id: 'v4-information-dropped',
    suite: SUITE,
    title: 'ICMPv4 Information Request and Reply are not translated',
    requirements: ['7915-4.2-info-drop', '5508-7-req10c-inforeq'],
    run: (t) => dropV4(t, V4.information, ['7915-4.2-info-drop', '5508-7-req10c-inforeq']),
  },
  {
    id: 'v4-address-mask-dropped',
    suite: SUITE,
    title: 'ICMPv4 Address Mask Request and Reply are not translated',
    requirements: ['7915-4.2-addrmask-drop'],
    run: (t) => dropV4(t, V4['address-mask'], ['7915-4.2-addrmask-drop']),
  },
  {
    id: 'v4-router-advertisement-dropped',
    suite: SUITE,
    title: 'ICMPv4 Router Advertisement (single-hop) is not translated',
    requirements: ['7915-4.2-rtradv-drop', '5508-8-req11-nonqueryerror'],
    run: (t) => dropV4(t, V4['router-advertisement'], ['7915-4.2-rtradv-drop'], '5508-8-req11-nonqueryerror'),
  },
  {
    id: 'v4-router-solicitation-dropped',
    suite: SUITE,
    title: 'ICMPv4 Router Solicitation (single-hop) is not translated',
    requirements: ['7915-4.2-rtrsol-drop'],
    run: (t) => dropV4(t, V4['router-solicitation'], ['7915-4.2-rtrsol-drop']),
  },
  {
    id: 'v4-unknown-type-dropped',
    suite: SUITE,
    title: 'ICMPv4 messages of unknown types are not translated',
    requirements: ['7915-4.2-unknown-drop'],
    run: (t) => dropV4(t, V4.unknown, ['7915-4.2-unknown-drop']),
  },
  {
    id: 'v6-mld-dropped',
    suite: SUITE,
    title: 'ICMPv6 MLD Query, Report and Done are not translated',
    requirements: ['7915-5.2-mld-drop'],
    run: (t) => dropV6(t, V6.mld, ['7915-5.2-mld-drop']),
  },
  {
    id: 'v6-nd-dropped',
    suite: SUITE,
    title: 'ICMPv6 Neighbor Discovery messages (133-137) are not translated',
    requirements: ['7915-5.2-nd-drop'],
    run: (t) => dropV6(t, V6.nd, ['7915-5.2-nd-drop']),
  },
  {
    id: 'v6-unknown-informational-dropped',
    suite: SUITE,
    title: 'ICMPv6 informational messages of unknown types are not translated',
    requirements: ['7915-5.2-unknown-info-drop'],
    run: (t) => dropV6(t, V6.unknown, ['7915-5.2-unknown-info-drop']),
  },
];
