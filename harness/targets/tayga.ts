/**
 * The `tayga` target: the classic stateful NAT64 built from TAYGA (stateless
 * SIIT on its own TUN, dynamic pool 192.168.255.0/24) plus nftables NAT44 of
 * that pool to the lab's pool4, in the namespace `<prefix>-tg`. The harness
 * owns both outside interfaces as TUNs and the kernel routes between them and
 * TAYGA's TUN, as on an operator's box. The device under test is therefore
 * "TAYGA + its Linux host": the kernel's forwarding hops (TTL/hop limit,
 * ICMP errors of the host), conntrack's mapping, filtering and timers are
 * scored as that combination's behaviour.
 *
 * Each case gets a restarted TAYGA (its dynamic map and per-destination MTU
 * state do not survive) and an empty conntrack table.
 */
import { execFileSync } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import path from 'path';
import type { Pool4Entry, Timeouts } from '../../engine/api';
import { LAB } from '../lab/addressing';
import { Netns, onTeardown, requireRoot, requireTool, runPrefix } from '../lab/netns';
import { ConfigRefused, NotApplicable } from '../lab/target';
import type { Capabilities, EffectiveConfig, LabSession, Target, TargetDescription, TargetNeeds } from '../lab/target';
import { TunLab } from '../lab/tun-lab';
import { parseIPv4, parseIPv6 } from '../packet/address';
import { WELL_KNOWN_PREFIX, isWellKnownPrefix } from '../packet/rfc6052';
import { INTERNAL_POOL, TAYGA_IPV4, TAYGA_IPV6, routablePrefix, taygaConf } from './tayga-config';
import { Barrier } from './tayga-barrier';
import { TaygaDaemon } from './tayga-daemon';
import { NFT_TABLE, Pool4Unsupported, localRoutes, nat44Ruleset, removeLocalRoutes, replaceScript } from './tayga-nat44';
import { UnmappedTimeout, allSysctls, effectiveTimeouts, timeoutSysctls } from './tayga-timeouts';

/** The host's own addresses on the two lab links (sources of the ICMP errors the Linux host itself originates). */
const HOST6 = '2001:db8:6::fffe/64';
const HOST4 = '198.18.254.1/32';
const HOST6_BYTES = parseIPv6(HOST6.split('/')[0]);
const HOST4_BYTES = parseIPv4(HOST4.split('/')[0]);
/** TAYGA 0.9.2 fragments translated IPv4 packets without DF to this size; it has no setting for it. */
const TAYGA_LOWEST_IPV6_MTU = 1280;
const DEFAULT_MTU = 1500;
const TAYGA_TUN_MTU = 65535;
/** The host's ICMP error interval per destination in the lab (ms), and the time its burst of 6 takes to refill. */
const HOST_ICMP_INTERVAL_MS = { ipv4: 10, ipv6: 40 };
const HOST_ICMP_REFILL_MS = 6 * 10;
/** Longest a collection waits for the barrier's echo before it returns what it has. */
const COLLECT_MAX_MS = 2000;

const POOL6_NONE = 'none (TAYGA without a prefix directive translates only its map entries)';

interface Applied {
  pool6?: string;
  pool4?: Pool4Entry[];
  mtu6?: number;
  mtu4?: number;
}

interface Lab {
  ns: Netns;
  tuns: TunLab;
  daemon: TaygaDaemon;
  dir: string;
  taygaTun: string;
  /** The conntrack sysctls as Linux sets them in a fresh namespace: the lab's default timeouts. */
  defaults: Record<string, number>;
  applied: Applied;
  barrier: Barrier;
  unregister: () => void;
}

/** Cost of the per-case reset (TAYGA restart + conntrack flush), for the report and the project's tests. */
export interface ResetStats {
  resets: number;
  totalMs: number;
  maxMs: number;
  /** ms from starting TAYGA to the first translated probe, last reset. */
  lastReadyMs: number;
}

/** An ICMP error the Linux host itself originated (from its own address on either lab link). */
function isHostError(b: Buffer): boolean {
  if (b.length >= 40 && b[0] >> 4 === 6) return b[6] === 58 && b[40] < 128 && b.subarray(8, 24).equals(HOST6_BYTES);
  return b.length >= 20 && b[0] >> 4 === 4 && b[9] === 1 && b.subarray(12, 16).equals(HOST4_BYTES);
}

function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

export class TaygaTarget implements Target {
  readonly name = 'tayga';
  readonly capabilities: Capabilities = {
    // Measured: TAYGA 0.9.2 refuses every other length ("NAT prefix length must be 32, 40, 48, 56, 64 or 96 only").
    pool6Lengths: [32, 40, 48, 56, 64, 96],
    // Usable, but TAYGA refuses to translate to or from a non-global IPv4 address under it (RFC 6052 §3.1).
    wellKnownPrefix: true,
    pool4: true,
    // conntrack filters by address and port; there is no setting for either RFC 6146 mode.
    filtering: [],
    staticBib: false,
    timeouts: true,
    virtualClock: false,
    readState: false,
  };

  private lab?: Lab;
  private starting?: Promise<Lab>;
  readonly reset: ResetStats = { resets: 0, totalMs: 0, maxMs: 0, lastReadyMs: 0 };

  async start(): Promise<void> {
    await this.setup();
  }

  /** Creates the namespace, the harness TUNs, TAYGA's persistent TUN and the static routes, once. */
  private setup(): Promise<Lab> {
    if (this.lab) return Promise.resolve(this.lab);
    this.starting ??= this.build().then(
      (lab) => (this.lab = lab),
      (e) => {
        this.starting = undefined;
        throw e;
      },
    );
    return this.starting;
  }

  private async build(): Promise<Lab> {
    requireRoot("target 'tayga'");
    for (const tool of ['ip', 'nft', 'tayga', 'conntrack']) requireTool(tool);
    const p = runPrefix();
    const dir = mkdtempSync(path.join(tmpdir(), `${p}-tayga-`));
    // The namespace deletes itself (and TAYGA, and its TUN) at exit; the scratch folder is ours to remove.
    const unregister = onTeardown(() => rmSync(dir, { recursive: true, force: true }));
    const ns = await Netns.create(`${p}-tg`);
    let tuns: TunLab | undefined;
    try {
      await ns.sysctl({
        'net.ipv6.conf.all.accept_dad': 0,
        'net.ipv6.conf.default.accept_dad': 0,
        // The host's per-destination ICMP error budget (default 1 s per error, burst 6) outlives a case: spent by one
        // case, it would silence the host's errors in the next. Shorter intervals let it refill between cases (see
        // open()) while a burst is still limited, as Linux does. IPv6 divides the interval by 4 for a /64 route.
        'net.ipv4.icmp_ratelimit': HOST_ICMP_INTERVAL_MS.ipv4,
        'net.ipv6.icmp.ratelimit': HOST_ICMP_INTERVAL_MS.ipv6,
      });
      tuns = await TunLab.create(ns, { tun6: `${p}tg6`, tun4: `${p}tg4` });
      // Every IPv4 destination the cases use lies behind the harness's IPv4 TUN: a default route there never leaves the machine.
      await tuns.route({ v6Address: HOST6, v4Address: HOST4, v4Routes: ['default'] });
      const taygaTun = `${p}tgx`;
      const confPath = path.join(dir, 'tayga.conf');
      await ns.exec(['tayga', '-c', this.writeConf(dir, taygaConf({ tunDevice: taygaTun, pool6: LAB.pool6 }), 'tayga.conf'), '--mktun']);
      // TAYGA's TUN is internal to the device: at the largest MTU a TUN takes, the device's MTUs are those of its outside links (the case's mtu needs).
      await ns.ip(`link set ${taygaTun} mtu ${TAYGA_TUN_MTU} up`);
      // No address of the dynamic pool on TAYGA's TUN (see taygaConf): only routes.
      await ns.ip(`-4 route replace ${INTERNAL_POOL} dev ${taygaTun}`);
      await ns.ip(`-6 route replace ${TAYGA_IPV6}/128 dev ${taygaTun}`);
      // The nat table must exist before the conntrack sysctls do.
      await ns.exec(['nft', '-f', '-'], { input: nat44Ruleset(LAB.pool4.map((address) => ({ address })), tuns.tun4.name) });
      const defaults: Record<string, number> = {};
      const { stdout } = await ns.exec(['sh', '-c', allSysctls().map((k) => `cat /proc/sys/${k.replace(/\./g, '/')}`).join('; ')]);
      stdout.trim().split(/\s+/).forEach((v, i) => (defaults[allSysctls()[i]] = Number(v)));
      return { ns, tuns, daemon: new TaygaDaemon(ns, confPath), dir, taygaTun, defaults, applied: {}, barrier: new Barrier(tuns, isHostError), unregister };
    } catch (e) {
      await tuns?.close();
      await ns.delete();
      rmSync(dir, { recursive: true, force: true });
      unregister();
      throw e;
    }
  }

  private writeConf(dir: string, text: string, name = 'check.conf'): string {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  }

  /** Needs the TAYGA + NAT44 combination has no setting for: the case is na with the reason. */
  private checkSupported(needs: TargetNeeds): void {
    const na = (why: string) => {
      throw new NotApplicable(why);
    };
    if (needs.virtualClock) na('TAYGA runs on real time; its clock cannot be advanced');
    if (needs.readState) na("the lab cannot read TAYGA's state: its dynamic map (IPv6 host <-> 192.168.255.x) is not exported without a data-dir, so conntrack entries cannot be tied to IPv6 transport addresses");
    if (needs.filtering) na(`filtering is Linux conntrack's (address-and-port-dependent); there is no setting for ${needs.filtering} filtering`);
    if (needs.staticBib?.length) na('static BIB entries are not offered: TAYGA maps whole addresses, and a DNAT rule would not give the endpoint-independent filtering these cases pair them with');
    if (needs.trafficClass === 'zero') na('TAYGA always copies the Traffic Class / TOS; it has no setting to zero it');
    if (needs.mtu?.lowestIpv6 !== undefined && needs.mtu.lowestIpv6 !== TAYGA_LOWEST_IPV6_MTU) na(`TAYGA 0.9.2 has no lowest-ipv6-mtu setting (it uses ${TAYGA_LOWEST_IPV6_MTU})`);
    if (needs.fragmentMemory !== undefined) na('the reassembly memory is the kernel\'s (counted in buffer truesize, not octets); no setting maps to an octet limit');
    if (needs.limits) na('TAYGA + NAT44 has no per-subscriber, per-mapping or table-size limits to configure');
    if (needs.icmpErrors) na('TAYGA always originates ICMP errors and has no switch or rate limit for them');
    if (needs.deterministic) na('TAYGA + NAT44 has no RFC 7422 deterministic mode');
  }

  private timeoutsFor(lab: Lab, want: Partial<Timeouts> | undefined): { sysctls: Record<string, number>; timeouts: Timeouts } {
    let set: Record<string, number>;
    try {
      set = timeoutSysctls(want ?? {});
    } catch (e) {
      if (e instanceof UnmappedTimeout) throw new NotApplicable(e.message);
      throw e;
    }
    const sysctls = { ...lab.defaults, ...set };
    return { sysctls, timeouts: effectiveTimeouts(sysctls) };
  }

  private effective(pool6: string, pool4: Pool4Entry[], timeouts: Timeouts, needs: TargetNeeds): EffectiveConfig {
    return {
      pool6,
      pool4,
      // Closest of the two modes the model knows; conntrack is in fact address-and-port-dependent (see describe()).
      filtering: 'address-dependent',
      staticBib: [],
      timeouts,
      trafficClass: 'copy',
      mtu: { ipv6: needs.mtu?.ipv6 ?? DEFAULT_MTU, ipv4: needs.mtu?.ipv4 ?? DEFAULT_MTU, lowestIpv6: TAYGA_LOWEST_IPV6_MTU },
    };
  }

  /** Asks TAYGA itself whether it accepts the Pref64: `--mktun` parses the whole configuration, on a scratch TUN. */
  private async taygaAccepts(lab: Lab, pool6: string | undefined): Promise<void> {
    const conf = this.writeConf(lab.dir, taygaConf({ tunDevice: `${runPrefix()}tgv`, pool6 }));
    try {
      // TAYGA reports configuration errors on stdout; moved to stderr, its line becomes the error message.
      await lab.ns.exec(['sh', '-c', `exec tayga -c '${conf}' --mktun 1>&2`]);
    } catch (e) {
      throw new ConfigRefused(`tayga: ${oneLine(e).replace(/^.*--mktun 1>&2: /, '')}`);
    }
    await lab.ns.exec(['tayga', '-c', conf, '--rmtun']).catch(() => undefined);
  }

  /** Asks nft (check mode, nothing applied) whether the NAT44 ruleset for the pool is valid. */
  private async nftAccepts(lab: Lab, pool4: Pool4Entry[]): Promise<string> {
    let ruleset: string;
    try {
      ruleset = nat44Ruleset(pool4, lab.tuns.tun4.name);
    } catch (e) {
      if (e instanceof Pool4Unsupported) throw new ConfigRefused(e.message);
      throw new ConfigRefused(`pool4: ${oneLine(e)}`);
    }
    try {
      await lab.ns.exec(['nft', '-c', '-f', '-'], { input: replaceScript(ruleset) });
    } catch (e) {
      throw new ConfigRefused(`nft refused the NAT44 rules for this pool4: ${oneLine(e)}`);
    }
    return ruleset;
  }

  async validate(needs: TargetNeeds): Promise<EffectiveConfig> {
    const lab = await this.setup();
    this.checkSupported(needs);
    const pool6 = needs.unsetPool6 ? undefined : (needs.pool6 ?? LAB.pool6);
    await this.taygaAccepts(lab, pool6);
    const pool4 = needs.pool4 ?? LAB.pool4.map((address) => ({ address }));
    if (needs.pool4) await this.nftAccepts(lab, pool4);
    const { timeouts } = this.timeoutsFor(lab, needs.timeouts);
    return this.effective(pool6 ?? POOL6_NONE, pool4, timeouts, needs);
  }

  async open(needs: TargetNeeds): Promise<LabSession> {
    const lab = await this.setup();
    this.checkSupported(needs);
    if (needs.unsetPool6) throw new NotApplicable('TAYGA refuses to run with neither a prefix nor map entries ("no translation maps or NAT64 prefix configured")');
    const pool6 = needs.pool6 ?? LAB.pool6;
    const pool4 = needs.pool4 ?? LAB.pool4.map((address) => ({ address }));
    const { sysctls, timeouts } = this.timeoutsFor(lab, needs.timeouts);
    const started = Date.now();
    // The kernel refills the host's ICMP budget with time alone; there is no state to poll or flush.
    const refill = lab.barrier.lastHostError + HOST_ICMP_REFILL_MS - Date.now();
    if (refill > 0) await new Promise((r) => setTimeout(r, refill));
    await lab.daemon.stop();
    if (lab.applied.pool6 !== pool6) {
      // A Pref64 TAYGA refuses surfaces when it starts; check first so the refusal is TAYGA's one line.
      await this.taygaAccepts(lab, pool6);
      if (lab.applied.pool6) await lab.ns.ip(`-6 route del ${routablePrefix(lab.applied.pool6)} dev ${lab.taygaTun}`);
      await lab.ns.ip(`-6 route replace ${routablePrefix(pool6)} dev ${lab.taygaTun}`);
      lab.applied.pool6 = pool6;
    }
    if (JSON.stringify(lab.applied.pool4) !== JSON.stringify(pool4)) {
      const ruleset = await this.nftAccepts(lab, pool4);
      await lab.ns.exec(['nft', '-f', '-'], { input: replaceScript(ruleset) });
      if (lab.applied.pool4) await lab.ns.exec(['ip', '-batch', '-'], { input: removeLocalRoutes(lab.applied.pool4).join('\n') + '\n' }).catch(() => undefined);
      await lab.ns.exec(['ip', '-batch', '-'], { input: localRoutes(pool4).join('\n') + '\n' });
      lab.applied.pool4 = pool4;
    }
    const mtu6 = needs.mtu?.ipv6 ?? DEFAULT_MTU;
    const mtu4 = needs.mtu?.ipv4 ?? DEFAULT_MTU;
    if (lab.applied.mtu6 !== mtu6) await lab.ns.ip(`link set ${lab.tuns.tun6.name} mtu ${mtu6}`);
    if (lab.applied.mtu4 !== mtu4) await lab.ns.ip(`link set ${lab.tuns.tun4.name} mtu ${mtu4}`);
    lab.applied.mtu6 = mtu6;
    lab.applied.mtu4 = mtu4;
    await lab.ns.sysctl(sysctls);
    // Per-destination state of the kernel (PMTU exceptions) would carry one case's ICMP errors into the next.
    await lab.ns.ip('-4 route flush cache');
    await lab.ns.ip('-6 route flush cache');
    lab.daemon.start(taygaConf({ tunDevice: lab.taygaTun, pool6 }));
    const readyMs = await lab.daemon.waitReady(lab.tuns, pool6, isWellKnownPrefix(pool6));
    // Probes still in flight come out before the barrier's marker and are discarded with it; only then is the
    // table flushed, so no late probe leaves a conntrack entry behind: each case starts with an empty table.
    lab.barrier.collect(COLLECT_MAX_MS);
    await lab.ns.exec(['conntrack', '-F']);
    lab.tuns.drain();
    const ms = Date.now() - started;
    this.reset.resets++;
    this.reset.totalMs += ms;
    this.reset.maxMs = Math.max(this.reset.maxMs, ms);
    this.reset.lastReadyMs = readyMs;
    const session = lab.tuns.session(this.effective(pool6, pool4, timeouts, needs));
    // Two kernel hops and TAYGA lie between a write and its answer; on a busy host that exceeds any fixed quiet
    // period, and a late answer would be attributed to the case's next packet. The barrier ends a collection when
    // TAYGA has provably handled everything written before it.
    session.collect = async (o = {}) => lab.barrier.collect(o.maxMs ?? COLLECT_MAX_MS);
    return session;
  }

  async describe(): Promise<TargetDescription> {
    const lab = await this.setup();
    let version = 'tayga (version unknown)';
    try {
      version = `tayga ${execFileSync('dpkg-query', ['-W', '-f', '${Version}', 'tayga'], { encoding: 'utf8' }).trim()} (Debian package) + Linux ${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()} nftables NAT44`;
    } catch {
      /* not installed from a package: keep the generic name */
    }
    const pool4 = LAB.pool4.map((address) => ({ address }));
    return {
      name: 'tayga',
      version,
      config: {
        deployment: 'TAYGA (stateless SIIT, dynamic pool) + nftables NAT44 of the pool to pool4 on the same Linux host; the harness owns both outside links as TUNs and the kernel routes between them and TAYGA\'s TUN',
        scoredAsCombination: 'kernel forwarding hops (one TTL/hop-limit decrement on each side besides TAYGA\'s own), ICMP errors of the host, conntrack mapping (port preservation, paired pooling via "persistent"), conntrack filtering (address-and-port-dependent) and conntrack timers',
        taygaConf: taygaConf({ tunDevice: lab.taygaTun, pool6: LAB.pool6 }),
        nftRuleset: nat44Ruleset(pool4, lab.tuns.tun4.name),
        nftTable: NFT_TABLE,
        pool6: LAB.pool6,
        pool4,
        internalPool: INTERNAL_POOL,
        taygaAddresses: { ipv4: TAYGA_IPV4, ipv6: TAYGA_IPV6 },
        hostAddresses: { ipv6: HOST6, ipv4: HOST4, pool4: 'local routes on lo (unsolicited inbound meets the Linux host)' },
        conntrackSysctls: lab.defaults,
        timeouts: effectiveTimeouts(lab.defaults),
        wellKnownPrefix: `${WELL_KNOWN_PREFIX}: TAYGA refuses to translate to or from non-global IPv4 addresses under it`,
        resetBetweenCases: 'TAYGA restarted (dynamic map and PMTU state gone), conntrack -F, route caches flushed; readiness by a translated probe',
        hostIcmpRateLimit: `the host's own ICMP errors: one per ${HOST_ICMP_INTERVAL_MS.ipv4} ms (IPv4) / ${HOST_ICMP_INTERVAL_MS.ipv6 / 4} ms (IPv6, /64 destinations) per destination, burst 6 (Linux default 1000 ms / 250 ms); a case after one where the host sent errors starts once the budget has refilled, so no case inherits a spent budget`,
        collection: 'ends when an ICMPv6 Echo Request to TAYGA\'s own address, written after the case\'s packets, has been answered (TAYGA handles its one queue in order), so slow answers are not lost on a busy host',
      },
    };
  }

  async shutdown(): Promise<void> {
    const lab = this.lab ?? (this.starting ? await this.starting.catch(() => undefined) : undefined);
    this.lab = undefined;
    this.starting = undefined;
    if (!lab) return;
    await lab.daemon.stop();
    await lab.ns.exec(['tayga', '-c', path.join(lab.dir, 'tayga.conf'), '--rmtun']).catch(() => undefined);
    await lab.tuns.close();
    await lab.ns.delete();
    rmSync(lab.dir, { recursive: true, force: true });
    lab.unregister();
  }
}
