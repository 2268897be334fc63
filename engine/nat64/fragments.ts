/**
 * Fragments and MTUs in the stateful NAT64: RFC 6146 §3.4 (the NAT64 MUST
 * handle fragments) and the size rules of RFC 7915 §1.4, §4, §4.1, §5 and
 * §5.1.1. Hooked into engine/nat64/pipeline.ts at four places: the start of
 * process6/process4 (reassemble6/reassemble4), the emission of translated
 * packets (send4/send6) and expiry (expireFragments).
 *
 * Choice (RFC 6146 §3.4 allows "queue" or "stream"): QUEUE. Fragments of a
 * datagram addressed to the NAT64 (Pref64::/n on the IPv6 side, a pool4
 * address on the IPv4 side) are held in engine/nat64/reassembly.ts until the
 * datagram is whole; the whole datagram then goes through the ordinary
 * pipeline, so its incoming tuple is determined "as documented above to the
 * un-fragmented packets" (§3.4) — for TCP, UDP and ICMP alike, ICMP and
 * zero-checksum UDP included (§3.4: zero-checksum IPv4 UDP MUST be
 * reassembled and its checksum computed). The translated datagram then leaves
 * cut at the ORIGINAL fragment boundaries, with the original identification
 * (its low 16 bits), so that on the wire it looks like the fragment-by-
 * fragment translation of RFC 7915 §4.1 / §5.1.1: Fragment Header offset and
 * M = IPv4 offset and MF, FH Identification = IPv4 Identification (high 16
 * bits zero), IPv4 Identification = low 16 bits of the FH Identification,
 * DF clear on IPv4 fragments. A piece that no longer fits the next hop is cut
 * further (RFC 7915 §4.1 lowest-ipv6-mtu; §5.1.1 and §1.4 for IPv4).
 *
 * Unfragmented packets (RFC 7915):
 * - IPv4 -> IPv6, DF=0, translation larger than min(lowest-ipv6-mtu, IPv6
 *   next-hop MTU): IPv6 fragments with Fragment Headers, each at most that
 *   size, Identification = IPv4 Identification (§4, §4.1 SHOULD). DF=0 and
 *   small enough: no Fragment Header (§4 MUST NOT add atomic fragments).
 * - IPv4 -> IPv6, DF=1, translation larger than the IPv6 next-hop MTU
 *   (Total Length + 20 > MTU): dropped, ICMPv4 3/4 Fragmentation Needed to
 *   the source with next-hop MTU = IPv6 MTU - 20, the largest IPv4 packet
 *   that fits once translated (§4.1 MUST, RFC 1191, RFC 5508 §7.1.1).
 * - IPv6 -> IPv4 larger than the IPv4 next-hop MTU: with DF clear (the IPv4
 *   packet is at most 1260 octets, §5) it is fragmented in IPv4 (§5.1.1
 *   MUST); with DF set, dropped and ICMPv6 Packet Too Big goes back with
 *   MTU = IPv4 MTU + 20, never below 1280 (RFC 8200 §5: IPv6 needs no
 *   smaller PMTU; a host then sends 1280-octet packets, which become 1260-
 *   octet DF=0 IPv4 packets that the translator fragments) (§1.4, §5).
 *
 * Other choices:
 * - A datagram whose offset-0 fragment does not hold the whole TCP (20),
 *   UDP (8) or ICMP (8) header is discarded once complete: RFC 6146 §3.4
 *   allows it (MAY), RFC 7112 §5 asks it for IPv6 (the first fragment must
 *   carry the header chain up to the upper-layer header), and RFC 1858 §4
 *   shows how such "tiny fragments" slip past port filters further on, since
 *   the pieces leave as they came.
 * - On the IPv6 side that check is made as the offset-0 fragment arrives (M
 *   set, fewer octets than the header above): the fragment is discarded and
 *   ICMPv6 Parameter Problem code 3 (incomplete IPv6 header chain), pointer
 *   0, goes to its source (RFC 8200 §4.5 "should be discarded and an ICMP
 *   Parameter Problem, Code 3, message should be sent to the source of the
 *   fragment, with the Pointer field set to zero"; RFC 7112 §5). It passes
 *   the rate-limit gate of engine/nat64/icmp-policy.ts like any other
 *   originated error. The rest of the train is held and expires silently.
 * - Leaving on the IPv6 side, the offset-0 piece of a reassembled datagram is
 *   made to hold the whole upper-layer header (TCP with its options, UDP,
 *   ICMPv6: RFC 8200 §4.5 "headers must be in the first fragment", RFC 7112
 *   §5): when the original offset-0 fragment was shorter, it is merged with
 *   the pieces that follow it (boundaries stay original and 8-aligned; the
 *   result is then cut to the MTU like any piece).
 * - Atomic fragments (IPv6 Fragment Header with offset 0 and M 0) are not
 *   held: RFC 8200 §4.5 / RFC 6946 process them in isolation; RFC 7915 §5.1.1
 *   translates them (Identification copied, DF clear).
 * - A Fragment Header followed by an extension header other than ESP is
 *   dropped before any buffering (RFC 7915 §5.1.1 SHOULD; "logged" is the
 *   drop reason, Translator.lastDrop).
 * - On reassembly timeout the fragments are discarded and, when the offset-0
 *   fragment had arrived, Time Exceeded code 1 (fragment reassembly time
 *   exceeded) goes to its source, as the reassembling node does in RFC 792 and
 *   RFC 8200 §4.5 (the NAT64 reassembles on behalf of the destination, which
 *   never sees the fragments).
 * - Memory: `fragmentMemory` octets of the config (default 4 MiB, Linux's
 *   ipfrag_high_thresh), at most 4096 datagrams of at most 256 fragments;
 *   eviction of the oldest datagram when full (see reassembly.ts).
 */
import { internetChecksum } from '../../harness/packet/checksum';
import { decode, encode } from '../../harness/packet/codec';
import type { Packet } from '../../harness/packet/types';
import type { Emitted } from '../api';
import { icmpError4, icmpError6, walkExtensions } from '../xlat';
import type { Ctx } from './pipeline';
import { Piece, Reassembly } from './reassembly';
import { unpooledCopy } from './buffers';

type Out = Emitted[];
/** process6 / process4 of the pipeline, passed in to avoid an import cycle. */
type Process = (ctx: Ctx, bytes: Buffer, out: Out) => void;

/** The faults engine/faults.ts lists for this module; each is a branch marked `// FAULT <name>` below or in reassembly.ts. */
export const FRAGMENT_FAULTS = [
  'no-reassembly',
  'out-of-order-dropped',
  'reassembly-no-timeout',
  'fragment-timeout-short',
  'reassembly-unbounded',
  'reassembly-full-drops-new',
  'no-ipv6-fragmentation',
  'lowest-ipv6-mtu-ignored',
  'no-ipv4-fragmentation',
  'df-ignored',
  'frag-needed-wrong-mtu',
  'ptb-wrong-mtu',
  'fragments-reversed',
] as const;
type FragmentFault = (typeof FRAGMENT_FAULTS)[number] | 'fragment-header-ignored' | 'fragment-ext-chain-translated' | 'df-always-set';

function has(ctx: Ctx, name: FragmentFault): boolean {
  return ctx.xopts.faults.has(name);
}

/** Default `fragmentMemory`: 4 MiB. */
export const DEFAULT_FRAGMENT_MEMORY = 4 * 1024 * 1024;
export const MAX_DATAGRAMS = 4096;
export const MAX_FRAGMENTS_PER_DATAGRAM = 256;
const MIN_IPV6_MTU = 1280;

/** What is kept of an offset-0 fragment: the octets (headers to rebuild the datagram, the quote of a Time Exceeded). */
interface First {
  family: 4 | 6;
  bytes: Buffer;
  /** The address the fragment was sent to (source of a Time Exceeded about it). */
  dst: string;
  /** IPv4: header length. IPv6: offset of the Fragment Header. */
  headerLength: number;
  /** IPv6: the octet holding the Next Header that names the Fragment Header, and the FH's own Next Header. */
  nhPos?: number;
  nextHeader?: number;
}

/** The original fragmentation of the datagram being processed, applied to its translation on the way out. */
interface Layout {
  id16: number;
  pieces: Piece[];
  total: number;
}

interface State {
  buf: Reassembly<First>;
  layout?: Layout;
}

const states = new WeakMap<Ctx, State>();

function stateOf(ctx: Ctx): State {
  let st = states.get(ctx);
  if (!st) {
    // FAULT fragment-timeout-short: 1 s whatever the configuration (below FRAGMENT_MIN).
    const timeoutMs = has(ctx, 'fragment-timeout-short') ? 1000 : ctx.config.timeouts.fragment * 1000;
    const maxBytes = ctx.config.fragmentMemory ?? DEFAULT_FRAGMENT_MEMORY;
    st = {
      buf: new Reassembly<First>(
        { timeoutMs, maxBytes, maxDatagrams: MAX_DATAGRAMS, maxFragments: MAX_FRAGMENTS_PER_DATAGRAM },
        {
          unbounded: has(ctx, 'reassembly-unbounded'), // FAULT reassembly-unbounded
          fullDropsNew: has(ctx, 'reassembly-full-drops-new'), // FAULT reassembly-full-drops-new
          outOfOrderDropped: has(ctx, 'out-of-order-dropped'), // FAULT out-of-order-dropped
          noTimeout: has(ctx, 'reassembly-no-timeout'), // FAULT reassembly-no-timeout
        },
      ),
    };
    states.set(ctx, st);
  }
  return st;
}

/** Octets and datagrams held (for tests and logs). */
export function fragmentBufferUse(ctx: Ctx): { bytes: number; datagrams: number } {
  const st = states.get(ctx);
  return { bytes: st?.buf.bytes ?? 0, datagrams: st?.buf.count ?? 0 };
}

function nextId(ctx: Ctx): number {
  const id = ctx.nextIpv4Id;
  ctx.nextIpv4Id = (id + 1) & 0xffff;
  return id;
}

/** Runs `process` on a reassembled datagram with its original fragmentation in force for send4/send6. */
function processWhole(ctx: Ctx, st: State, whole: Buffer, layout: Layout, out: Out, process: Process): void {
  st.layout = layout;
  try {
    process(ctx, whole, out);
  } finally {
    st.layout = undefined;
  }
}

/** Octets of transport header the offset-0 fragment must hold (RFC 7112 §5, RFC 1858 §4); 0 for other protocols. */
function headerNeeded(protocol: number): number {
  return protocol === 6 ? 20 : protocol === 17 || protocol === 1 || protocol === 58 ? 8 : 0;
}

/** False (and the reason recorded) when the first piece of a reassembled datagram cut its transport header. */
function firstHoldsHeader(ctx: Ctx, protocol: number, pieces: Piece[]): boolean {
  const need = headerNeeded(protocol);
  if (pieces[0].length >= need) return true;
  ctx.lastDrop = `offset-0 fragment holds ${pieces[0].length} of the ${need} octets of the protocol ${protocol} header: datagram discarded (RFC 6146 §3.4 MAY, RFC 7112 §5, RFC 1858 §4)`;
  return false;
}

function report(ctx: Ctx, r: { kind: string; reason?: string }, what: string): void {
  if (r.kind === 'held') ctx.lastDrop = `${what} held for reassembly (RFC 6146 §3.4)`;
  else if (r.kind === 'dropped') ctx.lastDrop = `${what} dropped: ${r.reason}`;
}

// ---------------------------------------------------------------- IPv6 side

/** The Fragment Header of a raw IPv6 packet behind Hop-by-Hop / Routing / Destination Options headers. */
function findFragmentHeader(b: Buffer): { fh: number; nhPos: number; end: number } | undefined {
  const end = 40 + b.readUInt16BE(4);
  let nhPos = 6;
  let off = 40;
  let next = b[6];
  while (next === 0 || next === 43 || next === 60) {
    if (off + 8 > end || off + 8 > b.length) return undefined;
    nhPos = off;
    next = b[off];
    off += (b[off + 1] + 1) * 8;
  }
  if (next !== 44 || off + 8 > end || off + 8 > b.length) return undefined;
  return { fh: off, nhPos, end };
}

/**
 * A packet that arrived on the IPv6 interface: true when it was a fragment
 * this module took (held, dropped, or completing a datagram that was then
 * processed); false to let the pipeline handle it.
 */
export function reassemble6(ctx: Ctx, pkt: Packet, bytes: Buffer, out: Out, process: Process): boolean {
  const h = pkt.ipv6;
  if (!h || bytes.length < 40 || (bytes[0] >> 4) !== 6) return false;
  const loc = findFragmentHeader(bytes);
  if (!loc) return false;
  const word = bytes.readUInt16BE(loc.fh + 2);
  const offset = (word >> 3) * 8;
  const more = (word & 1) === 1;
  if (offset === 0 && !more) return false; // atomic fragment: translated on its own (RFC 8200 §4.5, RFC 6946)
  if (has(ctx, 'no-reassembly')) return false; // FAULT no-reassembly: the pipeline drops fragments
  if (ctx.pref.extract(h.dst) === undefined) return false; // not ours: the pipeline says so
  if (loc.end > bytes.length) return false; // truncated: the pipeline drops it as malformed
  const chain = walkExtensions(pkt);
  // FAULT fragment-ext-chain-translated: the §5.1.1 check is skipped.
  if (chain.extensionAfterFragment !== undefined && !has(ctx, 'fragment-ext-chain-translated')) {
    ctx.lastDrop = `RFC 7915 §5.1.1: Fragment Header followed by extension header ${chain.extensionAfterFragment}: dropped`;
    return true;
  }
  const id = bytes.readUInt32BE(loc.fh + 4);
  if (offset === 0) {
    // RFC 8200 §4.5 / RFC 7112 §5: an offset-0 fragment without the whole upper-layer header is discarded, Parameter Problem 3, pointer 0.
    const need = headerNeeded(bytes[loc.fh]);
    const have = loc.end - (loc.fh + 8);
    if (have < need) {
      const r = icmpError6(4, 3, { pointer: 0 }, bytes.subarray(0, loc.end), h.dst, {
        faults: ctx.xopts.faults,
        reason: 'RFC 8200 §4.5: first fragment without the whole upper-layer header, Parameter Problem code 3',
      });
      if (r.kind === 'icmp-error') out.push({ side: 6, bytes: encode(r.packet) });
      ctx.lastDrop = `IPv6 fragment ${id}@0 holds ${have} of the ${need} octets of the protocol ${bytes[loc.fh]} header: discarded, Parameter Problem code 3 pointer 0 (RFC 8200 §4.5, RFC 7112 §5)`;
      return true;
    }
  }
  const st = stateOf(ctx);
  const first: First | undefined =
    offset === 0 ? { family: 6, bytes: unpooledCopy(bytes.subarray(0, loc.end)), dst: h.dst, headerLength: loc.fh, nhPos: loc.nhPos, nextHeader: bytes[loc.fh] } : undefined;
  const r = st.buf.add(ctx.clock.now(), `6|${h.src}|${h.dst}|${id}`, offset, bytes.subarray(loc.fh + 8, loc.end), more, loc.end, first);
  report(ctx, r, `IPv6 fragment ${id}@${offset}`);
  if (r.kind !== 'complete') return true;
  const f = r.first;
  if (!firstHoldsHeader(ctx, f.nextHeader!, r.pieces)) return true;
  // The datagram: the unfragmentable part of the first fragment, its last Next Header now the FH's, then the data.
  const head = Buffer.from(f.bytes.subarray(0, f.headerLength));
  head[f.nhPos!] = f.nextHeader!;
  const whole = Buffer.concat([head, r.data]);
  if (whole.length - 40 > 0xffff) {
    ctx.lastDrop = `reassembled IPv6 datagram of ${whole.length} octets exceeds the Payload Length range`;
    return true;
  }
  whole.writeUInt16BE(whole.length - 40, 4);
  processWhole(ctx, st, whole, { id16: id & 0xffff, pieces: r.pieces, total: r.data.length }, out, process);
  return true;
}

// ---------------------------------------------------------------- IPv4 side

/** A packet that arrived on the IPv4 interface: as reassemble6. */
export function reassemble4(ctx: Ctx, pkt: Packet, bytes: Buffer, out: Out, process: Process): boolean {
  const h = pkt.ipv4;
  if (!h || !(h.mf || (h.fragOffset ?? 0) > 0)) return false;
  if (has(ctx, 'no-reassembly')) return false; // FAULT no-reassembly: the pipeline drops fragments
  if (ctx.pool.indexOf(h.dst) < 0) return false; // not ours: the pipeline says so
  const ihl = (bytes[0] & 0x0f) * 4;
  const total = bytes.length >= 4 ? bytes.readUInt16BE(2) : 0;
  // Malformed or a bad header checksum: left to the pipeline, which drops it with the reason.
  if (ihl < 20 || total < ihl || total > bytes.length || internetChecksum(bytes.subarray(0, ihl)) !== 0) return false;
  const offset = (h.fragOffset ?? 0) * 8;
  const id = h.id ?? 0;
  const st = stateOf(ctx);
  const first: First | undefined = offset === 0 ? { family: 4, bytes: unpooledCopy(bytes.subarray(0, total)), dst: h.dst, headerLength: ihl } : undefined;
  const r = st.buf.add(ctx.clock.now(), `4|${h.src}|${h.dst}|${bytes[9]}|${id}`, offset, bytes.subarray(ihl, total), h.mf === true, total, first);
  report(ctx, r, `IPv4 fragment ${id}@${offset}`);
  if (r.kind !== 'complete') return true;
  const f = r.first;
  if (!firstHoldsHeader(ctx, f.bytes[9], r.pieces)) return true;
  // The datagram: the first fragment's header (options as they were, RFC 791), MF and offset cleared, DF kept.
  const head = Buffer.from(f.bytes.subarray(0, f.headerLength));
  const length = head.length + r.data.length;
  if (length > 0xffff) {
    ctx.lastDrop = `reassembled IPv4 datagram of ${length} octets exceeds the Total Length range`;
    return true;
  }
  head.writeUInt16BE(length, 2);
  head.writeUInt16BE(head.readUInt16BE(6) & 0xc000, 6);
  head.writeUInt16BE(0, 10);
  head.writeUInt16BE(internetChecksum(head), 10);
  processWhole(ctx, st, Buffer.concat([head, r.data]), { id16: id, pieces: r.pieces, total: r.data.length }, out, process);
  return true;
}

// ---------------------------------------------------------------- expiry

/** Datagrams whose reassembly time is up: discarded, with Time Exceeded code 1 where the offset-0 fragment came. */
export function expireFragments(ctx: Ctx, out: Out): void {
  const st = states.get(ctx);
  // Nothing held is the usual case on every packet: skip the clock read and the result array.
  if (!st || st.buf.count === 0) return;
  for (const e of st.buf.expire(ctx.clock.now())) {
    const f = e.first;
    if (!f) continue;
    if (f.family === 6) {
      const r = icmpError6(3, 1, {}, f.bytes, f.dst, { faults: ctx.xopts.faults });
      if (r.kind === 'icmp-error') out.push({ side: 6, bytes: encode(r.packet) });
    } else {
      const r = icmpError4(11, 1, {}, f.bytes, f.dst, { faults: ctx.xopts.faults, ipv4Id: nextId(ctx) });
      if (r.kind === 'icmp-error') out.push({ side: 4, bytes: encode(r.packet) });
    }
  }
}

// ---------------------------------------------------------------- leaving the translator

/** Pieces no longer than `max` octets of data (a multiple of 8), the cut ones with more = true except the last. */
export function fitPieces(pieces: Piece[], max: number): Piece[] {
  const out: Piece[] = [];
  for (const p of pieces) {
    if (p.length <= max) {
      out.push(p);
      continue;
    }
    for (let at = 0; at < p.length; at += max) {
      const length = Math.min(max, p.length - at);
      out.push({ offset: p.offset + at, length, more: at + length < p.length ? true : p.more });
    }
  }
  return out;
}

/** Octets of upper-layer header at the start of `upper` (TCP: Data Offset, options included); 0 for other protocols. */
export function upperHeaderLength(protocol: number, upper: Buffer): number {
  if (protocol === 6) return upper.length >= 13 ? Math.max(20, (upper[12] >> 4) * 4) : 20;
  return headerNeeded(protocol);
}

/**
 * `pieces` (in offset order) with the offset-0 piece merged with the pieces
 * that follow until it reaches `need` octets (RFC 8200 §4.5: the upper-layer
 * header is in the first fragment). Non-last pieces are multiples of 8, so
 * the merged one is too; the other boundaries stay as they were.
 */
export function firstPieceHolds(pieces: Piece[], need: number): Piece[] {
  if (!pieces.length || pieces[0].offset !== 0 || pieces[0].length >= need) return pieces;
  let first = { ...pieces[0] };
  let i = 1;
  while (first.length < need && first.more && i < pieces.length) {
    const p = pieces[i++];
    first = { offset: 0, length: first.length + p.length, more: p.more };
  }
  return [first, ...pieces.slice(i)];
}

function ordered<T>(ctx: Ctx, list: T[]): T[] {
  // FAULT fragments-reversed: fragments leave last first.
  return has(ctx, 'fragments-reversed') ? [...list].reverse() : list;
}

/** IPv4 fragments of a translated packet (20-octet header: the translation carries no options). */
function emit4Fragments(ctx: Ctx, out: Out, p4: Packet, bytes: Buffer, pieces: Piece[], id: number, layout: boolean): void {
  const h = p4.ipv4!;
  const ihl = (bytes[0] & 0x0f) * 4;
  const upper = bytes.subarray(ihl, bytes.length);
  // What a fault made the declared Total Length differ by, kept on every fragment.
  const delta = bytes.readUInt16BE(2) - bytes.length;
  const ignored = layout && has(ctx, 'fragment-header-ignored');
  for (const p of ordered(ctx, pieces)) {
    const size = 20 + p.length;
    const df = has(ctx, 'df-always-set') ? true : ignored ? size > 1260 : false; // FAULT df-always-set / fragment-header-ignored
    const frag: Packet = {
      ipv4: {
        tos: h.tos,
        // FAULT fragment-header-ignored: each piece leaves as a whole packet (MF 0, offset 0, generator's ID, DF by size).
        id: ignored ? (h.id ?? 0) : id,
        reservedFlag: false,
        df,
        mf: ignored ? false : p.more,
        fragOffset: ignored ? 0 : p.offset / 8,
        ttl: h.ttl,
        protocol: bytes[9],
        src: h.src,
        dst: h.dst,
        ...(delta !== 0 ? { totalLength: size + delta } : {}),
      },
      payload: upper.subarray(p.offset, p.offset + p.length),
    };
    out.push({ side: 4, bytes: encode(frag) });
  }
}

/** IPv6 fragments (each with a Fragment Header) of a translated packet. */
function emit6Fragments(ctx: Ctx, out: Out, p6: Packet, upper: Buffer, protocol: number, pieces: Piece[], id: number, layout: boolean): void {
  const h = p6.ipv6!;
  const ignored = layout && has(ctx, 'fragment-header-ignored');
  for (const p of ordered(ctx, pieces)) {
    const base = { trafficClass: h.trafficClass, flowLabel: h.flowLabel, hopLimit: h.hopLimit, src: h.src, dst: h.dst };
    const frag: Packet = {
      // FAULT fragment-header-ignored: the pieces leave without a Fragment Header.
      ipv6: ignored
        ? { ...base, nextHeader: protocol, extensions: [] }
        : { ...base, extensions: [{ kind: 'fragment', nextHeader: protocol, reserved: 0, offset: p.offset / 8, res: 0, m: p.more, id }] },
      payload: upper.subarray(p.offset, p.offset + p.length),
    };
    out.push({ side: 6, bytes: encode(frag) });
  }
}

/**
 * A translated packet leaving on the IPv4 side (RFC 7915 §5, §5.1.1, §1.4).
 * `in6` is the IPv6 packet as it arrived, quoted by a Packet Too Big.
 */
export function send4(ctx: Ctx, out: Out, p4: Packet, in6: Buffer): void {
  const bytes = encode(p4);
  const mtu = ctx.config.mtu.ipv4;
  const ihl = (bytes[0] & 0x0f) * 4;
  const maxData = Math.floor((mtu - ihl) / 8) * 8;
  const layout = states.get(ctx)?.layout;
  if (layout && layout.total === bytes.length - ihl) {
    emit4Fragments(ctx, out, p4, bytes, fitPieces(layout.pieces, maxData), layout.id16, true);
    return;
  }
  if (bytes.length <= mtu) {
    out.push({ side: 4, bytes });
    return;
  }
  // A reassembled datagram whose translation changed size is cut afresh; it was fragmented, so DF does not apply.
  // FAULT df-ignored: DF=1 packets are fragmented like DF=0 ones.
  if (layout || !p4.ipv4!.df || has(ctx, 'df-ignored')) {
    // FAULT no-ipv4-fragmentation: sent whole, larger than the link takes.
    if (has(ctx, 'no-ipv4-fragmentation')) out.push({ side: 4, bytes });
    else {
      const whole = [{ offset: 0, length: bytes.length - ihl, more: false }];
      emit4Fragments(ctx, out, p4, bytes, fitPieces(whole, maxData), layout?.id16 ?? p4.ipv4!.id ?? 0, false);
    }
    return;
  }
  // DF set (the IPv4 packet exceeds 1260 octets, §5): Packet Too Big with the IPv6 view of the IPv4 MTU, at least 1280.
  // FAULT ptb-wrong-mtu: the IPv4 next-hop MTU itself, unadjusted and unclamped.
  const ptbMtu = has(ctx, 'ptb-wrong-mtu') ? mtu : Math.max(MIN_IPV6_MTU, mtu + 20);
  const src = decode(in6).ipv6?.dst;
  const r = src ? icmpError6(2, 0, { mtu: ptbMtu }, in6, src, { faults: ctx.xopts.faults }) : undefined;
  if (r?.kind === 'icmp-error') out.push({ side: 6, bytes: encode(r.packet) });
  ctx.lastDrop = `translated packet of ${bytes.length} octets with DF exceeds the IPv4 next-hop MTU ${mtu}: Packet Too Big ${ptbMtu} (RFC 7915 §1.4, §5)`;
}

/**
 * A translated packet leaving on the IPv6 side (RFC 7915 §4, §4.1, §1.4).
 * `in4` is the IPv4 packet as it arrived (its DF bit decides; it is quoted by
 * a Fragmentation Needed); absent for hairpinned packets, which came from the
 * IPv6 side and are no larger than they arrived.
 */
export function send6(ctx: Ctx, out: Out, p6: Packet, in4?: { pkt: Packet; bytes: Buffer }): void {
  const bytes = encode(p6);
  const decoded = decode(bytes);
  const chain = walkExtensions(decoded);
  const upper = bytes.subarray(40 + chain.skippedLength);
  const ipv6Mtu = ctx.config.mtu.ipv6;
  // FAULT lowest-ipv6-mtu-ignored: fragments are cut for 1280 whatever lowest-ipv6-mtu says.
  const lowest = has(ctx, 'lowest-ipv6-mtu-ignored') ? MIN_IPV6_MTU : ctx.config.mtu.lowestIpv6;
  const limit = Math.min(lowest, ipv6Mtu);
  const maxData = Math.floor((limit - 48) / 8) * 8;
  const layout = states.get(ctx)?.layout;
  if (layout && layout.total === upper.length) {
    const pieces = firstPieceHolds(layout.pieces, upperHeaderLength(chain.protocol, upper));
    emit6Fragments(ctx, out, p6, upper, chain.protocol, fitPieces(pieces, maxData), layout.id16, true);
    return;
  }
  const whole = [{ offset: 0, length: upper.length, more: false }];
  if (layout) {
    emit6Fragments(ctx, out, p6, upper, chain.protocol, fitPieces(whole, maxData), layout.id16, false);
    return;
  }
  const h4 = in4?.pkt.ipv4;
  if (!h4) {
    out.push({ side: 6, bytes });
    return;
  }
  // FAULT df-ignored: DF=1 packets are fragmented like DF=0 ones.
  if (h4.df && !has(ctx, 'df-ignored')) {
    if (bytes.length <= ipv6Mtu) {
      out.push({ side: 6, bytes }); // path MTU discovery works end to end (§4): no Fragment Header
      return;
    }
    // §4.1: Total Length + 20 exceeds the next-hop MTU: Fragmentation Needed, MTU as the IPv4 sender must see it.
    // FAULT frag-needed-wrong-mtu: the IPv6 MTU, not adjusted for the 20 octets the translation adds.
    const mtu4 = has(ctx, 'frag-needed-wrong-mtu') ? ipv6Mtu : ipv6Mtu - 20;
    const r = icmpError4(3, 4, { mtu: mtu4 }, in4!.bytes, h4.dst, { faults: ctx.xopts.faults, ipv4Id: nextId(ctx) });
    if (r.kind === 'icmp-error') out.push({ side: 4, bytes: encode(r.packet) });
    ctx.lastDrop = `IPv4 packet with DF translates to ${bytes.length} octets, over the IPv6 next-hop MTU ${ipv6Mtu}: Fragmentation Needed ${mtu4} (RFC 7915 §4.1)`;
    return;
  }
  // DF clear: fits as it is (no atomic fragment, §4 MUST NOT), or is cut into Fragment Header pieces (§4.1 SHOULD).
  // FAULT no-ipv6-fragmentation: sent whole whatever its size.
  if (bytes.length <= limit || has(ctx, 'no-ipv6-fragmentation')) {
    out.push({ side: 6, bytes });
    return;
  }
  emit6Fragments(ctx, out, p6, upper, chain.protocol, fitPieces(whole, maxData), h4.id ?? 0, false);
}
