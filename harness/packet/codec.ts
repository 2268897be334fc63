/**
 * Encode and decode packets of the model in ./types.
 *
 * `encode` fills in everything the caller leaves out (lengths, the next-header
 * chain, checksums, defaults) and writes exactly what the caller sets, so a
 * wrong checksum or a lying length is as easy to craft as a valid packet.
 * `decode` never throws: whatever is malformed or cut short is recorded in
 * `notes`, and `encode(decode(bytes))` gives the same bytes back.
 */
import { parseIPv4, parseIPv6 } from './address';
import { internetChecksum, pseudoHeaderSum4, pseudoHeaderSum6 } from './checksum';
import { decodeIcmp, encodeIcmp } from './icmp';
import { decodeIPv4Header, encodeIPv4Header } from './ipv4';
import { EXT_PROTO, decodeIPv6Header, encodeExtension, encodeIPv6Header, finalDestination } from './ipv6';
import { decodeTCP, decodeUDP, encodeTCP, encodeUDP } from './transport';
import { Packet, PROTO } from './types';

export interface EncodeOptions {
  /** Leave checksums that the caller did not set as zero instead of computing them. */
  noChecksums?: boolean;
}

/** Computes the pseudo-header sum for an upper-layer protocol and length; undefined where none applies. */
type PseudoSum = (protocol: number, length: number) => number | undefined;

const EMPTY = Buffer.alloc(0);

/** The protocol number of the packet's upper layer (what the IP header or last extension header names). */
export function upperProtocolOf(p: Packet): number {
  if (p.udp) return PROTO.UDP;
  if (p.tcp) return PROTO.TCP;
  if (p.icmpv6) return PROTO.ICMPV6;
  if (p.icmpv4) return PROTO.ICMP;
  return PROTO.IPV6_NONXT;
}

function encodeUpper(p: Packet, pseudo: PseudoSum, opts: EncodeOptions): Buffer {
  const payload = p.payload ?? EMPTY;
  const fill = (bytes: Buffer, at: number, set: number | undefined, sum: number | undefined, zeroAsOnes: boolean) => {
    if (set !== undefined || opts.noChecksums || sum === undefined) return bytes;
    let c = internetChecksum(bytes, sum);
    // RFC 768: a computed zero is sent as all ones, since zero means "no checksum".
    if (c === 0 && zeroAsOnes) c = 0xffff;
    bytes.writeUInt16BE(c, at);
    return bytes;
  };
  if (p.udp) {
    const b = encodeUDP(p.udp, payload);
    return fill(b, 6, p.udp.checksum, pseudo(PROTO.UDP, b.length), true);
  }
  if (p.tcp) {
    const b = encodeTCP(p.tcp, payload);
    return fill(b, 16, p.tcp.checksum, pseudo(PROTO.TCP, b.length), false);
  }
  const icmp = p.icmpv4 ?? p.icmpv6;
  if (icmp) {
    const version = p.icmpv4 ? 4 : 6;
    const quote = icmp.quote ? encode(icmp.quote, opts) : undefined;
    const b = encodeIcmp(version, icmp, quote, payload);
    const sum = version === 4 ? 0 : pseudo(PROTO.ICMPV6, b.length);
    return fill(b, 2, icmp.checksum, sum, false);
  }
  return payload;
}

/** Bytes of a packet. Every field left out is filled in: lengths, next-header chain, checksums, defaults. */
export function encode(p: Packet, opts: EncodeOptions = {}): Buffer {
  const trailer = p.trailer ?? EMPTY;
  if (p.ipv4) {
    const h = p.ipv4;
    const src = parseIPv4(h.src);
    const dst = parseIPv4(h.dst);
    const upper = encodeUpper(p, (proto, len) => pseudoHeaderSum4(src, dst, proto, len), opts);
    const hdr = encodeIPv4Header(opts.noChecksums && h.checksum === undefined ? { ...h, checksum: 0 } : h, upperProtocolOf(p), upper.length);
    return Buffer.concat([hdr, upper, trailer]);
  }
  if (p.ipv6) {
    const h = p.ipv6;
    const src = parseIPv6(h.src);
    const dst = parseIPv6(finalDestination(h));
    const upper = encodeUpper(p, (proto, len) => pseudoHeaderSum6(src, dst, proto, len), opts);
    const exts = h.extensions ?? [];
    const parts: Buffer[] = [];
    exts.forEach((e, i) => {
      const next = i + 1 < exts.length ? EXT_PROTO[exts[i + 1].kind] : upperProtocolOf(p);
      parts.push(encodeExtension(e, next));
    });
    const extBytes = Buffer.concat(parts);
    const first = exts.length ? EXT_PROTO[exts[0].kind] : upperProtocolOf(p);
    const hdr = encodeIPv6Header(h, first, extBytes.length + upper.length);
    return Buffer.concat([hdr, extBytes, upper, trailer]);
  }
  // A bare upper layer (no IP header): there is no pseudo-header, so checksums other than ICMPv4's stay zero.
  return Buffer.concat([encodeUpper(p, () => undefined, opts), trailer]);
}

/**
 * Decode the upper layer found at [off, end). `fragmented`: the packet is
 * a first fragment or later (its upper-layer data is incomplete).
 */
function decodeUpper(out: Packet, protocol: number, buf: Buffer, off: number, end: number, notes: string[], depth: number): void {
  const rest = () => (end > off ? Buffer.from(buf.subarray(off, end)) : undefined);
  const short = (layer: string, need: number) => {
    notes.push(`${layer}: header cut short (${end - off} of ${need} bytes)`);
    out.payload = rest();
  };
  switch (protocol) {
    case PROTO.UDP:
      if (end - off < 8) return short('udp', 8);
      out.udp = decodeUDP(buf, off, end, notes);
      off += 8;
      break;
    case PROTO.TCP: {
      if (end - off < 20) return short('tcp', 20);
      const t = decodeTCP(buf, off, end, notes);
      out.tcp = t.header;
      off = t.payloadStart;
      break;
    }
    case PROTO.ICMP:
    case PROTO.ICMPV6: {
      const layer = protocol === PROTO.ICMP ? 'icmpv4' : 'icmpv6';
      if (end - off < 8) return short(layer, 8);
      const version = protocol === PROTO.ICMP ? 4 : 6;
      const d = decodeIcmp(version, buf, off, end, notes);
      if (d.quoteBytes) {
        d.header.quote = depth < 4 ? decode(d.quoteBytes, depth + 1) : { payload: d.quoteBytes, notes: ['quote nested too deep to decode'] };
      }
      out[layer] = d.header;
      off = d.payloadStart;
      end = d.payloadEnd;
      break;
    }
    default:
      break;
  }
  out.payload = rest();
}

function finish(p: Packet, buf: Buffer, end: number, notes: string[]): Packet {
  if (end < buf.length) p.trailer = Buffer.from(buf.subarray(end));
  if (notes.length) p.notes = notes;
  return p;
}

/** Decode an IPv4 or IPv6 packet (the version nibble decides). Never throws: problems become `notes`. */
export function decode(bytes: Uint8Array, depth = 0): Packet {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const notes: string[] = [];
  const version = buf.length ? buf[0] >> 4 : -1;
  if (version === 4 && buf.length >= 20) {
    const d = decodeIPv4Header(buf, notes);
    const p: Packet = { ipv4: d.header };
    if (d.header.fragOffset > 0) p.payload = d.payloadEnd > d.payloadStart ? Buffer.from(buf.subarray(d.payloadStart, d.payloadEnd)) : undefined;
    else decodeUpper(p, d.header.protocol, buf, d.payloadStart, d.payloadEnd, notes, depth);
    return finish(p, buf, d.payloadEnd, notes);
  }
  if (version === 6 && buf.length >= 40) {
    const d = decodeIPv6Header(buf, notes);
    const p: Packet = { ipv6: d.header };
    if (d.fragment && d.fragment.offset > 0) p.payload = d.payloadEnd > d.payloadStart ? Buffer.from(buf.subarray(d.payloadStart, d.payloadEnd)) : undefined;
    else decodeUpper(p, d.upperProtocol, buf, d.payloadStart, d.payloadEnd, notes, depth);
    return finish(p, buf, d.payloadEnd, notes);
  }
  notes.push(
    version === 4 || version === 6
      ? `ipv${version}: header cut short (${buf.length} bytes)`
      : `not an IP packet (version nibble ${version < 0 ? 'absent' : version})`,
  );
  return { payload: buf.length ? Buffer.from(buf) : undefined, notes };
}

type ChecksumLayer = 'ipv4' | 'udp' | 'tcp' | 'icmpv4' | 'icmpv6';

/** True when the packet's upper layer is all there (not a fragment, not cut short), so its checksum is computable. */
export function upperLayerComplete(p: Packet): boolean {
  if (p.notes?.some((n) => /truncated|cut short/.test(n))) return false;
  if (p.ipv4) {
    if (p.ipv4.mf || (p.ipv4.fragOffset ?? 0) > 0) return false;
    return true;
  }
  if (p.ipv6) {
    const f = p.ipv6.extensions?.find((e) => e.kind === 'fragment');
    if (f && f.kind === 'fragment' && (f.m || (f.offset ?? 0) > 0)) return false;
    return true;
  }
  return false;
}

/**
 * The checksum each layer should carry given the packet's other fields as
 * they are; undefined for a layer whose checksum cannot be computed (a
 * fragment, a truncated quote, ICMPv6 without an IPv6 header).
 */
export function expectedChecksums(p: Packet): Partial<Record<ChecksumLayer, number>> {
  const out: Partial<Record<ChecksumLayer, number>> = {};
  if (p.ipv4) {
    const b = encodeIPv4Header({ ...p.ipv4, checksum: undefined }, 0, 0);
    out.ipv4 = b.readUInt16BE(10);
  }
  if (!upperLayerComplete(p)) return out;
  const recompute = (layer: 'udp' | 'tcp' | 'icmpv4' | 'icmpv6') => {
    const copy: Packet = { ...p, [layer]: { ...p[layer], checksum: undefined } };
    const d = decode(encode(copy));
    return d[layer]?.checksum;
  };
  if (p.udp) out.udp = recompute('udp');
  if (p.tcp) out.tcp = recompute('tcp');
  if (p.icmpv4) out.icmpv4 = recompute('icmpv4');
  if (p.icmpv6 && p.ipv6) out.icmpv6 = recompute('icmpv6');
  return out;
}

/** Whether each checksum present in the packet is right; a layer absent from the result could not be checked. */
export function checksumsValid(p: Packet): Partial<Record<ChecksumLayer, boolean>> {
  const exp = expectedChecksums(p);
  const out: Partial<Record<ChecksumLayer, boolean>> = {};
  for (const layer of Object.keys(exp) as ChecksumLayer[]) {
    const seen = p[layer]?.checksum;
    if (seen === undefined || exp[layer] === undefined) continue;
    // UDP over IPv4 may carry zero ("no checksum", RFC 768); it is not a wrong checksum.
    out[layer] = seen === exp[layer] || (layer === 'udp' && !!p.ipv4 && seen === 0);
  }
  return out;
}
