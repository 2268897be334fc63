/**
 * Translation of ICMP query messages (RFC 7915 §4.2 / §5.2: Echo Request and
 * Echo Reply; the other query types are dropped by the callers using
 * icmp-tables.ts). The identifier becomes that of the outgoing 3-tuple
 * (RFC 6146 §3.7) and the checksum is adjusted for the type change and for
 * the ICMPv6 pseudo-header, which only the ICMPv6 side has.
 */
import { decodeSecondWord, encodeSecondWord } from '../../harness/packet/icmp';
import { ICMPCommon } from '../../harness/packet/types';
import { adjustChecksum, words } from './checksum-adjust';
import { XlatOptions, hasFault } from './types';

const ECHO_TYPES: Readonly<Record<4 | 6, readonly number[]>> = { 4: [0, 8], 6: [128, 129] };

export interface QueryRewrite {
  from: 4 | 6;
  header: ICMPCommon;
  payload: Buffer | undefined;
  /** Type to send on the other side. */
  outType: number;
  /** New identifier; undefined keeps it. Only applied to echo messages, whose second word holds one. */
  id: number | undefined;
  /** The IPv6 pseudo-header the incoming checksum covers (6->4), to be taken out. */
  pseudoBefore?: Buffer;
  /** The IPv6 pseudo-header the outgoing checksum must cover (4->6), to be put in. */
  pseudoAfter?: Buffer;
  opts: XlatOptions;
}

/** The ICMP header for the other side. The payload (echo data) is carried unchanged by the caller. */
export function rewriteQuery(q: QueryRewrite): ICMPCommon {
  const to: 4 | 6 = q.from === 4 ? 6 : 4;
  const h = q.header;
  const code = h.code ?? 0;
  const wordIn = encodeSecondWord(q.from, h);
  const isEcho = ECHO_TYPES[q.from].includes(h.type);
  const replaceId = isEcho && q.id !== undefined;
  const wordOut = replaceId ? ((((q.id as number) & 0xffff) << 16) | (wordIn & 0xffff)) >>> 0 : wordIn;
  // The second word is re-read with the outgoing type's layout, so a type
  // that has no echo layout on the other side (a fault) still carries its bits.
  const out: ICMPCommon = { type: q.outType, code, ...decodeSecondWord(to, q.outType, wordOut) };
  if (h.checksum === undefined) return out;
  if (hasFault(q.opts, 'bad-transport-checksum')) return { ...out, checksum: h.checksum };
  const removed = Buffer.concat([q.pseudoBefore ?? Buffer.alloc(0), words((h.type << 8) | code, wordIn >>> 16, wordIn)]);
  const added = Buffer.concat([q.pseudoAfter ?? Buffer.alloc(0), words((q.outType << 8) | code, wordOut >>> 16, wordOut)]);
  let checksum = adjustChecksum(h.checksum, removed, added);
  // ICMPv4 has no pseudo-header, so a message of all zero octets (Echo Reply,
  // identifier 0, sequence 0, no data) sums to zero and its checksum is
  // 0xffff; RFC 1624 eqn. 3 gives the other zero, 0x0000, which receivers reject.
  if (to === 4 && checksum === 0 && q.outType === 0 && code === 0 && wordOut === 0 && allZero(q.payload)) checksum = 0xffff;
  return { ...out, checksum };
}

function allZero(b: Buffer | undefined): boolean {
  return !b || b.every((x) => x === 0);
}
