/**
 * DNSSEC primitives for the validating DNS64 (RFC 4034, RFC 4035 §5):
 * canonical names and RR order, RRSIG verification (algorithm 13
 * ECDSAP256SHA256 and 8 RSASHA256, node:crypto), key tags and DS digests.
 * Pure functions; the validator (validator.ts) decides what to verify.
 */
import * as crypto from 'crypto';
import * as packet from 'dns-packet';
import type { Rr } from './message';

export interface DsData {
  keyTag: number;
  algorithm: number;
  digestType: number;
  digest: Buffer;
}

export interface DnskeyData {
  flags: number;
  algorithm: number;
  key: Buffer;
}

export interface RrsigData {
  typeCovered: string;
  algorithm: number;
  labels: number;
  originalTTL: number;
  expiration: number;
  inception: number;
  keyTag: number;
  signersName: string;
  signature: Buffer;
}

export const SUPPORTED_ALGORITHMS = [8, 13];

/** "signed.test. [TTL] [IN] DS 60667 13 2 83FA..." -> owner and DS data. */
export function parseDsText(text: string): { name: string } & DsData {
  const f = text.trim().split(/\s+/);
  const name = f.shift();
  if (!name || !name.endsWith('.')) throw new Error(`"${text}" does not start with an absolute owner name (e.g. "signed.test.")`);
  while (f.length && f[0].toUpperCase() !== 'DS') {
    const t = f.shift()!;
    if (!/^\d+$/.test(t) && t.toUpperCase() !== 'IN') throw new Error(`"${text}": unexpected "${t}" before DS`);
  }
  if (f.shift()?.toUpperCase() !== 'DS') throw new Error(`"${text}" is not a DS record ("owner. IN DS keytag algorithm digesttype digest")`);
  const [tag, alg, dt, ...hex] = f;
  const digest = Buffer.from(hex.join(''), 'hex');
  if (!/^\d+$/.test(tag ?? '') || !/^\d+$/.test(alg ?? '') || !/^\d+$/.test(dt ?? '') || digest.length === 0 || hex.join('').length !== digest.length * 2) {
    throw new Error(`"${text}": DS needs key tag, algorithm, digest type and a hex digest`);
  }
  return { name: normalName(name), keyTag: Number(tag), algorithm: Number(alg), digestType: Number(dt), digest };
}

/** Lower case, no trailing dot; the root is "". */
export function normalName(name: string): string {
  const n = name.toLowerCase().replace(/\.$/, '');
  return n === '.' ? '' : n;
}

export function labels(name: string): string[] {
  const n = normalName(name);
  return n === '' ? [] : n.split('.');
}

/** True when `name` equals `zone` or lies below it. */
export function isSubdomain(name: string, zone: string): boolean {
  const n = normalName(name);
  const z = normalName(zone);
  return z === '' || n === z || n.endsWith(`.${z}`);
}

/** RFC 4034 §6.1 canonical ordering: labels compared right to left, as lower-case octets. */
export function canonicalCompare(a: string, b: string): number {
  const la = labels(a).reverse();
  const lb = labels(b).reverse();
  for (let i = 0; i < Math.min(la.length, lb.length); i++) {
    const c = Buffer.compare(Buffer.from(la[i]), Buffer.from(lb[i]));
    if (c !== 0) return c;
  }
  return la.length - lb.length;
}

/** Uncompressed wire form of a name in lower case (RFC 4034 §6.2). */
export function nameWire(name: string): Buffer {
  const parts = labels(name).map((l) => {
    const b = Buffer.from(l);
    return Buffer.concat([Buffer.from([b.length]), b]);
  });
  return Buffer.concat([...parts, Buffer.from([0])]);
}

function lowerData(type: string, data: any): any {
  switch (type) {
    case 'NS':
    case 'CNAME':
    case 'DNAME':
    case 'PTR':
      return String(data).toLowerCase();
    case 'SOA':
      return { ...data, mname: String(data.mname).toLowerCase(), rname: String(data.rname).toLowerCase() };
    case 'MX':
      return { ...data, exchange: String(data.exchange).toLowerCase() };
    case 'SRV':
      return { ...data, target: String(data.target).toLowerCase() };
    case 'RRSIG':
      return { ...data, signersName: String(data.signersName).toLowerCase() };
    default:
      return data;
  }
}

/** RDATA in canonical form (RFC 4034 §6.2; NSEC next names keep their case, RFC 6840 §5.1). */
export function canonicalRdata(rr: Rr): Buffer {
  const codec = (packet as any)[rr.type.toLowerCase()] ?? (packet as any).unknown;
  const withLen: Buffer = codec.encode(lowerData(rr.type, rr.data));
  return withLen.subarray(2);
}

// dns-packet's type table (no typings ship for the subpath).
// eslint-disable-next-line @typescript-eslint/no-var-requires
const dnsTypes: { toType(s: string): number } = require('dns-packet/types');

function typeCode(type: string): number {
  return dnsTypes.toType(type);
}

const CLASS_CODES: Record<string, number> = { IN: 1, CS: 2, CH: 3, HS: 4, ANY: 255 };

/** RRSIG RDATA up to (not including) the signature, signer in canonical form. */
function rrsigPrefix(sig: RrsigData): Buffer {
  const head = Buffer.alloc(18);
  head.writeUInt16BE(typeCode(sig.typeCovered), 0);
  head.writeUInt8(sig.algorithm, 2);
  head.writeUInt8(sig.labels, 3);
  head.writeUInt32BE(sig.originalTTL >>> 0, 4);
  head.writeUInt32BE(sig.expiration >>> 0, 8);
  head.writeUInt32BE(sig.inception >>> 0, 12);
  head.writeUInt16BE(sig.keyTag, 16);
  return Buffer.concat([head, nameWire(sig.signersName)]);
}

/**
 * The octets an RRSIG signs (RFC 4034 §3.1.8.1): RRSIG prefix, then each RR
 * with the owner in canonical form (replaced by "*.<closest>" for wildcard
 * expansions, §5.3.2 of RFC 4035), the original TTL, sorted by RDATA.
 */
export function signedData(rrset: Rr[], sig: RrsigData): Buffer {
  const owner = labels(rrset[0].name);
  const ownerName = sig.labels < owner.length ? ['*', ...owner.slice(owner.length - sig.labels)].join('.') : owner.join('.');
  const ownerWire = nameWire(ownerName);
  const rdatas = rrset.map((rr) => canonicalRdata(rr)).sort(Buffer.compare);
  const unique = rdatas.filter((r, i) => i === 0 || !r.equals(rdatas[i - 1]));
  const parts: Buffer[] = [rrsigPrefix(sig)];
  for (const rd of unique) {
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(typeCode(rrset[0].type), 0);
    fixed.writeUInt16BE(CLASS_CODES[rrset[0].class ?? 'IN'] ?? 1, 2);
    fixed.writeUInt32BE(sig.originalTTL >>> 0, 4);
    fixed.writeUInt16BE(rd.length, 8);
    parts.push(ownerWire, fixed, rd);
  }
  return Buffer.concat(parts);
}

function dnskeyRdata(key: DnskeyData): Buffer {
  return (packet as any).dnskey.encode(key).subarray(2);
}

/** RFC 4034 Appendix B key tag (algorithm 1 is not supported and never used here). */
export function keyTag(key: DnskeyData): number {
  const rd = dnskeyRdata(key);
  let ac = 0;
  for (let i = 0; i < rd.length; i++) ac += i & 1 ? rd[i] : rd[i] << 8;
  ac += (ac >> 16) & 0xffff;
  return ac & 0xffff;
}

const DIGESTS: Record<number, string> = { 1: 'sha1', 2: 'sha256', 4: 'sha384' };

/** Whether `ds` is the digest of `key` owned by `owner` (RFC 4034 §5.1.4). */
export function dsMatches(owner: string, key: DnskeyData, ds: DsData): boolean {
  const alg = DIGESTS[ds.digestType];
  if (!alg || ds.algorithm !== key.algorithm || ds.keyTag !== keyTag(key)) return false;
  const digest = crypto.createHash(alg).update(Buffer.concat([nameWire(owner), dnskeyRdata(key)])).digest();
  return digest.equals(ds.digest);
}

function b64url(b: Buffer): string {
  return b.toString('base64url');
}

function publicKey(key: DnskeyData): crypto.KeyObject | undefined {
  try {
    if (key.algorithm === 13) {
      if (key.key.length !== 64) return undefined;
      return crypto.createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64url(key.key.subarray(0, 32)), y: b64url(key.key.subarray(32)) }, format: 'jwk' });
    }
    if (key.algorithm === 8) {
      // RFC 3110 §2: exponent length in one octet, or zero and two octets.
      let off = 1;
      let elen = key.key[0];
      if (elen === 0) {
        elen = key.key.readUInt16BE(1);
        off = 3;
      }
      const e = key.key.subarray(off, off + elen);
      const n = key.key.subarray(off + elen);
      if (n.length === 0) return undefined;
      return crypto.createPublicKey({ key: { kty: 'RSA', n: b64url(n), e: b64url(e) }, format: 'jwk' });
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** Verify one RRSIG over `rrset` with `key`; false for unsupported algorithms or malformed keys. */
export function verifyRrsig(rrset: Rr[], sig: RrsigData, key: DnskeyData): boolean {
  if (sig.algorithm !== key.algorithm) return false;
  const pub = publicKey(key);
  if (!pub) return false;
  const data = signedData(rrset, sig);
  try {
    if (key.algorithm === 13) return crypto.verify('sha256', data, { key: pub, dsaEncoding: 'ieee-p1363' }, sig.signature);
    return crypto.verify('sha256', data, pub, sig.signature);
  } catch {
    return false;
  }
}

/** RFC 4034 §3.1.5: inception <= now <= expiration in serial-number arithmetic (RFC 1982). */
export function inValidityPeriod(sig: RrsigData, nowSeconds: number): boolean {
  const now = nowSeconds >>> 0;
  const after = (a: number, b: number) => ((a - b) | 0) >= 0; // a >= b, 32-bit serial
  return after(now, sig.inception) && after(sig.expiration, now);
}
