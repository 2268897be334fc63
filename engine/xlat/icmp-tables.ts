/**
 * RFC 7915 §4.2 and §5.2 as data: what becomes of each ICMP type and code
 * when it crosses the translator, the Parameter Problem pointer tables
 * (Figures 3 and 6) and the Packet Too Big MTU arithmetic.
 *
 * Each row names the catalogue requirement it implements, so tests and the
 * later ICMP error translation (translateIcmpError4to6 / 6to4) can cite it.
 * Query rows are used now by the echo translation; error rows wait for the
 * error translation, which only has to look a message up and then translate
 * the quoted packet.
 */

/** What to emit for an ICMP message on the other side, or why not. */
export type IcmpAction =
  | {
      action: 'translate';
      type: number;
      /** Outgoing code; 'same' copies the incoming one (Time Exceeded). */
      code: number | 'same';
      /**
       * Parameter Problem pointer: a fixed value (protocol unreachable points
       * at the IPv6 Next Header, octet 6), or 'figure' to map the incoming
       * pointer through Figure 3 / Figure 6.
       */
      pointer?: number | 'figure';
      /** Packet Too Big / Fragmentation Needed: the MTU must be recomputed (ptbMtu4to6 / ptbMtu6to4). */
      mtu?: true;
    }
  | { action: 'drop'; reason: string };

/** Whether the message is a query (echo-like, no quoted packet) or an error (quotes a packet). */
export type IcmpClass = 'query' | 'error';

export interface IcmpRow {
  type: number;
  /** Codes this row covers; 'other' catches every code no other row of the type lists. */
  codes: readonly number[] | 'other';
  class: IcmpClass;
  to: IcmpAction;
  /** Catalogue id (requirements.tsv) of the rule. */
  requirement: string;
}

const drop = (reason: string): IcmpAction => ({ action: 'drop', reason });
const ANY = 'other' as const;

/** RFC 7915 §4.2, ICMPv4 -> ICMPv6. Types not listed are "Unknown ICMPv4 types: Silently drop". */
export const ICMP4_TO_6: readonly IcmpRow[] = [
  // Query messages
  { type: 8, codes: ANY, class: 'query', to: { action: 'translate', type: 128, code: 'same' }, requirement: '7915-4.2-echo-request' },
  { type: 0, codes: ANY, class: 'query', to: { action: 'translate', type: 129, code: 'same' }, requirement: '7915-4.2-echo-reply' },
  { type: 15, codes: ANY, class: 'query', to: drop('Information Request: obsoleted in ICMPv6'), requirement: '7915-4.2-info-drop' },
  { type: 16, codes: ANY, class: 'query', to: drop('Information Reply: obsoleted in ICMPv6'), requirement: '7915-4.2-info-drop' },
  { type: 13, codes: ANY, class: 'query', to: drop('Timestamp: obsoleted in ICMPv6'), requirement: '7915-4.2-timestamp-drop' },
  { type: 14, codes: ANY, class: 'query', to: drop('Timestamp Reply: obsoleted in ICMPv6'), requirement: '7915-4.2-timestamp-drop' },
  { type: 17, codes: ANY, class: 'query', to: drop('Address Mask Request: obsoleted in ICMPv6'), requirement: '7915-4.2-addrmask-drop' },
  { type: 18, codes: ANY, class: 'query', to: drop('Address Mask Reply: obsoleted in ICMPv6'), requirement: '7915-4.2-addrmask-drop' },
  { type: 9, codes: ANY, class: 'query', to: drop('Router Advertisement: single-hop message'), requirement: '7915-4.2-rtradv-drop' },
  { type: 10, codes: ANY, class: 'query', to: drop('Router Solicitation: single-hop message'), requirement: '7915-4.2-rtrsol-drop' },
  // Destination Unreachable
  { type: 3, codes: [0, 1], class: 'error', to: { action: 'translate', type: 1, code: 0 }, requirement: '7915-4.2-du-0-1' },
  { type: 3, codes: [2], class: 'error', to: { action: 'translate', type: 4, code: 1, pointer: 6 }, requirement: '7915-4.2-du-2' },
  { type: 3, codes: [3], class: 'error', to: { action: 'translate', type: 1, code: 4 }, requirement: '7915-4.2-du-3' },
  { type: 3, codes: [4], class: 'error', to: { action: 'translate', type: 2, code: 0, mtu: true }, requirement: '7915-4.2-du-4' },
  { type: 3, codes: [5], class: 'error', to: { action: 'translate', type: 1, code: 0 }, requirement: '7915-4.2-du-5' },
  { type: 3, codes: [6, 7, 8], class: 'error', to: { action: 'translate', type: 1, code: 0 }, requirement: '7915-4.2-du-6-7-8' },
  { type: 3, codes: [9, 10], class: 'error', to: { action: 'translate', type: 1, code: 1 }, requirement: '7915-4.2-du-9-10' },
  { type: 3, codes: [11, 12], class: 'error', to: { action: 'translate', type: 1, code: 0 }, requirement: '7915-4.2-du-11-12' },
  { type: 3, codes: [13], class: 'error', to: { action: 'translate', type: 1, code: 1 }, requirement: '7915-4.2-du-13' },
  { type: 3, codes: [14], class: 'error', to: drop('Host Precedence Violation: silently dropped'), requirement: '7915-4.2-du-14' },
  { type: 3, codes: [15], class: 'error', to: { action: 'translate', type: 1, code: 1 }, requirement: '7915-4.2-du-15' },
  { type: 3, codes: ANY, class: 'error', to: drop('Destination Unreachable with an unlisted code'), requirement: '7915-4.2-du-other' },
  // Other errors
  { type: 5, codes: ANY, class: 'error', to: drop('Redirect: single-hop message'), requirement: '7915-4.2-redirect-drop' },
  { type: 6, codes: ANY, class: 'error', to: drop('Alternate Host Address: silently dropped'), requirement: '7915-4.2-althost-drop' },
  { type: 4, codes: ANY, class: 'error', to: drop('Source Quench: obsoleted in ICMPv6'), requirement: '7915-4.2-squench-drop' },
  { type: 11, codes: ANY, class: 'error', to: { action: 'translate', type: 3, code: 'same' }, requirement: '7915-4.2-timeex' },
  { type: 12, codes: [0], class: 'error', to: { action: 'translate', type: 4, code: 0, pointer: 'figure' }, requirement: '7915-4.2-pp-0' },
  { type: 12, codes: [1], class: 'error', to: drop('Parameter Problem, missing a required option: silently dropped'), requirement: '7915-4.2-pp-1' },
  { type: 12, codes: [2], class: 'error', to: { action: 'translate', type: 4, code: 0, pointer: 'figure' }, requirement: '7915-4.2-pp-2' },
  { type: 12, codes: ANY, class: 'error', to: drop('Parameter Problem with an unlisted code'), requirement: '7915-4.2-pp-other' },
];

/**
 * RFC 7915 §5.2, ICMPv6 -> ICMPv4. Unlisted informational types (128-255)
 * are "Unknown informational messages: Silently drop"; unlisted error types
 * (0-127) are "Unknown error messages: Silently drop" (RFC 4443 §2.1 splits
 * the two classes at 128).
 */
export const ICMP6_TO_4: readonly IcmpRow[] = [
  // Informational messages
  { type: 128, codes: ANY, class: 'query', to: { action: 'translate', type: 8, code: 'same' }, requirement: '7915-5.2-echo-request' },
  { type: 129, codes: ANY, class: 'query', to: { action: 'translate', type: 0, code: 'same' }, requirement: '7915-5.2-echo-reply' },
  ...[130, 131, 132].map(
    (type): IcmpRow => ({ type, codes: ANY, class: 'query', to: drop('MLD: single-hop message'), requirement: '7915-5.2-mld-drop' }),
  ),
  ...[133, 134, 135, 136, 137].map(
    (type): IcmpRow => ({ type, codes: ANY, class: 'query', to: drop('Neighbor Discovery: single-hop message'), requirement: '7915-5.2-nd-drop' }),
  ),
  // Destination Unreachable
  { type: 1, codes: [0], class: 'error', to: { action: 'translate', type: 3, code: 1 }, requirement: '7915-5.2-du-0' },
  { type: 1, codes: [1], class: 'error', to: { action: 'translate', type: 3, code: 10 }, requirement: '7915-5.2-du-1' },
  { type: 1, codes: [2], class: 'error', to: { action: 'translate', type: 3, code: 1 }, requirement: '7915-5.2-du-2' },
  { type: 1, codes: [3], class: 'error', to: { action: 'translate', type: 3, code: 1 }, requirement: '7915-5.2-du-3' },
  { type: 1, codes: [4], class: 'error', to: { action: 'translate', type: 3, code: 3 }, requirement: '7915-5.2-du-4' },
  { type: 1, codes: ANY, class: 'error', to: drop('Destination Unreachable with an unlisted code'), requirement: '7915-5.2-du-other' },
  // Other errors
  { type: 2, codes: ANY, class: 'error', to: { action: 'translate', type: 3, code: 4, mtu: true }, requirement: '7915-5.2-ptb' },
  { type: 3, codes: ANY, class: 'error', to: { action: 'translate', type: 11, code: 'same' }, requirement: '7915-5.2-timeex' },
  { type: 4, codes: [0], class: 'error', to: { action: 'translate', type: 12, code: 0, pointer: 'figure' }, requirement: '7915-5.2-pp-0' },
  { type: 4, codes: [1], class: 'error', to: { action: 'translate', type: 3, code: 2 }, requirement: '7915-5.2-pp-1' },
  { type: 4, codes: [2], class: 'error', to: drop('Parameter Problem, unrecognized IPv6 option: silently dropped'), requirement: '7915-5.2-pp-2' },
  { type: 4, codes: ANY, class: 'error', to: drop('Parameter Problem with an unlisted code'), requirement: '7915-5.2-pp-other' },
];

/** The outcome for one message: the row that applies, or a synthetic "unknown type" row. */
export interface IcmpLookup {
  class: IcmpClass;
  to: IcmpAction;
  requirement: string;
}

function lookup(table: readonly IcmpRow[], type: number, code: number, unknown: (type: number) => IcmpLookup): IcmpLookup {
  const rows = table.filter((r) => r.type === type);
  const row = rows.find((r) => r.codes !== ANY && r.codes.includes(code)) ?? rows.find((r) => r.codes === ANY);
  return row ? { class: row.class, to: row.to, requirement: row.requirement } : unknown(type);
}

/** ICMPv4 error types as RFC 1122 §3.2.2 lists them (3, 4, 5, 11, 12) plus 6, which §4.2 treats as one. */
const ICMP4_ERROR_TYPES: ReadonlySet<number> = new Set([3, 4, 5, 6, 11, 12]);

export function icmp4To6(type: number, code: number): IcmpLookup {
  return lookup(ICMP4_TO_6, type, code, (t) => ({
    class: ICMP4_ERROR_TYPES.has(t) ? 'error' : 'query',
    to: drop(`unknown ICMPv4 type ${t}`),
    requirement: '7915-4.2-unknown-drop',
  }));
}

export function icmp6To4(type: number, code: number): IcmpLookup {
  return lookup(ICMP6_TO_4, type, code, (t) =>
    t < 128
      ? { class: 'error', to: drop(`unknown ICMPv6 error type ${t}`), requirement: '7915-5.2-unknown-error-drop' }
      : { class: 'query', to: drop(`unknown ICMPv6 informational type ${t}`), requirement: '7915-5.2-unknown-info-drop' },
  );
}

/** One row of a pointer figure: incoming pointer range (inclusive) and the translated pointer, null for "n/a". */
export interface PointerRow {
  from: readonly [number, number];
  to: number | null;
  field: string;
  requirement: string;
}

/** RFC 7915 Figure 3: ICMPv4 Parameter Problem pointer -> ICMPv6 pointer. */
export const POINTER_4_TO_6: readonly PointerRow[] = [
  { from: [0, 0], to: 0, field: 'Version/IHL', requirement: '7915-4.2-ptr4-0' },
  { from: [1, 1], to: 1, field: 'Type Of Service', requirement: '7915-4.2-ptr4-1' },
  { from: [2, 3], to: 4, field: 'Total Length', requirement: '7915-4.2-ptr4-2-3' },
  { from: [4, 5], to: null, field: 'Identification', requirement: '7915-4.2-ptr4-4-5' },
  { from: [6, 6], to: null, field: 'Flags/Fragment Offset', requirement: '7915-4.2-ptr4-6' },
  { from: [7, 7], to: null, field: 'Fragment Offset', requirement: '7915-4.2-ptr4-7' },
  { from: [8, 8], to: 7, field: 'Time to Live', requirement: '7915-4.2-ptr4-8' },
  { from: [9, 9], to: 6, field: 'Protocol', requirement: '7915-4.2-ptr4-9' },
  { from: [10, 11], to: null, field: 'Header Checksum', requirement: '7915-4.2-ptr4-10-11' },
  { from: [12, 15], to: 8, field: 'Source Address', requirement: '7915-4.2-ptr4-12-15' },
  { from: [16, 19], to: 24, field: 'Destination Address', requirement: '7915-4.2-ptr4-16-19' },
];

/** RFC 7915 Figure 6: ICMPv6 Parameter Problem pointer -> ICMPv4 pointer. */
export const POINTER_6_TO_4: readonly PointerRow[] = [
  { from: [0, 0], to: 0, field: 'Version/Traffic Class', requirement: '7915-5.2-ptr6-0' },
  { from: [1, 1], to: 1, field: 'Traffic Class/Flow Label', requirement: '7915-5.2-ptr6-1' },
  { from: [2, 3], to: null, field: 'Flow Label', requirement: '7915-5.2-ptr6-2-3' },
  { from: [4, 5], to: 2, field: 'Payload Length', requirement: '7915-5.2-ptr6-4-5' },
  { from: [6, 6], to: 9, field: 'Next Header', requirement: '7915-5.2-ptr6-6' },
  { from: [7, 7], to: 8, field: 'Hop Limit', requirement: '7915-5.2-ptr6-7' },
  { from: [8, 23], to: 12, field: 'Source Address', requirement: '7915-5.2-ptr6-8-23' },
  { from: [24, 39], to: 16, field: 'Destination Address', requirement: '7915-5.2-ptr6-24-39' },
];

/**
 * The translated pointer, or undefined when the message must be silently
 * dropped: the pointer is not listed, or its row says "n/a".
 */
function mapPointer(table: readonly PointerRow[], pointer: number): number | undefined {
  const row = table.find((r) => pointer >= r.from[0] && pointer <= r.from[1]);
  return row?.to ?? undefined;
}

export function pointer4To6(pointer: number): number | undefined {
  return mapPointer(POINTER_4_TO_6, pointer);
}

export function pointer6To4(pointer: number): number | undefined {
  return mapPointer(POINTER_6_TO_4, pointer);
}

/** RFC 1191 §7 Table 7-1 plateaus, largest first. */
export const RFC1191_PLATEAUS: readonly number[] = [65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68];

export const MIN_IPV6_MTU = 1280;

/**
 * §4.2: "the greatest plateau value that is less than the returned Total
 * Length field, but that is larger than or equal to 1280", or undefined
 * when no plateau qualifies.
 */
export function plateauBelow(totalLength: number): number | undefined {
  return RFC1191_PLATEAUS.find((p) => p < totalLength && p >= MIN_IPV6_MTU);
}

export interface Ptb4to6Input {
  /** MTU field of the ICMPv4 Fragmentation Needed (0 from a pre-RFC 1191 router). */
  reportedMtu: number;
  /** Total Length of the IPv4 packet quoted in the error, for the plateau search. */
  quotedTotalLength: number;
  ipv6NextHopMtu: number;
  ipv4NextHopMtu: number;
}

/**
 * RFC 7915 §4.2 Code 4: maximum(1280, minimum(MTU + 20, MTU_of_IPv6_nexthop,
 * MTU_of_IPv4_nexthop + 20)). With a reported MTU of zero the plateau takes
 * the place of the reported MTU in that formula: the plateau estimates the
 * IPv4 path MTU (it is chosen below an IPv4 Total Length), and the
 * paragraph before says the value must be adjusted for the header size
 * difference. If no plateau of 1280 or more lies below the Total Length,
 * the floor of 1280 applies.
 */
export function ptbMtu4to6(i: Ptb4to6Input): number {
  const v4Mtu = i.reportedMtu === 0 ? plateauBelow(i.quotedTotalLength) : i.reportedMtu;
  if (v4Mtu === undefined) return MIN_IPV6_MTU;
  return Math.max(MIN_IPV6_MTU, Math.min(v4Mtu + 20, i.ipv6NextHopMtu, i.ipv4NextHopMtu + 20));
}

export interface Ptb6to4Input {
  /** MTU field of the ICMPv6 Packet Too Big. */
  reportedMtu: number;
  ipv4NextHopMtu: number;
  ipv6NextHopMtu: number;
  /** The quoted IPv6 packet carries a Fragment Header (8 more octets of IPv6 overhead). */
  quotedHasFragmentHeader: boolean;
}

/**
 * RFC 7915 §5.2 Packet Too Big: minimum(MTU - 20, MTU_of_IPv4_nexthop,
 * MTU_of_IPv6_nexthop - 20), "taking into account whether or not the packet
 * in error includes a Fragment Header": such a packet was an IPv4 packet
 * plus 28 octets (IPv6 header minus IPv4 header, plus the Fragment Header),
 * so the reported MTU loses 28 instead of 20.
 */
export function ptbMtu6to4(i: Ptb6to4Input): number {
  const overhead = i.quotedHasFragmentHeader ? 28 : 20;
  return Math.min(i.reportedMtu - overhead, i.ipv4NextHopMtu, i.ipv6NextHopMtu - 20);
}
