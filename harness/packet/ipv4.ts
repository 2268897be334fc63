/** IPv4 header (RFC 791) encoding and decoding, options included. */
import { formatIPv4, parseIPv4 } from './address';
import { internetChecksum } from './checksum';
import { IPv4Header, IPv4Option } from './types';
import { decodeWordOptions, encodeWordOptions } from './word-options';

/** Option bytes, EOL-padded to a word unless `pad` is false (the caller set ihl, so the bytes go out as listed). */
export function encodeIPv4Options(options: IPv4Option[] | undefined, pad = true): Buffer {
  return encodeWordOptions((options ?? []).map(({ type, ...rest }) => ({ code: type, ...rest })), pad);
}

export function decodeIPv4Options(buf: Buffer, start: number, end: number, notes: string[]): IPv4Option[] {
  return decodeWordOptions(buf, start, end, notes, 'ipv4').map(({ code, ...rest }) => ({ type: code, ...rest }));
}

/** Header bytes with the checksum computed unless set; `payloadLength` drives totalLength unless set. */
export function encodeIPv4Header(h: IPv4Header, protocol: number, payloadLength: number): Buffer {
  const options = encodeIPv4Options(h.options, h.ihl === undefined);
  const hdrLen = 20 + options.length;
  const b = Buffer.alloc(hdrLen);
  b[0] = ((h.version ?? 4) << 4) | ((h.ihl ?? hdrLen / 4) & 0x0f);
  b[1] = h.tos ?? 0;
  b.writeUInt16BE((h.totalLength ?? hdrLen + payloadLength) & 0xffff, 2);
  b.writeUInt16BE((h.id ?? 0) & 0xffff, 4);
  const flags = (h.reservedFlag ? 0x8000 : 0) | (h.df ? 0x4000 : 0) | (h.mf ? 0x2000 : 0);
  b.writeUInt16BE(flags | ((h.fragOffset ?? 0) & 0x1fff), 6);
  b[8] = h.ttl ?? 64;
  b[9] = h.protocol ?? protocol;
  parseIPv4(h.src).copy(b, 12);
  parseIPv4(h.dst).copy(b, 16);
  options.copy(b, 20);
  b.writeUInt16BE(h.checksum ?? internetChecksum(b), 10);
  return b;
}

export interface DecodedIPv4 {
  header: Required<Omit<IPv4Header, 'options'>> & { options: IPv4Option[] };
  /** Offset of the payload. */
  payloadStart: number;
  /** End of the payload as far as the bytes allow. */
  payloadEnd: number;
  /** True when fewer bytes were present than totalLength declares. */
  truncated: boolean;
}

/** Caller guarantees at least 20 bytes. */
export function decodeIPv4Header(buf: Buffer, notes: string[]): DecodedIPv4 {
  const ihl = buf[0] & 0x0f;
  const totalLength = buf.readUInt16BE(2);
  const flagsFrag = buf.readUInt16BE(6);
  let hdrLen = ihl * 4;
  if (ihl < 5) {
    notes.push(`ipv4: header length ${ihl} words is below the minimum of 5`);
    hdrLen = 20;
  }
  if (hdrLen > buf.length) {
    notes.push(`ipv4: header length ${hdrLen} bytes exceeds the ${buf.length} bytes present`);
    hdrLen = buf.length;
  }
  const header = {
    version: buf[0] >> 4,
    ihl,
    tos: buf[1],
    totalLength,
    id: buf.readUInt16BE(4),
    reservedFlag: (flagsFrag & 0x8000) !== 0,
    df: (flagsFrag & 0x4000) !== 0,
    mf: (flagsFrag & 0x2000) !== 0,
    fragOffset: flagsFrag & 0x1fff,
    ttl: buf[8],
    protocol: buf[9],
    checksum: buf.readUInt16BE(10),
    src: formatIPv4(buf, 12),
    dst: formatIPv4(buf, 16),
    options: decodeIPv4Options(buf, 20, hdrLen, notes),
  };
  let payloadEnd = buf.length;
  let truncated = false;
  if (totalLength < hdrLen) {
    notes.push(`ipv4: totalLength ${totalLength} is shorter than the ${hdrLen}-byte header`);
  } else if (totalLength > buf.length) {
    notes.push(`ipv4: totalLength ${totalLength} > ${buf.length} bytes present (truncated)`);
    truncated = true;
  } else {
    payloadEnd = totalLength;
  }
  return { header, payloadStart: hdrLen, payloadEnd, truncated };
}
