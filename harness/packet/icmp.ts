/**
 * ICMPv4 (RFC 792) and ICMPv6 (RFC 4443) messages: the per-type layout of the
 * second word, error quotes, and the RFC 4884 length field and extension
 * structure.
 */
import { formatIPv4, parseIPv4 } from './address';
import { internetChecksum } from './checksum';
import { ICMPCommon, ICMPExtensions, ICMPv4Header } from './types';

export type IcmpVersion = 4 | 6;

/** How the 32 bits after type/code/checksum are laid out. */
type Layout =
  | { kind: 'echo' }
  | { kind: 'gateway' }
  | { kind: 'raw' }
  | { kind: 'fields'; length?: number; mtu?: number; pointer?: number; pointerBits?: 8 | 32; unusedMask: number };

/** Bit position (shift) of each named field in the second word. */
function layoutOf(version: IcmpVersion, type: number): Layout {
  if (version === 4) {
    switch (type) {
      case 0: case 8: case 13: case 14: case 15: case 16: case 17: case 18:
        return { kind: 'echo' };
      case 3: // RFC 4884: octet 5 is the length; octets 6-7 the next-hop MTU (RFC 1191)
        return { kind: 'fields', length: 16, mtu: 0, unusedMask: 0xff000000 };
      case 11:
        return { kind: 'fields', length: 16, unusedMask: 0xff00ffff };
      case 12:
        return { kind: 'fields', pointer: 24, pointerBits: 8, length: 16, unusedMask: 0x0000ffff };
      case 5:
        return { kind: 'gateway' };
      case 4:
        return { kind: 'fields', unusedMask: 0xffffffff };
      default:
        return { kind: 'raw' };
    }
  }
  switch (type) {
    case 128: case 129:
      return { kind: 'echo' };
    case 1: case 3: // RFC 4884: the first octet of the second word is the length
      return { kind: 'fields', length: 24, unusedMask: 0x00ffffff };
    case 2:
      return { kind: 'fields', mtu: 0, unusedMask: 0 };
    case 4:
      return { kind: 'fields', pointer: 0, pointerBits: 32, unusedMask: 0 };
    default:
      return { kind: 'raw' };
  }
}

export function isIcmpError(version: IcmpVersion, type: number): boolean {
  return version === 4 ? [3, 4, 5, 11, 12].includes(type) : type >= 0 && type < 128;
}

/** Types whose second word carries an RFC 4884 length. */
export function hasLengthField(version: IcmpVersion, type: number): boolean {
  return version === 4 ? [3, 11, 12].includes(type) : [1, 3].includes(type);
}

/** RFC 4884 unit of the length field: 32-bit words for ICMPv4, 64-bit words for ICMPv6. */
export function lengthUnit(version: IcmpVersion): number {
  return version === 4 ? 4 : 8;
}

export function encodeSecondWord(version: IcmpVersion, h: ICMPv4Header): number {
  const l = layoutOf(version, h.type);
  switch (l.kind) {
    case 'echo':
      return (((h.id ?? 0) & 0xffff) << 16 | ((h.seq ?? 0) & 0xffff)) >>> 0;
    case 'gateway':
      return h.gateway ? parseIPv4(h.gateway).readUInt32BE(0) : (h.rest ?? 0) >>> 0;
    case 'raw':
      return (h.rest ?? 0) >>> 0;
    case 'fields': {
      let w = (h.unused ?? 0) & l.unusedMask;
      if (l.length !== undefined) w |= ((h.length ?? 0) & 0xff) << l.length;
      if (l.mtu !== undefined) w |= l.unusedMask === 0 ? (h.mtu ?? 0) >>> 0 : (h.mtu ?? 0) & 0xffff;
      if (l.pointer !== undefined) w |= l.pointerBits === 8 ? ((h.pointer ?? 0) & 0xff) << l.pointer : (h.pointer ?? 0) >>> 0;
      return w >>> 0;
    }
  }
}

export function decodeSecondWord(version: IcmpVersion, type: number, w: number): Partial<ICMPv4Header> {
  const l = layoutOf(version, type);
  switch (l.kind) {
    case 'echo':
      return { id: w >>> 16, seq: w & 0xffff };
    case 'gateway': {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(w, 0);
      return { gateway: formatIPv4(b) };
    }
    case 'raw':
      return { rest: w };
    case 'fields': {
      const out: Partial<ICMPv4Header> = {};
      if (l.pointer !== undefined) out.pointer = l.pointerBits === 8 ? (w >>> l.pointer) & 0xff : w;
      if (l.length !== undefined) out.length = (w >>> l.length) & 0xff;
      if (l.mtu !== undefined) out.mtu = l.unusedMask === 0 ? w : w & 0xffff;
      if (l.unusedMask !== 0) out.unused = (w & l.unusedMask) >>> 0;
      return out;
    }
  }
}

export function encodeExtensions(e: ICMPExtensions): Buffer {
  const objects = e.objects.map((o) => {
    const hdr = Buffer.alloc(4);
    hdr.writeUInt16BE((o.length ?? o.data.length + 4) & 0xffff, 0);
    hdr[2] = o.classNum;
    hdr[3] = o.cType;
    return Buffer.concat([hdr, o.data]);
  });
  const hdr = Buffer.alloc(4);
  hdr.writeUInt16BE((((e.version ?? 2) & 0xf) << 12) | ((e.reserved ?? 0) & 0xfff), 0);
  const out = Buffer.concat([hdr, ...objects]);
  out.writeUInt16BE(e.checksum ?? internetChecksum(out), 2);
  return out;
}

/**
 * `consumed`, when given, receives the offset where the structure ends: 1-3
 * stray bytes after the last whole object are not an object, so they are left
 * to the caller (as payload, which `encodeIcmp` writes after the extensions).
 */
export function decodeExtensions(buf: Buffer, start: number, end: number, notes: string[], consumed?: { end: number }): ICMPExtensions {
  const w = buf.readUInt16BE(start);
  const ext: ICMPExtensions = { version: w >> 12, reserved: w & 0xfff, checksum: buf.readUInt16BE(start + 2), objects: [] };
  if (ext.version !== 2) notes.push(`icmp: extension structure version ${ext.version} (RFC 4884 requires 2)`);
  let i = start + 4;
  while (i < end) {
    if (i + 4 > end) {
      notes.push(`icmp: ${end - i} stray bytes after the last extension object`);
      if (consumed) consumed.end = i;
      break;
    }
    const length = buf.readUInt16BE(i);
    const classNum = buf[i + 2];
    const cType = buf[i + 3];
    if (length < 4 || i + length > end) {
      notes.push(`icmp: extension object length ${length} does not fit the ${end - i} bytes left`);
      ext.objects.push({ classNum, cType, length, data: Buffer.from(buf.subarray(i + 4, end)) });
      break;
    }
    ext.objects.push({ classNum, cType, length, data: Buffer.from(buf.subarray(i + 4, i + length)) });
    i += length;
  }
  return ext;
}

/**
 * The body that follows the 8-octet header of an error message: the quote,
 * zero-padded as RFC 4884 requires when extensions follow, then the
 * extensions. Returns the length field value to write when the caller left it out.
 */
export function encodeErrorBody(version: IcmpVersion, h: ICMPCommon, quote: Buffer): { body: Buffer; length: number } {
  if (!h.extensions) return { body: quote, length: h.length ?? 0 };
  const unit = lengthUnit(version);
  let q = quote;
  if (h.length === undefined) {
    const padded = Math.max(128, Math.ceil(quote.length / unit) * unit);
    q = Buffer.concat([quote, Buffer.alloc(padded - quote.length)]);
  }
  return { body: Buffer.concat([q, encodeExtensions(h.extensions)]), length: h.length ?? q.length / unit };
}

/** Header and body of an ICMP message; the checksum is left as set (or zero) for the caller to fill. */
export function encodeIcmp(version: IcmpVersion, h: ICMPv4Header, quote: Buffer | undefined, payload: Buffer): Buffer {
  let body = payload;
  let fields: ICMPv4Header = h;
  if (quote !== undefined || h.extensions) {
    const e = encodeErrorBody(version, h, quote ?? Buffer.alloc(0));
    body = Buffer.concat([e.body, payload]);
    if (hasLengthField(version, h.type)) fields = { ...h, length: e.length };
  }
  const b = Buffer.alloc(8);
  b[0] = h.type & 0xff;
  b[1] = (h.code ?? 0) & 0xff;
  b.writeUInt16BE((h.checksum ?? 0) & 0xffff, 2);
  b.writeUInt32BE(encodeSecondWord(version, fields), 4);
  return Buffer.concat([b, body]);
}

export interface DecodedIcmp {
  header: ICMPv4Header;
  /** Bytes of the quoted datagram of an error, to be decoded as a packet. */
  quoteBytes?: Buffer;
  /** Where the remaining payload (echo data, or bytes after an error's body) lies. */
  payloadStart: number;
  payloadEnd: number;
}

/** Caller guarantees 8 bytes at `off`. */
export function decodeIcmp(version: IcmpVersion, buf: Buffer, off: number, end: number, notes: string[]): DecodedIcmp {
  const type = buf[off];
  const header: ICMPv4Header = {
    type,
    code: buf[off + 1],
    checksum: buf.readUInt16BE(off + 2),
    ...decodeSecondWord(version, type, buf.readUInt32BE(off + 4)),
  };
  const bodyStart = off + 8;
  if (!isIcmpError(version, type) || bodyStart >= end) return { header, payloadStart: bodyStart, payloadEnd: end };
  let quoteEnd = end;
  const layer = `icmpv${version}`;
  if (hasLengthField(version, type) && header.length) {
    const qLen = header.length * lengthUnit(version);
    if (bodyStart + qLen > end) {
      notes.push(`${layer}: RFC 4884 length ${header.length} (${qLen} bytes) exceeds the ${end - bodyStart} bytes of the body`);
    } else {
      quoteEnd = bodyStart + qLen;
      if (end - quoteEnd >= 4) {
        const consumed = { end };
        header.extensions = decodeExtensions(buf, quoteEnd, end, notes, consumed);
        return { header, quoteBytes: Buffer.from(buf.subarray(bodyStart, quoteEnd)), payloadStart: consumed.end, payloadEnd: end };
      }
      if (end > quoteEnd) notes.push(`${layer}: ${end - quoteEnd} bytes after the quote are too short for an extension structure`);
      return { header, quoteBytes: Buffer.from(buf.subarray(bodyStart, quoteEnd)), payloadStart: quoteEnd, payloadEnd: end };
    }
  }
  return { header, quoteBytes: Buffer.from(buf.subarray(bodyStart, quoteEnd)), payloadStart: end, payloadEnd: end };
}
