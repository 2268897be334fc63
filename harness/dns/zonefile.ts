/**
 * A parser for the master-file subset the lab's signed fixture uses:
 * `dnssec-signzone -O full` output (one record per line, absolute owners,
 * explicit TTL and class) and `dnssec-dsfromkey` output. Records come back in
 * dns-packet's shape so the authority can put them straight into messages.
 *
 * Only the types the fixture holds are understood; anything else is a
 * one-line error naming the line, since a silently skipped record would make
 * the signed zone answer differently from what was signed.
 */
import type * as dnsPacket from 'dns-packet';

export interface ZoneRecord {
  name: string;
  type: string;
  class: string;
  ttl: number;
  // The rdata in dns-packet's representation; its shape depends on `type`.
  data: any;
}

export class ZoneFileError extends Error {}

/** Splits a record line into fields, keeping quoted strings (TXT) whole. */
function tokens(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === ';') break;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      let s = '';
      while (j < line.length && line[j] !== '"') {
        if (line[j] === '\\' && j + 1 < line.length) j++;
        s += line[j++];
      }
      out.push(`"${s}`); // leading quote marks a quoted string
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < line.length && line[j] !== ' ' && line[j] !== '\t') j++;
    out.push(line.slice(i, j));
    i = j;
  }
  return out;
}

function stripDot(name: string): string {
  return name === '.' ? '.' : name.replace(/\.$/, '');
}

/** RRSIG times are YYYYMMDDHHmmSS (RFC 4034 §3.2) or plain seconds. */
function sigTime(s: string): number {
  if (/^\d{14}$/.test(s)) {
    const t = Date.UTC(+s.slice(0, 4), +s.slice(4, 6) - 1, +s.slice(6, 8), +s.slice(8, 10), +s.slice(10, 12), +s.slice(12, 14));
    return Math.floor(t / 1000);
  }
  return Number(s);
}

const CLASSES = new Set(['IN', 'CH', 'HS', 'CS']);

function rdata(type: string, f: string[], where: string): unknown {
  const need = (n: number) => {
    if (f.length < n) throw new ZoneFileError(`${where}: ${type} needs ${n} rdata fields, has ${f.length}`);
  };
  switch (type) {
    case 'A':
    case 'AAAA':
      need(1);
      return f[0];
    case 'NS':
    case 'CNAME':
    case 'DNAME':
    case 'PTR':
      need(1);
      return stripDot(f[0]);
    case 'MX':
      need(2);
      return { preference: Number(f[0]), exchange: stripDot(f[1]) };
    case 'TXT':
      need(1);
      return f.map((s) => Buffer.from(s.startsWith('"') ? s.slice(1) : s));
    case 'SOA':
      need(7);
      return {
        mname: stripDot(f[0]),
        rname: stripDot(f[1]),
        serial: Number(f[2]),
        refresh: Number(f[3]),
        retry: Number(f[4]),
        expire: Number(f[5]),
        minimum: Number(f[6]),
      };
    case 'DNSKEY':
      need(4);
      return { flags: Number(f[0]), algorithm: Number(f[2]), key: Buffer.from(f.slice(3).join(''), 'base64') };
    case 'RRSIG':
      need(9);
      return {
        typeCovered: f[0],
        algorithm: Number(f[1]),
        labels: Number(f[2]),
        originalTTL: Number(f[3]),
        expiration: sigTime(f[4]),
        inception: sigTime(f[5]),
        keyTag: Number(f[6]),
        signersName: stripDot(f[7]),
        signature: Buffer.from(f.slice(8).join(''), 'base64'),
      };
    case 'NSEC':
      need(1);
      return { nextDomain: stripDot(f[0]), rrtypes: f.slice(1) };
    case 'DS':
      need(4);
      return { keyTag: Number(f[0]), algorithm: Number(f[1]), digestType: Number(f[2]), digest: Buffer.from(f.slice(3).join(''), 'hex') };
    default:
      throw new ZoneFileError(`${where}: record type ${type} is not supported by the lab's zone parser`);
  }
}

/**
 * Parses records with absolute owner names. `defaultTtl` applies to lines
 * without a TTL (the DS file has none).
 */
export function parseZoneFile(text: string, source: string, defaultTtl = 3600): ZoneRecord[] {
  const out: ZoneRecord[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const where = `${source}:${i + 1}`;
    if (/^\s*(;|$)/.test(line) || line.startsWith('$')) return;
    if (/^\s/.test(line)) throw new ZoneFileError(`${where}: a record must start with its owner name (relative owners are not supported)`);
    const f = tokens(line);
    const owner = f.shift()!;
    if (!owner.endsWith('.')) throw new ZoneFileError(`${where}: owner ${owner} is not absolute`);
    let ttl = defaultTtl;
    let cls = 'IN';
    for (let k = 0; k < 2 && f.length; k++) {
      if (/^\d+$/.test(f[0])) ttl = Number(f.shift());
      else if (CLASSES.has(f[0].toUpperCase())) cls = f.shift()!.toUpperCase();
    }
    const type = f.shift()?.toUpperCase();
    if (!type) throw new ZoneFileError(`${where}: no record type`);
    out.push({ name: stripDot(owner), type, class: cls, ttl, data: rdata(type, f, where) });
  });
  return out;
}

/** The record as dns-packet encodes it. */
export function toAnswer(r: ZoneRecord, owner = r.name, ttl = r.ttl): dnsPacket.Answer {
  return { name: owner, type: r.type, class: r.class, ttl, data: r.data } as dnsPacket.Answer;
}
