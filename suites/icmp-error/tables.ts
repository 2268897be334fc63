/**
 * RFC 7915 §4.2 and §5.2 as tables: one case per row of the ICMPv4 ->
 * ICMPv6 and ICMPv6 -> ICMPv4 type/code lists (translated rows and
 * "silently drop" rows) and per row of the Parameter Problem pointer
 * figures (Figure 3, Figure 6).
 *
 * Each case opens a UDP flow, then a router on the far side reports an
 * error about it: R4 (or the server itself, for the errors a host sends)
 * to the pool address T quoting T:t -> S4:y, or R6 (or the client) to
 * [Pref64::S4] quoting [Pref64::S4]:y -> C6:x. A translated error is checked
 * field by field (lib.ts check46 / check64); a dropped one must produce
 * nothing on either side.
 */
import type { ICMPCommon } from '../../harness/packet/types';
import type { CaseContext, CaseDef } from '../../harness/runner/case';
import { only } from '../lib/flows';
import {
  C6,
  CHECKS_46,
  CHECKS_64,
  R4,
  R6,
  S4,
  SUITE,
  Want,
  check46,
  check64,
  err4,
  err6,
  expectNothing,
  openBoth,
  openOut,
  ptb4to6,
  ptb6to4,
  quote4,
  quote6,
} from './lib';

/** One error to send: its ICMP fields and who sends it ('router' or 'host': S4 on side 4, C6 on side 6). */
interface Send {
  icmp: ICMPCommon & { gateway?: string };
  by?: 'router' | 'host';
}

interface TranslateRow {
  id: string;
  name: string;
  sends: Send[];
  /** What must come out for a sent message. */
  want: (t: CaseContext, s: Send) => Want;
  /** Further requirement ids the row's type/code check scores. */
  also?: string[];
}

interface DropRow {
  id: string;
  name: string;
  sends: Send[];
  also?: string[];
}

const du = (code: number, by: Send['by'] = 'router'): Send => ({ icmp: { type: 3, code }, by });

// ---------------------------------------------------------------- ICMPv4 -> ICMPv6 (§4.2)

const ROWS_46: TranslateRow[] = [
  { id: '7915-4.2-du-0-1', name: 'Net / Host Unreachable', sends: [du(0), du(1)], want: () => ({ type: 1, code: 0 }) },
  // "Translate to an ICMPv6 Parameter Problem (Type 4, Code 1) and make the Pointer point to the IPv6 Next Header field."
  { id: '7915-4.2-du-2', name: 'Protocol Unreachable', sends: [du(2, 'host')], want: () => ({ type: 4, code: 1, pointer: 6 }) },
  { id: '7915-4.2-du-3', name: 'Port Unreachable', sends: [du(3, 'host')], want: () => ({ type: 1, code: 4 }), also: ['5508-7-req10a-du'] },
  {
    id: '7915-4.2-du-4',
    name: 'Fragmentation Needed',
    sends: [{ icmp: { type: 3, code: 4, mtu: 1400 } }],
    want: (t, s) => ({ type: 2, code: 0, mtu: ptb4to6(t, s.icmp.mtu!) }),
  },
  { id: '7915-4.2-du-5', name: 'Source Route Failed', sends: [du(5)], want: () => ({ type: 1, code: 0 }) },
  { id: '7915-4.2-du-6-7-8', name: 'Destination Network / Host Unknown, Source Host Isolated', sends: [du(6), du(7), du(8)], want: () => ({ type: 1, code: 0 }) },
  { id: '7915-4.2-du-9-10', name: 'Network / Host Administratively Prohibited', sends: [du(9), du(10)], want: () => ({ type: 1, code: 1 }) },
  { id: '7915-4.2-du-11-12', name: 'Network / Host Unreachable for TOS', sends: [du(11), du(12)], want: () => ({ type: 1, code: 0 }) },
  { id: '7915-4.2-du-13', name: 'Communication Administratively Prohibited', sends: [du(13)], want: () => ({ type: 1, code: 1 }) },
  { id: '7915-4.2-du-15', name: 'Precedence cutoff in effect', sends: [du(15)], want: () => ({ type: 1, code: 1 }) },
  {
    id: '7915-4.2-timeex',
    name: 'Time Exceeded (TTL in transit from a router, reassembly from the host)',
    sends: [{ icmp: { type: 11, code: 0 } }, { icmp: { type: 11, code: 1 }, by: 'host' }],
    want: (_t, s) => ({ type: 3, code: s.icmp.code! }),
    also: ['5508-7-req10a-te'],
  },
  { id: '7915-4.2-pp-0', name: 'Parameter Problem, pointer indicates the error (TTL)', sends: [{ icmp: { type: 12, code: 0, pointer: 8 } }], want: () => ({ type: 4, code: 0, pointer: 7 }) },
  { id: '7915-4.2-pp-2', name: 'Parameter Problem, bad length (Total Length)', sends: [{ icmp: { type: 12, code: 2, pointer: 2 } }], want: () => ({ type: 4, code: 0, pointer: 4 }) },
];

const DROPS_46: DropRow[] = [
  { id: '7915-4.2-du-14', name: 'Host Precedence Violation', sends: [du(14)] },
  { id: '7915-4.2-du-other', name: 'Destination Unreachable with an unlisted code', sends: [du(16), du(20), du(255)] },
  { id: '7915-4.2-redirect-drop', name: 'Redirect', sends: [0, 1, 2, 3].map((code) => ({ icmp: { type: 5, code, gateway: R4 } })), also: ['5508-7-req10b-optional'] },
  { id: '7915-4.2-althost-drop', name: 'Alternate Host Address', sends: [{ icmp: { type: 6, code: 0 } }] },
  { id: '7915-4.2-squench-drop', name: 'Source Quench', sends: [{ icmp: { type: 4, code: 0 }, by: 'host' }], also: ['5508-7-req10c-squench'] },
  { id: '7915-4.2-pp-1', name: 'Parameter Problem, missing a required option', sends: [{ icmp: { type: 12, code: 1, pointer: 0 } }] },
  { id: '7915-4.2-pp-other', name: 'Parameter Problem with an unlisted code', sends: [3, 4, 255].map((code) => ({ icmp: { type: 12, code, pointer: 8 } })) },
];

function label4(s: Send): string {
  const i = s.icmp;
  return `ICMPv4 ${i.type}/${i.code}${i.pointer !== undefined ? ` pointer ${i.pointer}` : ''}${i.mtu !== undefined ? ` MTU ${i.mtu}` : ''}`;
}

function label6(s: Send): string {
  const i = s.icmp;
  return `ICMPv6 ${i.type}/${i.code}${i.pointer !== undefined ? ` pointer ${i.pointer}` : ''}${i.mtu !== undefined ? ` MTU ${i.mtu}` : ''}`;
}

const translate46: CaseDef[] = ROWS_46.map((r) => ({
  id: `v4-${r.id.replace('7915-4.2-', '')}`,
  suite: SUITE,
  title: `ICMPv4 -> ICMPv6: ${r.name} (${r.sends.map(label4).join(', ')}) is translated per RFC 7915 §4.2, quote included`,
  requirements: [r.id, ...(r.also ?? []), ...CHECKS_46],
  async run(t) {
    const f = await openOut(t, this.requirements);
    if (!f) return;
    for (const s of r.sends) {
      const from = s.by === 'host' ? S4 : R4;
      const quoted = quote4(f);
      const ex = await t.send(4, err4(f, s.icmp, quoted, from));
      check46(t, [r.id, ...(r.also ?? [])], label4(s), only(ex.out6), r.want(t, s), f, quoted, from);
    }
  },
}));

const drop46: CaseDef[] = DROPS_46.map((r) => ({
  id: `v4-${r.id.replace('7915-4.2-', '')}`,
  suite: SUITE,
  title: `ICMPv4 -> ICMPv6: ${r.name} (${r.sends.map(label4).join(', ')}) is silently dropped (RFC 7915 §4.2)`,
  requirements: [r.id, ...(r.also ?? [])],
  async run(t) {
    const scored = [r.id, ...(r.also ?? [])].filter((id) => id !== '5508-7-req10b-optional');
    const f = await openOut(t, this.requirements);
    if (!f) return;
    for (const s of r.sends) {
      const ex = await t.send(4, err4(f, s.icmp, quote4(f), s.by === 'host' ? S4 : R4));
      expectNothing(t, scored, `${label4(s)} about ${f.T}:${f.t} -> ${f.server}:${f.dport}: nothing on either side`, ex);
    }
    if (r.also?.includes('5508-7-req10b-optional')) {
      // RFC 5508 REQ-10b: Redirect (and Parameter Problem, see the pp rows) MAY be supported; RFC 7915 drops Redirect.
      t.behaviour('5508-7-req10b-optional', 'Redirect support', 'ICMPv4 Redirect is not translated (RFC 7915 §4.2 single-hop); Parameter Problem 12/0 and 12/2 are translated (pp rows)');
    }
  },
}));

// ---------------------------------------------------------------- ICMPv6 -> ICMPv4 (§5.2)

const ROWS_64: TranslateRow[] = [
  { id: '7915-5.2-du-0', name: 'No route to destination', sends: [{ icmp: { type: 1, code: 0 } }], want: () => ({ type: 3, code: 1 }) },
  { id: '7915-5.2-du-1', name: 'Communication administratively prohibited', sends: [{ icmp: { type: 1, code: 1 } }], want: () => ({ type: 3, code: 10 }) },
  { id: '7915-5.2-du-2', name: 'Beyond scope of source address', sends: [{ icmp: { type: 1, code: 2 } }], want: () => ({ type: 3, code: 1 }) },
  { id: '7915-5.2-du-3', name: 'Address unreachable', sends: [{ icmp: { type: 1, code: 3 } }], want: () => ({ type: 3, code: 1 }) },
  { id: '7915-5.2-du-4', name: 'Port unreachable', sends: [{ icmp: { type: 1, code: 4 }, by: 'host' }], want: () => ({ type: 3, code: 3 }), also: ['5508-7-req10a-du'] },
  {
    id: '7915-5.2-ptb',
    name: 'Packet Too Big',
    sends: [{ icmp: { type: 2, code: 0, mtu: 1400 } }],
    want: (t, s) => ({ type: 3, code: 4, mtu: ptb6to4(t, s.icmp.mtu!) }),
  },
  {
    id: '7915-5.2-timeex',
    name: 'Time Exceeded (hop limit in transit from a router, reassembly from the host)',
    sends: [{ icmp: { type: 3, code: 0 } }, { icmp: { type: 3, code: 1 }, by: 'host' }],
    want: (_t, s) => ({ type: 11, code: s.icmp.code! }),
    also: ['5508-7-req10a-te'],
  },
  { id: '7915-5.2-pp-0', name: 'Parameter Problem, erroneous header field (Hop Limit)', sends: [{ icmp: { type: 4, code: 0, pointer: 7 } }], want: () => ({ type: 12, code: 0, pointer: 8 }) },
  { id: '7915-5.2-pp-1', name: 'Parameter Problem, unrecognized Next Header', sends: [{ icmp: { type: 4, code: 1, pointer: 6 }, by: 'host' }], want: () => ({ type: 3, code: 2 }) },
];

const DROPS_64: DropRow[] = [
  { id: '7915-5.2-du-other', name: 'Destination Unreachable with an unlisted code', sends: [5, 6, 7, 100].map((code) => ({ icmp: { type: 1, code } })) },
  { id: '7915-5.2-pp-2', name: 'Parameter Problem, unrecognized IPv6 option', sends: [{ icmp: { type: 4, code: 2, pointer: 42 }, by: 'host' }] },
  { id: '7915-5.2-pp-other', name: 'Parameter Problem with an unlisted code', sends: [3, 4, 10].map((code) => ({ icmp: { type: 4, code, pointer: 40 } })) },
  { id: '7915-5.2-unknown-error-drop', name: 'error types RFC 7915 does not know', sends: [5, 100, 127].map((type) => ({ icmp: { type, code: 0, rest: 0 } })) },
];

const translate64: CaseDef[] = ROWS_64.map((r) => ({
  id: `v6-${r.id.replace('7915-5.2-', '')}`,
  suite: SUITE,
  title: `ICMPv6 -> ICMPv4: ${r.name} (${r.sends.map(label6).join(', ')}) is translated per RFC 7915 §5.2, quote included`,
  requirements: [r.id, ...(r.also ?? []), ...CHECKS_64],
  async run(t) {
    const both = await openBoth(t, this.requirements);
    if (!both) return;
    const { f, in6 } = both;
    for (const s of r.sends) {
      const quoted = quote6(in6);
      const ex = await t.send(6, err6(f, s.icmp, quoted, s.by === 'host' ? C6 : R6));
      check64(t, [r.id, ...(r.also ?? [])], label6(s), only(ex.out4), r.want(t, s), f, quoted);
    }
  },
}));

const drop64: CaseDef[] = DROPS_64.map((r) => ({
  id: `v6-${r.id.replace('7915-5.2-', '')}`,
  suite: SUITE,
  title: `ICMPv6 -> ICMPv4: ${r.name} (${r.sends.map(label6).join(', ')}) is silently dropped (RFC 7915 §5.2)`,
  requirements: [r.id, ...(r.also ?? [])],
  async run(t) {
    const both = await openBoth(t, this.requirements);
    if (!both) return;
    const { f, in6 } = both;
    for (const s of r.sends) {
      const ex = await t.send(6, err6(f, s.icmp, quote6(in6), s.by === 'host' ? C6 : R6));
      expectNothing(t, [r.id, ...(r.also ?? [])], `${label6(s)} about [${f.server6}]:${f.dport} -> ${f.client}:${f.sport}: nothing on either side`, ex);
    }
  },
}));

// ---------------------------------------------------------------- pointer figures

interface PointerRow {
  id: string;
  field: string;
  pointers: number[];
  /** Translated pointer; undefined for "n/a" and unlisted pointers (silently dropped). */
  to?: number;
}

/** RFC 7915 Figure 3, for ICMPv4 12/0 and 12/2. */
const FIGURE_3: PointerRow[] = [
  { id: '7915-4.2-ptr4-0', field: 'Version/IHL', pointers: [0], to: 0 },
  { id: '7915-4.2-ptr4-1', field: 'Type Of Service', pointers: [1], to: 1 },
  { id: '7915-4.2-ptr4-2-3', field: 'Total Length', pointers: [2, 3], to: 4 },
  { id: '7915-4.2-ptr4-4-5', field: 'Identification', pointers: [4, 5] },
  { id: '7915-4.2-ptr4-6', field: 'Flags/Fragment Offset', pointers: [6] },
  { id: '7915-4.2-ptr4-7', field: 'Fragment Offset', pointers: [7] },
  { id: '7915-4.2-ptr4-8', field: 'Time to Live', pointers: [8], to: 7 },
  { id: '7915-4.2-ptr4-9', field: 'Protocol', pointers: [9], to: 6 },
  { id: '7915-4.2-ptr4-10-11', field: 'Header Checksum', pointers: [10, 11] },
  { id: '7915-4.2-ptr4-12-15', field: 'Source Address', pointers: [12, 13, 14, 15], to: 8 },
  { id: '7915-4.2-ptr4-16-19', field: 'Destination Address', pointers: [16, 17, 18, 19], to: 24 },
  { id: '7915-4.2-ptr4-unlisted', field: 'options and beyond (no row)', pointers: [20, 23, 255] },
];

/** RFC 7915 Figure 6, for ICMPv6 4/0. */
const FIGURE_6: PointerRow[] = [
  { id: '7915-5.2-ptr6-0', field: 'Version/Traffic Class', pointers: [0], to: 0 },
  { id: '7915-5.2-ptr6-1', field: 'Traffic Class/Flow Label', pointers: [1], to: 1 },
  { id: '7915-5.2-ptr6-2-3', field: 'Flow Label', pointers: [2, 3] },
  { id: '7915-5.2-ptr6-4-5', field: 'Payload Length', pointers: [4, 5], to: 2 },
  { id: '7915-5.2-ptr6-6', field: 'Next Header', pointers: [6], to: 9 },
  { id: '7915-5.2-ptr6-7', field: 'Hop Limit', pointers: [7], to: 8 },
  { id: '7915-5.2-ptr6-8-23', field: 'Source Address', pointers: [8, 15, 23], to: 12 },
  { id: '7915-5.2-ptr6-24-39', field: 'Destination Address', pointers: [24, 31, 39], to: 16 },
  { id: '7915-5.2-ptr6-unlisted', field: 'past the fixed header (no row)', pointers: [40, 43, 1000] },
];

const figure3: CaseDef[] = FIGURE_3.map((r) => ({
  id: `figure3-${r.id.replace('7915-4.2-ptr4-', '')}`,
  suite: SUITE,
  title: `Figure 3: ICMPv4 12/0 (and 12/2) with pointer ${r.pointers.join(', ')} (${r.field}) ${r.to === undefined ? 'is silently dropped' : `becomes ICMPv6 4/0 pointer ${r.to}`}`,
  requirements: [r.id],
  async run(t) {
    const f = await openOut(t, this.requirements);
    if (!f) return;
    // Every pointer of the row with code 0, the first one with code 2 (bad length) as well: the figure serves both codes.
    for (const code of [0, 2]) {
      for (const pointer of code === 0 ? r.pointers : r.pointers.slice(0, 1)) {
        const ex = await t.send(4, err4(f, { type: 12, code, pointer }, quote4(f)));
        const what = `ICMPv4 12/${code} pointer ${pointer}`;
        if (r.to === undefined) expectNothing(t, r.id, `${what}: nothing on either side`, ex);
        else {
          t.expectPacket(r.id, `${what} -> ICMPv6 4/0 pointer ${r.to} to the client`, only(ex.out6), {
            ipv6: { dst: f.client },
            icmpv6: { type: 4, code: 0, pointer: r.to, quote: { ipv6: { src: f.client, dst: f.server6 } } },
          });
        }
      }
    }
  },
}));

const figure6: CaseDef[] = FIGURE_6.map((r) => ({
  id: `figure6-${r.id.replace('7915-5.2-ptr6-', '')}`,
  suite: SUITE,
  title: `Figure 6: ICMPv6 4/0 with pointer ${r.pointers.join(', ')} (${r.field}) ${r.to === undefined ? 'is silently dropped' : `becomes ICMPv4 12/0 pointer ${r.to}`}`,
  requirements: [r.id],
  async run(t) {
    const both = await openBoth(t, this.requirements);
    if (!both) return;
    const { f, in6 } = both;
    for (const pointer of r.pointers) {
      const ex = await t.send(6, err6(f, { type: 4, code: 0, pointer }, quote6(in6), C6));
      const what = `ICMPv6 4/0 pointer ${pointer}`;
      if (r.to === undefined) expectNothing(t, r.id, `${what}: nothing on either side`, ex);
      else {
        t.expectPacket(r.id, `${what} -> ICMPv4 12/0 pointer ${r.to} to the server`, only(ex.out4), {
          ipv4: { dst: f.server },
          icmpv4: { type: 12, code: 0, pointer: r.to, quote: { ipv4: { src: f.server, dst: f.T } } },
        });
      }
    }
  },
}));

export const tableCases: CaseDef[] = [...translate46, ...drop46, ...translate64, ...drop64, ...figure3, ...figure6];
