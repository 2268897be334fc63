/**
 * The `jool` target: Jool 4 (the Linux kernel NAT64, Debian's jool-dkms) in
 * a qemu guest booted from a disk-less appliance (see jool-appliance.ts).
 * The guest's two NICs are served by the harness as L2 ports (jool-l2.ts):
 * eth0 is the IPv6 side, eth1 the IPv4 side, and the harness is the router
 * on both links. The device under test is "Jool + its Linux guest":
 * the guest kernel sends the ICMP errors Jool asks for, and packets Jool
 * declines go back to the guest kernel. pool6 and pool4 are local routes
 * there, as on a translator that owns its prefixes: a declined packet meets
 * the guest as a host (a Timestamp request is answered, unknown ICMPv6
 * informational types are dropped) instead of being forwarded back into the
 * lab. Blackhole routes were tried and are wrong for Jool: its hairpinning
 * routes the intermediate IPv4 packet to pool4, and its ICMPv6 errors for a
 * packet whose destination route is a blackhole are not sent.
 *
 * Each case gets a fresh Jool instance (removed and re-created from the
 * case's atomic configuration through the guest agent), so BIB and sessions
 * never carry over. Jool's timers run on the guest's real clock and its
 * minimum timeouts (UDP 2 min, TCP transitory 4 min, established 2 h) cannot
 * be lowered: timer cases wait in real time only in the soak tier.
 */
import type { Protocol } from '../../engine/api';
import { LAB } from '../lab/addressing';
import { LabUnavailable, requireTool } from '../lab/netns';
import { ConfigRefused } from '../lab/target';
import type { Captured, Capabilities, EffectiveConfig, LabSession, Target, TargetDescription, TargetNeeds } from '../lab/target';
import { encode } from '../packet/codec';
import { embed } from '../packet/rfc6052';
import type { Side } from '../packet/types';
import { ensureAppliance } from './jool-appliance';
import type { Appliance } from './jool-appliance';
import { CHECK_INSTANCE, FRAGMENT_SYSCTLS, INSTANCE, parseBib, parseSessions, planFor } from './jool-config';
import type { JoolPlan } from './jool-config';
import { GuestCommandError, firstLine } from './jool-qga';
import { MARKER, marker4, marker6, markerReply } from './jool-sync';
import { JoolVm, LINK } from './jool-vm';

/** The guest's own addresses on the two links: the sources of the ICMP errors its kernel sends for Jool. */
export const GUEST6 = '2001:db8:6::fffe';
export const GUEST4 = '198.18.254.1';

/** A sync round (jool-sync.ts) normally takes a few ms; past this the guest is taken to have dropped a marker. */
const SYNC_DEADLINE_MS = 3000;
/**
 * Fallback when a marker is lost (a flood filled a queue): a quiet period.
 * One translation takes ~1 ms under TCG, the first of a flow up to ~25 ms.
 */
const QUIET_MS = 150;
const MAX_MS = 3000;
/** The readiness probe is re-sent at this interval until it comes out translated. */
const PROBE_RESEND_MS = 250;
const PROBE_DEADLINE_MS = 30_000;
const PROBE = { client: '2001:db8:6::7e57', server: '198.18.100.254', port: 9, payload: Buffer.from('nat64lab jool readiness probe') };

/** Microseconds since the Unix epoch with sub-millisecond resolution. */
function realNowUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

/** The guest's network: addresses, static neighbours for the router on each link, forwarding on (Jool's documented setup). */
export function guestSetup(): string {
  const { v6, v4 } = LINK;
  return [
    'for i in eth0 eth1; do',
    // Jool wants offloads off, or the guest kernel may merge segments before Jool sees them.
    '  ethtool -K $i gro off lro off tso off gso off 2>/dev/null || true',
    '  sysctl -qw net.ipv6.conf.$i.accept_ra=0 net.ipv6.conf.$i.autoconf=0 net.ipv6.conf.$i.dad_transmits=0 net.ipv6.conf.$i.accept_dad=0 net.ipv6.conf.$i.router_solicitations=0',
    'done',
    'sysctl -qw net.ipv6.conf.eth1.disable_ipv6=1',
    'sysctl -qw net.ipv4.conf.all.forwarding=1 net.ipv6.conf.all.forwarding=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.eth1.rp_filter=0',
    'ip link set eth0 up; ip link set eth1 up',
    `ip -6 addr add ${GUEST6}/128 dev eth0 nodad`,
    `ip addr add ${GUEST4}/32 dev eth1`,
    // The targets of the sync markers: link-only addresses no pool6 or pool4 of a case can cover.
    `ip -6 addr add ${MARKER.guest6}/64 dev eth0 nodad`,
    `ip addr add ${MARKER.guest4}/32 dev eth1`,
    `ip -6 neigh replace ${v6.router} lladdr ${v6.routerMac} dev eth0 nud permanent`,
    `ip -6 route add 2001:db8:6::/64 via ${v6.router} dev eth0`,
    `ip route add ${v4.router}/32 dev eth1 scope link`,
    `ip neigh replace ${v4.router} lladdr ${v4.routerMac} dev eth1 nud permanent`,
    `ip route add default via ${v4.router} dev eth1`,
    'modprobe jool',
    '',
  ].join('\n');
}

interface Applied {
  mtu6?: number;
  mtu4?: number;
  routes?: string;
  fragment?: number | 'default';
}

interface Lab {
  vm: JoolVm;
  appliance: Appliance;
  joolVersion: string;
  kernel: string;
  fragmentDefaults: number[];
  applied: Applied;
  queue: Captured[];
  wake?: () => void;
  /** Sync markers in flight, by "side:seq". */
  markers: Map<string, () => void>;
  seq: number;
  /** Collections that fell back to a quiet period because a marker was lost. */
  syncLost: number;
  readyProbeMs: number;
}

export interface JoolResetStats {
  resets: number;
  totalMs: number;
  maxMs: number;
}

export class JoolTarget implements Target {
  readonly name = 'jool';
  readonly capabilities: Capabilities = {
    // Jool 4 accepts exactly the RFC 6052 lengths (checked against the guest: other lengths are refused).
    pool6Lengths: [32, 40, 48, 56, 64, 96],
    wellKnownPrefix: true,
    pool4: true,
    filtering: ['endpoint-independent', 'address-dependent'],
    staticBib: true,
    timeouts: true,
    virtualClock: false,
    readState: true,
  };
  readonly reset: JoolResetStats = { resets: 0, totalMs: 0, maxMs: 0 };
  private lab?: Lab;
  private starting?: Promise<Lab>;

  private setup(): Promise<Lab> {
    if (this.lab) return Promise.resolve(this.lab);
    this.starting ??= this.boot().then(
      (lab) => (this.lab = lab),
      (e) => {
        this.starting = undefined;
        throw e;
      },
    );
    return this.starting;
  }

  private async boot(): Promise<Lab> {
    try {
      requireTool('qemu-system-x86_64');
    } catch {
      throw new LabUnavailable("'qemu-system-x86_64' not found; install it with 'apt-get install qemu-system-x86' (the jool target boots Jool in a qemu guest)");
    }
    const appliance = await ensureAppliance();
    const vm = new JoolVm({ appliance, setup: guestSetup() });
    try {
      await vm.start();
      const info = await vm.agent.sh(`jool --version; uname -r; cat ${FRAGMENT_SYSCTLS.map((k) => '/proc/sys/' + k.replace(/\./g, '/')).join(' ')}`);
      const lines = info.split('\n').map((l) => l.trim()).filter((l) => l);
      const lab: Lab = {
        vm,
        appliance,
        joolVersion: lines[0] ?? 'unknown',
        kernel: lines[1] ?? 'unknown',
        fragmentDefaults: [Number(lines[2]), Number(lines[3])],
        applied: {},
        queue: [],
        readyProbeMs: 0,
        markers: new Map(),
        seq: 0,
        syncLost: 0,
      };
      const take = (side: Side) => (bytes: Buffer) => {
        const seq = markerReply(bytes);
        if (seq !== undefined) {
          lab.markers.get(`${side}:${seq}`)?.();
          return;
        }
        lab.queue.push({ side, bytes, timeUs: realNowUs() });
        lab.wake?.();
      };
      vm.v6.deliver(take(6));
      vm.v4.deliver(take(4));
      await this.apply(lab, planFor({}, lab.fragmentDefaults[0]));
      lab.readyProbeMs = await this.probe(lab);
      return lab;
    } catch (e) {
      await vm.stop();
      throw e;
    }
  }

  /** Ready = a real UDP datagram sent into the IPv6 side comes out of the IPv4 side translated. */
  private async probe(lab: Lab): Promise<number> {
    const started = Date.now();
    const packet = encode({
      ipv6: { src: PROBE.client, dst: embed(LAB.pool6, PROBE.server), hopLimit: 64 },
      udp: { sport: PROBE.port, dport: PROBE.port },
      payload: PROBE.payload,
    });
    const isProbe = (c: Captured) =>
      c.side === 4 && c.bytes.length >= 28 && c.bytes[0] >> 4 === 4 && c.bytes.subarray(16, 20).equals(Buffer.from(PROBE.server.split('.').map(Number))) && c.bytes.includes(PROBE.payload);
    while (Date.now() - started < PROBE_DEADLINE_MS) {
      if (!lab.vm.running) throw new Error(lab.vm.deathNote());
      lab.vm.v6.send(packet);
      const got = await this.waitFor(lab, isProbe, PROBE_RESEND_MS);
      if (got) return Date.now() - started;
    }
    throw new Error(`jool guest: no translated readiness probe within ${PROBE_DEADLINE_MS / 1000} s (UDP ${PROBE.client} -> ${PROBE.server} through pool6 ${LAB.pool6})`);
  }

  private waitFor(lab: Lab, match: (c: Captured) => boolean, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const check = () => {
        const i = lab.queue.findIndex(match);
        if (i < 0) return false;
        lab.queue.splice(i, 1);
        return true;
      };
      if (check()) return resolve(true);
      const t = setTimeout(() => {
        lab.wake = undefined;
        resolve(false);
      }, ms);
      lab.wake = () => {
        if (!check()) return;
        clearTimeout(t);
        lab.wake = undefined;
        resolve(true);
      };
    });
  }

  /** Replaces the Jool instance with the plan's and sets what changed of the guest's links; one guest-agent call. */
  private async apply(lab: Lab, plan: JoolPlan): Promise<void> {
    const cmds: string[] = [];
    const a = lab.applied;
    const ipBatch: string[] = [];
    if (a.mtu6 !== plan.mtu6) ipBatch.push(`link set eth0 mtu ${plan.mtu6}`);
    if (a.mtu4 !== plan.mtu4) ipBatch.push(`link set eth1 mtu ${plan.mtu4}`);
    const routes = plan.routes.join(',');
    if (a.routes !== routes) {
      for (const r of (a.routes ?? '').split(',').filter((x) => x)) ipBatch.push(`route del ${r}${r.startsWith('local') ? ' dev lo table local' : ''}`);
      for (const r of plan.routes) ipBatch.push(`route replace ${r}${r.startsWith('local') ? ' dev lo table local' : ''}`);
    }
    // Per-destination state of the guest kernel (PMTU exceptions) would carry one case's ICMP errors into the next.
    ipBatch.push('-4 route flush cache', '-6 route flush cache');
    cmds.push(`ip -force -batch - <<'EOF'\n${ipBatch.join('\n')}\nEOF`);
    const frag = plan.fragmentSeconds ?? 'default';
    if (a.fragment !== frag) {
      const values = frag === 'default' ? lab.fragmentDefaults : FRAGMENT_SYSCTLS.map(() => frag);
      cmds.push(FRAGMENT_SYSCTLS.map((k, i) => `echo ${values[i]} > /proc/sys/${k.replace(/\./g, '/')}`).join('; '));
    }
    // The atomic configuration arrives on stdin; removing the instance is what empties BIB and sessions.
    const script = [
      'cat > /run/nlj.json',
      `jool instance remove ${INSTANCE} 2>/dev/null`,
      ...cmds,
      'jool file handle /run/nlj.json',
    ].join('\n');
    try {
      await lab.vm.agent.sh(script, JSON.stringify(plan.json));
    } catch (e) {
      if (!lab.vm.running) throw new Error(lab.vm.deathNote());
      if (e instanceof GuestCommandError) {
        // Jool was left without an instance: the next case re-creates it; remembered settings stay valid.
        throw new ConfigRefused(`jool: ${cleanJoolMessage(e.message)}`);
      }
      throw e;
    }
    a.mtu6 = plan.mtu6;
    a.mtu4 = plan.mtu4;
    a.routes = routes;
    a.fragment = frag;
  }

  async validate(needs: TargetNeeds): Promise<EffectiveConfig> {
    const lab = await this.setup();
    const plan = planFor(needs, lab.fragmentDefaults[0], CHECK_INSTANCE);
    // A scratch instance on the iptables framework: Jool judges the whole configuration, and no packet ever reaches it.
    const r = await lab.vm.agent.exec(
      ['/bin/sh', '-c', `cat > /run/nlj-check.json; jool instance remove ${CHECK_INSTANCE} 2>/dev/null; jool file handle /run/nlj-check.json; rc=$?; jool instance remove ${CHECK_INSTANCE} 2>/dev/null; exit $rc`],
      JSON.stringify(plan.json),
    );
    if (r.code !== 0) throw new ConfigRefused(`jool: ${cleanJoolMessage(firstLine(r.err) || firstLine(r.out) || `exit status ${r.code}`)}`);
    return plan.effective;
  }

  async open(needs: TargetNeeds): Promise<LabSession> {
    const lab = await this.setup();
    if (!lab.vm.running) throw new Error(lab.vm.deathNote());
    const plan = planFor(needs, lab.fragmentDefaults[0]);
    const started = Date.now();
    await this.apply(lab, plan);
    const ms = Date.now() - started;
    this.reset.resets++;
    this.reset.totalMs += ms;
    this.reset.maxMs = Math.max(this.reset.maxMs, ms);
    lab.queue.length = 0;
    return new JoolSession(lab, plan.effective);
  }

  async describe(): Promise<TargetDescription> {
    const lab = await this.setup();
    const plan = planFor({}, lab.fragmentDefaults[0]);
    return {
      name: 'jool',
      version: `${lab.joolVersion} (Debian jool-dkms ${lab.appliance.versions.jool}) on Linux ${lab.kernel}, qemu ${lab.vm.accel.toUpperCase()} guest`,
      config: {
        deployment: 'Jool (netfilter framework) in a qemu guest; the harness owns both guest NICs as L2 ports (eth0 IPv6 side, eth1 IPv4 side) and is the router on both links',
        kernelRole: 'the guest kernel sends the ICMP errors Jool asks for; pool6 and pool4 are local routes, so a packet Jool declines meets the guest as a host (e.g. an ICMPv4 Timestamp request is answered) instead of being forwarded back into the lab',
        appliance: lab.appliance.versions,
        accel: lab.vm.accel,
        bootMs: lab.vm.bootMs,
        readyProbeMs: lab.readyProbeMs,
        guestAddresses: { ipv6: `${GUEST6}/128 on eth0`, ipv4: `${GUEST4}/32 on eth1` },
        routers: { ipv6: `${LINK.v6.router} (${LINK.v6.routerMac}), static neighbour`, ipv4: `${LINK.v4.router} (${LINK.v4.routerMac}), static neighbour` },
        joolConfig: plan.json,
        timeouts: plan.effective.timeouts,
        fragmentTimers: `kernel reassembly: ${FRAGMENT_SYSCTLS.map((k, i) => `${k}=${lab.fragmentDefaults[i]}`).join(', ')} (Jool 4 has no fragment timer of its own)`,
        icmpRateLimit: "the guest kernel's defaults (net.ipv4.icmp_ratelimit, net.ipv6.icmp.ratelimit: 1 s per destination after a burst of 6): Jool's ICMP errors are sent through them, as on a deployed box",
        collecting: 'two rounds of ICMP echoes to the guest\'s link-only addresses fe80::1 and 169.254.64.1 on both NICs: the replies queue behind everything the case\'s packets caused (jool-sync.ts); the replies are not evidence',
        resetBetweenCases: 'Jool instance removed and re-created from the case\'s atomic configuration (jool file handle); route caches flushed',
        timers: 'real time on the guest clock; Jool refuses UDP < 2 min, TCP transitory < 4 min, TCP established < 2 h',
      },
    };
  }

  async shutdown(): Promise<void> {
    const lab = this.lab ?? (this.starting ? await this.starting.catch(() => undefined) : undefined);
    this.lab = undefined;
    this.starting = undefined;
    if (lab) await lab.vm.stop();
  }

  /** The running guest, for the project's tests (process checks). */
  get vmPid(): number | undefined {
    return this.lab?.vm.pid;
  }
}

/** Jool's messages start with "Jool error: " and may run over several lines; one line is the reason. */
function cleanJoolMessage(msg: string): string {
  return msg
    .replace(/^(Jool error|Error):\s*/i, '')
    .replace(/^The kernel module returned error \d+:\s*/i, '')
    .replace(/\s*xlator_\w+\(\) failed\..*$/, '')
    .trim();
}

const PROTOCOLS: Protocol[] = ['tcp', 'udp', 'icmp'];

class JoolSession implements LabSession {
  private closed = false;

  constructor(private readonly lab: Lab, readonly config: EffectiveConfig) {}

  async send(side: Side, bytes: Buffer): Promise<void> {
    if (this.closed) throw new Error('send on a closed session');
    if (!this.lab.vm.running) throw new Error(this.lab.vm.deathNote());
    (side === 6 ? this.lab.vm.v6 : this.lab.vm.v4).send(bytes);
  }

  nowUs(): number {
    return realNowUs();
  }

  /** Two sync rounds (see jool-sync.ts): afterwards everything the guest emitted so far is in the queue. */
  async collect(opts: { quietMs?: number; maxMs?: number } = {}): Promise<Captured[]> {
    if (!this.lab.vm.running) throw new Error(this.lab.vm.deathNote());
    if ((await this.syncRound()) && (await this.syncRound())) return this.lab.queue.splice(0, this.lab.queue.length);
    this.lab.syncLost++;
    return this.quietCollect(opts);
  }

  private syncRound(): Promise<boolean> {
    const lab = this.lab;
    const seq = (lab.seq = (lab.seq + 1) & 0xffff);
    const wait = (side: Side) =>
      new Promise<boolean>((resolve) => {
        const key = `${side}:${seq}`;
        const t = setTimeout(() => {
          lab.markers.delete(key);
          resolve(false);
        }, SYNC_DEADLINE_MS);
        lab.markers.set(key, () => {
          clearTimeout(t);
          lab.markers.delete(key);
          resolve(true);
        });
      });
    const both = Promise.all([wait(6), wait(4)]);
    lab.vm.v6.send(marker6(seq));
    lab.vm.v4.send(marker4(seq));
    return both.then(([a, b]) => a && b);
  }

  private quietCollect(opts: { quietMs?: number; maxMs?: number }): Promise<Captured[]> {
    const quietMs = Math.max(opts.quietMs ?? QUIET_MS, QUIET_MS);
    const maxMs = Math.max(opts.maxMs ?? MAX_MS, quietMs);
    const lab = this.lab;
    const start = Date.now();
    let last = start;
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        lab.wake = undefined;
        resolve(lab.queue.splice(0, lab.queue.length));
      };
      const arm = () => {
        if (timer) clearTimeout(timer);
        const wait = Math.min(last + quietMs, start + maxMs) - Date.now();
        if (wait <= 0) return finish();
        timer = setTimeout(arm, wait);
      };
      if (lab.queue.length) last = Date.now();
      lab.wake = () => {
        last = Date.now();
        arm();
      };
      arm();
    });
  }

  async state() {
    const now = Date.now();
    const script = PROTOCOLS.map((p) => `echo @bib-${p}; jool bib display --${p} --numeric --csv --no-headers; echo @session-${p}; jool session display --${p} --numeric --csv --no-headers`).join('\n');
    const out = await this.lab.vm.agent.sh(script);
    const sections = new Map<string, string>();
    let key = '';
    for (const line of out.split('\n')) {
      if (line.startsWith('@')) key = line.slice(1).trim();
      else sections.set(key, (sections.get(key) ?? '') + line + '\n');
    }
    return {
      bib: PROTOCOLS.flatMap((p) => parseBib(sections.get(`bib-${p}`) ?? '', p)),
      sessions: PROTOCOLS.flatMap((p) => parseSessions(sections.get(`session-${p}`) ?? '', p, now)),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
