/**
 * How a case's needs become a Jool 4 configuration: the atomic JSON that
 * `jool file handle` applies in one step (instance, globals, pool4, static
 * BIB), the guest's link settings that go with it, and the configuration the
 * case can rely on. Bounds are Jool's own: a value it refuses comes back as
 * its message (ConfigRefused), never as a rule of ours. What Jool has no
 * setting for makes the case na, with the reason.
 */
import type { BibEntry, Pool4Entry, PortRange, Protocol, SessionEntry, StaticBibEntry, Timeouts } from '../../engine/api';
import { LAB } from '../lab/addressing';
import { NotApplicable } from '../lab/target';
import type { EffectiveConfig, TargetNeeds } from '../lab/target';

export const INSTANCE = 'default';
/** A scratch instance for validate(): the iptables framework, so it never sees a packet and can sit beside the netfilter one. */
export const CHECK_INSTANCE = 'nljcheck';

/** RFC 6146 §4 defaults, which are Jool's too; TCP_INCOMING_SYN is fixed in Jool (6 s). */
export const JOOL_DEFAULT_TIMEOUTS: Omit<Timeouts, 'fragment'> = {
  udp: 300,
  tcpEstablished: 7200,
  tcpTransitory: 240,
  tcpInit: 240,
  tcpIncomingSyn: 6,
  icmp: 60,
};
const JOOL_INCOMING_SYN = 6;
/** Jool's lowest-ipv6-mtu default. */
const JOOL_LOWEST_IPV6_MTU = 1280;
const DEFAULT_MTU = 1500;

const DEFAULT_PORTS: Record<Protocol, PortRange> = { tcp: { min: 1, max: 65535 }, udp: { min: 1, max: 65535 }, icmp: { min: 0, max: 65535 } };

/** The kernel's reassembly timers Jool relies on (it has no fragment timer of its own since 4.0). */
export const FRAGMENT_SYSCTLS = ['net.ipv4.ipfrag_time', 'net.netfilter.nf_conntrack_frag6_timeout'] as const;

export interface JoolPlan {
  /** The atomic configuration for `jool file handle`. */
  json: Record<string, unknown>;
  /** Link MTUs of eth0 (IPv6 side) and eth1 (IPv4 side). */
  mtu6: number;
  mtu4: number;
  /**
   * Routes for the translator's own prefixes (pool6 and pool4), as `ip route`
   * type + prefix: traffic Jool declines and hands back to the guest kernel
   * is delivered locally, not forwarded back into the lab (see jool.ts).
   */
  routes: string[];
  /** Reassembly timeout in seconds to set on both kernel timers, or undefined for the kernel's defaults. */
  fragmentSeconds?: number;
  effective: EffectiveConfig;
}

/** Needs Jool has no setting for: the case is na with the reason. */
export function checkSupported(needs: TargetNeeds): void {
  const na = (why: string): never => {
    throw new NotApplicable(why);
  };
  if (needs.virtualClock) na("Jool runs on the guest kernel's real clock; it cannot be advanced");
  if (needs.limits) na('Jool 4 has no per-subscriber, per-mapping or table-size limits or port quarantine to configure');
  if (needs.icmpErrors) na('Jool has no switch or rate limit of its own for the ICMP errors it originates (the guest kernel sends them)');
  if (needs.fragmentMemory !== undefined) na("Jool 4 reassembles with the kernel's defragmenter, whose memory limit is counted in buffer truesize, not octets");
  if (needs.deterministic) na('Jool has no RFC 7422 deterministic port-block mode');
  const t = needs.timeouts ?? {};
  if (t.tcpIncomingSyn !== undefined && t.tcpIncomingSyn !== JOOL_INCOMING_SYN) na(`Jool holds an unsolicited IPv4 SYN for a fixed ${JOOL_INCOMING_SYN} s; it has no setting for it`);
  if (t.tcpInit !== undefined && t.tcpInit !== (t.tcpTransitory ?? JOOL_DEFAULT_TIMEOUTS.tcpTransitory)) {
    na("Jool has one transitory timer (tcp-trans-timeout) for partially open and closing connections; tcpInit cannot differ from tcpTransitory");
  }
}

/** Seconds as Jool's H:MM:SS. */
export function joolTime(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const ms = Math.round((seconds - s) * 1000);
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  return `${hh}:${String(mm).padStart(2, '0')}:${String(ss).padStart(2, '0')}${ms ? `.${String(ms).padStart(3, '0')}` : ''}`;
}

/** Jool's "H:MM:SS(.mmm)" (or fewer fields) as milliseconds. */
export function parseJoolTime(text: string): number {
  const parts = text.trim().split(':').map(Number);
  if (parts.some((n) => !Number.isFinite(n))) return NaN;
  let secs = 0;
  for (const p of parts) secs = secs * 60 + p;
  return Math.round(secs * 1000);
}

function prefixOf(address: string): string {
  return address.includes('/') ? address : `${address}/32`;
}

function pool4Json(pool4: Pool4Entry[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const e of pool4) {
    for (const proto of ['tcp', 'udp', 'icmp'] as Protocol[]) {
      const r = e.ports?.[proto] ?? DEFAULT_PORTS[proto];
      out.push({ protocol: proto.toUpperCase(), prefix: prefixOf(e.address), 'port range': `${r.min}-${r.max}` });
    }
  }
  return out;
}

function bibJson(entries: StaticBibEntry[]): Record<string, unknown>[] {
  return entries.map((e) => ({
    protocol: e.protocol.toUpperCase(),
    'ipv6 address': `${e.v6.address}#${e.v6.port}`,
    'ipv4 address': `${e.v4.address}#${e.v4.port}`,
  }));
}

/**
 * The plan for `needs`. `fragmentDefault` is the kernel's IPv4 reassembly
 * timeout as the guest booted, reported when the case does not set one.
 */
export function planFor(needs: TargetNeeds, fragmentDefault: number, instance = INSTANCE): JoolPlan {
  checkSupported(needs);
  const pool6 = needs.unsetPool6 ? undefined : (needs.pool6 ?? LAB.pool6);
  const pool4 = needs.pool4 ?? LAB.pool4.map((address) => ({ address }));
  const staticBib = needs.staticBib ?? [];
  const filtering = needs.filtering ?? 'endpoint-independent';
  const t = needs.timeouts ?? {};
  const timeouts: Timeouts = {
    udp: t.udp ?? JOOL_DEFAULT_TIMEOUTS.udp,
    tcpEstablished: t.tcpEstablished ?? JOOL_DEFAULT_TIMEOUTS.tcpEstablished,
    tcpTransitory: t.tcpTransitory ?? JOOL_DEFAULT_TIMEOUTS.tcpTransitory,
    tcpInit: t.tcpTransitory ?? JOOL_DEFAULT_TIMEOUTS.tcpTransitory,
    tcpIncomingSyn: JOOL_INCOMING_SYN,
    icmp: t.icmp ?? JOOL_DEFAULT_TIMEOUTS.icmp,
    fragment: t.fragment ?? fragmentDefault,
  };
  const lowestIpv6 = needs.mtu?.lowestIpv6 ?? JOOL_LOWEST_IPV6_MTU;
  const global: Record<string, unknown> = {
    'address-dependent-filtering': filtering === 'address-dependent',
    'zeroize-traffic-class': needs.trafficClass === 'zero',
    'lowest-ipv6-mtu': lowestIpv6,
    'udp-timeout': joolTime(timeouts.udp),
    'tcp-est-timeout': joolTime(timeouts.tcpEstablished),
    'tcp-trans-timeout': joolTime(timeouts.tcpTransitory),
    'icmp-timeout': joolTime(timeouts.icmp),
  };
  if (pool6 !== undefined) global.pool6 = pool6;
  const json: Record<string, unknown> = {
    instance,
    framework: instance === INSTANCE ? 'netfilter' : 'iptables',
    global,
    pool4: pool4Json(pool4),
    ...(staticBib.length ? { bib: bibJson(staticBib) } : {}),
  };
  const mtu6 = needs.mtu?.ipv6 ?? DEFAULT_MTU;
  const mtu4 = needs.mtu?.ipv4 ?? DEFAULT_MTU;
  return {
    json,
    mtu6,
    mtu4,
    routes: [...(pool6 ? [`local ${pool6}`] : []), ...pool4.map((e) => `local ${prefixOf(e.address)}`)],
    fragmentSeconds: t.fragment,
    effective: {
      pool6: pool6 ?? 'none',
      pool4,
      filtering,
      staticBib,
      timeouts,
      trafficClass: needs.trafficClass ?? 'copy',
      mtu: { ipv6: mtu6, ipv4: mtu4, lowestIpv6 },
    },
  };
}

/** `jool bib display --csv --numeric --no-headers` lines: PROTO,v6 addr,v6 port,v4 addr,v4 port,static. */
export function parseBib(csv: string, protocol: Protocol): BibEntry[] {
  const out: BibEntry[] = [];
  for (const line of csv.split('\n')) {
    const f = line.trim().split(',');
    if (f.length < 5 || !/^(TCP|UDP|ICMP)$/i.test(f[0])) continue;
    out.push({
      protocol,
      v6: { address: f[1], port: Number(f[2]) },
      v4: { address: f[3], port: Number(f[4]) },
      static: f[5] === '1' || /^static$/i.test(f[5] ?? ''),
    });
  }
  return out;
}

/**
 * `jool session display --csv --numeric --no-headers` lines:
 * PROTO,client,port,pool6 addr,port,pool4 addr,port,server,port,expires[,TCP state].
 * `now` turns Jool's remaining lifetime into an absolute expiry (ms since the epoch).
 */
export function parseSessions(csv: string, protocol: Protocol, now: number): SessionEntry[] {
  const out: SessionEntry[] = [];
  for (const line of csv.split('\n')) {
    const f = line.trim().split(',');
    if (f.length < 10 || !/^(TCP|UDP|ICMP)$/i.test(f[0])) continue;
    const remaining = parseJoolTime(f[9]);
    out.push({
      protocol,
      v6: { src: f[1], sport: Number(f[2]), dst: f[3], dport: Number(f[4]) },
      v4: { src: f[5], sport: Number(f[6]), dst: f[7], dport: Number(f[8]) },
      ...(f[10] ? { state: f[10].replace(/_/g, ' ') } : {}),
      expires: now + (Number.isFinite(remaining) ? remaining : 0),
    });
  }
  return out;
}
