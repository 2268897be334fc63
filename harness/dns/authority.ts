/**
 * The harness's authoritative DNS server, as a pure function from query bytes
 * to response bytes: the lookup of RFC 1034 §4.3.2 (referrals, CNAME within
 * the zone, DNAME synthesis per RFC 6672, wildcards, NODATA/NXDOMAIN with the
 * RFC 2308 negative TTL), DNSSEC data only with DO (RFC 4035 §3.1), UDP
 * truncation (RFC 1035 §4.2.1, RFC 6891 §7) and the lab's deliberate
 * misbehaviours. Sockets live in server.ts; in-process targets call this
 * directly.
 *
 * Malformed queries get FORMERR and never throw: the query came from the
 * server under test, and what it sent is part of the evidence.
 */
import * as dnsPacket from 'dns-packet';
import { buildZones } from './zones';
import type { Misbehaviour, Zone, ZoneSet } from './zones';
import type { ZoneRecord } from './zonefile';
import { toAnswer } from './zonefile';

export interface AuthorityAnswer {
  /** undefined = no answer (timeout names, or a message that was not a query). */
  bytes?: Buffer;
  delayMs?: number;
}

export interface Authority {
  answer(query: Buffer, transport: 'udp' | 'tcp'): AuthorityAnswer;
}

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
type Rcode = keyof typeof RCODE;

const CNAME_CHAIN_LIMIT = 8;

/** Names are compared in lower case without the trailing dot; the root is '.'. */
function norm(name: string): string {
  const n = name.toLowerCase().replace(/\.$/, '');
  return n === '' ? '.' : n;
}

function labels(name: string): string[] {
  return name === '.' ? [] : name.split('.');
}

function under(name: string, origin: string): boolean {
  return origin === '.' || name === origin || name.endsWith(`.${origin}`);
}

/** Ancestors of `name` strictly below `origin`, nearest the origin first. */
function between(name: string, origin: string): string[] {
  const l = labels(name);
  const keep = labels(origin).length;
  const out: string[] = [];
  for (let i = l.length - keep - 1; i >= 1; i--) out.push(l.slice(i).join('.'));
  return out;
}

/** RFC 4034 §6.1 canonical order: labels compared from the right, lower case, octet by octet. */
export function canonicalCompare(a: string, b: string): number {
  const la = labels(norm(a)).reverse();
  const lb = labels(norm(b)).reverse();
  for (let i = 0; i < Math.min(la.length, lb.length); i++) {
    const c = Buffer.compare(Buffer.from(la[i]), Buffer.from(lb[i]));
    if (c) return c;
  }
  return la.length - lb.length;
}

interface Result {
  rcode: Rcode;
  aa: boolean;
  answers: dnsPacket.Answer[];
  authorities: dnsPacket.Answer[];
  additionals: dnsPacket.Answer[];
}

interface Ask {
  type: string;
  cls: string;
  dnssec: boolean;
  noSoa: boolean;
}

class Resolver {
  constructor(private readonly set: ZoneSet) {}

  /** The served zone closest to `name`; a DS query belongs to the parent side of a cut (RFC 4035 §3.1.4.1). */
  zoneFor(name: string, type: string): Zone | undefined {
    let best: Zone | undefined;
    for (const z of this.set.zones) {
      if (!under(name, z.origin)) continue;
      if (type === 'DS' && z.origin === name && z.origin !== '.' && this.set.zones.some((p) => p !== z && under(name, p.origin))) continue;
      if (!best || labels(z.origin).length > labels(best.origin).length) best = z;
    }
    return best;
  }

  private at(z: Zone, name: string, cls?: string): ZoneRecord[] {
    return z.records.filter((r) => r.name === name && (cls === undefined || r.class === cls));
  }

  private exists(z: Zone, name: string): boolean {
    return this.set.existing.has(name) || z.records.some((r) => r.name === name || r.name.endsWith(`.${name}`));
  }

  private sigs(z: Zone, owner: string, type: string, asOwner: string, ask: Ask): dnsPacket.Answer[] {
    if (!ask.dnssec || !z.signed) return [];
    return this.at(z, owner, ask.cls)
      .filter((r) => r.type === 'RRSIG' && r.data.typeCovered === type)
      .map((r) => toAnswer(r, asOwner));
  }

  private withSigs(z: Zone, rrs: ZoneRecord[], asOwner: string, ask: Ask): dnsPacket.Answer[] {
    const out: dnsPacket.Answer[] = [];
    const types = [...new Set(rrs.map((r) => r.type))];
    for (const t of types) {
      const set = rrs.filter((r) => r.type === t);
      out.push(...set.map((r) => toAnswer(r, asOwner)));
      out.push(...this.sigs(z, set[0].name, t, asOwner, ask));
    }
    return out;
  }

  /** The NSEC whose span covers or matches `name` (the last one wraps round to the apex). */
  private nsecFor(z: Zone, name: string): ZoneRecord | undefined {
    const chain = z.records.filter((r) => r.type === 'NSEC').sort((a, b) => canonicalCompare(a.name, b.name));
    let hit: ZoneRecord | undefined;
    for (const n of chain) if (canonicalCompare(n.name, name) <= 0) hit = n;
    return hit ?? chain[chain.length - 1];
  }

  private negative(z: Zone, res: Result, ask: Ask, proofs: string[]): void {
    if (ask.noSoa || ask.cls !== 'IN') return;
    const soa = this.at(z, z.origin, 'IN').find((r) => r.type === 'SOA');
    if (!soa) return;
    // RFC 2308 §3: the negative TTL is the smaller of the SOA's TTL and its MINIMUM.
    const ttl = Math.min(soa.ttl, soa.data.minimum);
    res.authorities.push(toAnswer(soa, soa.name, ttl), ...this.sigs(z, soa.name, 'SOA', soa.name, ask).map((s) => ({ ...s, ttl })));
    if (!ask.dnssec || !z.signed) return;
    const seen = new Set<string>();
    for (const p of proofs) {
      const n = this.nsecFor(z, p);
      if (!n || seen.has(n.name)) continue;
      seen.add(n.name);
      res.authorities.push(toAnswer(n), ...this.sigs(z, n.name, 'NSEC', n.name, ask));
    }
  }

  /** An NXDOMAIN's authority section: the SOA (no NSEC: the lab denies this way only in unsigned zones). */
  deny(z: Zone, res: Result, ask: Ask): void {
    this.negative(z, res, { ...ask, dnssec: false }, []);
  }

  /** The zone's NS in the authority section and their addresses in the additional one, as non-minimal servers answer. */
  addNameServers(z: Zone, res: Result, cls: string): void {
    const ns = this.at(z, z.origin, cls).filter((r) => r.type === 'NS');
    res.authorities.push(...ns.map((r) => toAnswer(r)));
    for (const r of ns) res.additionals.push(...this.addresses(norm(r.data), cls));
  }

  /** Addresses of `host` from any served zone, for the additional section (glue, MX targets). */
  private addresses(host: string, cls: string): dnsPacket.Answer[] {
    const z = this.zoneFor(host, 'A');
    if (!z) return [];
    return this.at(z, host, cls)
      .filter((r) => r.type === 'A' || r.type === 'AAAA')
      .map((r) => toAnswer(r));
  }

  private referral(z: Zone, cut: string, res: Result, ask: Ask): void {
    res.aa = false;
    const ns = this.at(z, cut, ask.cls).filter((r) => r.type === 'NS');
    res.authorities.push(...ns.map((r) => toAnswer(r)));
    const ds = this.at(z, cut, ask.cls).filter((r) => r.type === 'DS');
    if (ask.dnssec) res.authorities.push(...ds.map((r) => toAnswer(r)));
    for (const r of ns) res.additionals.push(...this.addresses(r.data, ask.cls));
  }

  lookup(z: Zone, name: string, ask: Ask, res: Result, depth: number): void {
    for (const a of between(name, z.origin)) {
      const here = this.at(z, a, ask.cls);
      if (here.some((r) => r.type === 'NS')) return this.referral(z, a, res, ask);
      const dname = here.find((r) => r.type === 'DNAME');
      if (dname) {
        res.answers.push(...this.withSigs(z, [dname], dname.name, ask));
        const target = `${name.slice(0, -a.length - 1)}.${dname.data}`;
        // RFC 6672 §3.4: the synthesised CNAME carries the DNAME's TTL.
        res.answers.push({ name, type: 'CNAME', class: ask.cls, ttl: dname.ttl, data: target } as dnsPacket.Answer);
        return this.follow(z, target, ask, res, depth);
      }
    }
    let owner = name;
    let rrs = this.at(z, name, ask.cls);
    if (name !== z.origin && rrs.some((r) => r.type === 'NS') && ask.type !== 'DS') return this.referral(z, name, res, ask);
    let wildcard = false;
    if (!this.exists(z, name)) {
      const encloser = [z.origin, ...between(name, z.origin)].filter((a) => this.exists(z, a)).pop() ?? z.origin;
      const source = encloser === '.' ? '*' : `*.${encloser}`;
      const wild = this.at(z, source, ask.cls);
      if (!wild.length) {
        res.rcode = 'NXDOMAIN';
        return this.negative(z, res, ask, [name, source]);
      }
      owner = source;
      rrs = wild;
      wildcard = true;
    }
    const cname = rrs.find((r) => r.type === 'CNAME');
    if (cname && ask.type !== 'CNAME' && ask.type !== 'ANY') {
      res.answers.push(...this.withSigs(z, [cname], name, ask));
      if (wildcard) this.wildcardProof(z, name, res, ask);
      return this.follow(z, cname.data, ask, res, depth);
    }
    // RRSIGs ride along with the RRsets they cover (withSigs); NSEC only where DNSSEC data was asked for.
    const match = rrs.filter((r) => (ask.type === 'ANY' ? r.type !== 'RRSIG' && (ask.dnssec || r.type !== 'NSEC') : r.type === ask.type));
    if (!match.length) return this.negative(z, res, ask, wildcard ? [name, owner] : [name]);
    res.answers.push(...this.withSigs(z, match, name, ask));
    if (wildcard) this.wildcardProof(z, name, res, ask);
    for (const r of match) {
      if (r.type === 'MX') res.additionals.push(...this.addresses(norm(r.data.exchange), ask.cls));
      if (r.type === 'NS' && owner === z.origin) res.additionals.push(...this.addresses(norm(r.data), ask.cls));
    }
  }

  /** RFC 4035 §3.1.3.3: a wildcard answer proves that no closer name exists. */
  private wildcardProof(z: Zone, name: string, res: Result, ask: Ask): void {
    if (!ask.dnssec || !z.signed) return;
    const n = this.nsecFor(z, name);
    if (n) res.authorities.push(toAnswer(n), ...this.sigs(z, n.name, 'NSEC', n.name, ask));
  }

  /** CNAME/DNAME targets are chased only inside the same zone, as nsd does; the resolver fetches the rest. */
  private follow(z: Zone, target: string, ask: Ask, res: Result, depth: number): void {
    const t = norm(target);
    if (depth >= CNAME_CHAIN_LIMIT || this.zoneFor(t, ask.type) !== z) return;
    this.lookup(z, t, ask, res, depth + 1);
  }
}

function header(id: number, flags: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(id, 0);
  b.writeUInt16BE(flags, 2);
  return b;
}

/** Length of the question section's single entry at offset 12, or undefined when it is not well formed. */
function questionLength(q: Buffer): number | undefined {
  let o = 12;
  for (;;) {
    if (o >= q.length) return undefined;
    const len = q[o];
    if (len === 0) break;
    if (len > 63) return undefined; // a compression pointer or reserved label type has no place in a query's first name
    o += 1 + len;
  }
  o += 1 + 4;
  return o <= q.length ? o - 12 : undefined;
}

function bareReply(query: Buffer, rcode: number, extraFlags = 0): Buffer | undefined {
  if (query.length < 4) return undefined;
  const f = query.readUInt16BE(2);
  // Keep the opcode and RD, set QR; everything else is ours.
  const flags = 0x8000 | (f & 0x7800) | (f & 0x0100) | extraFlags | rcode;
  return header(query.readUInt16BE(0), flags);
}

export function createAuthority(opts: { mode?: 'forward' | 'root' } = {}): Authority {
  const set = buildZones(opts.mode ?? 'forward');
  const resolver = new Resolver(set);

  function respond(query: Buffer, transport: 'udp' | 'tcp'): AuthorityAnswer {
    if (query.length < 12) return { bytes: bareReply(query, RCODE.FORMERR) };
    if (query[2] & 0x80) return {}; // a response is never answered (no reflection loops)
    const opcode = (query[2] >> 3) & 0x0f;
    if (opcode !== 0) return { bytes: bareReply(query, RCODE.NOTIMP) };
    const qlen = questionLength(query);
    if (query.readUInt16BE(4) !== 1 || qlen === undefined) return { bytes: bareReply(query, RCODE.FORMERR) };
    // Counts that cannot fit the message (a record is at least 11 octets) are refused before decoding them.
    const records = query.readUInt16BE(6) + query.readUInt16BE(8) + query.readUInt16BE(10);
    if (12 + qlen + records * 11 > query.length) return { bytes: bareReply(query, RCODE.FORMERR) };
    let q: dnsPacket.DecodedPacket;
    try {
      q = dnsPacket.decode(query);
    } catch {
      return { bytes: bareReply(query, RCODE.FORMERR) };
    }
    if (!q.questions?.length) return { bytes: bareReply(query, RCODE.FORMERR) };
    const opts = (q.additionals ?? []).filter((a) => a.type === 'OPT') as dnsPacket.OptAnswer[];
    if (opts.length > 1) return { bytes: bareReply(query, RCODE.FORMERR) };
    const opt = opts[0];
    const question = q.questions[0];
    const name = norm(question.name);
    const type = String(question.type).toUpperCase();
    const cls = String(question.class ?? 'IN').toUpperCase();
    const dnssec = !!opt?.flag_do;

    const res: Result = { rcode: 'NOERROR', aa: true, answers: [], authorities: [], additionals: [] };
    let misbehaviour: Misbehaviour | undefined;
    if (opt && opt.ednsVersion > 0) {
      res.aa = false; // BADVERS (RFC 6891 §6.1.3) is answered below through the extended rcode
    } else if (cls !== 'IN' && cls !== 'CH') {
      res.rcode = 'REFUSED';
      res.aa = false;
    } else {
      misbehaviour = set.misbehaviour.get(`${name}|${type}`);
      if (misbehaviour?.drop) return {};
      const zone = resolver.zoneFor(name, type);
      if (misbehaviour?.rcode) {
        res.rcode = misbehaviour.rcode;
        res.aa = false;
      } else if (!zone) {
        res.rcode = 'REFUSED';
        res.aa = false;
      } else if (misbehaviour?.nxdomain) {
        // A name that exists, denied anyway: the NXDOMAIN a DNS64 must relay although an A lookup would succeed.
        res.rcode = 'NXDOMAIN';
        resolver.deny(zone, res, { type, cls, dnssec, noSoa: false });
      } else {
        resolver.lookup(zone, name, { type, cls, dnssec, noSoa: !!misbehaviour?.noSoa }, res, 0);
        if (misbehaviour?.referralData && res.answers.length) resolver.addNameServers(zone, res, cls);
        // Owner names equal to the question keep its spelling, as servers that compress against the question do.
        const asked = question.name.replace(/\.$/, '') || '.';
        for (const r of [...res.answers, ...res.authorities]) if (r.name === name) r.name = asked;
      }
    }

    const qflags = query.readUInt16BE(2);
    let flags = (res.aa ? dnsPacket.AUTHORITATIVE_ANSWER : 0) | (qflags & (dnsPacket.RECURSION_DESIRED | dnsPacket.CHECKING_DISABLED)) | RCODE[res.rcode];
    const limit = transport === 'tcp' ? 65535 : opt ? Math.max(512, opt.udpPayloadSize) : 512;
    const ourOpt = opt
      ? ({ name: '.', type: 'OPT', udpPayloadSize: 1232, extendedRcode: opt.ednsVersion > 0 ? 1 : 0, ednsVersion: 0, flags: dnssec ? dnsPacket.DNSSEC_OK : 0, options: [] } as unknown as dnsPacket.Answer)
      : undefined;
    const encode = (answers: dnsPacket.Answer[], authorities: dnsPacket.Answer[], additionals: dnsPacket.Answer[]): Buffer => {
      const body = dnsPacket.encode({
        type: 'response',
        id: q.id,
        flags,
        questions: [],
        answers,
        authorities,
        additionals: ourOpt ? [...additionals, ourOpt] : additionals,
      });
      // The question goes back exactly as it came (case, class, type), spliced from the query.
      const out = Buffer.concat([body.subarray(0, 12), query.subarray(12, 12 + qlen), body.subarray(12)]);
      out.writeUInt16BE(1, 4);
      return out;
    };
    let bytes: Buffer;
    try {
      bytes = encode(res.answers, res.authorities, res.additionals);
      if (bytes.length > limit) {
        flags |= dnsPacket.TRUNCATED_RESPONSE;
        bytes = encode([], [], []);
      }
    } catch {
      // Data the lab cannot encode (a DNAME substitution past 255 octets): RFC 6672 §2.2 says YXDOMAIN (6).
      flags = (flags & ~0xf) | 6;
      bytes = encode([], [], []);
    }
    return { bytes, ...(misbehaviour?.delayMs ? { delayMs: misbehaviour.delayMs } : {}) };
  }

  return {
    answer(query, transport) {
      try {
        return respond(query, transport);
      } catch {
        return { bytes: bareReply(query, RCODE.SERVFAIL) };
      }
    },
  };
}
