/**
 * The checks every DNS64 suite shares: asking a question and keeping its
 * evidence together, and comparing a synthesised answer field by field with
 * what the configuration and the test data make of it.
 */
import type { DnsCaseContext, DnsExchange, DnsSeen, QueryOptions } from '../../harness/runner/dns-case';
import { DNS, NAMES, SIGNED } from '../../harness/dns/names';
import { CLASS_IN, TYPE_AAAA, rawRecords } from './raw';
import {
  FLAG,
  RCODE,
  aaaaOf,
  answers,
  describeMessage,
  describeRecords,
  describeUpstream,
  hasFlag,
  normName,
  rcode,
  rcodeName,
  records,
  responseOf,
  upstreamFor,
} from './msg';
import type { Message } from './msg';

/** One question and everything it produced. `m` is undefined when no decodable answer came. */
export interface Asked {
  name: string;
  type: string;
  ex: DnsExchange;
  m?: Message;
  /** Why there is no `m`; empty when there is one. */
  why: string;
  /** The evidence a check of this answer points at. */
  seen: DnsSeen[];
}

/** Asks questions for a case and remembers when the first one went out (for TTL slack). */
export class Probe {
  private firstUs: number | undefined;

  constructor(readonly t: DnsCaseContext) {}

  async ask(name: string, type: string, opts?: QueryOptions): Promise<Asked> {
    const ex = await this.t.query(name, type, opts);
    if (this.firstUs === undefined) this.firstUs = ex.query.timeUs;
    const r = responseOf(ex);
    const seen = [ex.query, ...(ex.response ? [ex.response] : []), ...ex.upstream];
    return 'm' in r ? { name, type, ex, m: r.m, why: '', seen } : { name, type, ex, why: r.why, seen };
  }

  /**
   * Whole seconds that passed since the case's first query: a cache may
   * have counted TTLs down by that much, and no more.
   */
  slack(a: Asked): number {
    const end = a.ex.response?.timeUs ?? a.ex.query.timeUs;
    return Math.ceil((end - (this.firstUs ?? end)) / 1e6);
  }
}

/** Fresh owner names under the lab's wildcards, one per case (and tag), so no cache distorts a check. */
export const fresh = {
  a: (id: string, tag = ''): string => `${id}${tag ? '-' + tag : ''}.${NAMES.freshA.suffix}.${DNS.zone}`,
  dual: (id: string, tag = ''): string => `${id}${tag ? '-' + tag : ''}.${NAMES.freshDual.suffix}.${DNS.zone}`,
  nodata: (id: string, tag = ''): string => `${id}${tag ? '-' + tag : ''}.${NAMES.freshNodata.suffix}.${DNS.zone}`,
  signed: (id: string, tag = ''): string => `${id}${tag ? '-' + tag : ''}.${SIGNED.fresh.suffix}`,
};

/** `name` of a dns64.test entry in NAMES as a full name. */
export function inZone(rel: string): string {
  return `${rel}.${DNS.zone}`;
}

/**
 * "No answer where one was required is a failure": records that as a
 * failed check of every requirement and returns false.
 */
export function answered(t: DnsCaseContext, reqs: string | string[], label: string, a: Asked): a is Asked & { m: Message } {
  if (a.m) return true;
  t.expect(reqs, label, false, `${a.type} ${a.name}: ${a.why}`, a.seen);
  return false;
}

export interface Expected {
  address: string;
  why: string;
}

function multisetEqual(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().join() === [...b].sort().join();
}

function describeExpected(list: Expected[]): string {
  return list.length === 0 ? 'no AAAA' : list.map((e) => `AAAA ${e.address} (${e.why})`).join(', ');
}

/** The answer's AAAA records are exactly `expected` (any order), with NOERROR. */
export function expectAaaaExactly(t: DnsCaseContext, reqs: string | string[], label: string, a: Asked, expected: Expected[]): boolean {
  if (!answered(t, reqs, label, a)) return false;
  const got = aaaaOf(a.m);
  const rc = rcode(a.m);
  const ok = rc === RCODE.NOERROR && multisetEqual(got, expected.map((e) => e.address));
  const gotText = got.length ? got.join(', ') : 'no AAAA';
  return t.expect(
    reqs,
    label,
    ok,
    `${a.type} ${a.name}: ${describeExpected(expected)} expected with NOERROR, got ${rcodeName(rc)} ${gotText}${ok ? '' : ` — ${describeMessage(a.m)}`}`,
    a.seen,
  );
}

/**
 * §5.1.7 field by field from the wire: per A record one AAAA with NAME the
 * A record's owner, TYPE 28, CLASS 1, RDLENGTH 16, RDATA the RFC 6052
 * embedding.
 */
export function expectRrFields(t: DnsCaseContext, reqs: string | string[], a: Asked, owner: string, expected: Expected[]): boolean {
  const label = 'each synthetic AAAA: NAME of the A record, TYPE 28, CLASS 1, RDLENGTH 16, RDATA = RFC 6052 embedding';
  if (!answered(t, reqs, label, a)) return false;
  const response = a.ex.response!;
  let raw;
  try {
    raw = rawRecords(response.bytes).filter((r) => r.section === 'answer' && r.type === TYPE_AAAA);
  } catch (e) {
    return t.expect(reqs, label, false, `response does not parse: ${(e as Error).message}`, a.seen);
  }
  const got = aaaaOf(a.m);
  const problems: string[] = [];
  if (raw.length !== expected.length) problems.push(`${raw.length} AAAA records for ${expected.length} A records`);
  raw.forEach((r, i) => {
    const f: string[] = [];
    if (r.name !== normName(owner)) f.push(`NAME ${r.name} (expected ${normName(owner)})`);
    if (r.class !== CLASS_IN) f.push(`CLASS ${r.class} (expected 1)`);
    if (r.rdlength !== 16) f.push(`RDLENGTH ${r.rdlength} (expected 16)`);
    if (f.length) problems.push(`record ${i + 1}: ${f.join(', ')}`);
  });
  const want = expected.map((e) => e.address);
  const missing = want.filter((w) => !got.includes(w));
  const extra = got.filter((g) => !want.includes(g));
  if (missing.length) problems.push(`RDATA missing ${missing.join(', ')}`);
  if (extra.length) problems.push(`RDATA not expected ${extra.join(', ')}`);
  const fields = `NAME ${normName(owner)}, TYPE 28, CLASS 1, RDLENGTH 16, RDATA ${describeExpected(expected)}`;
  return t.expect(
    reqs,
    label,
    problems.length === 0,
    problems.length === 0 ? `${raw.length} record(s): ${fields}` : `expected ${fields}; ${problems.join('; ')}`,
    a.seen,
  );
}

/** §5.1.7 TTL: every synthetic AAAA carries `want` (less at most the seconds a cache could have counted down). */
export function expectTtl(t: DnsCaseContext, reqs: string | string[], probe: Probe, a: Asked, want: { ttl: number; why: string }): boolean {
  const label = 'TTL of each synthetic AAAA';
  if (!answered(t, reqs, label, a)) return false;
  const ttls = answers(a.m, 'AAAA').map((r) => (r as { ttl?: number }).ttl ?? -1);
  const slack = probe.slack(a);
  const ok = ttls.length > 0 && ttls.every((x) => x <= want.ttl && x >= want.ttl - slack);
  const tol = slack > 0 ? ` (down to ${want.ttl - slack} after ${slack} s in a cache)` : '';
  return t.expect(
    reqs,
    label,
    ok,
    `TTL ${want.ttl} expected = ${want.why}${tol}, got ${ttls.length ? ttls.join(', ') : 'no AAAA record'}`,
    a.seen,
  );
}

/** No record of `type` in the answer section. */
export function expectNoneOfType(t: DnsCaseContext, reqs: string | string[], label: string, a: Asked, type: string): boolean {
  if (!answered(t, reqs, label, a)) return false;
  const found = answers(a.m, type);
  return t.expect(reqs, label, found.length === 0, `${type} records in the answer: ${describeRecords(found)}`, a.seen);
}

/** The DNS64 asked the authority for `type` `name` while this question ran. */
export function expectUpstream(t: DnsCaseContext, reqs: string | string[], label: string, a: Asked, name: string, type: string): boolean {
  const hits = upstreamFor(a.ex, name, type);
  return t.expect(
    reqs,
    label,
    hits.length > 0,
    `upstream query ${type} ${normName(name)} expected; the authority saw: ${describeUpstream(a.ex.upstream)}`,
    a.seen,
  );
}

/** The DNS64 asked the authority nothing while this question ran. */
export function expectNoUpstream(t: DnsCaseContext, reqs: string | string[], label: string, a: Asked): boolean {
  return t.expect(reqs, label, a.ex.upstream.length === 0, `upstream queries: ${describeUpstream(a.ex.upstream)}`, a.seen);
}

export function expectRcode(t: DnsCaseContext, reqs: string | string[], label: string, a: Asked, want: number): boolean {
  if (!answered(t, reqs, label, a)) return false;
  const rc = rcode(a.m);
  return t.expect(reqs, label, rc === want, `RCODE ${rcodeName(want)} expected, got ${rcodeName(rc)} — ${describeMessage(a.m)}`, a.seen);
}

export function expectAd(t: DnsCaseContext, reqs: string | string[], label: string, a: Asked, want: boolean): boolean {
  if (!answered(t, reqs, label, a)) return false;
  const ad = hasFlag(a.m, FLAG.AD);
  return t.expect(reqs, label, ad === want, `AD=${want ? 1 : 0} expected, got AD=${ad ? 1 : 0} (${describeMessage(a.m)})`, a.seen);
}

/** The SOA records of the authority section. */
export function soaOf(m: Message): ReturnType<typeof records> {
  return records(m.authorities, 'SOA');
}
