/**
 * A tiny authoritative server for the DNS64 tests: answers from records
 * (the lab's dns64.test data and the committed signed.test fixture), with
 * NSEC denial for the signed zone, and per-name misbehaviour (SERVFAIL,
 * REFUSED, no answer). It is the DNS64's UpstreamTransport.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as packet from 'dns-packet';
import type { UpstreamTransport } from '../../engine/dns64/api';
import { canonicalCompare, isSubdomain, labels, normalName } from '../../engine/dns64/dnssec';
import { parseZoneFile } from '../../harness/dns/zonefile';

export interface Rec {
  name: string;
  type: string;
  class?: string;
  ttl: number;
  data: any;
}

export interface Seen {
  message: any;
  transport: 'udp' | 'tcp';
  sourcePort: number;
  server: string;
}

export type Behaviour = 'servfail' | 'refused' | 'nxdomain' | 'drop' | 'nodata-no-soa' | 'strip-nsec';

const root = path.resolve(__dirname, '../../..');

export function signedRecords(): Rec[] {
  const text = fs.readFileSync(path.join(root, 'fixtures/zones/signed.test.zone.signed'), 'utf8');
  return parseZoneFile(text, 'signed.test.zone.signed') as Rec[];
}

export function trustAnchor(): string {
  return fs.readFileSync(path.join(root, 'fixtures/zones/signed.test.ds'), 'utf8').trim();
}

const soa = (zone: string, minimum = 300): Rec => ({ name: zone, type: 'SOA', ttl: 600, data: { mname: 'ns.dns64.test', rname: 'hostmaster.dns64.test', serial: 1, refresh: 3600, retry: 900, expire: 604800, minimum } });

export function labRecords(): Rec[] {
  const r: Rec[] = [soa('dns64.test'), soa('other.test'), soa('soa30.test', 30), soa('100.in-addr.arpa')];
  const a = (name: string, addrs: string[], ttl = 3600) => addrs.forEach((x) => r.push({ name, type: 'A', ttl, data: x }));
  const q = (name: string, addrs: string[], ttl = 3600) => addrs.forEach((x) => r.push({ name, type: 'AAAA', ttl, data: x }));
  a('a-only.dns64.test', ['100.0.0.10']);
  r.push({ name: 'a-only.dns64.test', type: 'A', class: 'CH', ttl: 3600, data: '100.0.0.10' });
  a('a-multi.dns64.test', ['100.0.0.11', '100.0.0.12']);
  a('a-short.dns64.test', ['100.0.0.13'], 60);
  a('dual.dns64.test', ['100.0.0.20']);
  q('dual.dns64.test', ['2001:db8:d0a1::20']);
  q('aaaa-only.dns64.test', ['2001:db8:d0a1::21']);
  q('mapped-only.dns64.test', ['::ffff:100.0.0.22']);
  a('mapped-a.dns64.test', ['100.0.0.23']);
  q('mapped-a.dns64.test', ['::ffff:100.0.0.23']);
  a('mapped-mixed.dns64.test', ['100.0.0.24']);
  q('mapped-mixed.dns64.test', ['::ffff:100.0.0.24', '2001:db8:d0a1::24']);
  a('excluded.dns64.test', ['100.0.0.25']);
  q('excluded.dns64.test', ['2001:db8:bad::25']);
  a('excluded-mixed.dns64.test', ['100.0.0.26']);
  q('excluded-mixed.dns64.test', ['2001:db8:bad::26', '2001:db8:d0a1::26']);
  r.push({ name: 'cname1.dns64.test', type: 'CNAME', ttl: 3600, data: 'cname2.dns64.test' });
  r.push({ name: 'cname2.dns64.test', type: 'CNAME', ttl: 3600, data: 'a-only.dns64.test' });
  r.push({ name: 'cname-dual.dns64.test', type: 'CNAME', ttl: 3600, data: 'dual.dns64.test' });
  r.push({ name: 'cname-out.dns64.test', type: 'CNAME', ttl: 3600, data: 'a-only.other.test' });
  r.push({ name: 'sub.dns64.test', type: 'DNAME', ttl: 3600, data: 'sub.other.test' });
  a('host.sub.other.test', ['100.0.0.30']);
  r.push({ name: 'nodata.dns64.test', type: 'TXT', ttl: 3600, data: [Buffer.from('exists but has no A or AAAA')] });
  a('servfail-aaaa.dns64.test', ['100.0.0.31']);
  a('refused-aaaa.dns64.test', ['100.0.0.32']);
  a('timeout-aaaa.dns64.test', ['100.0.0.33']);
  r.push({ name: 'servfail-a.dns64.test', type: 'TXT', ttl: 3600, data: [Buffer.from('x')] });
  a('no-soa.dns64.test', ['100.0.0.35']);
  a('priv10.dns64.test', ['10.1.2.3']);
  a('mixed.dns64.test', ['10.1.2.4', '100.0.0.34']);
  a('second-range.dns64.test', ['101.0.0.40']);
  for (let i = 0; i < 40; i++) a('big.dns64.test', [`100.0.1.${i + 1}`]);
  r.push({ name: 'mx.dns64.test', type: 'MX', ttl: 3600, data: { preference: 10, exchange: 'a-only.dns64.test' } });
  a('*.a.fresh.dns64.test', ['100.0.0.70']);
  a('a-only.soa30.test', ['100.0.0.36']);
  a('a-only.other.test', ['100.0.0.10']);
  r.push({ name: '10.0.0.100.in-addr.arpa', type: 'PTR', ttl: 3600, data: 'a-only.dns64.test' });
  r.push({ name: '20.0.0.100.in-addr.arpa', type: 'PTR', ttl: 3600, data: 'dual.dns64.test' });
  return r;
}

const ZONES = ['dns64.test', 'other.test', 'soa30.test', '100.in-addr.arpa', 'signed.test'];

export class FakeUpstream implements UpstreamTransport {
  readonly seen: Seen[] = [];
  readonly behaviour = new Map<string, Behaviour>();
  /** Extra records for the additional section of one name|type answer. */
  readonly additional = new Map<string, Rec[]>();
  constructor(readonly records: Rec[] = [...labRecords(), ...signedRecords()]) {}

  /** Misbehave for one name (and type, or every type with "*"). */
  misbehave(name: string, type: string, b: Behaviour): this {
    this.behaviour.set(`${normalName(name)}|${type}`, b);
    return this;
  }

  queries(type?: string): any[] {
    return this.seen.map((s) => s.message).filter((m) => !type || m.questions[0].type === type);
  }

  async exchange(server: { address: string; port: number }, bytes: Buffer, opts: { transport: 'udp' | 'tcp'; sourcePort: number; timeoutMs: number }): Promise<Buffer | undefined> {
    const q: any = packet.decode(bytes);
    this.seen.push({ message: q, transport: opts.transport, sourcePort: opts.sourcePort, server: `${server.address}#${server.port}` });
    const question = q.questions[0];
    const b = this.behaviour.get(`${normalName(question.name)}|${question.type}`) ?? this.behaviour.get(`${normalName(question.name)}|*`);
    if (b === 'drop') return undefined;
    const opt = (q.additionals ?? []).find((x: any) => x.type === 'OPT');
    const dnssecOk = !!opt && (opt.flags & packet.DNSSEC_OK) !== 0;
    const res: any = { id: q.id, type: 'response', flags: packet.AUTHORITATIVE_ANSWER | (q.flags & packet.RECURSION_DESIRED), questions: q.questions, answers: [], authorities: [], additionals: opt ? [{ name: '.', type: 'OPT', udpPayloadSize: 1232, flags: opt.flags & packet.DNSSEC_OK }] : [] };
    let rcode = 0;
    if (b === 'servfail') rcode = 2;
    else if (b === 'refused') rcode = 5;
    else if (b === 'nxdomain') rcode = 3;
    else rcode = this.answer(question.name, question.type, question.class ?? 'IN', dnssecOk, res, b);
    res.flags |= rcode;
    for (const x of this.additional.get(`${normalName(question.name)}|${question.type}`) ?? []) res.additionals.push({ ...x, class: x.class ?? 'IN' });
    let out = packet.encode(res);
    const limit = opts.transport === 'udp' ? (opt ? opt.udpPayloadSize : 512) : 65535;
    if (out.length > limit) out = packet.encode({ ...res, flags: res.flags | packet.TRUNCATED_RESPONSE, answers: [], authorities: [], additionals: res.additionals });
    return out;
  }

  private zoneOf(name: string): string | undefined {
    return ZONES.filter((z) => isSubdomain(name, z)).sort((a, b) => b.length - a.length)[0];
  }

  private at(name: string, cls = 'IN'): Rec[] {
    return this.records.filter((r) => normalName(r.name) === normalName(name) && (r.class ?? 'IN') === cls);
  }

  private sigs(name: string, type: string, owner = name): Rec[] {
    return this.at(name).filter((r) => r.type === 'RRSIG' && r.data.typeCovered === type).map((r) => ({ ...r, name: owner }));
  }

  private nsecCovering(zone: string, name: string): Rec | undefined {
    return this.records.find((r) => r.type === 'NSEC' && isSubdomain(r.name, zone) && canonicalCompare(r.name, name) < 0 && (canonicalCompare(name, r.data.nextDomain) < 0 || canonicalCompare(r.data.nextDomain, r.name) <= 0));
  }

  private answer(qname: string, qtype: string, cls: string, dnssecOk: boolean, res: any, b?: Behaviour): number {
    let name = normalName(qname);
    const push = (list: any[], recs: Rec[]) => recs.forEach((r) => list.push({ name: r.name, type: r.type, class: r.class ?? 'IN', ttl: r.ttl, data: r.data }));
    for (let hop = 0; hop < 8; hop++) {
      const zone = this.zoneOf(name);
      if (!zone) return hop === 0 ? 5 : 0;
      const here = this.at(name, cls);
      const exact = here.filter((r) => r.type === qtype);
      if (exact.length) {
        push(res.answers, exact);
        if (dnssecOk) push(res.answers, this.sigs(name, qtype));
        return 0;
      }
      const cname = here.find((r) => r.type === 'CNAME');
      if (cname) {
        push(res.answers, [cname]);
        if (dnssecOk) push(res.answers, this.sigs(name, 'CNAME'));
        name = normalName(cname.data);
        if (this.zoneOf(name) !== zone) return 0;
        continue;
      }
      const dname = this.records.find((r) => r.type === 'DNAME' && name.endsWith(`.${normalName(r.name)}`));
      if (dname) {
        const target = `${name.slice(0, name.length - normalName(dname.name).length)}${normalName(dname.data)}`;
        push(res.answers, [dname, { name, type: 'CNAME', ttl: dname.ttl, data: target }]);
        name = target;
        if (this.zoneOf(name) !== zone) return 0;
        continue;
      }
      const soaRec = this.at(zone).find((r) => r.type === 'SOA')!;
      const negSoa = { ...soaRec, ttl: Math.min(soaRec.ttl, soaRec.data.minimum) };
      const exists = here.length > 0 || this.records.some((r) => normalName(r.name).endsWith(`.${name}`));
      const negative = (rc: number, nsecs: Rec[]) => {
        if (b !== 'nodata-no-soa') push(res.authorities, [negSoa]);
        if (dnssecOk && b !== 'strip-nsec') {
          push(res.authorities, this.sigs(zone, 'SOA'));
          for (const n of nsecs) {
            push(res.authorities, [n]);
            push(res.authorities, this.sigs(n.name, 'NSEC'));
          }
        }
        return rc;
      };
      if (exists) return negative(0, this.at(name).filter((r) => r.type === 'NSEC'));
      // Wildcard at the closest encloser.
      let ce = name;
      while (ce !== zone && !this.records.some((r) => normalName(r.name) === ce || normalName(r.name).endsWith(`.${ce}`))) ce = labels(ce).slice(1).join('.');
      const wild = this.at(`*.${ce}`, cls);
      const cover = this.nsecCovering(zone, name);
      if (wild.length) {
        const w = wild.filter((r) => r.type === qtype);
        if (w.length) {
          push(res.answers, w.map((r) => ({ ...r, name: qname })));
          if (dnssecOk) {
            push(res.answers, this.sigs(`*.${ce}`, qtype, qname));
            if (cover) {
              push(res.authorities, [cover]);
              push(res.authorities, this.sigs(cover.name, 'NSEC'));
            }
          }
          return 0;
        }
        return negative(0, cover ? [cover] : []);
      }
      const wcover = this.nsecCovering(zone, `*.${ce}`);
      return negative(3, [cover, wcover].filter((x, i, all): x is Rec => !!x && all.indexOf(x) === i));
    }
    return 0;
  }
}
