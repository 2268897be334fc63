/**
 * The target file of an external NAT64 device: how the harness is wired to
 * it, what the operator configured on it, and (optionally) a driver that may
 * change some of that configuration per case. JSON only: the file is short
 * and machine-written as often as hand-written, and JSON needs no further
 * dependency. Every error is one line starting with the file name, naming
 * the field and the fix.
 */
import { readFileSync } from 'fs';
import type { FilteringMode, Pool4Entry, Timeouts } from '../../engine/api';
import { ConfigError } from '../../engine/config';
import { canonical, isIPv4, isIPv6 } from '../packet/address';
import { parsePref64 } from '../packet/rfc6052';

/** Knobs a driver may turn on the device, as the operator allows them in `driver.knobs`. */
export const KNOBS = ['pool6', 'pool4', 'filtering', 'staticBib', 'timeouts', 'readState', 'clearSessions'] as const;
export type Knob = (typeof KNOBS)[number];

export const DRIVER_KINDS = ['a10-axapi'] as const;
export type DriverKind = (typeof DRIVER_KINDS)[number];

export interface DriverSpec {
  kind: DriverKind;
  /** Base URL of the management interface, e.g. https://192.0.2.10 */
  url: string;
  username: string;
  /** Name of the environment variable that holds the password (the file never holds it). */
  passwordEnv: string;
  partition?: string;
  /** Accept a self-signed management certificate (lab devices usually have one). */
  insecureTls: boolean;
  /** What the driver may change; a knob left out is never touched, and cases needing it are na. */
  knobs: Knob[];
  /** Per-request timeout of the management API. */
  timeoutMs: number;
}

/** One side of the wiring. */
export interface SideSpec {
  /** The harness's NIC wired to this side of the device (a VLAN interface when `vlan` is given). */
  interface: string;
  vlan?: number;
  /** The device's MAC on this side; learned by ARP/NDP from `deviceAddress` when absent. */
  deviceMac?: string;
  /** The device's own address on this side (its interface address), for ARP/NDP and to never impersonate it. */
  deviceAddress?: string;
  /** Link MTU the device uses on this side. */
  mtu: number;
}

export interface ExternalSpec {
  /** The target file's path, as given. */
  file: string;
  name: string;
  /**
   * l2: the harness sends and captures frames and plays every host and router
   * on the links. routed: it sends through its host's routing table (raw IP
   * sockets; the kernel resolves the device) and captures frames on the NICs.
   */
  mode: 'l2' | 'routed';
  /**
   * Routed mode: who routes the lab's traffic toward the device. operator: the
   * routes are there already. harness: the harness adds default routes via
   * each side's deviceAddress in `netns` for the run and removes them.
   */
  routes?: 'operator' | 'harness';
  /** Network namespace holding the harness's two interfaces (absent: the harness's own namespace). */
  netns?: string;
  ipv6: SideSpec;
  ipv4: SideSpec;
  pool6: string;
  pool4: Pool4Entry[];
  dns64?: string;
  /** Timeouts as configured on the device (seconds), where the operator knows them. */
  timeouts: Partial<Timeouts>;
  filtering?: FilteringMode;
  collect: { quietMs: number; maxMs: number };
  driver?: DriverSpec;
}

const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
const TIMEOUT_KEYS: (keyof Timeouts)[] = ['udp', 'tcpEstablished', 'tcpTransitory', 'tcpInit', 'tcpIncomingSyn', 'icmp', 'fragment'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  return v === undefined ? 'missing' : JSON.stringify(v);
}

class Fields {
  constructor(readonly file: string) {}

  fail(field: string, what: string): never {
    throw new ConfigError(`${this.file}: ${field}: ${what}`);
  }

  keys(o: Record<string, unknown>, where: string, known: readonly string[]): void {
    for (const k of Object.keys(o)) {
      if (!known.includes(k)) this.fail(where ? `${where}.${k}` : k, `unknown setting; known: ${known.join(', ')}`);
    }
  }

  object(v: unknown, field: string, example: string): Record<string, unknown> {
    if (v === undefined) this.fail(field, `missing; ${example}`);
    if (!isObject(v)) this.fail(field, `${show(v)} is not an object; ${example}`);
    return v;
  }

  string(v: unknown, field: string, fix: string): string {
    if (v === undefined) this.fail(field, `missing; ${fix}`);
    if (typeof v !== 'string' || v === '') this.fail(field, `${show(v)} is not a non-empty string; ${fix}`);
    return v;
  }

  int(v: unknown, field: string, min: number, max: number, fix: string): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) this.fail(field, `${show(v)} is not a whole number from ${min} to ${max}; ${fix}`);
    return v;
  }
}

function parseSide(f: Fields, raw: unknown, side: 'ipv6' | 'ipv4'): SideSpec {
  const what = side === 'ipv6' ? "IPv6" : "IPv4";
  const o = f.object(raw, side, `write "${side}": { "interface": "eth1", "deviceAddress": "..." } (the NIC wired to the device's ${what} side)`);
  f.keys(o, side, ['interface', 'vlan', 'deviceMac', 'deviceAddress', 'mtu']);
  if (o.interface === undefined) f.fail(`${side}.interface`, `missing; name the NIC wired to the device's ${what} side`);
  const iface = f.string(o.interface, `${side}.interface`, `name the NIC wired to the device's ${what} side`);
  if (!IFNAME.test(iface)) f.fail(`${side}.interface`, `${show(iface)} is not an interface name; use 1-15 letters, digits, '_', '.' or '-'`);
  const out: SideSpec = { interface: iface, mtu: 1500 };
  if (o.vlan !== undefined) {
    out.vlan = f.int(o.vlan, `${side}.vlan`, 1, 4094, 'give the 802.1Q VLAN id, or leave it out for an untagged NIC');
    const vif = `${iface}.${out.vlan}`;
    if (!IFNAME.test(vif)) f.fail(`${side}.vlan`, `the VLAN interface name ${show(vif)} is longer than 15 characters; create a VLAN interface with a shorter name and give it as "interface"`);
    // The kernel's VLAN interface does the tagging: the harness captures and injects on it like on a NIC.
    out.interface = vif;
  }
  if (o.deviceMac !== undefined) {
    if (typeof o.deviceMac !== 'string' || !MAC.test(o.deviceMac)) f.fail(`${side}.deviceMac`, `${show(o.deviceMac)} is not a MAC address; write e.g. "02:00:00:00:00:01" or leave it out to learn it by ${side === 'ipv6' ? 'NDP' : 'ARP'}`);
    out.deviceMac = o.deviceMac.toLowerCase();
  }
  if (o.deviceAddress !== undefined) {
    const ok = typeof o.deviceAddress === 'string' && (side === 'ipv6' ? isIPv6(o.deviceAddress) : isIPv4(o.deviceAddress));
    if (!ok) f.fail(`${side}.deviceAddress`, `${show(o.deviceAddress)} is not an ${what} address; give the device's interface address on this side`);
    out.deviceAddress = canonical(o.deviceAddress as string);
  }
  if (o.mtu !== undefined) out.mtu = f.int(o.mtu, `${side}.mtu`, side === 'ipv6' ? 1280 : 68, 65535, 'give the link MTU of this side');
  return out;
}

function parsePool4(f: Fields, raw: unknown): Pool4Entry[] {
  const fix = 'list the IPv4 pool configured on the device, e.g. ["198.18.0.1", "198.18.0.0/30"]';
  if (raw === undefined) f.fail('pool4', `missing; ${fix}`);
  if (!Array.isArray(raw) || raw.length === 0) f.fail('pool4', `${show(raw)} is not a non-empty list; ${fix}`);
  return raw.map((e, i) => {
    const text = typeof e === 'string' ? e : undefined;
    const [addr, len] = (text ?? '').split('/');
    const lenOk = len === undefined || (/^\d+$/.test(len) && Number(len) >= 16 && Number(len) <= 32);
    if (!text || !isIPv4(addr) || !lenOk) f.fail(`pool4[${i}]`, `${show(e)} is not an IPv4 address or prefix (/16 to /32); ${fix}`);
    return { address: len === undefined ? canonical(addr) : `${canonical(addr)}/${len}` };
  });
}

function parseTimeouts(f: Fields, raw: unknown): Partial<Timeouts> {
  if (raw === undefined) return {};
  const o = f.object(raw, 'timeouts', 'write e.g. { "udp": 300 } (seconds, as configured on the device)');
  f.keys(o, 'timeouts', TIMEOUT_KEYS);
  const out: Partial<Timeouts> = {};
  for (const k of TIMEOUT_KEYS) {
    if (o[k] === undefined) continue;
    const v = o[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) f.fail(`timeouts.${k}`, `${show(v)} is not a number of seconds above 0; give the value configured on the device or leave it out`);
    out[k] = v;
  }
  return out;
}

function parseDriver(f: Fields, raw: unknown): DriverSpec | undefined {
  if (raw === undefined) return undefined;
  const o = f.object(raw, 'driver', 'write { "kind": "a10-axapi", "url": "https://...", "username": "...", "passwordEnv": "..." } or leave the section out');
  f.keys(o, 'driver', ['kind', 'url', 'username', 'passwordEnv', 'partition', 'insecureTls', 'knobs', 'timeoutMs']);
  if (!(DRIVER_KINDS as readonly unknown[]).includes(o.kind)) f.fail('driver.kind', `${show(o.kind)} is not a known driver; known: ${DRIVER_KINDS.join(', ')}`);
  const url = f.string(o.url, 'driver.url', 'give the management URL, e.g. "https://192.0.2.10"');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    f.fail('driver.url', `${show(url)} is not a URL; write e.g. "https://192.0.2.10"`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') f.fail('driver.url', `${show(url)} is not http(s); write e.g. "https://192.0.2.10"`);
  const username = f.string(o.username, 'driver.username', 'give the management user name');
  const passwordEnv = f.string(o.passwordEnv, 'driver.passwordEnv', 'name the environment variable that holds the password, e.g. "A10_PASSWORD"');
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(passwordEnv)) f.fail('driver.passwordEnv', `${show(passwordEnv)} is not an environment variable name; write e.g. "A10_PASSWORD" (never the password itself)`);
  const partition = o.partition === undefined ? undefined : f.string(o.partition, 'driver.partition', 'give the partition name or leave it out for the shared partition');
  if (o.insecureTls !== undefined && typeof o.insecureTls !== 'boolean') f.fail('driver.insecureTls', `${show(o.insecureTls)} is not true or false`);
  let knobs: Knob[] = [];
  if (o.knobs !== undefined) {
    if (!Array.isArray(o.knobs)) f.fail('driver.knobs', `${show(o.knobs)} is not a list; write e.g. ["timeouts", "filtering"]`);
    knobs = o.knobs.map((k, i) => {
      if (!(KNOBS as readonly unknown[]).includes(k)) f.fail(`driver.knobs[${i}]`, `${show(k)} is not a knob; known: ${KNOBS.join(', ')}`);
      return k as Knob;
    });
  }
  const timeoutMs = o.timeoutMs === undefined ? 10_000 : f.int(o.timeoutMs, 'driver.timeoutMs', 100, 600_000, 'give milliseconds per management request');
  return { kind: o.kind as DriverKind, url: url.replace(/\/+$/, ''), username, passwordEnv, ...(partition ? { partition } : {}), insecureTls: o.insecureTls === true, knobs, timeoutMs };
}

/** Validates an already-parsed target file; `file` prefixes every message. */
export function parseExternalSpec(raw: unknown, file: string): ExternalSpec {
  const f = new Fields(file);
  if (!isObject(raw)) throw new ConfigError(`${file}: ${show(raw)} is not an object; see fixtures/targets/device.example.json`);
  f.keys(raw, '', ['name', 'mode', 'routes', 'netns', 'ipv6', 'ipv4', 'pool6', 'pool4', 'dns64', 'timeouts', 'filtering', 'collect', 'driver']);
  const name = raw.name === undefined ? 'external' : f.string(raw.name, 'name', 'give a short name for the report, e.g. "vThunder 6.0"');
  const modes = 'write "l2" (the harness sends and captures frames on its NICs) or "routed" (it sends through its routing table toward the device)';
  if (raw.mode === undefined) f.fail('mode', `missing; ${modes}`);
  if (raw.mode !== 'l2' && raw.mode !== 'routed') f.fail('mode', `${show(raw.mode)} is not a mode; ${modes}`);
  const routed = raw.mode === 'routed';
  let netns: string | undefined;
  if (raw.netns !== undefined) {
    netns = f.string(raw.netns, 'netns', 'name the network namespace that holds the two NICs, or leave it out');
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(netns)) f.fail('netns', `${show(netns)} is not a namespace name`);
  }
  let routes: ExternalSpec['routes'];
  if (routed) {
    routes = 'operator';
    if (raw.routes !== undefined && raw.routes !== 'operator' && raw.routes !== 'harness') f.fail('routes', `${show(raw.routes)} is not a choice; write "operator" (the routes toward the device are in place) or "harness" (the harness adds them in netns)`);
    if (raw.routes !== undefined) routes = raw.routes as ExternalSpec['routes'];
    // The harness changes routes only in a namespace named for the lab, never the host's own table.
    if (routes === 'harness' && !netns) f.fail('routes', '"harness" needs "netns": the harness adds routes only in a namespace of its own; name the namespace holding the two NICs, or write "operator" and add the routes yourself');
  } else if (raw.routes !== undefined) f.fail('routes', 'only for "mode": "routed" (in l2 mode nothing is routed); leave it out');
  const ipv6 = parseSide(f, raw.ipv6, 'ipv6');
  const ipv4 = parseSide(f, raw.ipv4, 'ipv4');
  if (ipv6.interface === ipv4.interface) f.fail('ipv4.interface', `${show(ipv4.interface)} is also the IPv6 side's interface; wire each side to its own NIC or VLAN`);
  for (const [s, side] of [['ipv6', ipv6], ['ipv4', ipv4]] as const) {
    const what = s === 'ipv6' ? 'IPv6' : 'IPv4';
    if (routed && side.deviceMac) f.fail(`${s}.deviceMac`, `not used in routed mode (the kernel resolves the next hop); leave it out and give ${s}.deviceAddress`);
    if (routed && !side.deviceAddress) f.fail(`${s}.deviceAddress`, `missing; give the device's ${what} interface address (the next hop toward the device in routed mode)`);
    if (!side.deviceMac && !side.deviceAddress) f.fail(`${s}.deviceAddress`, `missing; give the device's ${what} interface address (its MAC is learned from it) or its "deviceMac"`);
  }
  if (raw.pool6 === undefined) f.fail('pool6', 'missing; give the Pref64 configured on the device, e.g. "64:ff9b::/96"');
  if (typeof raw.pool6 !== 'string') f.fail('pool6', `${show(raw.pool6)} is not a prefix; write e.g. "64:ff9b::/96"`);
  const pool6Text = raw.pool6 as string;
  let pool6: string;
  try {
    const p = parsePref64(pool6Text);
    pool6 = `${canonical(pool6Text.split('/')[0])}/${p.length}`;
  } catch (err) {
    // parsePref64 names the field and the value itself.
    throw new ConfigError(`${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  const pool4 = parsePool4(f, raw.pool4);
  let dns64: string | undefined;
  if (raw.dns64 !== undefined) {
    const d = raw.dns64;
    if (typeof d !== 'string' || !(isIPv6(d) || isIPv4(d))) f.fail('dns64', `${show(d)} is not an address; give the DNS64 server's address or leave it out`);
    dns64 = canonical(d as string);
  }
  if (raw.filtering !== undefined && raw.filtering !== 'endpoint-independent' && raw.filtering !== 'address-dependent') {
    f.fail('filtering', `${show(raw.filtering)} is not a mode; write "endpoint-independent" or "address-dependent" (as configured on the device), or leave it out when unknown`);
  }
  const collect = { quietMs: 50, maxMs: 2000 };
  if (raw.collect !== undefined) {
    const c = f.object(raw.collect, 'collect', 'write { "quietMs": 50, "maxMs": 2000 }');
    f.keys(c, 'collect', ['quietMs', 'maxMs']);
    if (c.quietMs !== undefined) collect.quietMs = f.int(c.quietMs, 'collect.quietMs', 1, 60_000, 'give the quiet period (ms) that ends a collection');
    if (c.maxMs !== undefined) collect.maxMs = f.int(c.maxMs, 'collect.maxMs', 1, 600_000, 'give the longest collection (ms)');
  }
  return {
    file,
    name,
    mode: raw.mode as ExternalSpec['mode'],
    ...(routes ? { routes } : {}),
    ...(netns ? { netns } : {}),
    ipv6,
    ipv4,
    pool6,
    pool4,
    ...(dns64 ? { dns64 } : {}),
    timeouts: parseTimeouts(f, raw.timeouts),
    ...(raw.filtering ? { filtering: raw.filtering as FilteringMode } : {}),
    collect,
    ...(raw.driver !== undefined ? { driver: parseDriver(f, raw.driver) } : {}),
  };
}

/** Reads and validates the target file; a missing file or bad JSON is a ConfigError too. */
export function readExternalSpec(file: string): ExternalSpec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(`${file}: cannot read it (${code}); give the path of the device's target file, e.g. --target external:device.json`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file}: not valid JSON (${(err as Error).message.split('\n')[0]}); fix the syntax`);
  }
  return parseExternalSpec(raw, file);
}
