/** UDP (RFC 768) and TCP (RFC 9293) headers. Checksums are filled in by the caller, who knows the pseudo-header. */
import { TCPFlags, TCPHeader, TCPOption, UDPHeader } from './types';
import { decodeWordOptions, encodeWordOptions } from './word-options';

export function encodeUDP(h: UDPHeader, payload: Buffer): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16BE(h.sport & 0xffff, 0);
  b.writeUInt16BE(h.dport & 0xffff, 2);
  b.writeUInt16BE((h.length ?? 8 + payload.length) & 0xffff, 4);
  b.writeUInt16BE((h.checksum ?? 0) & 0xffff, 6);
  return Buffer.concat([b, payload]);
}

/** Caller guarantees 8 bytes at `off`. */
export function decodeUDP(buf: Buffer, off: number, end: number, notes: string[]): Required<UDPHeader> {
  const h = {
    sport: buf.readUInt16BE(off),
    dport: buf.readUInt16BE(off + 2),
    length: buf.readUInt16BE(off + 4),
    checksum: buf.readUInt16BE(off + 6),
  };
  if (h.length !== end - off) notes.push(`udp: length ${h.length} but ${end - off} bytes follow the IP header`);
  return h;
}

/** Option bytes, EOL-padded to a word unless `pad` is false (data offset set by the caller). */
export function encodeTCPOptions(options: TCPOption[] | undefined, pad = true): Buffer {
  return encodeWordOptions((options ?? []).map(({ kind, ...rest }) => ({ code: kind, ...rest })), pad);
}

const FLAG_BITS: [keyof TCPFlags, number][] = [
  ['cwr', 0x80],
  ['ece', 0x40],
  ['urg', 0x20],
  ['ack', 0x10],
  ['psh', 0x08],
  ['rst', 0x04],
  ['syn', 0x02],
  ['fin', 0x01],
];

export function encodeTCP(h: TCPHeader, payload: Buffer): Buffer {
  const options = encodeTCPOptions(h.options, h.dataOffset === undefined);
  const hdrLen = 20 + options.length;
  const b = Buffer.alloc(hdrLen);
  // A TCP segment with no flags at all is rarely what a caller means; SYN is the default, as in Scapy.
  const flags = h.flags ?? { syn: true };
  b.writeUInt16BE(h.sport & 0xffff, 0);
  b.writeUInt16BE(h.dport & 0xffff, 2);
  b.writeUInt32BE((h.seq ?? 0) >>> 0, 4);
  b.writeUInt32BE((h.ack ?? 0) >>> 0, 8);
  b[12] = (((h.dataOffset ?? Math.ceil(hdrLen / 4)) & 0x0f) << 4) | (((h.reserved ?? 0) & 7) << 1) | (flags.ns ? 1 : 0);
  b[13] = FLAG_BITS.reduce((acc, [name, bit]) => (flags[name] ? acc | bit : acc), 0);
  b.writeUInt16BE((h.window ?? 65535) & 0xffff, 14);
  b.writeUInt16BE((h.checksum ?? 0) & 0xffff, 16);
  b.writeUInt16BE((h.urgent ?? 0) & 0xffff, 18);
  options.copy(b, 20);
  return Buffer.concat([b, payload]);
}

function decodeTCPOptions(buf: Buffer, start: number, end: number, notes: string[]): TCPOption[] {
  return decodeWordOptions(buf, start, end, notes, 'tcp').map(({ code, ...rest }) => ({ kind: code, ...rest }));
}

export interface DecodedTCP {
  header: Required<TCPHeader> & { flags: Required<TCPFlags> };
  payloadStart: number;
}

/** Caller guarantees 20 bytes at `off`. */
export function decodeTCP(buf: Buffer, off: number, end: number, notes: string[]): DecodedTCP {
  const dataOffset = buf[off + 12] >> 4;
  let hdrEnd = off + dataOffset * 4;
  if (dataOffset < 5) {
    notes.push(`tcp: data offset ${dataOffset} words is below the minimum of 5`);
    hdrEnd = off + 20;
  }
  if (hdrEnd > end) {
    notes.push(`tcp: data offset ${dataOffset * 4} bytes runs past the ${end - off} bytes present`);
    hdrEnd = end;
  }
  const f = buf[off + 13];
  const flags = Object.fromEntries(FLAG_BITS.map(([name, bit]) => [name, (f & bit) !== 0])) as Required<TCPFlags>;
  flags.ns = (buf[off + 12] & 1) === 1;
  return {
    header: {
      sport: buf.readUInt16BE(off),
      dport: buf.readUInt16BE(off + 2),
      seq: buf.readUInt32BE(off + 4),
      ack: buf.readUInt32BE(off + 8),
      dataOffset,
      reserved: (buf[off + 12] >> 1) & 7,
      flags,
      window: buf.readUInt16BE(off + 14),
      checksum: buf.readUInt16BE(off + 16),
      urgent: buf.readUInt16BE(off + 18),
      options: decodeTCPOptions(buf, off + 20, hdrEnd, notes),
    },
    payloadStart: hdrEnd,
  };
}

/** TCP option helpers, so a case reads `options: [mss(1460)]`. */
export function mss(value: number): TCPOption {
  const data = Buffer.alloc(2);
  data.writeUInt16BE(value, 0);
  return { kind: 2, data };
}

export function windowScale(shift: number): TCPOption {
  return { kind: 3, data: Buffer.from([shift]) };
}

export function sackPermitted(): TCPOption {
  return { kind: 4 };
}

export function timestamps(value: number, echo: number): TCPOption {
  const data = Buffer.alloc(8);
  data.writeUInt32BE(value >>> 0, 0);
  data.writeUInt32BE(echo >>> 0, 4);
  return { kind: 8, data };
}

export function nop(): TCPOption {
  return { kind: 1 };
}

/** The MSS value of a decoded option list, if any. */
export function mssOf(options: TCPOption[] | undefined): number | undefined {
  const o = options?.find((x) => x.kind === 2 && x.data && x.data.length === 2);
  return o?.data?.readUInt16BE(0);
}
