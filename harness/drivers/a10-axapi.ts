/**
 * Driver for A10 Thunder / vThunder CGN (NAT64) through aXAPI v3, the REST
 * API of ACOS. Login with user name and password at /axapi/v3/auth returns a
 * signature that every later request carries as `Authorization: A10 <sig>`;
 * /axapi/v3/logoff ends the session (ACOS allows only a few concurrent API
 * sessions, so a run always logs off, also after a failure).
 *
 * Every object path and payload shape is in AXAPI below, with the section of
 * A10's aXAPI v3 reference it follows. This driver has been exercised only
 * against the HTTP double in test/external/axapi-double.ts, which implements
 * those same shapes, never against a device: where an ACOS release names an
 * object differently, AXAPI is the one place to change.
 */
import type { FilteringMode, Protocol, SessionEntry, Timeouts } from '../../engine/api';
import { canonical, isIPv4, isIPv6 } from '../packet/address';
import type { DriverSpec, Knob } from '../targets/external-config';
import { DriverError, DriverRefused } from './driver';
import type { DeviceDriver, DeviceIdentity } from './driver';
import { HttpFailure, requestJson } from './http-json';
import type { JsonResponse } from './http-json';

/**
 * aXAPI v3 paths and payloads. Sections are those of A10's "aXAPI v3
 * Reference" (the per-object pages under /axapi/v3, mirrored by the CLI
 * command each object configures).
 */
export const AXAPI = {
  /** "Authentication": POST { credentials: { username, password } } → { authresponse: { signature } }. */
  auth: '/axapi/v3/auth',
  /** "Authentication": POST ends the session of the signature in the header. */
  logoff: '/axapi/v3/logoff',
  /** "version" (show version): GET → { version: { oper: { sw-version, hw-platform } } }. */
  version: '/axapi/v3/version/oper',
  /** "active-partition" (active-partition <name>): POST switches the session's partition. */
  partition: (name: string) => `/axapi/v3/active-partition/${encodeURIComponent(name)}`,
  /** "cgnv6 translation" (cgnv6 translation udp-timeout|tcp-timeout|icmp-timeout): POST { translation: {...} }. */
  translation: '/axapi/v3/cgnv6/translation',
  /** "cgnv6 lsn endpoint-independent-mapping": POST { endpoint-independent-mapping: { udp, tcp } }. */
  eim: '/axapi/v3/cgnv6/lsn/endpoint-independent-mapping',
  /** "cgnv6 lsn endpoint-independent-filtering": POST { endpoint-independent-filtering: { udp, tcp } }; DELETE per protocol turns it off. */
  eif: '/axapi/v3/cgnv6/lsn/endpoint-independent-filtering',
  /** "cgnv6 nat64 prefix" (cgnv6 nat64 prefix <prefix>): POST { prefix: { prefix-val } }; DELETE …/prefix/<url-encoded prefix>. */
  nat64Prefix: '/axapi/v3/cgnv6/nat64/prefix',
  /** "cgnv6 nat64 fragmentation" (inbound/outbound actions): GET/POST { fragmentation: {...} }. */
  fragmentation: '/axapi/v3/cgnv6/nat64/fragmentation',
  /** "cgnv6 nat64 session" (show cgnv6 nat64 session): GET → { session: { oper: { session-list: [...] } } }. */
  sessions: '/axapi/v3/cgnv6/nat64/session/oper',
  /** "clear cgnv6 nat64 session": POST { session: { all: 1 } }. */
  clearSessions: '/axapi/v3/clear/cgnv6/nat64/session',
  /** "cgnv6 nat64 global" statistics (show cgnv6 nat64 statistics): GET → { global: { stats: { name: n } } }. */
  stats: '/axapi/v3/cgnv6/nat64/global/stats',
} as const;

/** The `cgnv6 translation` field for each timeout the driver can set (RFC 6146 name → ACOS name). */
const TIMEOUT_FIELD: Partial<Record<keyof Timeouts, string>> = {
  udp: 'udp-timeout',
  tcpEstablished: 'tcp-timeout',
  icmp: 'icmp-timeout',
};

/** Session limit sent with endpoint-independent filtering (ACOS requires one; this is its documented maximum). */
const EIF_SESSION_LIMIT = 65535;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The one-line reason ACOS gives in an error answer: { response: { status: "fail", err: { code, msg } } }. */
function acosError(res: JsonResponse): string {
  const b = res.body as { response?: { err?: { msg?: unknown; code?: unknown } } } | undefined;
  const msg = b?.response?.err?.msg;
  if (typeof msg === 'string' && msg.trim()) return `${msg.trim().split('\n')[0]} (HTTP ${res.status})`;
  return `HTTP ${res.status}${res.text ? `: ${res.text.trim().split('\n')[0].slice(0, 160)}` : ''}`;
}

const PROTOCOL: Record<string, Protocol> = { udp: 'udp', tcp: 'tcp', icmp: 'icmp', icmpv6: 'icmp' };

export class A10AxapiDriver implements DeviceDriver {
  readonly kind = 'a10-axapi';
  readonly supports: ReadonlySet<Knob> = new Set<Knob>(['timeouts', 'filtering', 'pool6', 'readState', 'clearSessions']);
  readonly timeoutKeys: ReadonlySet<keyof Timeouts> = new Set(Object.keys(TIMEOUT_FIELD) as (keyof Timeouts)[]);
  // Turning endpoint-independent filtering off leaves ACOS in address-and-port-dependent filtering, which is not RFC 6146's address-dependent mode.
  readonly filteringModes: readonly FilteringMode[] = ['endpoint-independent'];
  private signature: string | undefined;
  private prefix: string | undefined;

  constructor(private readonly spec: DriverSpec, private readonly env: NodeJS.ProcessEnv = process.env) {}

  private async call(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<JsonResponse> {
    try {
      return await requestJson(
        this.spec.url,
        { method, path, body, headers: this.signature ? { Authorization: `A10 ${this.signature}` } : {} },
        { insecureTls: this.spec.insecureTls, timeoutMs: this.spec.timeoutMs },
      );
    } catch (err) {
      if (err instanceof HttpFailure) throw new DriverError(`a10-axapi: ${err.message}`);
      throw err;
    }
  }

  /** A request that must succeed; a 4xx answer to a configuration is the device refusing the value. */
  private async ok(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<JsonResponse> {
    if (!this.signature) throw new DriverError('a10-axapi: not logged in; connect() first');
    const res = await this.call(method, path, body);
    if (res.status === 401) throw new DriverError(`a10-axapi: ${method} ${path}: the session was refused (${acosError(res)}); the device may have ended it, run again`);
    if (res.status >= 400 && res.status < 500 && method !== 'GET') throw new DriverRefused(`${method} ${path}: ${acosError(res)}`);
    if (res.status < 200 || res.status >= 300) throw new DriverError(`a10-axapi: ${method} ${path}: ${acosError(res)}`);
    return res;
  }

  async connect(): Promise<DeviceIdentity> {
    const password = this.env[this.spec.passwordEnv];
    if (password === undefined) throw new DriverError(`a10-axapi: the environment variable ${this.spec.passwordEnv} (driver.passwordEnv) is not set; export it with the password of ${this.spec.username}`);
    const res = await this.call('POST', AXAPI.auth, { credentials: { username: this.spec.username, password } });
    const sig = (res.body as { authresponse?: { signature?: unknown } } | undefined)?.authresponse?.signature;
    if (res.status === 401 || res.status === 403) {
      throw new DriverError(`a10-axapi: login as ${this.spec.username} at ${this.spec.url} refused (${acosError(res)}); check driver.username and the password in ${this.spec.passwordEnv}`);
    }
    if (res.status !== 200 || typeof sig !== 'string' || !sig) throw new DriverError(`a10-axapi: login at ${this.spec.url}${AXAPI.auth} gave no signature (${acosError(res)}); is this an aXAPI v3 device?`);
    this.signature = sig;
    try {
      if (this.spec.partition) await this.ok('POST', AXAPI.partition(this.spec.partition));
      const v = await this.ok('GET', AXAPI.version);
      const oper = (v.body as { version?: { oper?: Record<string, unknown> } } | undefined)?.version?.oper ?? {};
      const sw = typeof oper['sw-version'] === 'string' ? oper['sw-version'] : 'unknown';
      const hw = typeof oper['hw-platform'] === 'string' ? oper['hw-platform'] : 'A10 Thunder';
      return { product: hw, version: `ACOS ${sw}` };
    } catch (err) {
      await this.disconnect();
      throw err instanceof DriverRefused ? new DriverError(`a10-axapi: ${err.message}`) : err;
    }
  }

  async setTimeouts(t: Partial<Timeouts>): Promise<void> {
    const translation: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(t) as [keyof Timeouts, number][]) {
      const field = TIMEOUT_FIELD[k];
      if (!field) throw new DriverRefused(`the A10 driver has no setting for the ${k} timeout`);
      // ACOS takes whole seconds; the icmp timeout is an object of its own in the schema.
      translation[field] = k === 'icmp' ? { 'icmp-timeout-val': Math.round(v) } : Math.round(v);
    }
    if (Object.keys(translation).length) await this.ok('POST', AXAPI.translation, { translation });
  }

  async setFiltering(mode: FilteringMode): Promise<void> {
    if (mode !== 'endpoint-independent') throw new DriverRefused(`ACOS has no ${mode} filtering setting (without endpoint-independent filtering it filters by address and port)`);
    // RFC 4787 EIF is only meaningful on top of EIM: both are switched on, for UDP and TCP.
    await this.ok('POST', AXAPI.eim, { 'endpoint-independent-mapping': { udp: 1, tcp: 1 } });
    await this.ok('POST', AXAPI.eif, { 'endpoint-independent-filtering': { udp: { 'session-limit': EIF_SESSION_LIMIT }, tcp: { 'session-limit': EIF_SESSION_LIMIT } } });
  }

  async setPool6(prefix: string): Promise<void> {
    if (this.prefix === prefix) return;
    await this.ok('POST', AXAPI.nat64Prefix, { prefix: { 'prefix-val': prefix } });
    // The previous prefix is removed only once the new one is in place, so the device is never left without one.
    if (this.prefix) await this.ok('DELETE', `${AXAPI.nat64Prefix}/${encodeURIComponent(this.prefix)}`);
    this.prefix = prefix;
  }

  async clearSessions(): Promise<void> {
    await this.ok('POST', AXAPI.clearSessions, { session: { all: 1 } });
  }

  async readSessions(): Promise<SessionEntry[]> {
    const res = await this.ok('GET', AXAPI.sessions);
    const list = (res.body as { session?: { oper?: { 'session-list'?: unknown } } } | undefined)?.session?.oper?.['session-list'];
    if (list === undefined) return [];
    if (!Array.isArray(list)) throw new DriverError(`a10-axapi: GET ${AXAPI.sessions}: session-list is not a list`);
    return list.map((e, i) => parseSession(e, i));
  }

  async readCounters(): Promise<Record<string, number>> {
    const res = await this.ok('GET', AXAPI.stats);
    const stats = (res.body as { global?: { stats?: unknown } } | undefined)?.global?.stats;
    if (!isObject(stats)) throw new DriverError(`a10-axapi: GET ${AXAPI.stats}: no global.stats object in the answer`);
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(stats)) if (typeof v === 'number') out[k] = v;
    return out;
  }

  async disconnect(): Promise<void> {
    const sig = this.signature;
    if (!sig) return;
    try {
      await this.call('POST', AXAPI.logoff);
    } finally {
      this.signature = undefined;
    }
  }
}

/** One entry of session-list; a malformed entry is a DriverError naming its index. */
function parseSession(e: unknown, i: number): SessionEntry {
  const bad = (what: string): never => {
    throw new DriverError(`a10-axapi: GET ${AXAPI.sessions}: session-list[${i}]: ${what}`);
  };
  if (!isObject(e)) bad('not an object');
  const o = e as Record<string, unknown>;
  const proto = PROTOCOL[String(o.protocol ?? '').toLowerCase()] ?? bad(`protocol ${JSON.stringify(o.protocol)} is not UDP, TCP or ICMP`);
  const v6 = (k: string) => (typeof o[k] === 'string' && isIPv6(o[k] as string) ? canonical(o[k] as string) : bad(`${k} is not an IPv6 address`));
  const v4 = (k: string) => (typeof o[k] === 'string' && isIPv4(o[k] as string) ? canonical(o[k] as string) : bad(`${k} is not an IPv4 address`));
  const port = (k: string) => (typeof o[k] === 'number' && Number.isInteger(o[k]) && (o[k] as number) >= 0 && (o[k] as number) <= 65535 ? (o[k] as number) : bad(`${k} is not a port`));
  const age = typeof o.age === 'number' ? o.age : 0;
  return {
    protocol: proto,
    v6: { src: v6('inside-v6-address'), sport: port('inside-port'), dst: v6('destination-v6-address'), dport: port('destination-port') },
    v4: { src: v4('nat-address'), sport: port('nat-port'), dst: v4('destination-address'), dport: port('destination-port') },
    ...(typeof o.state === 'string' ? { state: o.state } : {}),
    // ACOS reports the seconds left ("age"); the lab's entries carry an expiry time in ms.
    expires: Date.now() + age * 1000,
  };
}
