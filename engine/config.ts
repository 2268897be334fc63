/**
 * Engine configuration: defaults and validation.
 *
 * `parseEngineConfig` takes whatever was read from a file or built by a
 * caller, fills in the defaults and returns a normalised `EngineConfig`:
 * addresses canonical, pool4 prefixes expanded to one entry per address,
 * every pool4 entry carrying all three port ranges. Anything wrong throws a
 * `ConfigError` whose message is one line naming the field, what is wrong
 * and how to fix it.
 */
import { canonical, formatIPv4, ipv4ToNumber, isIPv4, isIPv6, numberToIPv4, parseIPv6, parsePrefix, inPrefix, prefixHostBitsZero } from '../harness/packet/address';
import { PREF64_LENGTHS, WELL_KNOWN_PREFIX, parsePref64 } from '../harness/packet/rfc6052';
import { LAB } from '../harness/lab/addressing';
import { EngineConfig, FilteringMode, IcmpErrorPolicy, Limits, Pool4Entry, PortRange, Protocol, StaticBibEntry, Timeouts } from './api';
import { FAULTS, isKnownFault } from './faults';
import { parseDeterministic } from './nat64/deterministic';

/** A configuration error; `message` is the one-line explanation. */
export class ConfigError extends Error {
  constructor(readonly line: string) {
    super(line);
    this.name = 'ConfigError';
  }
}

/** RFC 6146 §4 protocol constants, in seconds. */
export const RFC6146 = {
  UDP_MIN: 120,
  UDP_DEFAULT: 300,
  TCP_TRANS: 240,
  TCP_EST: 7200,
  TCP_INCOMING_SYN: 6,
  FRAGMENT_MIN: 2,
  ICMP_DEFAULT: 60,
} as const;

export const PROTOCOLS: readonly Protocol[] = ['tcp', 'udp', 'icmp'];

export const DEFAULT_PORTS: Readonly<Record<Protocol, PortRange>> = {
  tcp: { min: 1, max: 65535 },
  udp: { min: 1, max: 65535 },
  icmp: { min: 0, max: 65535 },
};

/**
 * Defaults: RFC 6146 §4's values. tcpEstablished is TCP_EST (2 h): the
 * session lifetime "SHOULD be set to TCP_EST", and the probe-then-TRANS step
 * on expiry adds TCP_TRANS, which gives RFC 5382's 2 h 4 min.
 */
export const DEFAULT_TIMEOUTS: Readonly<Timeouts> = {
  udp: RFC6146.UDP_DEFAULT,
  tcpEstablished: RFC6146.TCP_EST,
  tcpTransitory: RFC6146.TCP_TRANS,
  tcpInit: RFC6146.TCP_TRANS,
  tcpIncomingSyn: RFC6146.TCP_INCOMING_SYN,
  icmp: RFC6146.ICMP_DEFAULT,
  fragment: RFC6146.FRAGMENT_MIN,
};

/** Lower bounds of each timeout and the rule that sets them. */
const TIMEOUT_MIN: Record<keyof Timeouts, { min: number; why: string }> = {
  udp: { min: RFC6146.UDP_MIN, why: 'UDP_MIN (120 s, RFC 6146 §4)' },
  tcpEstablished: { min: RFC6146.TCP_EST, why: 'TCP_EST (7200 s, RFC 6146 §3.5.2.2 and §4)' },
  tcpTransitory: { min: RFC6146.TCP_TRANS, why: 'TCP_TRANS (240 s, RFC 6146 §4, RFC 5382 REQ-5)' },
  // RFC 7857 §2.1 MAY allow less than 4 min; RFC 5382 REQ-5 (MUST NOT) and RFC 6146 §3.5.2.2 ("at least TCP_TRANS") win for a NAT64.
  tcpInit: { min: RFC6146.TCP_TRANS, why: 'TCP_TRANS (240 s, RFC 6146 §3.5.2.2 "at least TCP_TRANS", RFC 5382 REQ-5)' },
  tcpIncomingSyn: { min: RFC6146.TCP_INCOMING_SYN, why: 'TCP_INCOMING_SYN (6 s, RFC 6146 §4, RFC 5382 REQ-4)' },
  icmp: { min: RFC6146.ICMP_DEFAULT, why: '60 s (RFC 5508 REQ-2)' },
  // RFC 6146 §3.4 bounds only the default (at least FRAGMENT_MIN); a configured value must merely be positive.
  fragment: { min: Number.MIN_VALUE, why: 'zero; the fragment interval must be positive (RFC 6146 §3.4)' },
};

/** At most this many pool4 addresses (a /16); beyond that the tables would be silly for a lab engine. */
const MAX_POOL4_ADDRESSES = 65536;

const TOP_KEYS = ['pool6', 'pool4', 'staticBib', 'filtering', 'timeouts', 'trafficClass', 'mtu', 'limits', 'fragmentMemory', 'icmpErrors', 'deterministic', 'faults'] as const;
const FILTERING: readonly FilteringMode[] = ['endpoint-independent', 'address-dependent'];

type Raw = Record<string, unknown>;

function isObject(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s;
  } catch {
    return String(v);
  }
}

/** IPv4 addresses a pool4 entry may not hold (not unicast or not usable as a source). */
function unusablePool4(n: number): string | undefined {
  const a = n >>> 24;
  if (a === 0) return '0.0.0.0/8 is "this network" (RFC 791)';
  if (a === 127) return '127.0.0.0/8 is loopback';
  if (a >= 224 && a <= 239) return '224.0.0.0/4 is multicast; pool4 addresses must be unicast (RFC 6146 §3)';
  if (a >= 240) return '240.0.0.0/4 is reserved or broadcast; pool4 addresses must be unicast (RFC 6146 §3)';
  return undefined;
}

function checkKeys(obj: Raw, known: readonly string[], where: string): void {
  for (const k of Object.keys(obj)) {
    if (!known.includes(k)) throw new ConfigError(`${where}.${k}: unknown setting; known: ${known.join(', ')}`);
  }
}

function parsePortRange(raw: unknown, where: string, proto: Protocol): PortRange {
  if (!isObject(raw)) throw new ConfigError(`${where}: ${show(raw)} is not a range; write { "min": 1, "max": 65535 }`);
  checkKeys(raw, ['min', 'max'], where);
  const lowest = proto === 'icmp' ? 0 : 1;
  const what = proto === 'icmp' ? 'ICMP identifiers' : `${proto.toUpperCase()} ports`;
  const num = (k: 'min' | 'max'): number => {
    const v = raw[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lowest || v > 65535) {
      const zero = proto !== 'icmp' && v === 0 ? ' (port 0 is not a usable TCP/UDP port)' : '';
      throw new ConfigError(`${where}.${k}: ${show(v)} is not valid; ${what} are integers ${lowest}-65535${zero}`);
    }
    return v;
  };
  const min = num('min');
  const max = num('max');
  if (min > max) throw new ConfigError(`${where}: min ${min} > max ${max}; swap them`);
  return { min, max };
}

/** One pool4 entry (an address or a prefix) expanded to entries of one address each. */
function expandPool4(raw: unknown, where: string): Pool4Entry[] {
  const entry: Raw = typeof raw === 'string' ? { address: raw } : isObject(raw) ? raw : {};
  if (!isObject(raw) && typeof raw !== 'string') {
    throw new ConfigError(`${where}: ${show(raw)} is not a pool4 entry; write "198.18.0.1", "198.18.0.0/30" or { "address": "198.18.0.1" }`);
  }
  checkKeys(entry, ['address', 'ports'], where);
  const text = entry.address;
  if (typeof text !== 'string') throw new ConfigError(`${where}.address: missing; write an IPv4 address or prefix such as "198.18.0.1"`);
  const ports: Record<Protocol, PortRange> = { ...DEFAULT_PORTS };
  if (entry.ports !== undefined) {
    if (!isObject(entry.ports)) throw new ConfigError(`${where}.ports: ${show(entry.ports)} is not an object; write { "udp": { "min": 1024, "max": 65535 } }`);
    checkKeys(entry.ports, PROTOCOLS, `${where}.ports`);
    for (const p of PROTOCOLS) {
      if (entry.ports[p] !== undefined) ports[p] = parsePortRange(entry.ports[p], `${where}.ports.${p}`, p);
    }
  }
  let first: number;
  let count: number;
  if (text.includes('/')) {
    let prefix;
    try {
      prefix = parsePrefix(text);
    } catch (e) {
      throw new ConfigError(`${where}.address: ${show(text)} is not an IPv4 prefix (${(e as Error).message})`);
    }
    if (prefix.family !== 4) throw new ConfigError(`${where}.address: ${show(text)} is IPv6; pool4 holds IPv4 addresses (the IPv6 prefix goes in pool6)`);
    if (!prefixHostBitsZero(prefix)) {
      const base = (ipv4ToNumber(formatIPv4(prefix.bytes)) & (prefix.length === 0 ? 0 : (0xffffffff << (32 - prefix.length)) >>> 0)) >>> 0;
      throw new ConfigError(`${where}.address: ${show(text)} has bits set beyond /${prefix.length}; use ${numberToIPv4(base)}/${prefix.length}`);
    }
    count = 2 ** (32 - prefix.length);
    if (count > MAX_POOL4_ADDRESSES) throw new ConfigError(`${where}.address: ${show(text)} holds ${count} addresses; at most ${MAX_POOL4_ADDRESSES} (a /16) are supported`);
    first = ipv4ToNumber(formatIPv4(prefix.bytes));
  } else {
    if (!isIPv4(text)) throw new ConfigError(`${where}.address: ${show(text)} is not an IPv4 address; write e.g. "198.18.0.1" or "198.18.0.0/30"`);
    first = ipv4ToNumber(text);
    count = 1;
  }
  const out: Pool4Entry[] = [];
  for (let i = 0; i < count; i++) {
    const n = (first + i) >>> 0;
    const bad = unusablePool4(n);
    if (bad) throw new ConfigError(`${where}.address: ${numberToIPv4(n)} cannot be a pool4 address: ${bad}`);
    out.push({ address: numberToIPv4(n), ports: { tcp: { ...ports.tcp }, udp: { ...ports.udp }, icmp: { ...ports.icmp } } });
  }
  return out;
}

function parseStaticBib(raw: unknown, where: string, pool4: Pool4Entry[], pool6: string): StaticBibEntry {
  if (!isObject(raw)) {
    throw new ConfigError(`${where}: ${show(raw)} is not a BIB entry; write { "protocol": "udp", "v6": { "address": "2001:db8:6::10", "port": 5000 }, "v4": { "address": "198.18.0.1", "port": 5000 } }`);
  }
  checkKeys(raw, ['protocol', 'v6', 'v4'], where);
  const protocol = raw.protocol;
  if (typeof protocol !== 'string' || !(PROTOCOLS as readonly string[]).includes(protocol)) {
    throw new ConfigError(`${where}.protocol: ${show(protocol)} is not one of ${PROTOCOLS.join(', ')}`);
  }
  const proto = protocol as Protocol;
  const portWord = proto === 'icmp' ? 'identifier' : 'port';
  const side = (k: 'v6' | 'v4') => {
    const s = raw[k];
    if (!isObject(s)) throw new ConfigError(`${where}.${k}: missing; write { "address": ..., "port": ... }`);
    checkKeys(s, ['address', 'port'], `${where}.${k}`);
    const port = s.port;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
      throw new ConfigError(`${where}.${k}.port: ${show(port)} is not a valid ${portWord} (an integer 0-65535)`);
    }
    if (typeof s.address !== 'string') throw new ConfigError(`${where}.${k}.address: missing`);
    return { address: s.address, port };
  };
  const v6 = side('v6');
  const v4 = side('v4');
  if (!isIPv6(v6.address)) throw new ConfigError(`${where}.v6.address: ${show(v6.address)} is not an IPv6 address`);
  if (inPrefix(parseIPv6(v6.address), parsePrefix(pool6))) {
    throw new ConfigError(`${where}.v6.address: ${show(v6.address)} lies inside pool6 ${pool6}; RFC 6146 §3.5 drops packets from such sources, use the host's own address`);
  }
  if (!isIPv4(v4.address)) throw new ConfigError(`${where}.v4.address: ${show(v4.address)} is not an IPv4 address`);
  const v4addr = canonical(v4.address);
  const pool = pool4.find((e) => e.address === v4addr);
  if (!pool) throw new ConfigError(`${where}.v4.address: ${v4addr} is not in pool4 (${pool4.map((e) => e.address).join(', ')}); add it to pool4 or use a pool address`);
  const range = pool.ports![proto]!;
  if (v4.port < range.min || v4.port > range.max) {
    throw new ConfigError(`${where}.v4.port: ${v4.port} is outside the pool4 ${proto} range ${range.min}-${range.max} of ${v4addr}`);
  }
  return { protocol: proto, v6: { address: canonical(v6.address), port: v6.port }, v4: { address: v4addr, port: v4.port } };
}

function parseTimeouts(raw: unknown, where: string, acceptShortTcp = false): Timeouts {
  const out: Timeouts = { ...DEFAULT_TIMEOUTS };
  if (raw === undefined) return out;
  if (!isObject(raw)) throw new ConfigError(`${where}: ${show(raw)} is not an object; write e.g. { "udp": 300 } (seconds)`);
  const keys = Object.keys(DEFAULT_TIMEOUTS) as (keyof Timeouts)[];
  checkKeys(raw, keys, where);
  for (const k of keys) {
    const v = raw[k];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ConfigError(`${where}.${k}: ${show(v)} is not a number of seconds`);
    const { min, why } = TIMEOUT_MIN[k];
    // FAULT accept-short-tcp-timeouts: the TCP_EST / TCP_TRANS minimums are not enforced.
    const unchecked = acceptShortTcp && (k === 'tcpEstablished' || k === 'tcpTransitory' || k === 'tcpInit') && v > 0;
    if (v < min && !unchecked) {
      if (k === 'fragment') throw new ConfigError(`${where}.${k}: ${v} is not above ${why}; the default is ${RFC6146.FRAGMENT_MIN}`);
      throw new ConfigError(`${where}.${k}: ${v} is below ${why}; use at least ${min}`);
    }
    if (v > 86400 * 365) throw new ConfigError(`${where}.${k}: ${v} s is more than a year; use a smaller value`);
    out[k] = v;
  }
  return out;
}

/** Validate and normalise an engine configuration; `source` prefixes every error (a file name, "config"). */
export function parseEngineConfig(raw: unknown, source = 'config'): EngineConfig {
  const obj: Raw = raw === undefined || raw === null ? {} : isObject(raw) ? raw : (() => {
    throw new ConfigError(`${source}: ${show(raw)} is not an object; write { "pool6": "${LAB.pool6}", ... }`);
  })();
  checkKeys(obj, TOP_KEYS, source);

  // FAULT accept-bad-pool6: prefix lengths and the u-octet are not validated.
  const laxPool6 = Array.isArray(obj.faults) && obj.faults.includes('accept-bad-pool6');

  // pool6: with none configured, the well-known prefix (RFC 6146 §3.5.4 SHOULD).
  // FAULT no-wkp-fallback: a network-specific prefix is assumed instead.
  let pool6: string = Array.isArray(obj.faults) && obj.faults.includes('no-wkp-fallback') ? LAB.pool6 : WELL_KNOWN_PREFIX;
  if (obj.pool6 !== undefined && laxPool6 && typeof obj.pool6 === 'string') {
    pool6 = obj.pool6;
  } else if (obj.pool6 !== undefined) {
    const text = obj.pool6;
    if (typeof text !== 'string') throw new ConfigError(`${source}.pool6: ${show(text)} is not a prefix; write e.g. "64:ff9b::/96"`);
    let p;
    try {
      p = parsePrefix(text);
    } catch {
      throw new ConfigError(`${source}.pool6: ${show(text)} is not an IPv6 prefix; write address/length, e.g. "64:ff9b::/96"`);
    }
    if (p.family !== 6) throw new ConfigError(`${source}.pool6: ${show(text)} is IPv4; Pref64::/n is an IPv6 prefix, e.g. "64:ff9b::/96" (IPv4 addresses go in pool4)`);
    if (!(PREF64_LENGTHS as readonly number[]).includes(p.length)) {
      const over = p.length > 96 ? ' (RFC 6146 §3.5.4: n MUST be at most 96)' : '';
      throw new ConfigError(`${source}.pool6: ${show(text)} — RFC 6052 allows /32, /40, /48, /56, /64 or /96${over}`);
    }
    try {
      pool6 = `${canonical(text.slice(0, text.indexOf('/')))}/${p.length}`;
      parsePref64(pool6);
    } catch (e) {
      // parsePref64 names the u-octet / host-bit problem and the fix.
      const msg = (e as Error).message.replace(/^pool6 "[^"]*": /, '');
      throw new ConfigError(`${source}.pool6: ${show(text)} — ${msg}`);
    }
  }

  // pool4
  let pool4: Pool4Entry[];
  if (obj.pool4 === undefined) {
    pool4 = LAB.pool4.map((a) => ({ address: a, ports: { tcp: { ...DEFAULT_PORTS.tcp }, udp: { ...DEFAULT_PORTS.udp }, icmp: { ...DEFAULT_PORTS.icmp } } }));
  } else {
    if (!Array.isArray(obj.pool4)) throw new ConfigError(`${source}.pool4: ${show(obj.pool4)} is not a list; write ["198.18.0.1"] or [{ "address": "198.18.0.0/30" }]`);
    if (obj.pool4.length === 0) throw new ConfigError(`${source}.pool4: empty; a NAT64 MUST have at least one IPv4 address (RFC 6146 §3)`);
    pool4 = [];
    const seen = new Map<string, number>();
    obj.pool4.forEach((e, i) => {
      for (const entry of expandPool4(e, `${source}.pool4[${i}]`)) {
        const prev = seen.get(entry.address);
        if (prev !== undefined) throw new ConfigError(`${source}.pool4[${i}]: ${entry.address} is already in pool4[${prev}]; list each address once`);
        if (pool4.length >= MAX_POOL4_ADDRESSES) throw new ConfigError(`${source}.pool4: more than ${MAX_POOL4_ADDRESSES} addresses; use fewer`);
        seen.set(entry.address, i);
        pool4.push(entry);
      }
    });
  }

  // filtering
  let filtering: FilteringMode = 'endpoint-independent';
  if (obj.filtering !== undefined) {
    if (typeof obj.filtering !== 'string' || !(FILTERING as readonly string[]).includes(obj.filtering)) {
      throw new ConfigError(`${source}.filtering: ${show(obj.filtering)} is not a filtering mode; use "endpoint-independent" or "address-dependent"`);
    }
    filtering = obj.filtering as FilteringMode;
  }

  const timeouts = parseTimeouts(obj.timeouts, `${source}.timeouts`, Array.isArray(obj.faults) && obj.faults.includes('accept-short-tcp-timeouts'));

  // static BIB
  const staticBib: StaticBibEntry[] = [];
  if (obj.staticBib !== undefined) {
    if (!Array.isArray(obj.staticBib)) throw new ConfigError(`${source}.staticBib: ${show(obj.staticBib)} is not a list of BIB entries`);
    const seen6 = new Map<string, number>();
    const seen4 = new Map<string, number>();
    obj.staticBib.forEach((e, i) => {
      const where = `${source}.staticBib[${i}]`;
      const entry = parseStaticBib(e, where, pool4, pool6);
      const k6 = `${entry.protocol} ${entry.v6.address} ${entry.v6.port}`;
      const k4 = `${entry.protocol} ${entry.v4.address} ${entry.v4.port}`;
      const p6 = seen6.get(k6);
      if (p6 !== undefined) {
        throw new ConfigError(`${where}.v6: ${entry.protocol} [${entry.v6.address}]:${entry.v6.port} is already mapped by staticBib[${p6}]; a transport address appears in at most one BIB entry (RFC 6146 §3.1)`);
      }
      const p4 = seen4.get(k4);
      if (p4 !== undefined) {
        throw new ConfigError(`${where}.v4: ${entry.protocol} ${entry.v4.address}:${entry.v4.port} is already used by staticBib[${p4}]; a transport address appears in at most one BIB entry (RFC 6146 §3.1)`);
      }
      seen6.set(k6, i);
      seen4.set(k4, i);
      staticBib.push(entry);
    });
  }

  // faults
  const faults: string[] = [];
  if (obj.faults !== undefined) {
    if (!Array.isArray(obj.faults)) throw new ConfigError(`${source}.faults: ${show(obj.faults)} is not a list of fault names`);
    obj.faults.forEach((f, i) => {
      if (typeof f !== 'string' || !isKnownFault(f)) {
        throw new ConfigError(`${source}.faults[${i}]: unknown fault ${show(f)}; known: ${FAULTS.map((x) => x.name).join(', ')}`);
      }
      if (faults.includes(f)) throw new ConfigError(`${source}.faults[${i}]: ${show(f)} is listed twice; list it once`);
      faults.push(f);
    });
  }

  let trafficClass: 'copy' | 'zero' = 'copy';
  if (obj.trafficClass !== undefined) {
    if (obj.trafficClass !== 'copy' && obj.trafficClass !== 'zero') {
      throw new ConfigError(`${source}.trafficClass: ${show(obj.trafficClass)} is not a choice; use "copy" (RFC 7915 default) or "zero"`);
    }
    trafficClass = obj.trafficClass;
  }

  const limits = parseLimits(obj.limits, `${source}.limits`, pool4.length, faults);
  return { pool6, pool4, staticBib, filtering, timeouts, trafficClass, mtu: parseMtu(obj.mtu, `${source}.mtu`), limits, fragmentMemory: parseFragmentMemory(obj.fragmentMemory, `${source}.fragmentMemory`), icmpErrors: parseIcmpErrors(obj.icmpErrors, `${source}.icmpErrors`), ...(obj.deterministic !== undefined ? { deterministic: parseDeterministic(obj.deterministic, `${source}.deterministic`, pool4) } : {}), faults };
}

/**
 * Next-hop MTUs: IPv6 links carry at least 1280 octets (RFC 8200 §5), IPv4
 * links at least 68 (RFC 791); lowest-ipv6-mtu is 1280 by default (RFC 7915 §4).
 */
function parseMtu(raw: unknown, where: string): EngineConfig['mtu'] {
  const mtu = { ipv6: 1500, ipv4: 1500, lowestIpv6: 1280 };
  if (raw === undefined) return mtu;
  if (!isObject(raw)) throw new ConfigError(`${where}: ${show(raw)} is not an object; write { "ipv6": 1500, "ipv4": 1500, "lowestIpv6": 1280 }`);
  checkKeys(raw, ['ipv6', 'ipv4', 'lowestIpv6'], where);
  const bounds = { ipv6: 1280, ipv4: 68, lowestIpv6: 1280 } as const;
  for (const k of ['ipv6', 'ipv4', 'lowestIpv6'] as const) {
    const v = raw[k];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < bounds[k] || v > 65535) {
      throw new ConfigError(`${where}.${k}: ${show(v)} is not valid; use an integer ${bounds[k]}-65535`);
    }
    mtu[k] = v;
  }
  return mtu;
}

/**
 * Resource limits (engine/nat64/limits.ts). The global caps have defaults
 * that keep the tables bounded (RFC 6146 §5.3); the per-subscriber limits
 * (RFC 6888 REQ-4/5) apply only when configured; freed ports are held back
 * 120 s (RFC 6888 REQ-8).
 */
export const DEFAULT_LIMITS: Readonly<Limits> = {
  subscriberPrefix: 128,
  ports: {},
  maxBib: 1 << 20,
  maxSessions: 1 << 21,
  maxHeldSyns: 4096,
  quarantine: { seconds: 120, maxPorts: 1 << 18 },
};

/** Largest pool4 the engine uses under FAULT pool4-size-limit. */
const FAULT_POOL4_SIZE_LIMIT = 1024;

function parseLimits(raw: unknown, where: string, pool4Size: number, faults: string[]): Limits {
  // FAULT pool4-size-limit: pools beyond 1024 addresses are refused (RFC 6888 REQ-3 asks for no size limit).
  if (faults.includes('pool4-size-limit') && pool4Size > FAULT_POOL4_SIZE_LIMIT) {
    throw new ConfigError(`${where.replace(/\.limits$/, '.pool4')}: ${pool4Size} addresses; at most ${FAULT_POOL4_SIZE_LIMIT} are supported`);
  }
  const out: Limits = { ...DEFAULT_LIMITS, ports: {}, quarantine: { ...DEFAULT_LIMITS.quarantine } };
  if (raw === undefined) return out;
  if (!isObject(raw)) throw new ConfigError(`${where}: ${show(raw)} is not an object; write e.g. { "ports": { "udp": 1000 }, "sessions": 4000 }`);
  checkKeys(raw, ['subscriberPrefix', 'ports', 'sessions', 'sessionsPerMapping', 'mappingRate', 'sessionRate', 'maxBib', 'maxSessions', 'maxHeldSyns', 'quarantine'], where);
  const int = (v: unknown, at: string, min: number, max: number): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new ConfigError(`${at}: ${show(v)} is not valid; use an integer ${min}-${max}`);
    return v;
  };
  const rate = (v: unknown, at: string): number => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > 1e9) throw new ConfigError(`${at}: ${show(v)} is not valid; use a positive number of new entries per second`);
    return v;
  };
  if (raw.subscriberPrefix !== undefined) out.subscriberPrefix = int(raw.subscriberPrefix, `${where}.subscriberPrefix`, 1, 128);
  if (raw.ports !== undefined) {
    if (!isObject(raw.ports)) throw new ConfigError(`${where}.ports: ${show(raw.ports)} is not an object; write { "udp": 1000, "tcp": 1000, "icmp": 100 } (ports per subscriber)`);
    checkKeys(raw.ports, PROTOCOLS, `${where}.ports`);
    for (const p of PROTOCOLS) if (raw.ports[p] !== undefined) out.ports[p] = int(raw.ports[p], `${where}.ports.${p}`, 1, 65536 * MAX_POOL4_ADDRESSES);
  }
  if (raw.sessions !== undefined) out.sessions = int(raw.sessions, `${where}.sessions`, 1, 2 ** 31);
  if (raw.sessionsPerMapping !== undefined) out.sessionsPerMapping = int(raw.sessionsPerMapping, `${where}.sessionsPerMapping`, 1, 2 ** 31);
  if (raw.mappingRate !== undefined) out.mappingRate = rate(raw.mappingRate, `${where}.mappingRate`);
  if (raw.sessionRate !== undefined) out.sessionRate = rate(raw.sessionRate, `${where}.sessionRate`);
  if (raw.maxBib !== undefined) out.maxBib = int(raw.maxBib, `${where}.maxBib`, 1, 2 ** 31);
  if (raw.maxSessions !== undefined) out.maxSessions = int(raw.maxSessions, `${where}.maxSessions`, 1, 2 ** 31);
  if (raw.maxHeldSyns !== undefined) out.maxHeldSyns = int(raw.maxHeldSyns, `${where}.maxHeldSyns`, 0, 2 ** 31);
  if (raw.quarantine !== undefined) {
    const q = raw.quarantine;
    if (!isObject(q)) throw new ConfigError(`${where}.quarantine: ${show(q)} is not an object; write { "seconds": 120, "maxPorts": 65536 }`);
    checkKeys(q, ['seconds', 'maxPorts'], `${where}.quarantine`);
    if (q.seconds !== undefined) out.quarantine.seconds = int(q.seconds, `${where}.quarantine.seconds`, 0, 86400);
    if (q.maxPorts !== undefined) out.quarantine.maxPorts = int(q.maxPorts, `${where}.quarantine.maxPorts`, 0, 2 ** 31);
  }
  return out;
}

/**
 * Fragment reassembly memory in octets (RFC 6146 §3.4: the resources for
 * fragments MUST be limited). Default 4 MiB; at least 1280, so that one
 * minimum-MTU IPv6 fragment can be held.
 */
function parseFragmentMemory(raw: unknown, where: string): number {
  if (raw === undefined) return 4 * 1024 * 1024;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 1280 || raw > 2 ** 30) {
    throw new ConfigError(`${where}: ${show(raw)} is not valid; use an integer number of octets 1280-${2 ** 30}`);
  }
  return raw;
}

/** ICMP errors the translator originates (engine/nat64/icmp-policy.ts): on toward both sides, 100 per second per side, bursts of 10 (RFC 4443 §2.4(f) token bucket). */
export const DEFAULT_ICMP_ERRORS: Readonly<IcmpErrorPolicy> = { send4: true, send6: true, ratePerSecond: 100, burst: 10 };

/** RFC 7915 §4.4/§5.4 "sent, rate-limited, or not sent"; RFC 5508 REQ-9 (per side) and REQ-10f (rate). */
function parseIcmpErrors(raw: unknown, where: string): IcmpErrorPolicy {
  const out: IcmpErrorPolicy = { ...DEFAULT_ICMP_ERRORS };
  if (raw === undefined) return out;
  if (!isObject(raw)) throw new ConfigError(`${where}: ${show(raw)} is not an object; write { "send4": true, "send6": true, "ratePerSecond": 100, "burst": 10 }`);
  checkKeys(raw, ['send4', 'send6', 'ratePerSecond', 'burst'], where);
  for (const k of ['send4', 'send6'] as const) {
    const v = raw[k];
    if (v === undefined) continue;
    if (typeof v !== 'boolean') throw new ConfigError(`${where}.${k}: ${show(v)} is not valid; write true (send) or false (do not send)`);
    out[k] = v;
  }
  if (raw.ratePerSecond !== undefined) {
    const v = raw.ratePerSecond;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1e6) throw new ConfigError(`${where}.ratePerSecond: ${show(v)} is not valid; use errors per second 0-1000000 (0: no limit)`);
    out.ratePerSecond = v;
  }
  if (raw.burst !== undefined) {
    const v = raw.burst;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 1e6) throw new ConfigError(`${where}.burst: ${show(v)} is not valid; use an integer 1-1000000`);
    out.burst = v;
  }
  return out;
}
