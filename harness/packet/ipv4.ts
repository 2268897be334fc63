/** IPv4 header (RFC 791) encoding and decoding, options included. */
import { formatIPv4, parseIPv4 } from './address';
import { internetChecksum } from './checksum';
import { IPv4Header, IPv4Option } from './types';

/**
 * Option bytes, padded with EOL to a word boundary unless `pad` is false
 * (the caller set the header length, so the bytes go out exactly as listed:
 * that is how a decoded header cut short inside its options re-encodes).
 */
export function encodeIPv4Options(options: IPv4Option[] | undefined, pad = true): Buffer {
  if (!options || options.length === 0) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  for (const o of options) {
    if (o.type === 0 || o.type === 1 || o.bare) {
      parts.push(Buffer.from([o.type & 0xff]));
      continue;
    }
    const data = o.data ?? Buffer.alloc(0);
    parts.push(Buffer.from([o.type & 0xff, (o.length ?? data.length + 2) & 0xff]), data);
  }
  const raw = Buffer.concat(parts);
  if (!pad) return raw;
  // The header length counts 32-bit words, so options end on a word boundary (EOL padding).
  const padded = Buffer.alloc(Math.ceil(raw.length / 4) * 4);
  raw.copy(padded);
  return padded;
}

export function decodeIPv4Options(buf: Buffer, start: number, end: number, notes: string[]): IPv4Option[] {
  const out: IPv4Option[] = [];
  let i = start;
  while (i < end) {
    const type = buf[i];
    if (type === 0 || type === 1) {
      out.push({ type });
      i++;
      continue;
    }
    if (i + 1 >= end) {
      notes.push(`ipv4: option ${type} at offset ${i - start} has no length octet`);
      out.push({ type, bare: true });
      // Re-encoding writes two octets where one was seen; the note says the bytes were malformed.
      break;
    }
    const length = buf[i + 1];
    if (length < 2 || i + length > end) {
      notes.push(`ipv4: option ${type} length ${length} does not fit the ${end - i} remaining option octets`);
      out.push({ type, length, data: Buffer.from(buf.subarray(i + 2, end)) });
      break;
    }
    out.push({ type, length, data: Buffer.from(buf.subarray(i + 2, i + length)) });
    i += length;
  }
  return out;
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
