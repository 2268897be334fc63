/**
 * RFC 7422 deterministic port blocks ("deterministic CGN"), algorithm A = 0
 * (sequential): subscriber number s of the inside range I owns global block
 * s; block g lies on pool4 address floor(g / K), ports
 * firstPort + (g mod K) * P .. + P - 1, with P ports per subscriber and
 * K = floor((65536 - firstPort) / P) blocks per address. Ports below
 * firstPort are the reserved list R (at least the system ports 0-1023,
 * RFC 7422 §2 step 1). Blocks N .. N+D-1 (N subscribers in I) are the
 * dynamic pool: a subscriber whose block is full (or a source outside I)
 * gets one of them, up to M ports, and each such block is logged (§2 step 4).
 * Dynamic blocks stay with their subscriber for the translator's lifetime.
 *
 * Inside a block the port is random (§2 step 3 SHOULD), preferring the
 * parity of the source port for UDP; ICMP identifiers come from the same
 * block (§2 MAY). The pure functions `blockOf` / `reverseLookup` are the
 * "test function" of §2; `configRecord` is the §3 record, logged when the
 * translator starts with a configuration and again once a day.
 */
import { formatIPv6, ipv4ToNumber, numberToIPv4, parseIPv6, parsePrefix, prefixHostBitsZero } from '../../harness/packet/address';
import type { Clock, DeterministicBlock, DeterministicConfig, Pool4Entry, Protocol, RandomInt } from '../api';
import { ConfigError } from '../config';
import type { EventLog } from './events';
import type { Allocation } from './allocate';
import type { Pool4 } from './pool4';

const DAY_MS = 86_400_000;

/** At most 2^20 subscribers in the inside range. */
const MAX_SUBSCRIBER_BITS = 20;

export interface Layout {
  cfg: DeterministicConfig;
  insideBase: Buffer;
  insideLength: number;
  subscribers: number;
  perAddress: number;
  addresses: string[];
}

export function layoutOf(cfg: DeterministicConfig, pool4: Pool4Entry[]): Layout {
  const p = parsePrefix(cfg.inside);
  return {
    cfg,
    insideBase: Buffer.from(p.bytes),
    insideLength: p.length,
    subscribers: 2 ** (cfg.subscriberPrefix - p.length),
    perAddress: Math.floor((65536 - cfg.firstPort) / cfg.portsPerSubscriber),
    addresses: pool4.map((e) => e.address),
  };
}

/** Bits [from, to) of a 16-octet address as a number (to - from <= 32). */
function bits(b: Uint8Array, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 2 + ((b[i >> 3] >> (7 - (i & 7))) & 1);
  return n;
}

/** The subscriber number of an IPv6 address inside I, or -1. */
export function subscriberIndex(l: Layout, v6: string): number {
  const a = parseIPv6(v6);
  if (!prefixMatch(a, l.insideBase, l.insideLength)) return -1;
  return bits(a, l.insideLength, l.cfg.subscriberPrefix);
}

function prefixMatch(a: Uint8Array, base: Uint8Array, len: number): boolean {
  for (let i = 0; i < len; i++) if (((a[i >> 3] ^ base[i >> 3]) >> (7 - (i & 7))) & 1) return false;
  return true;
}

/** The subscriber prefix (address/length) of an IPv6 address. */
export function subscriberPrefixOf(v6: string, length: number): string {
  const a = parseIPv6(v6);
  for (let i = length; i < 128; i++) a[i >> 3] &= ~(1 << (7 - (i & 7)));
  return `${formatIPv6(a)}/${length}`;
}

/** The address and ports of global block g. */
export function blockRange(l: Layout, g: number): { address: string; min: number; max: number } {
  const P = l.cfg.portsPerSubscriber;
  const min = l.cfg.firstPort + (g % l.perAddress) * P;
  return { address: l.addresses[Math.floor(g / l.perAddress)], min, max: min + P - 1 };
}

/** Subscriber number -> its prefix. */
function subscriberAt(l: Layout, s: number): string {
  const a = Buffer.from(l.insideBase);
  const shift = 128 - l.cfg.subscriberPrefix;
  // Write s into bits [insideLength, subscriberPrefix).
  for (let i = 0; i < l.cfg.subscriberPrefix - l.insideLength; i++) {
    const bit = 127 - shift - i;
    if (Math.floor(s / 2 ** i) % 2) a[bit >> 3] |= 1 << (7 - (bit & 7));
  }
  return subscriberPrefixOf(formatIPv6(a), l.cfg.subscriberPrefix);
}

/** RFC 7422 §2 function 1: internal address -> (external address, port range). */
export function blockOf(l: Layout, v6: string): DeterministicBlock | undefined {
  const s = subscriberIndex(l, v6);
  if (s < 0) return undefined;
  return { subscriber: subscriberPrefixOf(v6, l.cfg.subscriberPrefix), ...blockRange(l, s) };
}

/**
 * RFC 7422 §2 function 2: (external address, port) -> internal subscriber.
 * Undefined for reserved ports, the dynamic pool (its blocks are in the
 * log) and ports outside every block.
 */
export function reverseLookup(l: Layout, address: string, port: number, faults: ReadonlySet<string> = new Set()): DeterministicBlock | undefined {
  const ai = l.addresses.indexOf(address);
  if (ai < 0 || port < l.cfg.firstPort) return undefined;
  const j = Math.floor((port - l.cfg.firstPort) / l.cfg.portsPerSubscriber);
  if (j >= l.perAddress) return undefined;
  let s = ai * l.perAddress + j;
  // FAULT det-test-function-wrong: the reverse function is off by one subscriber.
  if (faults.has('det-test-function-wrong')) s += 1;
  if (s >= l.subscribers) return undefined;
  return { subscriber: subscriberAt(l, s), ...blockRange(l, s) };
}

/** The smallest IPv4 prefix holding every pool4 address (O and its mask). */
function outsidePrefix(addresses: string[]): { prefix: string; mask: number } {
  const nums = addresses.map(ipv4ToNumber);
  const lo = Math.min(...nums);
  const hi = Math.max(...nums);
  let mask = 32;
  while (mask > 0 && Math.floor(lo / 2 ** (32 - mask)) !== Math.floor(hi / 2 ** (32 - mask))) mask--;
  const base = mask === 0 ? 0 : Math.floor(lo / 2 ** (32 - mask)) * 2 ** (32 - mask);
  return { prefix: numberToIPv4(base), mask };
}

/** The RFC 7422 §3 configuration record: I, inside mask, O, outside mask, D, M, A, R (the timestamp is the event's). */
export function configRecord(l: Layout): Record<string, string | number> {
  const o = outsidePrefix(l.addresses);
  const p = parsePrefix(l.cfg.inside);
  return {
    insidePrefix: formatIPv6(p.bytes),
    insideMask: p.length,
    outsidePrefix: o.prefix,
    outsideMask: o.mask,
    D: l.cfg.dynamicBlocks,
    M: l.cfg.maxPorts,
    A: 0,
    R: `0-${l.cfg.firstPort - 1}`,
    subscriberPrefix: l.cfg.subscriberPrefix,
    portsPerSubscriber: l.cfg.portsPerSubscriber,
    pool4: l.addresses.join(','),
  };
}

/** The allocator of deterministic mode and its records. */
export class Deterministic {
  readonly layout: Layout;
  /** Dynamic blocks held per subscriber prefix. */
  private readonly dynamic = new Map<string, number[]>();
  private nextDynamic: number;
  private nextRecord: number;

  constructor(
    cfg: DeterministicConfig,
    pool4: Pool4Entry[],
    private readonly pool: Pool4,
    private readonly random: RandomInt,
    private readonly clock: Clock,
    private readonly events: EventLog,
    private readonly faults: ReadonlySet<string>,
  ) {
    this.layout = layoutOf(cfg, pool4);
    this.nextDynamic = this.layout.subscribers;
    this.nextRecord = clock.now();
    this.tick();
  }

  /** RFC 7422 §3: the configuration record when the configuration takes effect, and once a day. */
  tick(): void {
    const now = this.clock.now();
    if (now < this.nextRecord) return;
    // FAULT det-config-not-repeated: only the first record, none once a day.
    this.nextRecord = this.faults.has('det-config-not-repeated') ? Infinity : now + DAY_MS;
    // FAULT det-config-not-logged: no record of the deterministic configuration.
    if (this.faults.has('det-config-not-logged')) return;
    const f = configRecord(this.layout);
    // FAULT det-log-fields-missing: the record lacks D and the reserved ports R.
    if (this.faults.has('det-log-fields-missing')) {
      delete f.D;
      delete f.R;
    }
    const text = Object.entries(f).map(([k, v]) => `${k}=${v}`).join(' ');
    this.events.add('deterministic-config', f, text);
  }

  /** (T,t) for a new mapping of `v6`; undefined when its block, its dynamic blocks and M are exhausted. */
  allocate(proto: Protocol, v6: string, sport: number): Allocation | undefined {
    const l = this.layout;
    // FAULT det-system-ports-used: a source port below 1024 is kept as it is (RFC 6146 port preservation) instead of coming from the block.
    if (this.faults.has('det-system-ports-used') && proto !== 'icmp' && sport < 1024) {
      const addr = Math.max(0, this.pool.indexOf(blockOf(l, v6)?.address ?? l.addresses[0]));
      if (this.pool.take(addr, proto, sport)) return { addr, port: sport };
    }
    const s = subscriberIndex(l, v6);
    const key = subscriberPrefixOf(v6, l.cfg.subscriberPrefix);
    const blocks = [...(s >= 0 ? [s] : []), ...(this.dynamic.get(key) ?? [])];
    for (const g of blocks) {
      const a = this.pick(g, proto, sport);
      if (a) return a;
    }
    // Step 4: a dynamic block while the subscriber holds fewer than M ports.
    const held = blocks.reduce((n, g) => n + this.usedIn(g, proto), 0);
    if (l.cfg.dynamicBlocks === 0 || held >= l.cfg.maxPorts || this.nextDynamic >= l.subscribers + l.cfg.dynamicBlocks) return undefined;
    const g = this.nextDynamic++;
    this.dynamic.set(key, [...(this.dynamic.get(key) ?? []), g]);
    const r = blockRange(l, g);
    // FAULT det-dynamic-not-logged: dynamic port blocks are handed out without a log entry.
    if (!this.faults.has('det-dynamic-not-logged')) {
      this.events.add('dynamic-block', { subscriber: key, outsideAddress: r.address, portMin: r.min, portMax: r.max }, `${key} -> ${r.address}:${r.min}-${r.max}`);
    }
    return this.pick(g, proto, sport);
  }

  private usedIn(g: number, proto: Protocol): number {
    const r = blockRange(this.layout, g);
    const addr = this.pool.indexOf(r.address);
    let n = 0;
    for (let p = r.min; p <= r.max; p++) if (this.pool.isUsed(addr, proto, p)) n++;
    return n;
  }

  /** A random free port of block g (same parity as the source port first, for UDP). */
  private pick(g: number, proto: Protocol, sport: number): Allocation | undefined {
    const r = blockRange(this.layout, g);
    const addr = this.pool.indexOf(r.address);
    const n = r.max - r.min + 1;
    // FAULT det-sequential-ports: ports are taken in order from the bottom of the block.
    const seq = this.faults.has('det-sequential-ports');
    const passes = proto === 'udp' && !seq ? [sport & 1, -1] : [-1];
    for (const parity of passes) {
      const start = seq ? 0 : this.random(n);
      for (let i = 0; i < n; i++) {
        const port = r.min + ((start + i) % n);
        if (parity >= 0 && (port & 1) !== parity) continue;
        if (this.pool.take(addr, proto, port)) return { addr, port };
      }
    }
    return undefined;
  }
}

/** engine/config.ts: the `deterministic` setting, validated against pool4. */
export function parseDeterministic(raw: unknown, where: string, pool4: Pool4Entry[]): DeterministicConfig | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`${where}: ${JSON.stringify(raw)} is not an object; write { "inside": "2001:db8:6::/120", "subscriberPrefix": 128, "portsPerSubscriber": 2016, "firstPort": 1024 }`);
  }
  const r = raw as Record<string, unknown>;
  const known = ['inside', 'subscriberPrefix', 'portsPerSubscriber', 'firstPort', 'dynamicBlocks', 'maxPorts'];
  for (const k of Object.keys(r)) if (!known.includes(k)) throw new ConfigError(`${where}.${k}: unknown setting; known: ${known.join(', ')}`);
  const int = (k: string, min: number, max: number, dflt?: number): number => {
    const v = r[k] ?? dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new ConfigError(`${where}.${k}: ${JSON.stringify(v)} is not valid; use an integer ${min}-${max}`);
    return v;
  };
  let p;
  try {
    p = parsePrefix(String(r.inside));
  } catch {
    throw new ConfigError(`${where}.inside: ${JSON.stringify(r.inside)} is not an IPv6 prefix; write the inside range I, e.g. "2001:db8:6::/120"`);
  }
  if (p.family !== 6) throw new ConfigError(`${where}.inside: ${JSON.stringify(r.inside)} is IPv4; a NAT64's subscribers are IPv6 prefixes (RFC 7422 §2)`);
  if (!prefixHostBitsZero(p)) throw new ConfigError(`${where}.inside: ${JSON.stringify(r.inside)} has bits set beyond /${p.length}; clear them`);
  const subscriberPrefix = int('subscriberPrefix', p.length, Math.min(128, p.length + MAX_SUBSCRIBER_BITS), 128);
  if (r.firstPort !== undefined && typeof r.firstPort === 'number' && r.firstPort < 1024) {
    throw new ConfigError(`${where}.firstPort: ${r.firstPort} would put system ports in deterministic blocks; RFC 7422 §2 removes at least 0-1023, use 1024 or more`);
  }
  const firstPort = int('firstPort', 1024, 65535, 1024);
  const portsPerSubscriber = int('portsPerSubscriber', 1, 65536 - firstPort);
  const dynamicBlocks = int('dynamicBlocks', 0, 2 ** 24, 0);
  const maxPorts = int('maxPorts', portsPerSubscriber, 65536, portsPerSubscriber * (dynamicBlocks > 0 ? 2 : 1));
  const cfg: DeterministicConfig = { inside: `${formatIPv6(p.bytes)}/${p.length}`, subscriberPrefix, portsPerSubscriber, firstPort, dynamicBlocks, maxPorts };
  const l = layoutOf(cfg, pool4);
  const have = l.perAddress * pool4.length;
  if (l.subscribers + dynamicBlocks > have) {
    throw new ConfigError(`${where}: ${l.subscribers} subscriber blocks + ${dynamicBlocks} dynamic blocks of ${portsPerSubscriber} ports need more than the ${have} blocks pool4 holds; add pool4 addresses or give fewer ports per subscriber`);
  }
  return cfg;
}
