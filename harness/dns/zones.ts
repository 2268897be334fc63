/**
 * The zones the harness authority serves, built from the test-data contract
 * in names.ts (and, for signed.test, from the committed dnssec-signzone
 * output), plus the per-name misbehaviours (SERVFAIL, REFUSED, silence, delay,
 * NODATA without SOA) that the DNS64 cases provoke on purpose.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DNS, NAMES, REVERSE } from './names';
import { parseZoneFile } from './zonefile';
import type { ZoneRecord } from './zonefile';

export interface Zone {
  /** Apex, lower case, no trailing dot ('.' for the root). */
  origin: string;
  records: ZoneRecord[];
  /** Has DNSSEC data (RRSIG/NSEC); answers carry it when the query sets DO. */
  signed: boolean;
}

/** What the authority does instead of answering normally, for one name and type. */
export interface Misbehaviour {
  rcode?: 'SERVFAIL' | 'REFUSED';
  /** Never answer (the resolver's upstream query times out). */
  drop?: boolean;
  /** Answer normally, after this long. */
  delayMs?: number;
  /** NODATA with an empty authority section. */
  noSoa?: boolean;
  /** NXDOMAIN (with the SOA) although the name exists. */
  nxdomain?: boolean;
  /** A positive answer with the zone's NS in the authority section and their addresses in the additional one. */
  referralData?: boolean;
}

export interface ZoneSet {
  zones: Zone[];
  /** Keyed `name|TYPE` (lower-case name). */
  misbehaviour: Map<string, Misbehaviour>;
  /** Names that exist without records of their own (they only misbehave). */
  existing: Set<string>;
}

const NS_HOST = 'ns.dns64.test';
const HOSTMASTER = 'hostmaster.dns64.test';
const SERIAL = 2026010101;

function fq(name: string, zone: string = DNS.zone): string {
  return name.endsWith('.') ? name.slice(0, -1) : `${name}.${zone}`;
}

function rr(name: string, type: string, ttl: number, data: unknown, cls = 'IN'): ZoneRecord {
  return { name: name.toLowerCase(), type, class: cls, ttl, data };
}

function apex(origin: string, minimum: number): ZoneRecord[] {
  return [
    rr(origin, 'SOA', DNS.soa.ttl, { mname: NS_HOST, rname: HOSTMASTER, serial: SERIAL, refresh: 3600, retry: 900, expire: 604800, minimum }),
    rr(origin, 'NS', DNS.soa.ttl, NS_HOST),
  ];
}

function hostRecords(name: string, h: { a?: readonly string[]; aaaa?: readonly string[]; ttl?: number }): ZoneRecord[] {
  const ttl = h.ttl ?? 3600;
  return [...(h.a ?? []).map((a) => rr(name, 'A', ttl, a)), ...(h.aaaa ?? []).map((a) => rr(name, 'AAAA', ttl, a))];
}

function ipv4Plus(first: string, k: number): string {
  const n = first.split('.').reduce((acc, o) => acc * 256 + Number(o), 0) + k;
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

function dns64Zone(): Zone {
  const z = DNS.zone;
  const records: ZoneRecord[] = [...apex(z, DNS.soa.minimum), rr(NS_HOST, 'A', DNS.soa.ttl, DNS.authorityAddress)];
  const hosts = [
    NAMES.aOnly, NAMES.aMulti, NAMES.aShort, NAMES.dual, NAMES.aaaaOnly, NAMES.mappedOnly, NAMES.mappedA, NAMES.mappedMixed,
    NAMES.excluded, NAMES.excludedMixed, NAMES.servfailAaaa, NAMES.refusedAaaa, NAMES.timeoutAaaa, NAMES.slowAaaa, NAMES.noSoa,
    NAMES.private10, NAMES.loopback, NAMES.testNet, NAMES.mixedGlobal, NAMES.secondRange,
    NAMES.nxdomainAaaa, NAMES.withAdditional, NAMES.nat64Fqdn,
  ];
  for (const h of hosts) records.push(...hostRecords(fq(h.name), h));
  for (const c of [NAMES.cname1, NAMES.cname2, NAMES.cnameDual, NAMES.cnameOut]) records.push(rr(fq(c.name), 'CNAME', 3600, c.cname));
  records.push(rr(fq(NAMES.dname.name), 'DNAME', 3600, NAMES.dname.dname));
  records.push(rr(fq(NAMES.nodata.name), 'TXT', 3600, [Buffer.from(NAMES.nodata.txt)]));
  for (const many of [NAMES.big, NAMES.medium]) {
    for (let k = 0; k < many.aCount; k++) records.push(rr(fq(many.name), 'A', many.ttl, ipv4Plus(many.firstA, k)));
  }
  records.push(rr(fq(NAMES.mx.name), 'MX', 3600, { preference: 10, exchange: NAMES.mx.exchange }));
  records.push(...NAMES.chaos.a.map((a) => rr(fq(NAMES.chaos.name), 'A', 3600, a, NAMES.chaos.class)));
  records.push(...hostRecords(fq(`*.${NAMES.freshA.suffix}`), NAMES.freshA));
  records.push(...hostRecords(fq(`*.${NAMES.freshDual.suffix}`), NAMES.freshDual));
  records.push(rr(fq(`*.${NAMES.freshNodata.suffix}`), 'TXT', 3600, [Buffer.from('fresh name with neither A nor AAAA')]));
  return { origin: z, records, signed: false };
}

function otherZone(): Zone {
  const z = DNS.otherZone;
  return {
    origin: z,
    records: [...apex(z, DNS.soa.minimum), ...hostRecords(NAMES.otherA.name, NAMES.otherA), ...hostRecords(NAMES.dname.target, { a: NAMES.dname.a })],
    signed: false,
  };
}

function soa30Zone(): Zone {
  const z = DNS.shortSoaZone;
  return { origin: z, records: [...apex(z, 30), ...hostRecords(NAMES.shortSoa.name, NAMES.shortSoa)], signed: false };
}

function reverseZone(): Zone {
  const z = REVERSE.zone;
  const records = apex(z, DNS.soa.minimum);
  for (const [v4, host] of Object.entries(REVERSE.ptr)) records.push(rr(`${v4.split('.').reverse().join('.')}.in-addr.arpa`, 'PTR', 3600, host));
  return { origin: z, records, signed: false };
}

/**
 * The parents of the reverse trees, with nothing in them but the cut to the
 * lab's 100.in-addr.arpa: in root mode a resolver that caches NXDOMAIN as
 * proof of an empty subtree (RFC 8020) must not be told by the fake root that
 * ip6.arpa or in-addr.arpa do not exist, or every PTR under them would stop there.
 */
function arpaParents(): Zone[] {
  const inAddr = 'in-addr.arpa';
  return [
    { origin: inAddr, records: [...apex(inAddr, DNS.soa.minimum), rr(REVERSE.zone, 'NS', 172800, NS_HOST)], signed: false },
    { origin: 'ip6.arpa', records: apex('ip6.arpa', DNS.soa.minimum), signed: false },
  ];
}

function ipv4onlyZone(): Zone {
  const z = DNS.ipv4only.name;
  return { origin: z, records: [...apex(z, DNS.soa.minimum), ...DNS.ipv4only.addresses.map((a) => rr(z, 'A', 86400, a))], signed: false };
}

/** fixtures/zones at the package root, from dist/harness/dns/ or harness/dns/. */
export function fixturesDir(): string {
  const fromDist = path.resolve(__dirname, '../../../fixtures/zones');
  if (fs.existsSync(fromDist)) return fromDist;
  return path.resolve(__dirname, '../../fixtures/zones');
}

let signedCache: ZoneRecord[] | undefined;

function signedZone(): Zone {
  if (!signedCache) {
    const file = path.join(fixturesDir(), `${DNS.signedZone}.zone.signed`);
    signedCache = parseZoneFile(fs.readFileSync(file, 'utf8'), file).map((r) => ({ ...r, name: r.name.toLowerCase() }));
  }
  return { origin: DNS.signedZone, records: signedCache, signed: true };
}

/** The trust anchor of signed.test (the DS record), as its presentation line and parsed. */
export function signedTrustAnchor(): { text: string; record: ZoneRecord } {
  const file = path.join(fixturesDir(), `${DNS.signedZone}.ds`);
  const text = fs.readFileSync(file, 'utf8').trim();
  const ds = parseZoneFile(text, file, 3600).find((r) => r.type === 'DS');
  if (!ds) throw new Error(`${file}: no DS record`);
  return { text, record: ds };
}

/** The fake root: delegates every lab zone to ns.dns64.test (itself), with glue. */
function rootZone(children: Zone[]): Zone {
  const records: ZoneRecord[] = [
    rr('.', 'SOA', 86400, { mname: NS_HOST, rname: HOSTMASTER, serial: SERIAL, refresh: 1800, retry: 900, expire: 604800, minimum: 86400 }),
    rr('.', 'NS', 518400, NS_HOST),
    rr(NS_HOST, 'A', 518400, DNS.authorityAddress),
  ];
  // Only the top of each tree is cut at the root; zones below another lab zone are that zone's to delegate.
  for (const c of children) if (!children.some((p) => p !== c && c.origin.endsWith(`.${p.origin}`))) records.push(rr(c.origin, 'NS', 172800, NS_HOST));
  records.push({ ...signedTrustAnchor().record, name: DNS.signedZone, ttl: 86400 });
  return { origin: '.', records, signed: false };
}

function misbehaviours(): Map<string, Misbehaviour> {
  const m = new Map<string, Misbehaviour>();
  m.set(`${fq(NAMES.servfailAaaa.name)}|AAAA`, { rcode: 'SERVFAIL' });
  m.set(`${fq(NAMES.refusedAaaa.name)}|AAAA`, { rcode: 'REFUSED' });
  m.set(`${fq(NAMES.timeoutAaaa.name)}|AAAA`, { drop: true });
  m.set(`${fq(NAMES.servfailA.name)}|A`, { rcode: 'SERVFAIL' });
  m.set(`${fq(NAMES.slowAaaa.name)}|AAAA`, { delayMs: NAMES.slowAaaa.delayMs });
  m.set(`${fq(NAMES.noSoa.name)}|AAAA`, { noSoa: true });
  m.set(`${fq(NAMES.nxdomainAaaa.name)}|AAAA`, { nxdomain: true });
  m.set(`${fq(NAMES.withAdditional.name)}|A`, { referralData: true });
  return m;
}

export function buildZones(mode: 'forward' | 'root' = 'forward'): ZoneSet {
  const zones = [dns64Zone(), otherZone(), soa30Zone(), signedZone(), reverseZone(), ipv4onlyZone(), ...arpaParents()];
  if (mode === 'root') zones.push(rootZone(zones));
  return { zones, misbehaviour: misbehaviours(), existing: new Set([fq(NAMES.servfailA.name)]) };
}
