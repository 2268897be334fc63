/**
 * DNS messages as text for the evidence: a dig-like dissection (header,
 * EDNS pseudo-section, every section in presentation format) and a one-line
 * summary. Bytes that do not decode are shown as the decode error and a hex
 * dump, since a malformed message from a target is evidence too.
 */
import * as dnsPacket from 'dns-packet';
import { canonical } from '../packet/address';
import { hexDump } from '../packet/dissect';

const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'];
const OPCODES = ['QUERY', 'IQUERY', 'STATUS', 'OPCODE3', 'NOTIFY', 'UPDATE'];

type Rec = dnsPacket.Answer;

function fqdn(name: string | undefined): string {
  if (!name || name === '.') return '.';
  return name.endsWith('.') ? name : `${name}.`;
}

/** The response code, with the EDNS extended bits when there is an OPT record. */
export function rcodeOf(m: dnsPacket.Packet): string {
  const opt = optOf(m);
  const n = ((opt?.extendedRcode ?? 0) << 4) | ((m.flags ?? 0) & 0xf);
  if (n === 16) return 'BADVERS';
  return RCODES[n] ?? `RCODE${n}`;
}

export function optOf(m: dnsPacket.Packet): dnsPacket.OptAnswer | undefined {
  return (m.additionals ?? []).find((a) => a.type === 'OPT') as dnsPacket.OptAnswer | undefined;
}

function flagsText(m: dnsPacket.Packet): string {
  const f = m.flags ?? 0;
  const out: string[] = [];
  if (m.type === 'response') out.push('qr');
  const bits: [number, string][] = [
    [1 << 10, 'aa'], [1 << 9, 'tc'], [1 << 8, 'rd'], [1 << 7, 'ra'], [1 << 6, 'z'], [1 << 5, 'ad'], [1 << 4, 'cd'],
  ];
  for (const [b, n] of bits) if (f & b) out.push(n);
  return out.join(' ');
}

function sigTime(s: number): string {
  return new Date(s * 1000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

function b64(b: unknown): string {
  return Buffer.isBuffer(b) ? b.toString('base64') : String(b);
}

/** Record data in presentation format (RFC 1035 §5.1 and each type's RFC). */
export function rdataText(r: Rec): string {
  const d = (r as { data?: any }).data;
  try {
    switch (r.type) {
      case 'A':
        return String(d);
      case 'AAAA':
        return canonical(String(d));
      case 'NS':
      case 'CNAME':
      case 'DNAME':
      case 'PTR':
        return fqdn(d);
      case 'MX':
        return `${d.preference} ${fqdn(d.exchange)}`;
      case 'SOA':
        return `${fqdn(d.mname)} ${fqdn(d.rname)} ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`;
      case 'TXT':
        return (Array.isArray(d) ? d : [d]).map((s: Buffer | string) => JSON.stringify(Buffer.isBuffer(s) ? s.toString('latin1') : s)).join(' ');
      case 'RRSIG':
        return `${d.typeCovered} ${d.algorithm} ${d.labels} ${d.originalTTL} ${sigTime(d.expiration)} ${sigTime(d.inception)} ${d.keyTag} ${fqdn(d.signersName)} ${b64(d.signature)}`;
      case 'NSEC':
        return `${fqdn(d.nextDomain)} ${(d.rrtypes ?? []).join(' ')}`;
      case 'DNSKEY':
        return `${d.flags} 3 ${d.algorithm} ${b64(d.key)}`;
      case 'DS':
        return `${d.keyTag} ${d.algorithm} ${d.digestType} ${Buffer.isBuffer(d.digest) ? d.digest.toString('hex').toUpperCase() : d.digest}`;
      default:
        if (Buffer.isBuffer(d)) return `\\# ${d.length} ${d.toString('hex')}`;
        return JSON.stringify(d);
    }
  } catch {
    return JSON.stringify(d);
  }
}

function recordLine(r: Rec): string {
  const x = r as { ttl?: number; class?: string };
  return `${fqdn(r.name)}\t${x.ttl ?? 0}\t${x.class ?? 'IN'}\t${r.type}\t${rdataText(r)}`;
}

/** dig-style text of a decoded message. */
export function formatMessage(m: dnsPacket.Packet): string {
  const lines: string[] = [];
  const opcode = ((m.flags ?? 0) >> 11) & 0xf;
  const q = m.questions ?? [];
  const an = m.answers ?? [];
  const ns = m.authorities ?? [];
  const ar = m.additionals ?? [];
  lines.push(`;; ->>HEADER<<- opcode: ${OPCODES[opcode] ?? opcode}, status: ${rcodeOf(m)}, id: ${m.id ?? 0}`);
  lines.push(`;; flags: ${flagsText(m)}; QUERY: ${q.length}, ANSWER: ${an.length}, AUTHORITY: ${ns.length}, ADDITIONAL: ${ar.length}`);
  const opt = optOf(m);
  if (opt) {
    lines.push('', ';; OPT PSEUDOSECTION:');
    const f = opt.flags ?? 0;
    lines.push(`; EDNS: version: ${opt.ednsVersion ?? 0}, flags:${f & dnsPacket.DNSSEC_OK ? ' do' : ''}; udp: ${opt.udpPayloadSize}`);
    for (const o of opt.options ?? []) lines.push(`; option ${(o as { code?: number | string }).code}: ${JSON.stringify((o as { data?: unknown }).data ?? '')}`);
  }
  lines.push('', ';; QUESTION SECTION:');
  for (const x of q) lines.push(`;${fqdn(x.name)}\t\t${x.class ?? 'IN'}\t${x.type}`);
  const section = (title: string, rs: Rec[]) => {
    const real = rs.filter((r) => r.type !== 'OPT');
    if (!real.length) return;
    lines.push('', `;; ${title} SECTION:`);
    for (const r of real) lines.push(recordLine(r));
  };
  section('ANSWER', an);
  section('AUTHORITY', ns);
  section('ADDITIONAL', ar);
  return lines.join('\n');
}

/** Text of bytes that may not decode. */
export function formatBytes(bytes: Buffer): { text: string; message?: dnsPacket.Packet; error?: string } {
  try {
    const message = dnsPacket.decode(bytes);
    return { text: formatMessage(message), message };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    return { text: [`;; undecodable DNS message (${bytes.length} octets): ${error}`, ...hexDump(bytes, 1024)].join('\n'), error };
  }
}

function answerSummary(m: dnsPacket.Packet): string {
  const an = (m.answers ?? []).filter((r) => r.type !== 'RRSIG');
  if (!an.length) {
    const soa = (m.authorities ?? []).some((r) => r.type === 'SOA');
    return soa ? 'no answer, SOA' : 'no answer';
  }
  const byType = new Map<string, Rec[]>();
  for (const r of an) byType.set(r.type, [...(byType.get(r.type) ?? []), r]);
  return [...byType].map(([t, rs]) => `${rs.length} ${t} ${rdataText(rs[0])}${rs.length > 1 ? ' …' : ''}`).join(', ');
}

/** One line: `query AAAA a-only.dns64.test DO` or `response NOERROR 1 AAAA 2001:db8:64::640a:a`. */
export function summaryLine(role: 'query' | 'response' | 'upstream', m: dnsPacket.Packet | undefined, bytes: Buffer, error?: string): string {
  if (!m) return `${role} undecodable, ${bytes.length} octets${error ? `: ${error}` : ''}`;
  const q = (m.questions ?? [])[0];
  const opt = optOf(m);
  const bits: string[] = [];
  if (opt && (opt.flags ?? 0) & dnsPacket.DNSSEC_OK) bits.push('DO');
  const f = m.flags ?? 0;
  if (f & (1 << 4)) bits.push('CD');
  if (f & (1 << 5)) bits.push('AD');
  if (m.type === 'response') {
    if (f & (1 << 9)) bits.push('TC');
    if (f & (1 << 10)) bits.push('AA');
    return `${role} ${rcodeOf(m)}${bits.length ? ` ${bits.join(' ')}` : ''} ${answerSummary(m)}`;
  }
  const cls = q?.class && q.class !== 'IN' ? ` ${q.class}` : '';
  if (!(f & (1 << 8))) bits.push('no RD');
  if (!opt) bits.push('no EDNS');
  return `${role} ${q ? `${q.type}${cls} ${q.name}` : '(no question)'}${bits.length ? ` ${bits.join(' ')}` : ''}`;
}
