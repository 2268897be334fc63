/**
 * Classic libpcap capture files: writing (PcapWriter), reading (readPcap,
 * on top of the pcap-parser package) and stripping link layers down to the
 * IP packet (ipPayloadOf / stripLinkLayer), so that captures made by
 * tcpdump or tshark can be fed to `decode` as well as our own.
 *
 * Format reference: https://wiki.wireshark.org/Development/LibpcapFileFormat
 * and the LINKTYPE_ registry at https://www.tcpdump.org/linktypes.html.
 */
import { promises as fsp, writeFileSync } from 'fs';
import { Readable } from 'stream';
import * as pcapParser from 'pcap-parser';

/** Link-layer header types (LINKTYPE_* values as stored in the file header). */
export const LINKTYPE = {
  /** BSD loopback: 4-octet address family in host byte order. */
  NULL: 0,
  ETHERNET: 1,
  /** DLT_RAW as some platforms write it into files instead of 101. */
  RAW_DLT12: 12,
  RAW_DLT14: 14,
  /** Raw IP: the packet begins with the IPv4 or IPv6 header. */
  RAW: 101,
  /** OpenBSD loopback: 4-octet address family in network byte order. */
  LOOP: 108,
  /** Linux cooked capture v1 (tcpdump -i any with older libpcap). */
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  /** Linux cooked capture v2 (tcpdump -i any with libpcap >= 1.10). */
  LINUX_SLL2: 276,
} as const;

const LINKTYPE_NAMES: Record<number, string> = {
  0: 'BSD loopback',
  1: 'Ethernet',
  12: 'Raw IP',
  14: 'Raw IP',
  101: 'Raw IP',
  108: 'OpenBSD loopback',
  113: 'Linux cooked v1',
  228: 'Raw IPv4',
  229: 'Raw IPv6',
  276: 'Linux cooked v2',
};

export function linkTypeName(linkType: number): string {
  return LINKTYPE_NAMES[linkType] ?? `LINKTYPE ${linkType}`;
}

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const DEFAULT_SNAPLEN = 65535;
const GLOBAL_HEADER_LENGTH = 24;
const RECORD_HEADER_LENGTH = 16;

/** A time stamp: microseconds since the Unix epoch (number or bigint), or a Date. */
export type Timestamp = number | bigint | Date;

/** One record handed to the writer. */
export interface PcapRecordInput {
  /** The packet: an IP packet for LINKTYPE_RAW, or (with `frame: false`) the bytes of the link type. */
  data: Uint8Array;
  /** Defaults to the previous record's time + 1 ms (the first: the writer's `startTime`, else now). */
  timestampUs?: Timestamp;
  /** Kept with the record for listings (`PcapWriter.describe`); classic pcap has no place for it in the file. */
  comment?: string;
  /** Length on the wire when the capture is truncated on purpose; defaults to data.length. */
  originalLength?: number;
}

/** One record as read back. */
export interface PcapRecord {
  /** Microseconds since the Unix epoch. */
  timestampUs: number;
  /** Captured bytes, link layer included. */
  data: Buffer;
  /** Length on the wire (>= data.length when the snap length cut the packet). */
  originalLength: number;
}

export interface PcapWriterOptions {
  /** LINKTYPE_RAW (101) by default; LINKTYPE_ETHERNET (1) and the others are accepted too. */
  linkType?: number;
  snaplen?: number;
  /**
   * With LINKTYPE_ETHERNET: wrap each IP packet in a synthetic Ethernet II
   * header (default true). Set false to pass already-framed bytes.
   */
  frame?: boolean;
  /** MAC addresses for synthetic Ethernet headers. */
  srcMac?: string;
  dstMac?: string;
  /** Time of the first record when it has no timestamp. */
  startTime?: Timestamp;
}

export class PcapError extends Error {}

/** Normalises a time stamp to integral microseconds since the epoch. */
export function toMicroseconds(t: Timestamp): number {
  if (t instanceof Date) return t.getTime() * 1000;
  if (typeof t === 'bigint') return Number(t);
  if (!Number.isFinite(t)) throw new PcapError(`bad time stamp: ${String(t)}`);
  return Math.round(t);
}

function parseMac(text: string): Buffer {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new PcapError(`not a MAC address: "${text}"`);
  }
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

export function formatMac(b: Uint8Array, offset = 0): string {
  const out: string[] = [];
  for (let i = 0; i < 6; i++) out.push((b[offset + i] ?? 0).toString(16).padStart(2, '0'));
  return out.join(':');
}

/** EtherType for an IP packet by its version nibble (IPv4 unless it says 6). */
function etherTypeOf(ip: Uint8Array): number {
  return ip.length > 0 && ip[0] >> 4 === 6 ? 0x86dd : 0x0800;
}

export interface EthernetFrameOptions {
  src?: string;
  dst?: string;
  /** Insert one 802.1Q tag with this VLAN id. */
  vlan?: number;
  /** EtherType; by default from the IP version nibble. */
  etherType?: number;
}

/** An Ethernet II frame around an IP packet (no FCS). */
export function ethernetFrame(ip: Uint8Array, opts: EthernetFrameOptions = {}): Buffer {
  const dst = parseMac(opts.dst ?? '02:00:00:00:00:02');
  const src = parseMac(opts.src ?? '02:00:00:00:00:01');
  const type = opts.etherType ?? etherTypeOf(ip);
  const tag = opts.vlan !== undefined ? 4 : 0;
  const hdr = Buffer.alloc(14 + tag);
  dst.copy(hdr, 0);
  src.copy(hdr, 6);
  if (opts.vlan !== undefined) {
    hdr.writeUInt16BE(0x8100, 12);
    hdr.writeUInt16BE(opts.vlan & 0x0fff, 14);
  }
  hdr.writeUInt16BE(type, 12 + tag);
  return Buffer.concat([hdr, Buffer.from(ip)]);
}

/** A Linux cooked (SLL v1) header around an IP packet, as tcpdump -i any writes it. */
export function sllFrame(ip: Uint8Array, opts: { packetType?: number; src?: string; protocol?: number } = {}): Buffer {
  const hdr = Buffer.alloc(16);
  hdr.writeUInt16BE(opts.packetType ?? 0, 0); // 0 = to us, 4 = outgoing
  hdr.writeUInt16BE(1, 2); // ARPHRD_ETHER
  hdr.writeUInt16BE(6, 4);
  parseMac(opts.src ?? '02:00:00:00:00:01').copy(hdr, 6);
  hdr.writeUInt16BE(opts.protocol ?? etherTypeOf(ip), 14);
  return Buffer.concat([hdr, Buffer.from(ip)]);
}

interface StoredRecord {
  data: Buffer;
  timestampUs: number;
  originalLength: number;
  comment?: string;
}

/** Collects packets and writes a classic (2.4, microsecond, big-endian magic) pcap file. */
export class PcapWriter {
  readonly linkType: number;
  readonly snaplen: number;
  private readonly frame: boolean;
  private readonly srcMac?: string;
  private readonly dstMac?: string;
  private readonly startUs?: number;
  private readonly records: StoredRecord[] = [];

  constructor(opts: PcapWriterOptions = {}) {
    this.linkType = opts.linkType ?? LINKTYPE.RAW;
    this.snaplen = opts.snaplen ?? DEFAULT_SNAPLEN;
    if (!Number.isInteger(this.linkType) || this.linkType < 0 || this.linkType > 0xffffffff) {
      throw new PcapError(`bad link type: ${opts.linkType}`);
    }
    if (!Number.isInteger(this.snaplen) || this.snaplen <= 0) throw new PcapError(`bad snap length: ${opts.snaplen}`);
    this.frame = opts.frame ?? true;
    this.srcMac = opts.srcMac;
    this.dstMac = opts.dstMac;
    this.startUs = opts.startTime !== undefined ? toMicroseconds(opts.startTime) : undefined;
  }

  /** Number of records collected. */
  get count(): number {
    return this.records.length;
  }

  /** Adds a record (or bare packet bytes). Returns the writer for chaining. */
  add(record: PcapRecordInput | Uint8Array): this {
    const r: PcapRecordInput = record instanceof Uint8Array ? { data: record } : record;
    let data: Buffer = Buffer.from(r.data);
    if (this.linkType === LINKTYPE.ETHERNET && this.frame) {
      data = ethernetFrame(data, { src: this.srcMac, dst: this.dstMac });
    }
    let ts: number;
    if (r.timestampUs !== undefined) ts = toMicroseconds(r.timestampUs);
    else if (this.records.length > 0) ts = this.records[this.records.length - 1].timestampUs + 1000;
    else ts = this.startUs ?? Date.now() * 1000;
    if (ts < 0) throw new PcapError(`time stamp before 1970: ${ts} µs`);
    const originalLength = Math.max(r.originalLength ?? data.length, data.length);
    this.records.push({ data, timestampUs: ts, originalLength, comment: r.comment });
    return this;
  }

  /** "Frame N: comment" lines for records that have a comment. */
  describe(): string {
    return this.records
      .map((r, i) => (r.comment !== undefined ? `Frame ${i + 1}: ${r.comment}` : undefined))
      .filter((l): l is string => l !== undefined)
      .join('\n');
  }

  toBuffer(): Buffer {
    const parts: Buffer[] = [];
    const gh = Buffer.alloc(GLOBAL_HEADER_LENGTH);
    gh.writeUInt32BE(PCAP_MAGIC_US, 0);
    gh.writeUInt16BE(2, 4);
    gh.writeUInt16BE(4, 6);
    gh.writeInt32BE(0, 8); // thiszone
    gh.writeUInt32BE(0, 12); // sigfigs
    gh.writeUInt32BE(this.snaplen, 16);
    gh.writeUInt32BE(this.linkType, 20);
    parts.push(gh);
    for (const r of this.records) {
      const captured = r.data.length > this.snaplen ? r.data.subarray(0, this.snaplen) : r.data;
      const rh = Buffer.alloc(RECORD_HEADER_LENGTH);
      const sec = Math.floor(r.timestampUs / 1e6);
      rh.writeUInt32BE(sec >>> 0, 0);
      rh.writeUInt32BE(r.timestampUs - sec * 1e6, 4);
      rh.writeUInt32BE(captured.length, 8);
      rh.writeUInt32BE(r.originalLength >>> 0, 12);
      parts.push(rh, captured);
    }
    return Buffer.concat(parts);
  }

  async writeFile(path: string): Promise<void> {
    await fsp.writeFile(path, this.toBuffer());
  }

  writeFileSync(path: string): void {
    writeFileSync(path, this.toBuffer());
  }
}

export interface PcapCapture {
  linkType: number;
  snaplen: number;
  /** True when the file's time stamps were in nanoseconds (converted to µs in `records`). */
  nanosecond: boolean;
  records: PcapRecord[];
  /** Problems that did not stop reading (e.g. a record cut short at the end of the file). */
  warnings: string[];
}

/** What the first four octets say a file is, for error messages. */
export function describeMagic(head: Uint8Array): string {
  if (head.length < 4) return `only ${head.length} bytes long`;
  const hex = Buffer.from(head.subarray(0, 4)).toString('hex');
  if (hex === '0a0d0d0a') return 'a pcapng file';
  if (hex === 'a1b2c3d4' || hex === 'd4c3b2a1') return 'a pcap file';
  if (hex === 'a1b23c4d' || hex === '4d3cb2a1') return 'a nanosecond pcap file';
  if (hex === 'a1b2cd34' || hex === '34cdb2a1') return 'a modified (Kuznetzov) pcap file';
  return `not a capture file (magic 0x${hex})`;
}

/**
 * Reads a classic libpcap file (either byte order, microsecond or
 * nanosecond time stamps) from a path or from its bytes. Rejects with a
 * PcapError whose message names the problem (pcapng, bad magic, too short).
 */
export async function readPcap(input: string | Uint8Array): Promise<PcapCapture> {
  const name = typeof input === 'string' ? `'${input}'` : 'buffer';
  let bytes: Buffer = typeof input === 'string' ? await fsp.readFile(input) : Buffer.from(input);
  if (bytes.length < GLOBAL_HEADER_LENGTH) {
    throw new PcapError(`${name} is too short for a pcap file (${bytes.length} bytes, the header alone is 24)`);
  }
  const magic = bytes.toString('hex', 0, 4);
  let nanosecond = false;
  if (magic === 'a1b23c4d' || magic === '4d3cb2a1') {
    // pcap-parser knows only the microsecond magic: present the file under it and scale afterwards.
    nanosecond = true;
    bytes = Buffer.from(bytes);
    Buffer.from(magic === 'a1b23c4d' ? 'a1b2c3d4' : 'd4c3b2a1', 'hex').copy(bytes, 0);
  } else if (magic !== 'a1b2c3d4' && magic !== 'd4c3b2a1') {
    const what = describeMagic(bytes);
    const hint =
      magic === '0a0d0d0a'
        ? 'convert it with: editcap -F pcap <in> <out.pcap> (or capture with tcpdump -w / tshark -F pcap)'
        : 'expected a classic libpcap file';
    throw new PcapError(`${name} is ${what}, ${hint}`);
  }
  const le = magic === 'd4c3b2a1' || magic === '4d3cb2a1';
  const major = le ? bytes.readUInt16LE(4) : bytes.readUInt16BE(4);
  const minor = le ? bytes.readUInt16LE(6) : bytes.readUInt16BE(6);
  if (major !== 2) throw new PcapError(`${name} has pcap version ${major}.${minor}, only 2.x is supported`);

  const warnings: string[] = [];
  // Walk the record headers to find what the parser will silently drop at the end.
  let off = GLOBAL_HEADER_LENGTH;
  let expected = 0;
  while (off + RECORD_HEADER_LENGTH <= bytes.length) {
    const caplen = le ? bytes.readUInt32LE(off + 8) : bytes.readUInt32BE(off + 8);
    if (off + RECORD_HEADER_LENGTH + caplen > bytes.length) {
      warnings.push(
        `record ${expected + 1} is cut short: ${caplen} bytes announced, ${bytes.length - off - RECORD_HEADER_LENGTH} in the file`,
      );
      off = bytes.length;
      break;
    }
    off += RECORD_HEADER_LENGTH + caplen;
    expected++;
  }
  if (off < bytes.length) warnings.push(`${bytes.length - off} stray bytes after the last record`);

  return new Promise<PcapCapture>((resolve, reject) => {
    const records: PcapRecord[] = [];
    let linkType = -1;
    let snaplen = 0;
    let settled = false;
    const stream = new Readable({ read() {} });
    const parser = pcapParser.parse(stream);
    parser.on('globalHeader', (h) => {
      linkType = h.linkLayerType;
      snaplen = h.snapshotLength;
    });
    parser.on('packet', (p) => {
      const frac = nanosecond ? Math.floor(p.header.timestampMicroseconds / 1000) : p.header.timestampMicroseconds;
      records.push({
        timestampUs: p.header.timestampSeconds * 1e6 + frac,
        data: Buffer.from(p.data),
        originalLength: p.header.originalLength,
      });
    });
    parser.on('error', (err) => {
      if (settled) return;
      settled = true;
      reject(new PcapError(`${name}: ${err.message}`));
    });
    parser.on('end', () => {
      if (settled) return;
      settled = true;
      if (linkType < 0) reject(new PcapError(`${name}: no pcap header found`));
      else resolve({ linkType, snaplen, nanosecond, records, warnings });
    });
    stream.push(bytes);
    stream.push(null);
  });
}

/** Result of taking the link layer off a captured frame. */
export interface LinkLayerInfo {
  /** The IP packet, when the frame carries IPv4 or IPv6. */
  ip?: Buffer;
  /** One line describing the link layer, e.g. "Ethernet II, Src: …, Dst: …, Type: IPv6 (0x86dd)"; empty for raw IP. */
  description: string;
  /** Why there is no IP packet (not IP, too short, unknown link type). */
  problem?: string;
}

const ETHERTYPE_NAMES: Record<number, string> = {
  0x0800: 'IPv4',
  0x0806: 'ARP',
  0x86dd: 'IPv6',
  0x8100: '802.1Q',
  0x88a8: '802.1ad',
  0x8847: 'MPLS',
  0x88cc: 'LLDP',
};

function etherTypeText(t: number): string {
  return `${ETHERTYPE_NAMES[t] ?? 'Unknown'} (0x${t.toString(16).padStart(4, '0')})`;
}

/** Cuts Ethernet padding after the end of the IP packet its own length field announces. */
function trimToIpLength(ip: Buffer): Buffer {
  if (ip.length >= 20 && ip[0] >> 4 === 4) {
    const total = ip.readUInt16BE(2);
    if (total >= 20 && total < ip.length) return ip.subarray(0, total);
  } else if (ip.length >= 40 && ip[0] >> 4 === 6) {
    const total = 40 + ip.readUInt16BE(4);
    if (ip.readUInt16BE(4) !== 0 && total < ip.length) return ip.subarray(0, total);
  }
  return ip;
}

function ipForEtherType(type: number, rest: Buffer, description: string, trim: boolean): LinkLayerInfo {
  if (type === 0x0800 || type === 0x86dd) return { ip: trim ? trimToIpLength(rest) : rest, description };
  return { description, problem: `not an IP packet: EtherType ${etherTypeText(type)}` };
}

/** Takes the link layer off a frame of the given LINKTYPE. Never throws. */
export function stripLinkLayer(data: Uint8Array, linkType: number): LinkLayerInfo {
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const short = (what: string, need: number): LinkLayerInfo => ({
    description: what,
    problem: `${what} header cut short: ${b.length} bytes, need ${need}`,
  });
  switch (linkType) {
    case LINKTYPE.RAW:
    case LINKTYPE.RAW_DLT12:
    case LINKTYPE.RAW_DLT14:
    case LINKTYPE.IPV4:
    case LINKTYPE.IPV6:
      return { ip: b, description: '' };
    case LINKTYPE.ETHERNET: {
      if (b.length < 14) return short('Ethernet II', 14);
      let off = 12;
      let type = b.readUInt16BE(off);
      const vlans: string[] = [];
      // One 802.1Q tag (or an 802.1ad outer tag followed by an inner one).
      for (let i = 0; i < 2 && (type === 0x8100 || type === 0x88a8); i++) {
        if (b.length < off + 6) return short('Ethernet II (802.1Q)', off + 6);
        const tci = b.readUInt16BE(off + 2);
        vlans.push(`VLAN ${tci & 0x0fff}${tci >> 13 ? ` PCP ${tci >> 13}` : ''}`);
        off += 4;
        type = b.readUInt16BE(off);
      }
      const desc =
        `Ethernet II, Src: ${formatMac(b, 6)}, Dst: ${formatMac(b, 0)}` +
        (vlans.length ? `, 802.1Q: ${vlans.join(', ')}` : '') +
        `, Type: ${etherTypeText(type)}`;
      if (type <= 1500) return { description: desc, problem: `not an IP packet: IEEE 802.3 length field ${type}` };
      return ipForEtherType(type, b.subarray(off + 2), desc, true);
    }
    case LINKTYPE.LINUX_SLL: {
      if (b.length < 16) return short('Linux cooked capture v1', 16);
      const pktType = b.readUInt16BE(0);
      const addrLen = Math.min(b.readUInt16BE(4), 8);
      const proto = b.readUInt16BE(14);
      const desc =
        `Linux cooked capture v1, Packet type: ${sllPacketType(pktType)}` +
        (addrLen === 6 ? `, Src: ${formatMac(b, 6)}` : '') +
        `, Protocol: ${etherTypeText(proto)}`;
      return ipForEtherType(proto, b.subarray(16), desc, false);
    }
    case LINKTYPE.LINUX_SLL2: {
      if (b.length < 20) return short('Linux cooked capture v2', 20);
      const proto = b.readUInt16BE(0);
      const ifIndex = b.readUInt32BE(4);
      const pktType = b[10];
      const addrLen = b[11];
      const desc =
        `Linux cooked capture v2, Interface index: ${ifIndex}, Packet type: ${sllPacketType(pktType)}` +
        (addrLen === 6 ? `, Src: ${formatMac(b, 12)}` : '') +
        `, Protocol: ${etherTypeText(proto)}`;
      return ipForEtherType(proto, b.subarray(20), desc, false);
    }
    case LINKTYPE.NULL:
    case LINKTYPE.LOOP: {
      if (b.length < 4) return short('Loopback', 4);
      // NULL is in the capturing host's byte order: take whichever reading is small.
      let family = linkType === LINKTYPE.LOOP ? b.readUInt32BE(0) : b.readUInt32LE(0);
      if (family > 0xffff) family = linkType === LINKTYPE.LOOP ? b.readUInt32LE(0) : b.readUInt32BE(0);
      const desc = `Null/Loopback, Family: ${family}`;
      if (family === 2) return { ip: b.subarray(4), description: `${desc} (IPv4)` };
      if (family === 10 || family === 24 || family === 28 || family === 30) {
        return { ip: b.subarray(4), description: `${desc} (IPv6)` };
      }
      return { description: desc, problem: `not an IP packet: address family ${family}` };
    }
    default:
      return { description: '', problem: `unsupported link type ${linkType} (${linkTypeName(linkType)})` };
  }
}

function sllPacketType(t: number): string {
  const names = ['Unicast to us', 'Broadcast', 'Multicast', 'Unicast to another host', 'Sent by us'];
  return `${names[t] ?? 'Unknown'} (${t})`;
}

/**
 * The IP packet inside a captured record (or bare frame bytes) of the given
 * link type, or undefined when the frame carries something else or is too
 * short. Ethernet padding after the IP packet is removed.
 */
export function ipPayloadOf(record: { data: Uint8Array } | Uint8Array, linkType: number): Buffer | undefined {
  const data = record instanceof Uint8Array ? record : record.data;
  return stripLinkLayer(data, linkType).ip;
}
