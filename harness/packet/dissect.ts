/**
 * Human-readable dissection of packets of the model in ./types, in the
 * manner of `tshark -V`: one title line per layer, then indented
 * `Field: value` lines with names and decodings, checksums verified with
 * `expectedChecksums`, ICMP errors with their quoted packet dissected
 * recursively, and decode notes shown as "[Malformed: …]".
 *
 * `dissect` and `summary` never throw: a packet that the dissector cannot
 * make sense of still yields text (with a note saying what went wrong).
 */
import * as dnsPacket from 'dns-packet';
import { decode, expectedChecksums } from './codec';
import { internetChecksum } from './checksum';
import { Prefix, formatIPv4, formatIPv6, inPrefix, parseIPv6, parsePrefix } from './address';
import {
  ExtensionHeader,
  ICMPCommon,
  ICMPExtensions,
  IPv4Header,
  IPv4Option,
  IPv6Header,
  IPv6Option,
  Packet,
  TCPHeader,
  TCPOption,
  UDPHeader,
} from './types';

export interface DissectOptions {
  /** Payload bytes shown in hex dumps (default 256); the rest is counted on a "… N more bytes" line. */
  payloadLimit?: number;
  /** Indentation unit (default four spaces). */
  indent?: string;
  /** Extra indentation levels for every line (default 0). */
  baseDepth?: number;
  /** Verify checksums with expectedChecksums (default true). */
  checksums?: boolean;
  /** NAT64 prefixes whose embedded IPv4 address is shown next to IPv6 addresses (default ["64:ff9b::/96"]). */
  nat64Prefixes?: string[];
  /** Decode DNS in UDP/TCP payloads to or from port 53 (default true). */
  dns?: boolean;
}

type ChecksumLayer = 'ipv4' | 'udp' | 'tcp' | 'icmpv4' | 'icmpv6';
type Expected = Partial<Record<ChecksumLayer, number>>;

interface Ctx {
  lines: string[];
  indent: string;
  limit: number;
  checksums: boolean;
  prefixes: Prefix[];
  dns: boolean;
}

// ---------------------------------------------------------------- names

const PROTOCOL_NAMES: Record<number, string> = {
  0: 'IPv6 Hop-by-Hop Option',
  1: 'ICMP',
  2: 'IGMP',
  4: 'IPv4',
  6: 'TCP',
  17: 'UDP',
  41: 'IPv6',
  43: 'IPv6 Routing',
  44: 'IPv6 Fragment',
  47: 'GRE',
  50: 'ESP',
  51: 'AH',
  58: 'ICMPv6',
  59: 'No Next Header',
  60: 'IPv6 Destination Options',
  103: 'PIM',
  112: 'VRRP',
  132: 'SCTP',
  135: 'Mobility Header',
  136: 'UDP-Lite',
  139: 'HIP',
  140: 'Shim6',
  253: 'Experimental',
  254: 'Experimental',
};

export function protocolName(n: number | undefined): string {
  if (n === undefined) return '(unset)';
  return `${PROTOCOL_NAMES[n] ?? 'Unknown'} (${n})`;
}

const PORT_NAMES: Record<number, string> = {
  7: 'echo',
  20: 'ftp-data',
  21: 'ftp',
  22: 'ssh',
  23: 'telnet',
  25: 'smtp',
  53: 'domain',
  67: 'bootps',
  68: 'bootpc',
  69: 'tftp',
  80: 'http',
  110: 'pop3',
  123: 'ntp',
  143: 'imap',
  161: 'snmp',
  179: 'bgp',
  443: 'https',
  500: 'isakmp',
  546: 'dhcpv6-client',
  547: 'dhcpv6-server',
  853: 'domain-s',
  1723: 'pptp',
  3478: 'stun',
  4500: 'ipsec-nat-t',
  5060: 'sip',
  5353: 'mdns',
  8080: 'http-alt',
};

function portText(p: number | undefined): string {
  if (p === undefined) return '(unset)';
  return PORT_NAMES[p] ? `${p} (${PORT_NAMES[p]})` : String(p);
}

const DSCP_NAMES: Record<number, string> = {
  0: 'Default (CS0)',
  1: 'LE',
  8: 'CS1',
  10: 'AF11',
  12: 'AF12',
  14: 'AF13',
  16: 'CS2',
  18: 'AF21',
  20: 'AF22',
  22: 'AF23',
  24: 'CS3',
  26: 'AF31',
  28: 'AF32',
  30: 'AF33',
  32: 'CS4',
  34: 'AF41',
  36: 'AF42',
  38: 'AF43',
  40: 'CS5',
  44: 'VOICE-ADMIT',
  46: 'EF',
  48: 'CS6',
  56: 'CS7',
};
const ECN_NAMES = ['Not-ECT', 'ECT(1)', 'ECT(0)', 'CE'];

interface TypeInfo {
  name: string;
  codes?: Record<number, string>;
  error?: boolean;
}

const UNREACH4: Record<number, string> = {
  0: 'Net unreachable',
  1: 'Host unreachable',
  2: 'Protocol unreachable',
  3: 'Port unreachable',
  4: 'Fragmentation needed and DF set',
  5: 'Source route failed',
  6: 'Destination network unknown',
  7: 'Destination host unknown',
  8: 'Source host isolated',
  9: 'Communication with destination network administratively prohibited',
  10: 'Communication with destination host administratively prohibited',
  11: 'Destination network unreachable for type of service',
  12: 'Destination host unreachable for type of service',
  13: 'Communication administratively prohibited',
  14: 'Host precedence violation',
  15: 'Precedence cutoff in effect',
};

export const ICMPV4_TYPES: Record<number, TypeInfo> = {
  0: { name: 'Echo Reply' },
  3: { name: 'Destination Unreachable', codes: UNREACH4, error: true },
  4: { name: 'Source Quench', error: true },
  5: {
    name: 'Redirect',
    codes: {
      0: 'Redirect for network',
      1: 'Redirect for host',
      2: 'Redirect for type of service and network',
      3: 'Redirect for type of service and host',
    },
    error: true,
  },
  6: { name: 'Alternate Host Address' },
  8: { name: 'Echo Request' },
  9: { name: 'Router Advertisement', codes: { 0: 'Normal router advertisement', 16: 'Does not route common traffic' } },
  10: { name: 'Router Solicitation' },
  11: { name: 'Time Exceeded', codes: { 0: 'TTL exceeded in transit', 1: 'Fragment reassembly time exceeded' }, error: true },
  12: {
    name: 'Parameter Problem',
    codes: { 0: 'Pointer indicates the error', 1: 'Missing a required option', 2: 'Bad length' },
    error: true,
  },
  13: { name: 'Timestamp' },
  14: { name: 'Timestamp Reply' },
  15: { name: 'Information Request' },
  16: { name: 'Information Reply' },
  17: { name: 'Address Mask Request' },
  18: { name: 'Address Mask Reply' },
  30: { name: 'Traceroute' },
  42: { name: 'Extended Echo Request' },
  43: { name: 'Extended Echo Reply' },
};

export const ICMPV6_TYPES: Record<number, TypeInfo> = {
  1: {
    name: 'Destination Unreachable',
    codes: {
      0: 'No route to destination',
      1: 'Communication with destination administratively prohibited',
      2: 'Beyond scope of source address',
      3: 'Address unreachable',
      4: 'Port unreachable',
      5: 'Source address failed ingress/egress policy',
      6: 'Reject route to destination',
      7: 'Error in Source Routing Header',
      8: 'Headers too long',
    },
    error: true,
  },
  2: { name: 'Packet Too Big', error: true },
  3: {
    name: 'Time Exceeded',
    codes: { 0: 'Hop limit exceeded in transit', 1: 'Fragment reassembly time exceeded' },
    error: true,
  },
  4: {
    name: 'Parameter Problem',
    codes: {
      0: 'Erroneous header field encountered',
      1: 'Unrecognized Next Header type encountered',
      2: 'Unrecognized IPv6 option encountered',
      3: 'IPv6 First Fragment has incomplete IPv6 Header Chain',
      4: 'SR Upper-layer Header Error',
      5: 'Unrecognized Next Header type encountered by intermediate node',
      6: 'Extension header too big',
      7: 'Extension header chain too long',
      8: 'Too many extension headers',
      9: 'Too many options in extension header',
      10: 'Option too big',
    },
    error: true,
  },
  100: { name: 'Private experimentation' },
  101: { name: 'Private experimentation' },
  127: { name: 'Reserved for expansion of ICMPv6 error messages', error: true },
  128: { name: 'Echo Request' },
  129: { name: 'Echo Reply' },
  130: { name: 'Multicast Listener Query' },
  131: { name: 'Multicast Listener Report' },
  132: { name: 'Multicast Listener Done' },
  133: { name: 'Router Solicitation' },
  134: { name: 'Router Advertisement' },
  135: { name: 'Neighbor Solicitation' },
  136: { name: 'Neighbor Advertisement' },
  137: { name: 'Redirect' },
  138: { name: 'Router Renumbering' },
  139: { name: 'ICMP Node Information Query' },
  140: { name: 'ICMP Node Information Response' },
  141: { name: 'Inverse Neighbor Discovery Solicitation' },
  142: { name: 'Inverse Neighbor Discovery Advertisement' },
  143: { name: 'Multicast Listener Report v2' },
  144: { name: 'Home Agent Address Discovery Request' },
  145: { name: 'Home Agent Address Discovery Reply' },
  146: { name: 'Mobile Prefix Solicitation' },
  147: { name: 'Mobile Prefix Advertisement' },
  151: { name: 'Multicast Router Advertisement' },
  152: { name: 'Multicast Router Solicitation' },
  153: { name: 'Multicast Router Termination' },
  155: { name: 'RPL Control Message' },
  160: { name: 'Extended Echo Request' },
  161: { name: 'Extended Echo Reply' },
  200: { name: 'Private experimentation' },
  201: { name: 'Private experimentation' },
  255: { name: 'Reserved for expansion of ICMPv6 informational messages' },
};

/** "Destination Unreachable (3)" style name of an ICMP type. */
export function icmpTypeName(v: 4 | 6, type: number): string {
  const info = (v === 4 ? ICMPV4_TYPES : ICMPV6_TYPES)[type];
  return info ? info.name : v === 6 && type < 128 ? 'Unknown error' : 'Unknown';
}

/** Name of an ICMP code, or undefined when the type has no named codes (or the code is unknown). */
export function icmpCodeName(v: 4 | 6, type: number, code: number): string | undefined {
  return (v === 4 ? ICMPV4_TYPES : ICMPV6_TYPES)[type]?.codes?.[code];
}

const IPV4_OPTION_NAMES: Record<number, string> = {
  0: 'End of Options List',
  1: 'No-Operation',
  7: 'Record Route',
  25: 'Quick-Start',
  68: 'Timestamp',
  82: 'Traceroute',
  94: 'Experimental',
  130: 'Security',
  131: 'Loose Source Route',
  133: 'Extended Security',
  134: 'Commercial IP Security',
  136: 'Stream ID',
  137: 'Strict Source Route',
  145: 'Extended Internet Protocol',
  148: 'Router Alert',
};

const IPV6_OPTION_NAMES: Record<number, string> = {
  0x00: 'Pad1',
  0x01: 'PadN',
  0x04: 'Tunnel Encapsulation Limit',
  0x05: 'Router Alert',
  0x07: 'CALIPSO',
  0x08: 'SMF_DPD',
  0x26: 'Quick-Start',
  0x31: 'IOAM',
  0x63: 'RPL Option',
  0x6d: 'MPL Option',
  0x8b: 'ILNP Nonce',
  0x8c: 'Line-Identification',
  0xc2: 'Jumbo Payload',
  0xc9: 'Home Address',
  0xee: 'IP_DFF',
};

const IPV6_OPTION_ACTIONS = ['skip', 'discard', 'discard and send ICMP', 'discard and send ICMP unless multicast'];

const ROUTING_TYPES: Record<number, string> = {
  0: 'Source Route (deprecated)',
  1: 'Nimrod (deprecated)',
  2: 'Type 2 Routing Header (Mobile IPv6)',
  3: 'RPL Source Route',
  4: 'Segment Routing',
  5: 'CRH-16',
  6: 'CRH-32',
  253: 'Experimental',
  254: 'Experimental',
};

const TCP_OPTION_NAMES: Record<number, string> = {
  0: 'End of Option List',
  1: 'No-Operation',
  2: 'Maximum segment size',
  3: 'Window scale',
  4: 'SACK permitted',
  5: 'SACK',
  8: 'Timestamps',
  19: 'MD5 signature',
  27: 'Quick-Start Response',
  28: 'User Timeout',
  29: 'TCP-AO',
  30: 'Multipath TCP',
  34: 'TCP Fast Open Cookie',
  69: 'Encryption Negotiation',
  253: 'Experimental',
  254: 'Experimental',
};

const EXTENSION_CLASSES: Record<number, string> = {
  1: 'MPLS Label Stack',
  2: 'Interface Information',
  3: 'Interface Identification',
};

// ---------------------------------------------------------------- small formatters

function hex(n: number | undefined, width = 4): string {
  if (n === undefined || !Number.isFinite(n)) return '(unset)';
  return '0x' + (n >>> 0).toString(16).padStart(width, '0');
}

function num(n: number | undefined): string {
  return n === undefined ? '(unset)' : String(n);
}

function hexBytes(b: Uint8Array | undefined, max = 32): string {
  if (!b || b.length === 0) return '(none)';
  const shown = Buffer.from(b.subarray(0, max)).toString('hex');
  return b.length > max ? `${shown}… (${b.length} bytes)` : shown;
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

function push(ctx: Ctx, depth: number, text: string): void {
  ctx.lines.push(ctx.indent.repeat(Math.max(0, depth)) + text);
}

function dsEcn(v: number | undefined): string {
  if (v === undefined) return '(unset)';
  return `${hex(v, 2)} (DSCP ${v >> 2}, ECN ${v & 3})`;
}

function dsEcnDetail(ctx: Ctx, depth: number, v: number | undefined): void {
  if (v === undefined) return;
  const dscp = (v >> 2) & 0x3f;
  push(ctx, depth, `Differentiated Services Codepoint: ${DSCP_NAMES[dscp] ?? 'Unknown'} (${dscp})`);
  push(ctx, depth, `Explicit Congestion Notification: ${ECN_NAMES[v & 3]} (${v & 3})`);
}

/**
 * "0x1a2b [correct]" / "[incorrect, should be 0x…]" / "[unverified]".
 * 0x0000 and 0xffff are the same number in one's complement and both pass a receiver's check.
 */
function checksumText(ctx: Ctx, actual: number | undefined, expected: number | undefined): string {
  // Left out of a packet built for encode: encode computes it from the final bytes.
  if (actual === undefined) return '(unset: computed by encode)';
  if (!ctx.checksums || expected === undefined) return `${hex(actual)} [unverified]`;
  if (actual === expected) return `${hex(actual)} [correct]`;
  if ((actual === 0 && expected === 0xffff) || (actual === 0xffff && expected === 0)) {
    return `${hex(actual)} [correct (0x0000 and 0xffff are both zero in one's complement)]`;
  }
  return `${hex(actual)} [incorrect, should be ${hex(expected)}]`;
}

/** The IPv4 address embedded in an IPv6 address under one of the prefixes (RFC 6052 §2.2). */
function embeddedIPv4(addr: string, prefixes: Prefix[]): { v4: string; prefix: Prefix } | undefined {
  const bytes = safe(() => parseIPv6(addr));
  if (!bytes) return undefined;
  for (const p of prefixes) {
    if (p.family !== 6 || !inPrefix(bytes, p)) continue;
    if (![32, 40, 48, 56, 64, 96].includes(p.length)) continue;
    const out: number[] = [];
    for (let i = p.length / 8; out.length < 4 && i < 16; i++) if (i !== 8) out.push(bytes[i]);
    return { v4: formatIPv4(Uint8Array.from(out)), prefix: p };
  }
  return undefined;
}

function v6AddrText(ctx: Ctx, addr: string | undefined): string {
  if (addr === undefined) return '(unset)';
  const e = embeddedIPv4(addr, ctx.prefixes);
  if (!e) return addr;
  const p = `${formatIPv6(e.prefix.bytes)}/${e.prefix.length}`;
  return `${addr} (IPv4-embedded ${e.v4} under ${p})`;
}

/** Canonical hex + ASCII dump, 16 bytes a line, at most `limit` bytes. */
export function hexDump(data: Uint8Array, limit = 256): string[] {
  const out: string[] = [];
  const n = Math.min(data.length, Math.max(0, limit));
  for (let off = 0; off < n; off += 16) {
    const row = data.subarray(off, Math.min(off + 16, n));
    const hexPart: string[] = [];
    for (let i = 0; i < 16; i++) {
      hexPart.push(i < row.length ? row[i].toString(16).padStart(2, '0') : '  ');
      if (i === 7) hexPart.push('');
    }
    let ascii = '';
    for (const c of row) ascii += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
    out.push(`${off.toString(16).padStart(4, '0')}  ${hexPart.join(' ')}  ${ascii}`);
  }
  if (data.length > n) out.push(`… ${data.length - n} more bytes`);
  return out;
}

// ---------------------------------------------------------------- layers

const NOTE_LAYERS = ['ipv4', 'ipv6', 'udp', 'tcp', 'icmpv4', 'icmpv6', 'payload'] as const;
type NoteLayer = (typeof NOTE_LAYERS)[number];

/** The layer a decode note is about, from its "layer:" / "layer." prefix ("icmp:" means the packet's ICMP layer). */
function noteLayer(note: string, p: Packet): NoteLayer | undefined {
  const m = /^\s*(ipv4|ipv6|udp|tcp|icmpv4|icmpv6|icmp|payload)\b/i.exec(note);
  if (!m) return undefined;
  const l = m[1].toLowerCase();
  if (l === 'icmp') return p.icmpv6 ? 'icmpv6' : 'icmpv4';
  return l as NoteLayer;
}

function ipv4Flags(h: IPv4Header): string {
  const bits = (h.reservedFlag ? 4 : 0) | (h.df ? 2 : 0) | (h.mf ? 1 : 0);
  const names: string[] = [];
  if (h.reservedFlag) names.push('Reserved bit');
  if (h.df) names.push("Don't fragment");
  if (h.mf) names.push('More fragments');
  return `0x${bits}${names.length ? ` (${names.join(', ')})` : ''}`;
}

function setText(b: boolean | undefined): string {
  return b === undefined ? '(unset)' : b ? 'Set' : 'Not set';
}

/** Option lines; a run of End-of-List octets after the first is shown as one padding line. */
function pushOptions<T>(ctx: Ctx, depth: number, opts: T[], isEol: (o: T) => boolean, text: (o: T) => string): void {
  for (let i = 0; i < opts.length; i++) {
    push(ctx, depth, text(opts[i]));
    if (isEol(opts[i])) {
      let j = i + 1;
      while (j < opts.length && isEol(opts[j])) j++;
      if (j > i + 1) push(ctx, depth, `Padding: ${j - i - 1} byte${j - i - 1 > 1 ? 's' : ''}`);
      i = j - 1;
    }
  }
}

function ipv4OptionLength(o: IPv4Option): number {
  if (o.type === 0 || o.type === 1) return 1;
  return o.length ?? (o.data?.length ?? 0) + 2;
}

function ipv4OptionText(o: IPv4Option): string {
  const name = IPV4_OPTION_NAMES[o.type] ?? 'Unknown';
  if (o.type === 0 || o.type === 1) return `Option: ${name} (${o.type})`;
  const len = ipv4OptionLength(o);
  const d = o.data ?? Buffer.alloc(0);
  let value = '';
  if ((o.type === 7 || o.type === 131 || o.type === 137) && d.length >= 1) {
    const addrs: string[] = [];
    for (let i = 1; i + 4 <= d.length; i += 4) addrs.push(formatIPv4(d, i));
    value = `: pointer ${d[0]}${addrs.length ? `, ${addrs.join(', ')}` : ''}`;
  } else if (o.type === 148 && d.length === 2) {
    value = `: ${d.readUInt16BE(0)}${d.readUInt16BE(0) === 0 ? ' (router shall examine packet)' : ''}`;
  } else if (d.length) {
    value = `: ${hexBytes(d)}`;
  }
  return `Option: ${name} (${o.type}), length ${len}${value}`;
}

function dissectIPv4(ctx: Ctx, depth: number, h: IPv4Header, exp: Expected): void {
  push(ctx, depth, `Internet Protocol Version 4, Src: ${h.src ?? '(unset)'}, Dst: ${h.dst ?? '(unset)'}`);
  const d = depth + 1;
  push(ctx, d, `Version: ${num(h.version)}${h.version !== undefined && h.version !== 4 ? ' [should be 4]' : ''}`);
  push(ctx, d, `Header Length: ${h.ihl === undefined ? '(unset)' : `${h.ihl * 4} bytes (${h.ihl})`}`);
  push(ctx, d, `Type of Service: ${dsEcn(h.tos)}`);
  dsEcnDetail(ctx, d + 1, h.tos);
  push(ctx, d, `Total Length: ${num(h.totalLength)}`);
  push(ctx, d, `Identification: ${h.id === undefined ? '(unset)' : `${hex(h.id)} (${h.id})`}`);
  push(ctx, d, `Flags: ${ipv4Flags(h)}`);
  push(ctx, d + 1, `0... = Reserved bit: ${setText(h.reservedFlag)}`);
  push(ctx, d + 1, `.${h.df ? 1 : 0}.. = Don't fragment: ${setText(h.df)}`);
  push(ctx, d + 1, `..${h.mf ? 1 : 0}. = More fragments: ${setText(h.mf)}`);
  push(ctx, d, `Fragment Offset: ${h.fragOffset === undefined ? '(unset)' : `${h.fragOffset} (${h.fragOffset * 8} bytes)`}`);
  push(ctx, d, `Time to Live: ${num(h.ttl)}`);
  push(ctx, d, `Protocol: ${protocolName(h.protocol)}`);
  push(ctx, d, `Header Checksum: ${checksumText(ctx, h.checksum, exp.ipv4)}`);
  push(ctx, d, `Source Address: ${h.src ?? '(unset)'}`);
  push(ctx, d, `Destination Address: ${h.dst ?? '(unset)'}`);
  if (h.options && h.options.length) {
    const total = h.options.reduce((s, o) => s + ipv4OptionLength(o), 0);
    push(ctx, d, `Options: (${total} bytes)`);
    pushOptions(ctx, d + 1, h.options, (o) => o.type === 0, ipv4OptionText);
  }
}

function ipv6OptionText(o: IPv6Option): string {
  const name = IPV6_OPTION_NAMES[o.type] ?? 'Unknown';
  const t = `0x${o.type.toString(16).padStart(2, '0')}`;
  if (o.type === 0) return `Option: Pad1 (${t})`;
  const d = o.data ?? Buffer.alloc(0);
  const len = o.length ?? d.length;
  let value = '';
  if (o.type === 0x01) {
    value = d.some((x) => x !== 0) ? `: non-zero padding ${hexBytes(d)}` : '';
  } else if (o.type === 0x05 && d.length === 2) {
    const v = d.readUInt16BE(0);
    const rn: Record<number, string> = { 0: 'MLD', 1: 'RSVP', 2: 'Active Networks' };
    value = `: ${rn[v] ?? 'Unknown'} (${v})`;
  } else if (o.type === 0xc2 && d.length === 4) {
    value = `: payload length ${d.readUInt32BE(0)}`;
  } else if (o.type === 0x04 && d.length === 1) {
    value = `: ${d[0]}`;
  } else if (o.type === 0xc9 && d.length === 16) {
    value = `: ${formatIPv6(d)}`;
  } else if (d.length) {
    value = `: ${hexBytes(d)}`;
  }
  const action = name === 'Unknown' ? ` [unrecognised: ${IPV6_OPTION_ACTIONS[o.type >> 6]}]` : '';
  return `Option: ${name} (${t}), length ${len}${value}${action}`;
}

function extLenText(n: number | undefined, unit = 8): string {
  return n === undefined ? '(unset)' : `${n} (${(n + 1) * unit} bytes)`;
}

function dissectExtension(ctx: Ctx, depth: number, e: ExtensionHeader): void {
  const d = depth + 1;
  switch (e.kind) {
    case 'hop-by-hop':
    case 'destination': {
      push(ctx, depth, e.kind === 'hop-by-hop' ? 'IPv6 Hop-by-Hop Options' : 'IPv6 Destination Options');
      push(ctx, d, `Next Header: ${protocolName(e.nextHeader)}`);
      push(ctx, d, `Length: ${extLenText(e.hdrExtLen)}`);
      for (const o of e.options ?? []) push(ctx, d, ipv6OptionText(o));
      break;
    }
    case 'routing': {
      const rt = e.routingType;
      push(ctx, depth, `IPv6 Routing Header, Type: ${rt === undefined ? '(unset)' : (ROUTING_TYPES[rt] ?? 'Unknown')}, Segments Left: ${num(e.segmentsLeft)}`);
      push(ctx, d, `Next Header: ${protocolName(e.nextHeader)}`);
      push(ctx, d, `Length: ${extLenText(e.hdrExtLen)}`);
      push(ctx, d, `Type: ${rt === undefined ? '(unset)' : `${ROUTING_TYPES[rt] ?? 'Unknown'} (${rt})`}`);
      push(ctx, d, `Segments Left: ${num(e.segmentsLeft)}`);
      const data = e.data ?? Buffer.alloc(0);
      if ((rt === 0 || rt === 2) && data.length >= 4) {
        push(ctx, d, `Reserved: ${hex(data.readUInt32BE(0), 8)}`);
        for (let i = 4, k = 1; i + 16 <= data.length; i += 16, k++) {
          push(ctx, d, `${rt === 2 ? 'Home Address' : `Address[${k}]`}: ${formatIPv6(data, i)}`);
        }
      } else if (rt === 4 && data.length >= 4) {
        push(ctx, d, `Last Entry: ${data[0]}`);
        push(ctx, d, `Flags: ${hex(data[1], 2)}`);
        push(ctx, d, `Tag: ${hex(data.readUInt16BE(2))}`);
        for (let i = 4, k = 0; i + 16 <= data.length; i += 16, k++) {
          push(ctx, d, `Segment[${k}]: ${formatIPv6(data, i)}`);
        }
      } else if (data.length) {
        push(ctx, d, `Data: ${hexBytes(data, 64)}`);
      }
      break;
    }
    case 'fragment': {
      const off = e.offset;
      push(ctx, depth, `IPv6 Fragment Header, Offset: ${num(off)}, M: ${e.m ? 1 : 0}, Id: ${hex(e.id, 8)}`);
      push(ctx, d, `Next Header: ${protocolName(e.nextHeader)}`);
      push(ctx, d, `Reserved octet: ${hex(e.reserved, 2)}`);
      push(ctx, d, `Offset: ${off === undefined ? '(unset)' : `${off} (${off * 8} bytes)`}`);
      push(ctx, d, `Reserved bits: ${num(e.res)}`);
      push(ctx, d, `More Fragments: ${e.m === undefined ? '(unset)' : e.m ? 'Yes' : 'No'}`);
      push(ctx, d, `Identification: ${e.id === undefined ? '(unset)' : `${hex(e.id, 8)} (${e.id})`}`);
      break;
    }
    default: {
      const unknown = e as { kind?: unknown };
      push(ctx, depth, `IPv6 extension header of unknown kind ${String(unknown.kind)}`);
    }
  }
}

function dissectIPv6(ctx: Ctx, depth: number, h: IPv6Header): void {
  push(ctx, depth, `Internet Protocol Version 6, Src: ${h.src ?? '(unset)'}, Dst: ${h.dst ?? '(unset)'}`);
  const d = depth + 1;
  push(ctx, d, `Version: ${num(h.version)}${h.version !== undefined && h.version !== 6 ? ' [should be 6]' : ''}`);
  push(ctx, d, `Traffic Class: ${dsEcn(h.trafficClass)}`);
  dsEcnDetail(ctx, d + 1, h.trafficClass);
  push(ctx, d, `Flow Label: ${hex(h.flowLabel, 5)}`);
  push(ctx, d, `Payload Length: ${num(h.payloadLength)}`);
  push(ctx, d, `Next Header: ${protocolName(h.nextHeader)}`);
  push(ctx, d, `Hop Limit: ${num(h.hopLimit)}`);
  push(ctx, d, `Source Address: ${v6AddrText(ctx, h.src)}`);
  push(ctx, d, `Destination Address: ${v6AddrText(ctx, h.dst)}`);
  for (const e of h.extensions ?? []) dissectExtension(ctx, d, e);
}

function dissectUDP(ctx: Ctx, depth: number, u: UDPHeader, p: Packet, exp: Expected): void {
  push(ctx, depth, `User Datagram Protocol, Src Port: ${num(u.sport)}, Dst Port: ${num(u.dport)}`);
  const d = depth + 1;
  push(ctx, d, `Source Port: ${portText(u.sport)}`);
  push(ctx, d, `Destination Port: ${portText(u.dport)}`);
  push(ctx, d, `Length: ${num(u.length)}`);
  let ck: string;
  if (u.checksum === 0 && p.ipv4) ck = '0x0000 [none (zero: no checksum, allowed in IPv4)]';
  else if (u.checksum === 0 && p.ipv6) {
    const should = exp.udp !== undefined && ctx.checksums ? `, should be ${hex(exp.udp)}` : '';
    ck = `0x0000 [incorrect: zero checksum is not allowed in IPv6 (RFC 8200 §8.1)${should}]`;
  } else ck = checksumText(ctx, u.checksum, exp.udp);
  push(ctx, d, `Checksum: ${ck}`);
}

function tcpFlagNames(t: TCPHeader): { value: number; names: string[] } {
  const f = t.flags ?? {};
  const order: [keyof typeof f, number, string][] = [
    ['fin', 0x001, 'FIN'],
    ['syn', 0x002, 'SYN'],
    ['rst', 0x004, 'RST'],
    ['psh', 0x008, 'PSH'],
    ['ack', 0x010, 'ACK'],
    ['urg', 0x020, 'URG'],
    ['ece', 0x040, 'ECE'],
    ['cwr', 0x080, 'CWR'],
    ['ns', 0x100, 'NS'],
  ];
  let value = 0;
  const names: string[] = [];
  for (const [k, bit, name] of order) {
    if (f[k]) {
      value |= bit;
      names.push(name);
    }
  }
  return { value, names };
}

/** "[SYN, ACK]" style text of the TCP flags. */
export function tcpFlagsText(t: TCPHeader): string {
  const { names } = tcpFlagNames(t);
  return `[${names.length ? names.join(', ') : '<none>'}]`;
}

function tcpOptionLength(o: TCPOption): number {
  if (o.kind === 0 || o.kind === 1) return 1;
  return o.length ?? (o.data?.length ?? 0) + 2;
}

function tcpOptionText(o: TCPOption): string {
  const name = TCP_OPTION_NAMES[o.kind] ?? 'Unknown';
  if (o.kind === 0 || o.kind === 1) return `Option: ${name} (${o.kind})`;
  const d = o.data ?? Buffer.alloc(0);
  const len = tcpOptionLength(o);
  let value = '';
  if (o.kind === 2 && d.length === 2) value = `: ${d.readUInt16BE(0)} bytes`;
  else if (o.kind === 3 && d.length === 1) value = `: ${d[0]} (multiply by ${d[0] <= 14 ? 2 ** d[0] : `2^${d[0]}, capped at 2^14`})`;
  else if (o.kind === 8 && d.length === 8) value = `: TSval ${d.readUInt32BE(0)}, TSecr ${d.readUInt32BE(4)}`;
  else if (o.kind === 5 && d.length % 8 === 0 && d.length > 0) {
    const blocks: string[] = [];
    for (let i = 0; i < d.length; i += 8) blocks.push(`${d.readUInt32BE(i)}-${d.readUInt32BE(i + 4)}`);
    value = `: ${blocks.join(', ')}`;
  } else if (o.kind === 28 && d.length === 2) {
    const v = d.readUInt16BE(0);
    value = `: ${v & 0x7fff} ${v & 0x8000 ? 'minutes' : 'seconds'}`;
  } else if (d.length) value = `: ${hexBytes(d)}`;
  return `Option: ${name} (${o.kind}), length ${len}${value}`;
}

function dissectTCP(ctx: Ctx, depth: number, t: TCPHeader, p: Packet, exp: Expected): void {
  const { value, names } = tcpFlagNames(t);
  const len = p.payload?.length ?? 0;
  push(
    ctx,
    depth,
    `Transmission Control Protocol, Src Port: ${num(t.sport)}, Dst Port: ${num(t.dport)}, Seq: ${num(t.seq)}` +
      (t.flags?.ack ? `, Ack: ${num(t.ack)}` : '') +
      `, Len: ${len}`,
  );
  const d = depth + 1;
  push(ctx, d, `Source Port: ${portText(t.sport)}`);
  push(ctx, d, `Destination Port: ${portText(t.dport)}`);
  push(ctx, d, `Sequence Number: ${num(t.seq)}`);
  const ackNote = !t.flags?.ack && t.ack ? ' [ACK flag not set, should be zero]' : '';
  push(ctx, d, `Acknowledgment Number: ${num(t.ack)}${ackNote}`);
  push(ctx, d, `Header Length: ${t.dataOffset === undefined ? '(unset)' : `${t.dataOffset * 4} bytes (${t.dataOffset})`}`);
  if (t.reserved) push(ctx, d, `Reserved: ${t.reserved} [should be zero]`);
  push(ctx, d, `Flags: ${hex(value, 3)} [${names.length ? names.join(', ') : '<none>'}]`);
  push(ctx, d, `Window: ${num(t.window)}`);
  push(ctx, d, `Checksum: ${checksumText(ctx, t.checksum, exp.tcp)}`);
  push(ctx, d, `Urgent Pointer: ${num(t.urgent)}${!t.flags?.urg && t.urgent ? ' [URG flag not set]' : ''}`);
  if (t.options && t.options.length) {
    const total = t.options.reduce((s, o) => s + tcpOptionLength(o), 0);
    push(ctx, d, `Options: (${total} bytes)`);
    pushOptions(ctx, d + 1, t.options, (o) => o.kind === 0, tcpOptionText);
  }
}

const IPV4_FIELDS_AT: [number, number, string][] = [
  [0, 0, 'Version/IHL'],
  [1, 1, 'Type of Service'],
  [2, 3, 'Total Length'],
  [4, 5, 'Identification'],
  [6, 7, 'Flags/Fragment Offset'],
  [8, 8, 'Time to Live'],
  [9, 9, 'Protocol'],
  [10, 11, 'Header Checksum'],
  [12, 15, 'Source Address'],
  [16, 19, 'Destination Address'],
];
const IPV6_FIELDS_AT: [number, number, string][] = [
  [0, 0, 'Version/Traffic Class'],
  [1, 3, 'Traffic Class/Flow Label'],
  [4, 5, 'Payload Length'],
  [6, 6, 'Next Header'],
  [7, 7, 'Hop Limit'],
  [8, 23, 'Source Address'],
  [24, 39, 'Destination Address'],
];

/** The field of the quoted IP header a Parameter Problem pointer points at. */
function pointerField(v: 4 | 6, ptr: number): string {
  const table = v === 4 ? IPV4_FIELDS_AT : IPV6_FIELDS_AT;
  const hit = table.find(([a, b]) => ptr >= a && ptr <= b);
  if (hit) return hit[2];
  return v === 4 ? 'beyond the fixed IPv4 header (options or payload)' : 'beyond the fixed IPv6 header (extension headers or payload)';
}

function extensionChecksum(x: ICMPExtensions): number | undefined {
  return safe(() => {
    const parts: Buffer[] = [];
    const hdr = Buffer.alloc(4);
    hdr[0] = ((x.version ?? 2) & 0x0f) << 4 | (((x.reserved ?? 0) >> 8) & 0x0f);
    hdr[1] = (x.reserved ?? 0) & 0xff;
    parts.push(hdr);
    for (const o of x.objects) {
      const oh = Buffer.alloc(4);
      oh.writeUInt16BE((o.length ?? o.data.length + 4) & 0xffff, 0);
      oh[2] = o.classNum;
      oh[3] = o.cType;
      parts.push(oh, Buffer.from(o.data));
    }
    return internetChecksum(Buffer.concat(parts));
  });
}

function dissectExtensions(ctx: Ctx, depth: number, x: ICMPExtensions): void {
  push(ctx, depth, 'ICMP Multi-Part Extensions (RFC 4884)');
  const d = depth + 1;
  push(ctx, d, `Version: ${num(x.version)}${x.version !== undefined && x.version !== 2 ? ' [should be 2]' : ''}`);
  push(ctx, d, `Reserved: ${hex(x.reserved, 3)}`);
  if (x.checksum === 0) push(ctx, d, 'Checksum: 0x0000 [none]');
  else push(ctx, d, `Checksum: ${checksumText(ctx, x.checksum, extensionChecksum(x))}`);
  for (const o of x.objects ?? []) {
    const name = EXTENSION_CLASSES[o.classNum] ?? 'Unknown';
    const len = o.length ?? o.data.length + 4;
    push(ctx, d, `${name} Object (class ${o.classNum}, c-type ${o.cType}), length ${len}`);
    if (o.classNum === 1 && o.cType === 1 && o.data.length % 4 === 0) {
      for (let i = 0; i + 4 <= o.data.length; i += 4) {
        const w = o.data.readUInt32BE(i);
        push(ctx, d + 1, `MPLS Label: ${w >>> 12}, Traffic Class: ${(w >> 9) & 7}, Bottom of Stack: ${(w >> 8) & 1}, TTL: ${w & 0xff}`);
      }
    } else if (o.data.length) {
      push(ctx, d + 1, `Data: ${hexBytes(o.data, 64)}`);
    }
  }
}

function dissectICMP(ctx: Ctx, depth: number, v: 4 | 6, h: ICMPCommon & { gateway?: string }, exp: Expected): void {
  const tname = icmpTypeName(v, h.type);
  const code = h.code;
  const cname = code === undefined ? undefined : icmpCodeName(v, h.type, code);
  const codeText =
    code === undefined
      ? '(unset)'
      : cname
        ? `${cname} (${code})`
        : (v === 4 ? ICMPV4_TYPES : ICMPV6_TYPES)[h.type]?.codes
          ? `${code} (unknown for ${tname})`
          : String(code);
  push(
    ctx,
    depth,
    `Internet Control Message Protocol${v === 6 ? ' v6' : ''}, Type: ${tname} (${h.type}), Code: ${codeText}`,
  );
  const d = depth + 1;
  push(ctx, d, `Type: ${tname} (${h.type})`);
  push(ctx, d, `Code: ${codeText}`);
  push(ctx, d, `Checksum: ${checksumText(ctx, h.checksum, v === 4 ? exp.icmpv4 : exp.icmpv6)}`);
  if (h.id !== undefined) push(ctx, d, `Identifier: ${hex(h.id)} (${h.id})`);
  if (h.seq !== undefined) push(ctx, d, `Sequence Number: ${h.seq} (${hex(h.seq)})`);
  if (h.gateway !== undefined) push(ctx, d, `Gateway Address: ${h.gateway}`);
  if (h.pointer !== undefined) push(ctx, d, `Pointer: ${h.pointer} (${pointerField(v, h.pointer)})`);
  if (h.length !== undefined) {
    const unit = v === 4 ? 4 : 8;
    push(
      ctx,
      d,
      `Length: ${h.length}` +
        (h.length ? ` (original datagram: ${h.length * unit} bytes, RFC 4884)` : ' (RFC 4884 length not set)'),
    );
  }
  if (h.mtu !== undefined) push(ctx, d, `${v === 4 ? 'Next-Hop MTU' : 'MTU'}: ${h.mtu}`);
  if (h.unused !== undefined) push(ctx, d, `Unused: ${hex(h.unused, 8)}${h.unused ? ' [should be zero]' : ''}`);
  if (h.rest !== undefined) push(ctx, d, `Rest of Header: ${hex(h.rest, 8)}`);
  if (h.quote) {
    dissectInto(ctx, d, h.quote, true);
  }
  if (h.extensions) dissectExtensions(ctx, d, h.extensions);
}

function dnsFlags(m: dnsPacket.DecodedPacket): string {
  const names: string[] = [];
  if (m.flag_aa) names.push('AA');
  if (m.flag_tc) names.push('TC');
  if (m.flag_rd) names.push('RD');
  if (m.flag_ra) names.push('RA');
  if (m.flag_ad) names.push('AD');
  if (m.flag_cd) names.push('CD');
  return names.join(' ');
}

function dnsAnswerText(a: dnsPacket.Answer): string {
  const data = (a as { data?: unknown }).data;
  let value: string;
  if (typeof data === 'string') value = data;
  else if (Buffer.isBuffer(data)) value = hexBytes(data);
  else if (data === undefined) value = '';
  else value = safe(() => JSON.stringify(data, (_k, v) => (v && v.type === 'Buffer' ? '<bytes>' : v))) ?? '';
  const ttl = (a as { ttl?: number }).ttl;
  return `${a.name} ${a.type}${ttl !== undefined ? ` ttl ${ttl}` : ''}${value ? ` ${value}` : ''}`;
}

/** A "Domain Name System" block when the payload parses as DNS. */
function dissectDNS(ctx: Ctx, depth: number, payload: Buffer, overTcp: boolean): boolean {
  const body = overTcp ? (payload.length >= 2 ? payload.subarray(2) : undefined) : payload;
  if (!body || body.length < 12) return false;
  const m = safe(() => dnsPacket.decode(body));
  if (!m) return false;
  const rcode = (m as { rcode?: string }).rcode;
  const kind = m.type === 'response' ? 'response' : 'query';
  push(ctx, depth, `Domain Name System (${kind})`);
  const d = depth + 1;
  push(ctx, d, `Transaction ID: ${hex(m.id)}`);
  push(ctx, d, `Flags: ${hex(m.flags)} (${kind}${dnsFlags(m) ? ` ${dnsFlags(m)}` : ''}${kind === 'response' && rcode ? `, ${rcode}` : ''})`);
  for (const q of m.questions ?? []) push(ctx, d, `Query: ${q.name} ${q.type} ${q.class ?? ''}`.trimEnd());
  for (const a of m.answers ?? []) push(ctx, d, `Answer: ${dnsAnswerText(a)}`);
  for (const a of m.authorities ?? []) push(ctx, d, `Authority: ${dnsAnswerText(a)}`);
  for (const a of m.additionals ?? []) push(ctx, d, `Additional: ${dnsAnswerText(a)}`);
  return true;
}

function dissectPayload(ctx: Ctx, depth: number, p: Packet, payload: Buffer, quoted: boolean): void {
  if (ctx.dns && !quoted) {
    const ports = p.udp ? [p.udp.sport, p.udp.dport] : p.tcp ? [p.tcp.sport, p.tcp.dport] : [];
    if (ports.includes(53) || ports.includes(5353)) safe(() => dissectDNS(ctx, depth, payload, !!p.tcp));
  }
  push(ctx, depth, `Data (${payload.length} bytes)`);
  for (const l of hexDump(payload, ctx.limit)) push(ctx, depth + 1, l);
}

/** Decode notes as "[Malformed: …]"; inside a quote, being cut short is expected and shown as "[Truncated: …]". */
function pushNotes(ctx: Ctx, depth: number, notes: string[], quoted = false): void {
  for (const n of notes) {
    const label = quoted && /truncated|cut short/i.test(n) ? 'Truncated' : 'Malformed';
    push(ctx, depth, `[${label}: ${n}]`);
  }
}

/** Dissects one packet (its layers at `depth`) into ctx.lines. */
function dissectInto(ctx: Ctx, depth: number, p: Packet, quoted: boolean): void {
  const exp: Expected = (ctx.checksums ? safe(() => expectedChecksums(p)) : undefined) ?? {};
  const notes = Array.isArray(p.notes) ? p.notes.map(String) : [];
  const notesFor = (layer: NoteLayer) => notes.filter((n) => noteLayer(n, p) === layer);
  const shown = new Set<NoteLayer>();
  if (quoted) push(ctx, depth, 'Quoted Packet (original datagram)');
  // Layer blocks are at `d`, their notes one level deeper.
  const d = quoted ? depth + 1 : depth;
  const run = (name: NoteLayer, f: (dd: number) => void) => {
    try {
      f(d);
    } catch (e) {
      push(ctx, d + 1, `[Dissector error in ${name}: ${(e as Error)?.message ?? String(e)}]`);
    }
    pushNotes(ctx, d + 1, notesFor(name), quoted);
    shown.add(name);
  };
  if (p.ipv4) run('ipv4', (dd) => dissectIPv4(ctx, dd, p.ipv4 as IPv4Header, exp));
  if (p.ipv6) run('ipv6', (dd) => dissectIPv6(ctx, dd, p.ipv6 as IPv6Header));
  if (p.udp) run('udp', (dd) => dissectUDP(ctx, dd, p.udp as UDPHeader, p, exp));
  if (p.tcp) run('tcp', (dd) => dissectTCP(ctx, dd, p.tcp as TCPHeader, p, exp));
  if (p.icmpv4) run('icmpv4', (dd) => dissectICMP(ctx, dd, 4, p.icmpv4 as ICMPCommon, exp));
  if (p.icmpv6) run('icmpv6', (dd) => dissectICMP(ctx, dd, 6, p.icmpv6 as ICMPCommon, exp));
  if (p.payload && p.payload.length) {
    const payload = Buffer.from(p.payload);
    run('payload', (dd) => dissectPayload(ctx, dd, p, payload, quoted));
  }
  if (p.trailer && p.trailer.length) {
    const trailer = Buffer.from(p.trailer);
    const zero = trailer.every((b) => b === 0);
    const what = quoted ? 'padding of the quote' : 'bytes after the end the IP header declares';
    push(ctx, d, `Trailer (${trailer.length} bytes${zero ? ', all zero' : ''}): ${what}`);
    if (!zero) for (const l of hexDump(trailer, ctx.limit)) push(ctx, d + 1, l);
  }
  // Notes about layers that are not there (cut short before them) or about nothing in particular.
  pushNotes(
    ctx,
    d,
    notes.filter((n) => {
      const l = noteLayer(n, p);
      return l === undefined || !shown.has(l);
    }),
    quoted,
  );
}

function makeCtx(opts: DissectOptions): Ctx {
  const prefixes: Prefix[] = [];
  for (const t of opts.nat64Prefixes ?? ['64:ff9b::/96']) {
    const pr = safe(() => parsePrefix(t));
    if (pr) prefixes.push(pr);
  }
  return {
    lines: [],
    indent: opts.indent ?? '    ',
    limit: opts.payloadLimit ?? 256,
    checksums: opts.checksums ?? true,
    prefixes,
    dns: opts.dns ?? true,
  };
}

/** Decodes bytes without ever throwing (a decoder failure becomes a note). */
function toPacket(input: Packet | Uint8Array): Packet {
  if (!(input instanceof Uint8Array)) return input ?? {};
  try {
    return decode(input);
  } catch (e) {
    return {
      payload: Buffer.from(input),
      notes: [`decoder failed: ${(e as Error)?.message ?? String(e)}`],
    };
  }
}

/**
 * Multi-line, tshark -V style text of a packet (decoded here when given as
 * bytes). Never throws.
 */
export function dissect(packet: Packet | Uint8Array, opts: DissectOptions = {}): string {
  const ctx = makeCtx(opts);
  try {
    dissectInto(ctx, opts.baseDepth ?? 0, toPacket(packet), false);
  } catch (e) {
    push(ctx, opts.baseDepth ?? 0, `[Dissector error: ${(e as Error)?.message ?? String(e)}]`);
  }
  return ctx.lines.join('\n');
}

// ---------------------------------------------------------------- summary

function fragmentSummary(p: Packet): string {
  if (p.ipv4 && (p.ipv4.mf || p.ipv4.fragOffset)) {
    return ` frag off=${(p.ipv4.fragOffset ?? 0) * 8}${p.ipv4.mf ? ' MF' : ''} id=${hex(p.ipv4.id)}`;
  }
  const f = p.ipv6?.extensions?.find((e) => e.kind === 'fragment');
  if (f && f.kind === 'fragment') return ` frag off=${(f.offset ?? 0) * 8}${f.m ? ' M' : ''} id=${hex(f.id, 8)}`;
  return '';
}

function summaryInner(p: Packet, depth: number): string {
  const parts: string[] = [];
  if (p.ipv6) parts.push(`IPv6 ${p.ipv6.src} → ${p.ipv6.dst}`);
  else if (p.ipv4) parts.push(`IPv4 ${p.ipv4.src} → ${p.ipv4.dst}`);
  else parts.push('non-IP');
  const frag = fragmentSummary(p);
  const plen = p.payload?.length ?? 0;
  if (p.udp) parts.push(`UDP ${p.udp.sport} → ${p.udp.dport} len=${plen}`);
  else if (p.tcp) {
    const t = p.tcp;
    const mss = t.options?.find((o) => o.kind === 2 && o.data?.length === 2);
    parts.push(
      `TCP ${t.sport} → ${t.dport} ${tcpFlagsText(t)} seq=${num(t.seq)}` +
        (t.flags?.ack ? ` ack=${num(t.ack)}` : '') +
        ` len=${plen}` +
        (mss?.data ? ` mss=${mss.data.readUInt16BE(0)}` : ''),
    );
  } else if (p.icmpv4 || p.icmpv6) {
    const v: 4 | 6 = p.icmpv4 ? 4 : 6;
    const h = (p.icmpv4 ?? p.icmpv6) as ICMPCommon;
    const cname = h.code === undefined ? undefined : icmpCodeName(v, h.type, h.code);
    let s = `ICMPv${v} ${icmpTypeName(v, h.type)}`;
    if (cname) s += `: ${cname}`;
    else if (h.code) s += ` code=${h.code}`;
    if (h.id !== undefined) s += ` id=${hex(h.id)}`;
    if (h.seq !== undefined) s += ` seq=${h.seq}`;
    if (h.mtu !== undefined) s += ` mtu=${h.mtu}`;
    if (h.pointer !== undefined) s += ` pointer=${h.pointer}`;
    if (h.quote) s += depth < 2 ? ` [quote: ${summaryInner(h.quote, depth + 1)}]` : ' [quote]';
    else if (plen) s += ` len=${plen}`;
    parts.push(s);
  } else {
    const proto = p.ipv4?.protocol ?? lastNextHeader(p.ipv6);
    if (proto !== undefined) parts.push(`${PROTOCOL_NAMES[proto] ?? `proto ${proto}`} len=${plen}`);
    else if (plen) parts.push(`len=${plen}`);
  }
  let out = parts.join(' ') + frag;
  if (p.notes && p.notes.length && depth === 0) {
    out += ` [malformed: ${p.notes[0]}${p.notes.length > 1 ? ` (+${p.notes.length - 1} more)` : ''}]`;
  }
  return out;
}

function lastNextHeader(h: IPv6Header | undefined): number | undefined {
  if (!h) return undefined;
  const ext = h.extensions ?? [];
  return ext.length ? ext[ext.length - 1].nextHeader : h.nextHeader;
}

/** One line: "IPv6 2001:db8::1 → 64:ff9b::c633:6401 UDP 4000 → 53 len=12". Never throws. */
export function summary(packet: Packet | Uint8Array): string {
  try {
    return summaryInner(toPacket(packet), 0);
  } catch (e) {
    return `[unsummarisable packet: ${(e as Error)?.message ?? String(e)}]`;
  }
}
