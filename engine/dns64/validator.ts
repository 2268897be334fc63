/**
 * DNSSEC validation of upstream answers (RFC 4035 §5), as the validating
 * DNS64 of RFC 6147 §5.5 needs it: positive answers (CNAME chains and
 * wildcard expansions included), NODATA and NXDOMAIN proven with NSEC
 * (RFC 4035 §5.4). Trust starts at configured DS anchors; zones below an
 * anchor are reached through validated DS RRsets (§5.2). Names under no
 * anchor are insecure. Anything that cannot be proven under an anchor is
 * bogus ("indeterminate" is folded into bogus: the lab has no islands).
 */
import type { DnskeyData, DsData, RrsigData } from './dnssec';
import { canonicalCompare, dsMatches, inValidityPeriod, isSubdomain, keyTag, labels, normalName, SUPPORTED_ALGORITHMS, verifyRrsig } from './dnssec';
import { Msg, rcode, RCODE, Rr, sameName } from './message';

export type Security = 'secure' | 'insecure' | 'bogus';

export interface Verdict {
  security: Security;
  why: string;
}

export type Fetch = (name: string, type: string) => Promise<Msg | undefined>;

interface Rrset {
  name: string;
  type: string;
  rrs: Rr[];
  sigs: RrsigData[];
  section: 'answer' | 'authority';
}

function rrsets(m: Msg): Rrset[] {
  const out: Rrset[] = [];
  const add = (rrs: Rr[], section: Rrset['section']) => {
    for (const r of rrs) {
      if (r.type === 'OPT' || r.type === 'RRSIG') continue;
      let set = out.find((s) => s.section === section && s.type === r.type && sameName(s.name, r.name));
      if (!set) {
        set = { name: r.name, type: r.type, rrs: [], sigs: [], section };
        out.push(set);
      }
      set.rrs.push(r);
    }
    for (const r of rrs) {
      if (r.type !== 'RRSIG') continue;
      const set = out.find((s) => s.section === section && s.type === r.data?.typeCovered && sameName(s.name, r.name));
      set?.sigs.push(r.data as RrsigData);
    }
  };
  add(m.answers, 'answer');
  add(m.authorities, 'authority');
  return out;
}

/** NSEC at `owner` with next name `next` covers `name` (owner < name < next, the last NSEC wrapping to the apex). */
function covers(owner: string, next: string, name: string): boolean {
  const afterOwner = canonicalCompare(owner, name) < 0;
  const beforeNext = canonicalCompare(name, next) < 0;
  if (canonicalCompare(owner, next) < 0) return afterOwner && beforeNext;
  return afterOwner || beforeNext; // wrap-around at the end of the chain
}

function commonAncestor(a: string, b: string): string {
  const la = labels(a).reverse();
  const lb = labels(b).reverse();
  const out: string[] = [];
  for (let i = 0; i < Math.min(la.length, lb.length) && la[i] === lb[i]; i++) out.push(la[i]);
  return out.reverse().join('.');
}

export interface ValidatorOptions {
  anchors: ({ name: string } & DsData)[];
  fetch: Fetch;
  /** Seconds since 1970 (RRSIG validity). */
  now: () => number;
}

export function createValidator(opts: ValidatorOptions) {
  const anchorFor = (name: string) =>
    opts.anchors.filter((a) => isSubdomain(name, a.name)).sort((x, y) => labels(y.name).length - labels(x.name).length)[0];

  /** Verify one RRset with the validated keys of its signer; the signer must enclose the owner. */
  const verifySet = async (set: Rrset, depth: number): Promise<Security> => {
    if (!anchorFor(set.name)) return 'insecure';
    const nowS = opts.now();
    for (const sig of set.sigs) {
      if (!isSubdomain(set.name, sig.signersName) || !anchorFor(sig.signersName)) continue;
      if (!SUPPORTED_ALGORITHMS.includes(sig.algorithm) || !inValidityPeriod(sig, nowS)) continue;
      if (sig.labels > labels(set.name).length) continue;
      const keys = await zoneKeys(sig.signersName, depth + 1);
      if (keys === 'insecure') return 'insecure';
      if (keys === 'bogus') continue;
      for (const k of keys) if (keyTag(k) === sig.keyTag && verifyRrsig(set.rrs, sig, k)) return 'secure';
    }
    return 'bogus';
  };

  /** Validated DNSKEYs of `zone`, 'insecure' below a proven insecure delegation, or 'bogus'. */
  const zoneKeys = async (zone: string, depth: number): Promise<DnskeyData[] | 'insecure' | 'bogus'> => {
    if (depth > 8) return 'bogus';
    const z = normalName(zone);
    let ds: DsData[] = opts.anchors.filter((a) => a.name === z);
    if (ds.length === 0) {
      const r = await opts.fetch(z, 'DS');
      if (!r) return 'bogus';
      const sets = rrsets(r);
      const dsSet = sets.find((s) => s.type === 'DS' && s.section === 'answer' && sameName(s.name, z));
      if (!dsSet) {
        // A proven absence of DS is an insecure delegation (RFC 4035 §5.2).
        const proof = await negative(r, z, 'DS', depth);
        return proof.security === 'secure' ? 'insecure' : 'bogus';
      }
      if ((await verifySet(dsSet, depth)) !== 'secure') return 'bogus';
      ds = dsSet.rrs.map((x) => x.data as DsData);
    }
    const usable = ds.filter((d) => SUPPORTED_ALGORITHMS.includes(d.algorithm) && [1, 2, 4].includes(d.digestType));
    if (usable.length === 0) return 'insecure'; // RFC 4035 §5.2: no supported algorithm, treated as insecure
    const r = await opts.fetch(z, 'DNSKEY');
    if (!r) return 'bogus';
    const set = rrsets(r).find((s) => s.type === 'DNSKEY' && s.section === 'answer' && sameName(s.name, z));
    if (!set) return 'bogus';
    const keys = set.rrs.map((x) => x.data as DnskeyData).filter((k) => (k.flags & 0x100) !== 0);
    const entry = keys.filter((k) => usable.some((d) => dsMatches(z, k, d)));
    const nowS = opts.now();
    for (const sig of set.sigs) {
      if (!sameName(sig.signersName, z) || !inValidityPeriod(sig, nowS)) continue;
      for (const k of entry) if (keyTag(k) === sig.keyTag && verifyRrsig(set.rrs, sig, k)) return keys;
    }
    return 'bogus';
  };

  /** Validated NSEC records of a response (owner, next, types), for denial proofs. */
  const provenNsecs = async (m: Msg, depth: number) => {
    const out: { owner: string; next: string; types: string[] }[] = [];
    for (const s of rrsets(m)) {
      if (s.type !== 'NSEC' || s.section !== 'authority') continue;
      if ((await verifySet(s, depth)) !== 'secure') continue;
      for (const r of s.rrs) out.push({ owner: normalName(r.name), next: normalName(r.data.nextDomain), types: r.data.rrtypes ?? [] });
    }
    return out;
  };

  /** RFC 4035 §5.4: NODATA (exact or wildcard) or NXDOMAIN for `sname`/`qtype`. */
  const negative = async (m: Msg, sname: string, qtype: string, depth: number): Promise<Verdict> => {
    if (!anchorFor(sname)) return { security: 'insecure', why: `${sname} is under no trust anchor` };
    const nsecs = await provenNsecs(m, depth);
    const n = normalName(sname);
    if (rcode(m) === RCODE.NOERROR) {
      const exact = nsecs.find((x) => x.owner === n);
      if (exact) {
        return !exact.types.includes(qtype) && !exact.types.includes('CNAME')
          ? { security: 'secure', why: `NSEC at ${n} proves no ${qtype}` }
          : { security: 'bogus', why: `the NSEC at ${n} lists ${qtype} or CNAME` };
      }
    }
    const cover = nsecs.find((x) => covers(x.owner, x.next, n));
    if (!cover) return { security: 'bogus', why: `no validated NSEC proves that ${n} ${rcode(m) === RCODE.NXDOMAIN ? 'does not exist' : `has no ${qtype}`}` };
    const a = commonAncestor(n, cover.owner);
    const b = commonAncestor(n, cover.next);
    const ce = labels(a).length >= labels(b).length ? a : b;
    const wildcard = ce ? `*.${ce}` : '*';
    if (rcode(m) === RCODE.NXDOMAIN) {
      return nsecs.some((x) => covers(x.owner, x.next, wildcard))
        ? { security: 'secure', why: `NSEC proves ${n} and ${wildcard} do not exist` }
        : { security: 'bogus', why: `no validated NSEC denies the wildcard ${wildcard}` };
    }
    const wc = nsecs.find((x) => x.owner === wildcard);
    return wc && !wc.types.includes(qtype) && !wc.types.includes('CNAME')
      ? { security: 'secure', why: `wildcard NODATA at ${wildcard}` }
      : { security: 'bogus', why: `no validated NSEC proves the NODATA for ${n}` };
  };

  return {
    /** Validate the upstream answer to (qname, qtype). */
    async validate(m: Msg, qname: string, qtype: string): Promise<Verdict> {
      const sets = rrsets(m);
      let insecure = false;
      // Follow the chain in the answer: the negative proof (if any) is about its last name.
      let sname = normalName(qname);
      for (let i = 0; i < 16; i++) {
        const alias = m.answers.find((r) => r.type === 'CNAME' && sameName(r.name, sname));
        if (!alias) break;
        sname = normalName(alias.data);
      }
      for (const s of sets) {
        // Referral NS and glue are never signed (RFC 4035 §2.2).
        if (s.section === 'authority' && s.type === 'NS' && s.sigs.length === 0) continue;
        const sec = await verifySet(s, 0);
        if (sec === 'bogus') return { security: 'bogus', why: `${s.type} RRset of ${s.name} does not validate` };
        if (sec === 'insecure') {
          insecure = true;
          continue;
        }
        // A wildcard expansion also needs the proof that the name itself does not exist (RFC 4035 §5.3.4).
        const wild = s.sigs.find((g) => g.labels < labels(s.name).length);
        if (wild && s.section === 'answer') {
          const nsecs = await provenNsecs(m, 0);
          if (!nsecs.some((x) => covers(x.owner, x.next, normalName(s.name)))) return { security: 'bogus', why: `wildcard answer for ${s.name} without an NSEC proving the name does not exist` };
        }
      }
      const positive = rcode(m) === RCODE.NOERROR && m.answers.some((r) => sameName(r.name, sname) && (r.type === qtype || r.type === 'DNAME'));
      if (!positive && (rcode(m) === RCODE.NOERROR || rcode(m) === RCODE.NXDOMAIN)) {
        const v = await negative(m, sname, qtype, 0);
        if (v.security === 'bogus') return v;
        if (v.security === 'insecure') insecure = true;
      }
      if (rcode(m) !== RCODE.NOERROR && rcode(m) !== RCODE.NXDOMAIN) return { security: 'insecure', why: `RCODE ${rcode(m)} carries nothing to validate` };
      return insecure ? { security: 'insecure', why: 'some data lies under no trust anchor' } : { security: 'secure', why: 'every RRset and denial validated' };
    },
  };
}

export type Validator = ReturnType<typeof createValidator>;
