/** Query building and answer reading for the DNS tests. */
import * as dnsPacket from 'dns-packet';
import type { Authority } from '../../harness/dns/authority';

export interface AskOptions {
  edns?: false | number;
  do?: boolean;
  cls?: 'IN' | 'CH';
  rd?: boolean;
  cd?: boolean;
  transport?: 'udp' | 'tcp';
  id?: number;
}

export function query(name: string, type: string, o: AskOptions = {}): Buffer {
  const additionals = o.edns === false ? [] : [{ name: '.', type: 'OPT', udpPayloadSize: o.edns ?? 1232, flags: o.do ? dnsPacket.DNSSEC_OK : 0, options: [] }];
  return dnsPacket.encode({
    type: 'query',
    id: o.id ?? 0x4242,
    flags: (o.rd === false ? 0 : dnsPacket.RECURSION_DESIRED) | (o.cd ? dnsPacket.CHECKING_DISABLED : 0),
    questions: [{ name, type: type as dnsPacket.RecordType, class: o.cls ?? 'IN' }],
    additionals: additionals as unknown as dnsPacket.Answer[],
  });
}

export type Rec = { name: string; type: string; class?: string; ttl?: number; data?: any };

export interface Answer {
  bytes: Buffer;
  m: dnsPacket.DecodedPacket;
  rcode: number;
  aa: boolean;
  tc: boolean;
  answers: Rec[];
  authorities: Rec[];
  additionals: Rec[];
  delayMs?: number;
}

export function read(bytes: Buffer, delayMs?: number): Answer {
  const m = dnsPacket.decode(bytes);
  const f = m.flags ?? 0;
  return {
    bytes,
    m,
    rcode: f & 0xf,
    aa: !!(f & dnsPacket.AUTHORITATIVE_ANSWER),
    tc: !!(f & dnsPacket.TRUNCATED_RESPONSE),
    answers: (m.answers ?? []) as Rec[],
    authorities: (m.authorities ?? []) as Rec[],
    additionals: ((m.additionals ?? []) as Rec[]).filter((r) => r.type !== 'OPT'),
    delayMs,
  };
}

export function ask(auth: Authority, name: string, type: string, o: AskOptions = {}): Answer {
  const a = auth.answer(query(name, type, o), o.transport ?? 'udp');
  if (!a.bytes) throw new Error(`no answer for ${name} ${type}`);
  return read(a.bytes, a.delayMs);
}

export function data(rs: Rec[], type: string): string[] {
  return rs.filter((r) => r.type === type).map((r) => (typeof r.data === 'string' ? r.data : JSON.stringify(r.data)));
}
