/**
 * DNS message helpers for the DNS64: decoding that never throws (a malformed
 * message is evidence), header bits, EDNS(0), building responses, and the
 * RFC 1035 §4.2.1 / RFC 6891 §7 size limit with TC.
 */
import * as packet from 'dns-packet';

/** A resource record in dns-packet's shape. */
export interface Rr {
  name: string;
  type: string;
  class?: string;
  ttl?: number;
  data?: any;
  // OPT fields (dns-packet puts them on the record itself)
  udpPayloadSize?: number;
  flags?: number;
  flag_do?: boolean;
  extendedRcode?: number;
  ednsVersion?: number;
  options?: unknown[];
}

export interface Msg {
  id: number;
  type: 'query' | 'response';
  flags: number;
  questions: { name: string; type: string; class: string }[];
  answers: Rr[];
  authorities: Rr[];
  additionals: Rr[];
}

export const FLAG = {
  QR: 1 << 15,
  AA: packet.AUTHORITATIVE_ANSWER,
  TC: packet.TRUNCATED_RESPONSE,
  RD: packet.RECURSION_DESIRED,
  RA: packet.RECURSION_AVAILABLE,
  AD: packet.AUTHENTIC_DATA,
  CD: packet.CHECKING_DISABLED,
} as const;

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

const DNSSEC_TYPES = new Set(['RRSIG', 'NSEC', 'NSEC3']);

export function isDnssecType(type: string): boolean {
  return DNSSEC_TYPES.has(type);
}

/** Decode or undefined; dns-packet throws on malformed input. */
export function decode(bytes: Buffer): Msg | undefined {
  try {
    const m = packet.decode(bytes) as any;
    return {
      id: m.id ?? 0,
      type: m.type,
      flags: (m.flags ?? 0) & 0x7fff,
      questions: (m.questions ?? []).map((q: any) => ({ name: q.name, type: q.type, class: q.class ?? 'IN' })),
      answers: m.answers ?? [],
      authorities: m.authorities ?? [],
      additionals: m.additionals ?? [],
    };
  } catch {
    return undefined;
  }
}

export function encode(m: Msg): Buffer {
  return packet.encode({
    id: m.id,
    type: m.type,
    flags: m.flags & 0x7fff,
    questions: m.questions,
    answers: m.answers,
    authorities: m.authorities,
    additionals: m.additionals,
  } as any);
}

export function rcode(m: Msg): number {
  return m.flags & 0xf;
}

export function withRcode(flags: number, rc: number): number {
  return (flags & ~0xf) | (rc & 0xf);
}

export function has(m: Msg, flag: number): boolean {
  return (m.flags & flag) !== 0;
}

export function opt(m: Msg): Rr | undefined {
  return m.additionals.find((r) => r.type === 'OPT');
}

/** EDNS view of a query: whether OPT was present, the payload size and DO. */
export function edns(m: Msg): { present: boolean; udpSize: number; do: boolean } {
  const o = opt(m);
  if (!o) return { present: false, udpSize: 512, do: false };
  // RFC 6891 §6.2.5: values below 512 are treated as 512.
  return { present: true, udpSize: Math.max(512, o.udpPayloadSize ?? 512), do: ((o.flags ?? 0) & packet.DNSSEC_OK) !== 0 };
}

/** The payload size this server advertises and accepts upstream (the DNS flag day 2020 value). */
export const OUR_UDP_SIZE = 1232;

export function optRecord(dnssecOk: boolean): Rr {
  return { name: '.', type: 'OPT', udpPayloadSize: OUR_UDP_SIZE, extendedRcode: 0, ednsVersion: 0, flags: dnssecOk ? packet.DNSSEC_OK : 0, options: [] };
}

/** A response header for `query` with RA set, RD copied, CD copied (RFC 4035 §3.2.2). */
export function responseTo(query: Msg, rc: number, extra = 0): Msg {
  const flags = FLAG.QR | (query.flags & (FLAG.RD | FLAG.CD)) | FLAG.RA | extra;
  return { id: query.id, type: 'response', flags: withRcode(flags, rc), questions: query.questions.slice(0, 1), answers: [], authorities: [], additionals: [] };
}

/**
 * FORMERR for bytes that did not decode: the header ID and opcode are echoed
 * when at least the 12-octet header came in (RFC 1035 §4.1.1), else nothing
 * can be answered.
 */
export function formErrBytes(bytes: Buffer, rc: number = RCODE.FORMERR): Buffer | undefined {
  if (bytes.length < 12) return undefined;
  if (bytes[2] & 0x80) return undefined; // a response: never answer it
  const out = Buffer.alloc(12);
  bytes.copy(out, 0, 0, 2);
  out[2] = 0x80 | (bytes[2] & 0x79); // QR, opcode, RD
  out[3] = 0x80 | (rc & 0xf);
  return out;
}

/**
 * Fit `m` into `limit` octets for UDP: when it does not fit, the reply keeps
 * its header and question (and OPT) with TC=1 and nothing else, so the
 * client retries over TCP (RFC 2181 §9: no partial RRsets).
 */
export function fitUdp(m: Msg, limit: number): Buffer {
  const full = encode(m);
  if (full.length <= limit) return full;
  const o = opt(m);
  return encode({ ...m, flags: m.flags | FLAG.TC, answers: [], authorities: [], additionals: o ? [o] : [] });
}

/** Records of one name/type (case-insensitive names). */
export function sameName(a: string, b: string): boolean {
  return a.toLowerCase().replace(/\.$/, '') === b.toLowerCase().replace(/\.$/, '');
}
