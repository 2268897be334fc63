/**
 * Reading decoded DNS messages for checks: header bits, RCODE, records by
 * section and type, and one-line descriptions the check details quote.
 * Names compare case-insensitively and without the trailing dot, as DNS
 * names do (RFC 4343); addresses compare in canonical RFC 5952 text.
 */
import type * as dnsPacket from 'dns-packet';
import { canonical } from '../../harness/packet/address';
import type { DnsExchange, DnsSeen } from '../../harness/runner/dns-case';

export type Message = dnsPacket.Packet;
/** A resource record with data (the OPT pseudo-record is not one). */
export type Record = Exclude<dnsPacket.Answer, dnsPacket.OptAnswer>;

/** Header bits (RFC 1035 §4.1.1, RFC 4035 §3.2 for AD and CD). */
export const FLAG = { AA: 1 << 10, TC: 1 << 9, RD: 1 << 8, RA: 1 << 7, AD: 1 << 5, CD: 1 << 4 } as const;

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

export function rcode(m: Message): number {
  return (m.flags ?? 0) & 0xf;
}

export function rcodeName(n: number): string {
  return RCODE_NAMES[n] ?? `RCODE ${n}`;
}

export function hasFlag(m: Message, f: number): boolean {
  return ((m.flags ?? 0) & f) !== 0;
}

export function normName(name: string): string {
  return name.replace(/\.$/, '').toLowerCase();
}

export function sameName(a: string, b: string): boolean {
  return normName(a) === normName(b);
}

/** Records of a section, optionally of one type (OPT never counts as data). */
export function records(section: dnsPacket.Answer[] | undefined, type?: string): Record[] {
  return (section ?? []).filter((r): r is Record => r.type !== 'OPT' && (type === undefined || r.type === type));
}

export function answers(m: Message, type?: string): Record[] {
  return records(m.answers, type);
}

/** AAAA addresses of the answer section in canonical text, in order. */
export function aaaaOf(m: Message): string[] {
  return answers(m, 'AAAA').map((r) => canonical(String(r.data)));
}

export function aOf(m: Message): string[] {
  return answers(m, 'A').map((r) => String(r.data));
}

function dataText(r: Record): string {
  const d = (r as { data?: unknown }).data;
  if (r.type === 'AAAA') return canonical(String(d));
  if (typeof d === 'string') return d;
  if (Buffer.isBuffer(d)) return `0x${d.toString('hex')}`;
  if (Array.isArray(d)) return d.map((x) => (Buffer.isBuffer(x) ? x.toString() : String(x))).join(' ');
  if (d && typeof d === 'object') {
    return Object.entries(d as object)
      .map(([k, v]) => `${k}=${Buffer.isBuffer(v) ? '0x' + v.toString('hex').slice(0, 16) : String(v)}`)
      .join(',');
  }
  return String(d);
}

/** "a-only.dns64.test 300 IN AAAA 2001:db8:64::640:a" */
export function describeRecord(r: Record): string {
  const ttl = (r as { ttl?: number }).ttl;
  const cls = (r as { class?: string }).class ?? 'IN';
  return `${normName(r.name)} ${ttl ?? '-'} ${cls} ${r.type} ${dataText(r)}`;
}

export function describeRecords(list: Record[]): string {
  return list.length === 0 ? '(none)' : list.map(describeRecord).join('; ');
}

/** Identity of a record without its TTL (TTLs count down in caches). */
export function recordKey(r: Record): string {
  const cls = (r as { class?: string }).class ?? 'IN';
  return `${normName(r.name)} ${cls} ${r.type} ${dataText(r).toLowerCase()}`;
}

/** "NOERROR AA=0 TC=0 AD=0, answer: ...; authority: ..." for details. */
export function describeMessage(m: Message): string {
  const bits = ['AA', 'TC', 'AD', 'CD'].map((b) => `${b}=${hasFlag(m, FLAG[b as keyof typeof FLAG]) ? 1 : 0}`).join(' ');
  return `${rcodeName(rcode(m))} ${bits}, answer: ${describeRecords(answers(m))}; authority: ${describeRecords(records(m.authorities))}`;
}

/** The decoded response of an exchange, or why there is none (no answer, or bytes that do not decode). */
export function responseOf(ex: DnsExchange): { m: Message; seen: DnsSeen } | { why: string } {
  if (!ex.response) return { why: 'no response from the DNS64 in time' };
  if (!ex.response.message) return { why: `response does not decode (${ex.response.decodeError ?? 'unknown error'})` };
  return { m: ex.response.message, seen: ex.response };
}

/** Upstream queries of one type for one name (case-insensitive), as the authority received them. */
export function upstreamFor(ex: DnsExchange, name: string, type?: string): DnsSeen[] {
  return ex.upstream.filter((u) =>
    (u.message?.questions ?? []).some((q) => sameName(q.name, name) && (type === undefined || q.type === type)),
  );
}

/** "AAAA x.dns64.test, A x.dns64.test" for details. */
export function describeUpstream(list: DnsSeen[]): string {
  if (list.length === 0) return 'none';
  return list
    .map((u) => (u.message?.questions ?? []).map((q) => `${q.type} ${normName(q.name)}`).join(',') || '(undecodable)')
    .join(', ');
}

/** The DO bit of a message's OPT record (RFC 3225). */
export function doBit(m: Message): boolean {
  const opt = (m.additionals ?? []).find((r) => r.type === 'OPT') as dnsPacket.OptAnswer | undefined;
  return !!opt && ((opt.flags ?? 0) & (1 << 15)) !== 0;
}
