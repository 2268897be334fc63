/**
 * A lab where the harness owns both outside interfaces of the device under
 * test (DUT) as TUN devices. They are opened in the harness's namespace and
 * moved into the DUT's namespace; the fds stay attached, so the harness
 * writes exactly the L3 packets it crafted and reads exactly what the DUT
 * emits (fragments, TTL, ICMP errors), with no ARP/ND to emulate. The TUNs
 * vanish when their fds close, so a crashed run leaves no interface behind.
 */
import type { Side } from '../packet/types';
import type { Captured, EffectiveConfig, LabSession } from './target';
import { ReadableWatch, watchReadable } from '../io/libc';
import { Tun, checkIfName, openTun } from '../io/tun';
import { Netns, hostIp, requireTool, runPrefix } from './netns';
import { collectUntilQuiet } from './quiet-collect';

/** Extras a target adds to a session: its own state/events/clock hooks, and cleanup to run at session close. */
export type SessionExtras = Partial<Pick<LabSession, 'advance' | 'state' | 'events' | 'deterministicMap'>> & {
  close?: () => Promise<void>;
};

const MAX_PACKET = 65536;
/** Packets a TUN queues for its reader (the kernel default is 500). */
const QUEUE_LENGTH = 10000;

/**
 * Whether a packet is the kernel's own chatter on a lab interface rather than
 * something the DUT emitted: IPv6 ICMPv6 types 130–143 (MLD, router/neighbour
 * discovery, redirects) from a link-local or unspecified source, and IPv4 IGMP
 * (which is never NAT64 output).
 */
export function isKernelNoise(p: Buffer): boolean {
  if (p.length < 1) return false;
  const version = p[0] >> 4;
  if (version === 4) return p.length >= 20 && p[9] === 2;
  if (version !== 6 || p.length < 40) return false;
  const unspecified = p.subarray(8, 24).every((b) => b === 0);
  const linkLocal = p[8] === 0xfe && (p[9] & 0xc0) === 0x80;
  if (!unspecified && !linkLocal) return false;
  let next = p[6];
  let off = 40;
  // Hop-by-hop (MLD carries Router Alert), destination options, routing.
  while ((next === 0 || next === 60 || next === 43) && off + 8 <= p.length) {
    next = p[off];
    off += (p[off + 1] + 1) * 8;
  }
  return next === 58 && off < p.length && p[off] >= 130 && p[off] <= 143;
}

/** Microseconds since the Unix epoch with sub-millisecond resolution. */
function realNowUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

export class TunLab {
  /** Kernel-noise packets dropped so far (they are never handed to a case). */
  noiseDropped = 0;
  private readonly buf = Buffer.alloc(MAX_PACKET);
  private closed = false;
  // One watch per fd for the lab's lifetime: libuv misbehaves with two poll handles on one fd.
  private watches: ReadableWatch[] = [];
  private readonly listeners = new Set<() => void>();

  private constructor(readonly ns: Netns, readonly tun6: Tun, readonly tun4: Tun) {}

  /** Opens `<prefix>6`/`<prefix>4` (or the given names), moves them into `ns`, silences kernel IPv6 on them and brings them up. */
  static async create(ns: Netns, names?: { tun6: string; tun4: string }): Promise<TunLab> {
    requireTool('ip');
    const n = names ?? { tun6: `${runPrefix()}6`, tun4: `${runPrefix()}4` };
    checkIfName(n.tun6);
    checkIfName(n.tun4);
    const tun6 = openTun(n.tun6);
    let tun4: Tun | undefined;
    try {
      tun4 = openTun(n.tun4);
      const lab = new TunLab(ns, tun6, tun4);
      await lab.moveInto();
      return lab;
    } catch (e) {
      tun6.close();
      tun4?.close();
      throw e;
    }
  }

  private async moveInto(): Promise<void> {
    const { ns, tun6, tun4 } = this;
    for (const t of [tun6, tun4]) {
      // `ip link` in the harness's namespace; the fd stays attached across the move.
      await hostIp(`link set ${t.name} netns ${ns.name}`);
    }
    // Before the links come up, so the kernel never sends MLD reports or router solicitations on them.
    await ns.ip(`link set ${tun6.name} addrgenmode none`);
    await ns.sysctl({
      [`net.ipv6.conf.${tun6.name}.accept_ra`]: 0,
      [`net.ipv6.conf.${tun6.name}.router_solicitations`]: 0,
      [`net.ipv6.conf.${tun6.name}.accept_dad`]: 0,
      [`net.ipv6.conf.${tun6.name}.dad_transmits`]: 0,
      [`net.ipv6.conf.${tun4.name}.disable_ipv6`]: 1,
    });
    // The default 500-packet queue would drop a burst a case sends before it collects: a lab artefact, not DUT behaviour.
    for (const t of [tun6, tun4]) await ns.ip(`link set ${t.name} txqueuelen ${QUEUE_LENGTH} up`);
  }

  /**
   * One-hop wiring for a DUT that owns the TUN `dutTun` in the namespace: what
   * the harness writes on either side goes straight to the DUT's fd, and what
   * the DUT writes goes to tun6 (IPv6) or tun4 (IPv4). No kernel forwarding,
   * so the lab adds no TTL/hop-limit decrement.
   */
  async redirectTo(dutTun: string): Promise<void> {
    requireTool('tc');
    checkIfName(dutTun);
    const { ns, tun6, tun4 } = this;
    const tc = (args: string) => ns.exec(['tc', ...args.split(' ')]).then(() => undefined);
    // Bursts the harness writes queue on the DUT's TUN; give it the same depth as the harness side.
    await ns.ip(`link set ${dutTun} txqueuelen ${QUEUE_LENGTH}`);
    for (const dev of [tun6.name, tun4.name, dutTun]) await tc(`qdisc replace dev ${dev} clsact`);
    // u32 'match u32 0 0' matches every packet; it is built into far more kernels than matchall or flower.
    const all = 'u32 match u32 0 0 action mirred egress redirect dev';
    await tc(`filter add dev ${tun6.name} ingress prio 1 protocol all ${all} ${dutTun}`);
    await tc(`filter add dev ${tun4.name} ingress prio 1 protocol all ${all} ${dutTun}`);
    await tc(`filter add dev ${dutTun} ingress prio 1 protocol ipv6 ${all} ${tun6.name}`);
    await tc(`filter add dev ${dutTun} ingress prio 2 protocol ip ${all} ${tun4.name}`);
  }

  /**
   * Kernel-routed wiring (a DUT that relies on the host's routing, like
   * TAYGA): addresses and routes on the harness TUNs, forwarding on. A route
   * is a destination ('198.18.0.0/15') or a full `ip route` spec; without
   * 'dev' it goes out of the harness TUN of its family.
   */
  async route(plan: { v6Address?: string; v4Address?: string; v6Routes?: string[]; v4Routes?: string[] }): Promise<void> {
    const { ns, tun6, tun4 } = this;
    await ns.sysctl({
      'net.ipv6.conf.all.forwarding': 1,
      'net.ipv4.ip_forward': 1,
      'net.ipv4.conf.all.rp_filter': 0,
      'net.ipv4.conf.default.rp_filter': 0,
      [`net.ipv4.conf.${tun4.name}.rp_filter`]: 0,
    });
    if (plan.v6Address) await ns.ip(`-6 addr add ${withLength(plan.v6Address, 128)} dev ${tun6.name} nodad`);
    if (plan.v4Address) await ns.ip(`-4 addr add ${withLength(plan.v4Address, 32)} dev ${tun4.name}`);
    for (const r of plan.v6Routes ?? []) await ns.ip(`-6 route replace ${r}${/\bdev\b/.test(r) ? '' : ` dev ${tun6.name}`}`);
    for (const r of plan.v4Routes ?? []) await ns.ip(`-4 route replace ${r}${/\bdev\b/.test(r) ? '' : ` dev ${tun4.name}`}`);
  }

  /** Discards anything queued on both TUNs (before each case). */
  drain(): void {
    // Bounded, so a DUT that never stops talking cannot hang the harness here.
    for (const t of [this.tun6, this.tun4]) for (let i = 0; i < 2 * QUEUE_LENGTH && t.read(this.buf) >= 0; i++);
  }

  /** A LabSession over the two TUNs; see LabSession for the contract. */
  session(config: EffectiveConfig, extras: SessionExtras = {}): LabSession {
    return new TunSession(this, config, extras);
  }

  /**
   * Reads the packets queued on both TUNs, kernel noise dropped; at most
   * `limit` per TUN, so one call cannot hold the event loop while a DUT
   * floods (the readiness watch calls again while more is queued).
   */
  readQueued(limit = 512, now: () => number = realNowUs): Captured[] {
    const out: Captured[] = [];
    for (const [side, t] of [[6, this.tun6], [4, this.tun4]] as [Side, Tun][]) {
      for (let i = 0; i < limit; i++) {
        const n = t.read(this.buf);
        if (n < 0) break;
        const bytes = Buffer.from(this.buf.subarray(0, n));
        if (isKernelNoise(bytes)) this.noiseDropped++;
        else out.push({ side, bytes, timeUs: now() });
      }
    }
    return out;
  }

  /** Calls `cb` from the event loop while either TUN is readable; returns the unsubscribe function. */
  onReadable(cb: () => void): () => void {
    if (this.closed) throw new Error('TUN lab is closed');
    if (this.watches.length === 0) {
      const fire = () => {
        for (const l of [...this.listeners]) l();
      };
      this.watches = [watchReadable(this.tun6.fd, fire), watchReadable(this.tun4.fd, fire)];
    } else if (this.listeners.size === 0) for (const w of this.watches) w.start();
    this.listeners.add(cb);
    return () => {
      if (!this.listeners.delete(cb) || this.listeners.size > 0) return;
      // A stopped watch does not keep the process alive.
      for (const w of this.watches) w.stop();
    };
  }

  /** Closes the TUNs (the interfaces disappear); the namespace stays with its owner. Safe twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    for (const w of this.watches) w.close();
    this.watches = [];
    this.tun6.close();
    this.tun4.close();
  }
}

function withLength(addr: string, full: number): string {
  return addr.includes('/') ? addr : `${addr}/${full}`;
}

class TunSession implements LabSession {
  readonly advance?: LabSession['advance'];
  readonly state?: LabSession['state'];
  readonly events?: LabSession['events'];
  readonly deterministicMap?: LabSession['deterministicMap'];
  private closed = false;

  constructor(private readonly lab: TunLab, readonly config: EffectiveConfig, private readonly extras: SessionExtras) {
    // Only the hooks the target offers exist on the session: cases test for their presence.
    if (extras.advance) this.advance = extras.advance;
    if (extras.state) this.state = extras.state;
    if (extras.events) this.events = extras.events;
    if (extras.deterministicMap) this.deterministicMap = extras.deterministicMap;
  }

  async send(side: Side, bytes: Buffer): Promise<void> {
    if (this.closed) throw new Error('send on a closed session');
    const tun = side === 6 ? this.lab.tun6 : this.lab.tun4;
    try {
      tun.write(bytes);
    } catch (e) {
      throw new Error(`sending ${bytes.length} bytes on side ${side} (${tun.name}): ${(e as Error).message}`);
    }
  }

  nowUs(): number {
    return realNowUs();
  }

  collect(opts: { quietMs?: number; maxMs?: number } = {}): Promise<Captured[]> {
    const lab = this.lab;
    return collectUntilQuiet({ read: () => lab.readQueued(), onReadable: (cb) => lab.onReadable(cb) }, opts.quietMs ?? 30, opts.maxMs ?? 1000);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.extras.close?.();
  }
}
