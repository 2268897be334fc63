/**
 * DNS64 configuration: defaults and validation. Anything wrong throws a
 * ConfigError (engine/config.ts) whose message is one line naming the
 * source, the field, what is wrong and how to fix it.
 */
import { isIPv4, isIPv6, parsePrefix, prefixHostBitsZero } from '../../harness/packet/address';
import { parsePref64 } from '../../harness/packet/rfc6052';
import { ConfigError } from '../config';
import type { Dns64Config, Dns64PrefixConfig } from './api';
import { parseDsText } from './dnssec';
import { DNS64_FAULTS, isDns64Fault } from './faults';

export const MAPPED_RANGE = '::ffff:0:0/96';

const KEYS = ['prefixes', 'exclude', 'upstream', 'upstreamTimeoutMs', 'upstreamTries', 'dnssec', 'acl', 'cacheEntries', 'listen', 'faults', 'mode'] as const;

type Raw = Record<string, unknown>;

function isObject(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s;
}

function list(raw: unknown, where: string, example: string): unknown[] {
  if (!Array.isArray(raw)) throw new ConfigError(`${where}: ${show(raw)} is not a list; write ${example}`);
  return raw;
}

function cidr(text: unknown, where: string, family?: 4 | 6): string {
  if (typeof text !== 'string') throw new ConfigError(`${where}: ${show(text)} is not a prefix; write e.g. "2001:db8:bad::/48"`);
  let p;
  try {
    p = parsePrefix(text);
  } catch (e) {
    throw new ConfigError(`${where}: ${show(text)} is not a prefix (${(e as Error).message})`);
  }
  if (family && p.family !== family) throw new ConfigError(`${where}: ${show(text)} is IPv${p.family}; an IPv${family} prefix is needed here`);
  if (!prefixHostBitsZero(p)) throw new ConfigError(`${where}: ${show(text)} has bits set beyond /${p.length}; clear them`);
  return text;
}

function endpoint(raw: unknown, where: string, defPort: number, minPort = 1): { address: string; port: number } {
  let address: unknown;
  let port: unknown = defPort;
  if (typeof raw === 'string') {
    const m = /^(.*)#(\d+)$/.exec(raw);
    address = m ? m[1] : raw;
    if (m) port = Number(m[2]);
  } else if (isObject(raw)) {
    for (const k of Object.keys(raw)) if (k !== 'address' && k !== 'port') throw new ConfigError(`${where}.${k}: unknown setting; known: address, port`);
    address = raw.address;
    if (raw.port !== undefined) port = raw.port;
  } else {
    throw new ConfigError(`${where}: ${show(raw)} is not an endpoint; write "127.0.0.2", "127.0.0.2#5353" or { "address": "127.0.0.2", "port": 53 }`);
  }
  if (typeof address !== 'string' || !(isIPv4(address) || isIPv6(address))) throw new ConfigError(`${where}.address: ${show(address)} is not an IP address`);
  if (typeof port !== 'number' || !Number.isInteger(port) || port < minPort || port > 65535) throw new ConfigError(`${where}.port: ${show(port)} is not a port (${minPort}-65535${minPort === 0 ? '; 0 picks a free one' : ''})`);
  return { address, port };
}

function integer(raw: unknown, where: string, min: number, max: number): number {
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < min || raw > max) throw new ConfigError(`${where}: ${show(raw)} is not valid; write an integer ${min}-${max}`);
  return raw;
}

function prefix(raw: unknown, where: string, lenient: boolean): Dns64PrefixConfig {
  const entry: Raw = typeof raw === 'string' ? { prefix: raw } : isObject(raw) ? raw : {};
  if (typeof raw !== 'string' && !isObject(raw)) throw new ConfigError(`${where}: ${show(raw)} is not a prefix; write "2001:db8:64::/96" or { "prefix": "2001:db8:65::/96", "ipv4": ["101.0.0.0/8"] }`);
  for (const k of Object.keys(entry)) if (k !== 'prefix' && k !== 'ipv4') throw new ConfigError(`${where}.${k}: unknown setting; known: prefix, ipv4`);
  if (typeof entry.prefix !== 'string') throw new ConfigError(`${where}.prefix: missing; write an RFC 6052 prefix such as "2001:db8:64::/96"`);
  // FAULT accept-long-prefix: any IPv6 prefix is taken, /104 included (RFC 6147 §5.2 wants n <= 96).
  if (lenient) cidr(entry.prefix, `${where}.prefix`, 6);
  else {
    try {
      parsePref64(entry.prefix, `${where}.prefix`);
    } catch (e) {
      throw new ConfigError((e as Error).message);
    }
  }
  const out: Dns64PrefixConfig = { prefix: entry.prefix };
  if (entry.ipv4 !== undefined) {
    out.ipv4 = list(entry.ipv4, `${where}.ipv4`, '["101.0.0.0/8"]').map((r, i) => cidr(r, `${where}.ipv4[${i}]`, 4));
  }
  return out;
}

/** Validate `raw` (read from `source`, a file name or "config") and fill in the defaults. */
export function parseDns64Config(raw: unknown, source = 'config'): Dns64Config {
  if (raw === undefined) raw = {};
  if (!isObject(raw)) throw new ConfigError(`${source}: the DNS64 configuration must be a JSON object, got ${show(raw)}`);
  for (const k of Object.keys(raw)) {
    if (!(KEYS as readonly string[]).includes(k)) throw new ConfigError(`${source}: ${k}: unknown setting; known: ${KEYS.join(', ')}`);
  }
  const at = (k: string) => `${source}: ${k}`;
  const faults = raw.faults === undefined ? [] : list(raw.faults, at('faults'), '["synth-with-cd"]').map((f, i) => {
    if (typeof f !== 'string' || !isDns64Fault(f)) {
      throw new ConfigError(`${at(`faults[${i}]`)}: ${show(f)} is not a DNS64 fault; known: ${DNS64_FAULTS.map((x) => x.name).join(', ')}`);
    }
    return f;
  });
  const lenient = faults.includes('accept-long-prefix');
  const prefixes = raw.prefixes === undefined ? [] : list(raw.prefixes, at('prefixes'), '["2001:db8:64::/96"]').map((p, i) => prefix(p, at(`prefixes[${i}]`), lenient));
  const defaults = prefixes.filter((p) => !p.ipv4);
  if (prefixes.length > 0 && defaults.length === 0) {
    throw new ConfigError(`${at('prefixes')}: every prefix is limited to IPv4 ranges; add one without "ipv4" to serve all other addresses`);
  }
  const exclude = [MAPPED_RANGE];
  if (raw.exclude !== undefined) {
    list(raw.exclude, at('exclude'), '["2001:db8:bad::/48"]').forEach((r, i) => {
      const text = cidr(r, at(`exclude[${i}]`), 6);
      if (!exclude.includes(text)) exclude.push(text);
    });
  }
  const upstream = raw.upstream === undefined ? [{ address: '127.0.0.2', port: 53 }] : list(raw.upstream, at('upstream'), '["127.0.0.2"]').map((u, i) => endpoint(u, at(`upstream[${i}]`), 53));
  if (upstream.length === 0) throw new ConfigError(`${at('upstream')}: empty; name at least one upstream server, e.g. ["127.0.0.2"]`);
  const upstreamTimeoutMs = raw.upstreamTimeoutMs === undefined ? 1000 : integer(raw.upstreamTimeoutMs, at('upstreamTimeoutMs'), 10, 60000);
  const upstreamTries = raw.upstreamTries === undefined ? 2 : integer(raw.upstreamTries, at('upstreamTries'), 1, 10);
  let dnssec = { validate: false, trustAnchors: [] as string[] };
  if (raw.dnssec !== undefined) {
    const d = raw.dnssec;
    if (!isObject(d)) throw new ConfigError(`${at('dnssec')}: ${show(d)} is not an object; write { "validate": true, "trustAnchors": ["signed.test. IN DS ..."] }`);
    for (const k of Object.keys(d)) if (k !== 'validate' && k !== 'trustAnchors') throw new ConfigError(`${at(`dnssec.${k}`)}: unknown setting; known: validate, trustAnchors`);
    if (d.validate !== undefined && typeof d.validate !== 'boolean') throw new ConfigError(`${at('dnssec.validate')}: ${show(d.validate)} is not true or false`);
    const anchors = d.trustAnchors === undefined ? [] : list(d.trustAnchors, at('dnssec.trustAnchors'), '["signed.test. IN DS 60667 13 2 83FA..."]').map((t, i) => {
      const where = at(`dnssec.trustAnchors[${i}]`);
      if (typeof t !== 'string') throw new ConfigError(`${where}: ${show(t)} is not a DS record in presentation format`);
      try {
        parseDsText(t);
      } catch (e) {
        throw new ConfigError(`${where}: ${(e as Error).message}`);
      }
      return t;
    });
    dnssec = { validate: d.validate === true, trustAnchors: anchors };
    if (dnssec.validate && anchors.length === 0) throw new ConfigError(`${at('dnssec.trustAnchors')}: validation needs at least one trust anchor (the DS of fixtures/zones/signed.test.ds)`);
  }
  const acl = raw.acl === undefined ? ['0.0.0.0/0', '::/0'] : list(raw.acl, at('acl'), '["127.0.0.0/8", "2001:db8:6::/64"]').map((r, i) => cidr(r, at(`acl[${i}]`)));
  const cacheEntries = raw.cacheEntries === undefined ? 10000 : integer(raw.cacheEntries, at('cacheEntries'), 0, 10_000_000);
  const listen = raw.listen === undefined ? [{ address: '127.0.0.1', port: 5305 }] : list(raw.listen, at('listen'), '["127.0.0.1#5305"]').map((l, i) => endpoint(l, at(`listen[${i}]`), 53, 0));
  const mode = raw.mode === undefined ? 'dns64' : raw.mode;
  if (mode !== 'dns64' && mode !== 'forwarder') throw new ConfigError(`${at('mode')}: ${show(mode)} is not "dns64" or "forwarder"`);
  return { prefixes, exclude, upstream, upstreamTimeoutMs, upstreamTries, dnssec, acl, cacheEntries, listen, faults, mode };
}
