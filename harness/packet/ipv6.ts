/** IPv6 fixed header and extension headers (RFC 8200) encoding and decoding. */
import { formatIPv6, parseIPv6 } from './address';
import { ExtensionHeader, IPv6Header, IPv6Option, PROTO } from './types';

const EXT_KIND: Record<number, ExtensionHeader['kind']> = {
  [PROTO.HOPOPT]: 'hop-by-hop',
  [PROTO.IPV6_ROUTE]: 'routing',
  [PROTO.IPV6_FRAG]: 'fragment',
  [PROTO.IPV6_OPTS]: 'destination',
};

export const EXT_PROTO: Record<ExtensionHeader['kind'], number> = {
  'hop-by-hop': PROTO.HOPOPT,
  routing: PROTO.IPV6_ROUTE,
  fragment: PROTO.IPV6_FRAG,
  destination: PROTO.IPV6_OPTS,
};

export function isExtensionProtocol(proto: number): boolean {
  return EXT_KIND[proto] !== undefined;
}

/** TLV bytes, padded to whole 8-octet units unless `pad` is false (hdrExtLen set by the caller). */
function encodeTlvOptions(options: IPv6Option[] | undefined, pad = true): Buffer {
  const parts: Buffer[] = [];
  for (const o of options ?? []) {
    if (o.type === 0 || o.bare) {
      parts.push(Buffer.from([o.type & 0xff]));
      continue;
    }
    const data = o.data ?? Buffer.alloc(0);
    parts.push(Buffer.from([o.type & 0xff, (o.length ?? data.length) & 0xff]), data);
  }
  let raw = Buffer.concat(parts);
  if (!pad) return raw;
  // Options plus the 2 leading octets must fill whole 8-octet units: pad with Pad1 or PadN.
  const n = (8 - ((raw.length + 2) % 8)) % 8;
  if (n === 1) raw = Buffer.concat([raw, Buffer.from([0])]);
  else if (n > 1) raw = Buffer.concat([raw, Buffer.from([1, n - 2]), Buffer.alloc(n - 2)]);
  return raw;
}

function decodeTlvOptions(buf: Buffer, start: number, end: number, notes: string[], where: string): IPv6Option[] {
  const out: IPv6Option[] = [];
  let i = start;
  while (i < end) {
    const type = buf[i];
    if (type === 0) {
      out.push({ type });
      i++;
      continue;
    }
    if (i + 1 >= end) {
      notes.push(`${where}: option ${type} has no length octet`);
      out.push({ type, bare: true });
      break;
    }
    const length = buf[i + 1];
    if (i + 2 + length > end) {
      notes.push(`${where}: option ${type} length ${length} runs past the header`);
      out.push({ type, length, data: Buffer.from(buf.subarray(i + 2, end)) });
      break;
    }
    out.push({ type, length, data: Buffer.from(buf.subarray(i + 2, i + 2 + length)) });
    i += 2 + length;
  }
  return out;
}

/** One extension header; `next` is the Next Header value to write when the header does not set its own. */
export function encodeExtension(e: ExtensionHeader, next: number): Buffer {
  const nh = e.nextHeader ?? next;
  if (e.kind === 'fragment') {
    const b = Buffer.alloc(8);
    b[0] = nh;
    b[1] = e.reserved ?? 0;
    b.writeUInt16BE((((e.offset ?? 0) & 0x1fff) << 3) | (((e.res ?? 0) & 3) << 1) | (e.m ? 1 : 0), 2);
    b.writeUInt32BE((e.id ?? 0) >>> 0, 4);
    return b;
  }
  let body: Buffer;
  if (e.kind === 'routing') {
    const data = e.data ?? Buffer.alloc(4);
    body = Buffer.concat([Buffer.from([e.routingType ?? 0, e.segmentsLeft ?? 0]), data]);
    const n = (8 - ((body.length + 2) % 8)) % 8;
    if (n && e.hdrExtLen === undefined) body = Buffer.concat([body, Buffer.alloc(n)]);
  } else {
    body = encodeTlvOptions(e.options, e.hdrExtLen === undefined);
  }
  const hdrExtLen = e.hdrExtLen ?? (body.length + 2) / 8 - 1;
  return Buffer.concat([Buffer.from([nh, hdrExtLen & 0xff]), body]);
}

/** The destination that upper-layer checksums use (RFC 8200 §8.1): the last hop of a routing header. */
export function finalDestination(h: IPv6Header): string {
  for (const e of h.extensions ?? []) {
    if (e.kind !== 'routing' || !e.segmentsLeft || !e.data) continue;
    const t = e.routingType ?? 0;
    // Types 0 and 2: 4 reserved octets, then the addresses; the last one is the final destination.
    const n = Math.floor((e.data.length - 4) / 16);
    if ((t === 0 || t === 2) && n >= 1) return formatIPv6(e.data, 4 + 16 * (n - 1));
    // Segment Routing Header: the final segment is Segment List[0], after 4 octets of last-entry/flags/tag.
    if (t === 4 && e.data.length >= 20) return formatIPv6(e.data, 4);
  }
  return h.dst;
}

export function encodeIPv6Header(h: IPv6Header, firstNext: number, payloadLength: number): Buffer {
  const b = Buffer.alloc(40);
  const word0 =
    (((h.version ?? 6) & 0x0f) << 28) | (((h.trafficClass ?? 0) & 0xff) << 20) | ((h.flowLabel ?? 0) & 0xfffff);
  b.writeUInt32BE(word0 >>> 0, 0);
  b.writeUInt16BE((h.payloadLength ?? payloadLength) & 0xffff, 4);
  b[6] = h.nextHeader ?? firstNext;
  b[7] = h.hopLimit ?? 64;
  parseIPv6(h.src).copy(b, 8);
  parseIPv6(h.dst).copy(b, 24);
  return b;
}

export interface DecodedIPv6 {
  header: IPv6Header & { extensions: ExtensionHeader[] };
  /** Protocol of what follows the last extension header. */
  upperProtocol: number;
  payloadStart: number;
  payloadEnd: number;
  truncated: boolean;
  /** Offset of a Fragment Header, when present, and whether the upper layer starts in this fragment. */
  fragment?: { offset: number; m: boolean };
}

/** Caller guarantees at least 40 bytes. */
export function decodeIPv6Header(buf: Buffer, notes: string[]): DecodedIPv6 {
  const word0 = buf.readUInt32BE(0);
  const payloadLength = buf.readUInt16BE(4);
  const header: DecodedIPv6['header'] = {
    version: word0 >>> 28,
    trafficClass: (word0 >>> 20) & 0xff,
    flowLabel: word0 & 0xfffff,
    payloadLength,
    nextHeader: buf[6],
    hopLimit: buf[7],
    src: formatIPv6(buf, 8),
    dst: formatIPv6(buf, 24),
    extensions: [],
  };
  let end = 40 + payloadLength;
  let truncated = false;
  if (end > buf.length) {
    notes.push(`ipv6: payloadLength ${payloadLength} > ${buf.length - 40} bytes present (truncated)`);
    truncated = true;
    end = buf.length;
  }
  let next = buf[6];
  let off = 40;
  let fragment: DecodedIPv6['fragment'];
  while (isExtensionProtocol(next)) {
    const kind = EXT_KIND[next];
    if (kind === 'hop-by-hop' && header.extensions.length > 0) {
      notes.push('ipv6: hop-by-hop options header not immediately after the IPv6 header');
    }
    if (off + 8 > end) {
      notes.push(`ipv6: ${kind} header cut short (${end - off} bytes)`);
      break;
    }
    const nh = buf[off];
    if (kind === 'fragment') {
      const w = buf.readUInt16BE(off + 2);
      const fh = { kind, nextHeader: nh, reserved: buf[off + 1], offset: w >> 3, res: (w >> 1) & 3, m: (w & 1) === 1, id: buf.readUInt32BE(off + 4) } as const;
      header.extensions.push({ ...fh });
      fragment = { offset: fh.offset, m: fh.m };
      off += 8;
      next = nh;
      if (fh.offset !== 0) break; // later fragments carry no upper-layer header
      continue;
    }
    const hdrExtLen = buf[off + 1];
    const len = (hdrExtLen + 1) * 8;
    let hEnd = off + len;
    const cut = hEnd > end;
    if (cut) {
      notes.push(`ipv6: ${kind} header length ${len} runs past the ${end - off} bytes left`);
      hEnd = end;
    }
    if (kind === 'routing') {
      header.extensions.push({
        kind,
        nextHeader: nh,
        hdrExtLen,
        routingType: buf[off + 2],
        segmentsLeft: buf[off + 3],
        data: Buffer.from(buf.subarray(off + 4, hEnd)),
      });
    } else {
      header.extensions.push({ kind, nextHeader: nh, hdrExtLen, options: decodeTlvOptions(buf, off + 2, hEnd, notes, `ipv6 ${kind}`) });
    }
    off = hEnd;
    next = nh;
    if (cut) break;
  }
  return { header, upperProtocol: next, payloadStart: off, payloadEnd: end, truncated, fragment };
}
