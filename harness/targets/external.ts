/**
 * The `external` target: a NAT64 appliance (A10 Thunder, Cisco, Juniper, a
 * Linux box, …) wired to the harness by two NICs or VLANs, one per side,
 * described by a target file (harness/targets/external-config.ts). In l2
 * mode the harness injects and captures Ethernet frames on those NICs and
 * plays every host and router the device talks to (harness/lab/l2-port.ts);
 * in routed mode it sends through its host's routing table toward the
 * device and captures on the same NICs (harness/targets/external-routed.ts).
 * Both share the sessions and the collection.
 *
 * The device runs with what its operator configured and declared; a driver
 * (harness/drivers/) may change the knobs the operator allows, per case.
 * Needs beyond that are `na` with the reason (harness/targets/external-plan.ts),
 * and the report shows the declaration (describe().config). Between cases the
 * harness clears the device's sessions where the driver may, and otherwise
 * says in the description that state carries over.
 */
import type { BibEntry, SessionEntry } from '../../engine/api';
import { LAB } from '../lab/addressing';
import { decode, encode } from '../packet/codec';
import { embed, ipv4EmbeddingAllowed } from '../packet/rfc6052';
import { makeDriver } from '../drivers';
import { DriverRefused } from '../drivers/driver';
import type { DeviceDriver, DeviceIdentity } from '../drivers/driver';
import { LabUnavailable, onTeardown, requireRoot } from '../lab/netns';
import { ConfigRefused } from '../lab/target';
import type { Capabilities, EffectiveConfig, LabSession, Target, TargetDescription, TargetNeeds } from '../lab/target';
import type { ExternalSpec, Knob } from './external-config';
import { readExternalSpec } from './external-config';
import { ExternalL2Lab } from './external-l2';
import { ExternalRoutedLab } from './external-routed';
import { NO_REACH, capabilitiesOf, declaredSettings, planFor } from './external-plan';
import type { DeviceSettings, Reach } from './external-plan';

/** How long the device may take to answer ARP/NDP for its own address. */
const RESOLVE_MS = 5000;
/** How long the warm-up waits for each lab server's probe to come out translated. */
const WARM_UP_MS = 2000;
/** The warm-up's source port, apart from the ports the cases use. */
const WARM_UP_PORT = 40999;

export interface ExternalTargetOptions {
  /** Builds the driver (tests inject one); default: by driver.kind. */
  driver?: (spec: ExternalSpec) => DeviceDriver;
}

interface Lab {
  l2: ExternalL2Lab;
  driver?: DeviceDriver;
  identity?: DeviceIdentity;
  /** Lab servers whose warm-up probe came out translated, of those probed. */
  warmUp: { answered: number; probed: number };
}

export class ExternalTarget implements Target {
  readonly name: string;
  readonly capabilities: Capabilities;
  private readonly reach: Reach;
  private readonly driver?: DeviceDriver;
  private current: DeviceSettings;
  /** The open session: one device serves one case at a time. */
  private active?: LabSession;
  private lab?: Promise<Lab>;
  private unregister?: () => void;
  private down = false;

  constructor(readonly spec: ExternalSpec, opts: ExternalTargetOptions = {}) {
    this.name = `external:${spec.name}`;
    this.driver = spec.driver ? (opts.driver ?? ((s) => makeDriver(s.driver!)))(spec) : undefined;
    this.reach = this.driver ? narrow(this.driver, spec.driver!.knobs) : NO_REACH;
    this.capabilities = capabilitiesOf(spec, this.reach);
    this.current = declaredSettings(spec);
  }

  /** `--target external:FILE`: reads and validates the file (ConfigError: one line naming the file and field). */
  static fromFile(file: string, opts: ExternalTargetOptions = {}): ExternalTarget {
    return new ExternalTarget(readExternalSpec(file), opts);
  }

  async describe(): Promise<TargetDescription> {
    const s = this.spec;
    let version = 'as declared in the target file';
    let warmUp: string | undefined;
    // The lab starts here when it can (the warm-up is part of the description); a failure reaches every case as its error.
    try {
      const lab = await this.ensureLab();
      if (lab.identity) version = `${lab.identity.product} ${lab.identity.version}`;
      warmUp = `${lab.warmUp.answered} of ${lab.warmUp.probed} lab servers reached through the device before the first case`;
    } catch {
      if (this.driver) version = `unknown (the lab did not start)`;
    }
    const side = (x: typeof s.ipv6) => ({ interface: x.interface, ...(x.vlan ? { vlan: x.vlan } : {}), ...(x.deviceAddress ? { deviceAddress: x.deviceAddress } : {}), ...(x.deviceMac ? { deviceMac: x.deviceMac } : {}), mtu: x.mtu });
    return {
      name: this.name,
      version,
      config: {
        file: s.file,
        mode: s.mode,
        ...(s.routes ? { routes: s.routes === 'harness' ? 'default routes via the device added by the harness for the run' : 'as set by the operator' } : {}),
        ...(s.netns ? { netns: s.netns } : {}),
        ipv6: side(s.ipv6),
        ipv4: side(s.ipv4),
        pool6: s.pool6,
        pool4: s.pool4.map((e) => e.address),
        ...(s.dns64 ? { dns64: s.dns64 } : {}),
        timeouts: Object.keys(s.timeouts).length ? s.timeouts : 'not declared',
        filtering: s.filtering ?? 'not declared',
        collect: s.collect,
        driver: s.driver ? { kind: s.driver.kind, url: s.driver.url, username: s.driver.username, ...(s.driver.partition ? { partition: s.driver.partition } : {}), knobs: [...this.reach.knobs] } : 'none: cases that need configuration are na',
        ...(warmUp ? { warmUp } : {}),
        stateBetweenCases: this.reach.knobs.has('clearSessions') ? 'sessions cleared through the driver' : 'not reset (the device keeps its sessions from one case to the next)',
      },
    };
  }

  async validate(needs: TargetNeeds): Promise<EffectiveConfig> {
    return planFor(needs, this.spec, this.reach, this.current).config;
  }

  async open(needs: TargetNeeds): Promise<LabSession> {
    const plan = planFor(needs, this.spec, this.reach, this.current);
    // A case the runner gave up on (its timeout) may still be sending: closing its session stops it, so two
    // cases never interleave their packets on the device.
    await this.active?.close();
    this.active = undefined;
    const lab = await this.ensureLab();
    const d = lab.driver;
    try {
      if (plan.pool6 && d?.setPool6) await d.setPool6(plan.pool6);
      if (plan.filtering && d?.setFiltering) await d.setFiltering(plan.filtering);
      if (plan.timeouts && d?.setTimeouts) await d.setTimeouts(plan.timeouts);
      if (d?.clearSessions && this.reach.knobs.has('clearSessions')) await d.clearSessions();
    } catch (err) {
      if (err instanceof DriverRefused) throw new ConfigRefused(err.message);
      throw err;
    }
    this.current = plan.settings;
    lab.l2.drain();
    const readSessions = this.reach.knobs.has('readState') && d?.readSessions ? d.readSessions.bind(d) : undefined;
    this.active = lab.l2.session(plan.config, readSessions ? { state: async () => tablesOf(await readSessions()) } : {});
    return this.active;
  }

  async shutdown(): Promise<void> {
    this.down = true;
    const pending = this.lab;
    this.lab = undefined;
    this.unregister?.();
    this.unregister = undefined;
    const lab = pending ? await pending.catch(() => undefined) : undefined;
    lab?.l2.close();
    await this.driver?.disconnect().catch(() => undefined);
  }

  private ensureLab(): Promise<Lab> {
    if (this.down) return Promise.reject(new Error(`${this.name}: the target has been shut down`));
    // A failed start is remembered: every case gets the same one-line reason.
    this.lab ??= this.startLab();
    return this.lab;
  }

  private async startLab(): Promise<Lab> {
    const s = this.spec;
    try {
      const sockets = s.mode === 'routed' ? 'packet and raw IP sockets' : 'packet sockets';
      requireRoot(`the target '${this.name}' (it opens ${sockets} on ${s.ipv6.interface} and ${s.ipv4.interface})`);
    } catch (err) {
      throw new LabUnavailable(`${this.name}: ${(err as Error).message}`);
    }
    const l2 = s.mode === 'routed' ? ExternalRoutedLab.open(s) : ExternalL2Lab.open(s);
    // Sockets close with the process anyway; the driver session is what must not be left open on the device.
    this.unregister = onTeardown(() => this.shutdown());
    try {
      await l2.resolve(RESOLVE_MS);
      let identity: DeviceIdentity | undefined;
      if (this.driver) identity = await this.driver.connect();
      const warmUp = await warmUpDevice(l2, s.pool6);
      return { l2, driver: this.driver, identity, warmUp };
    } catch (err) {
      l2.close();
      this.unregister?.();
      this.unregister = undefined;
      await this.driver?.disconnect().catch(() => undefined);
      throw new Error((err as Error).message.split('\n')[0]);
    }
  }
}

/**
 * Sends one UDP probe from the first lab client to every lab server the
 * device's Pref64 may embed, each until it comes out translated (or
 * WARM_UP_MS pass). A device's first packet toward a destination is slow
 * (its slow path, its ARP lookup of the server); without the warm-up that
 * delay falls into the first case that uses the server, where a
 * collect-until-quiet may end before the packet comes out. The probes leave
 * a UDP mapping for client 0 port 40999 on the device.
 */
async function warmUpDevice(l2: ExternalL2Lab, pool6: string): Promise<{ answered: number; probed: number }> {
  const servers = [...LAB.server4, ...LAB.server4Global].filter((a) => ipv4EmbeddingAllowed(pool6, a));
  let answered = 0;
  for (const server of servers) {
    const probe = encode({ ipv6: { src: LAB.client6[0], dst: embed(pool6, server), hopLimit: 64 }, udp: { sport: WARM_UP_PORT, dport: 7 }, payload: Buffer.from('nat64lab external warm-up') });
    l2.send(6, probe);
    const seen = await l2.waitFor((c) => {
      const p = c.side === 4 ? decode(c.bytes) : undefined;
      return p?.ipv4?.dst === server && p.udp?.dport === 7;
    }, WARM_UP_MS);
    if (seen) answered++;
  }
  l2.drain();
  return { answered, probed: servers.length };
}

/** The driver's abilities narrowed to the knobs the operator allowed. */
function narrow(d: DeviceDriver, allowed: Knob[]): Reach {
  const knobs = new Set<Knob>(allowed.filter((k) => d.supports.has(k)));
  return { knobs, timeoutKeys: d.timeoutKeys, filteringModes: d.filteringModes };
}

/** The BIB as the sessions show it (a device reports sessions; each carries its mapping). */
function tablesOf(sessions: SessionEntry[]): { bib: BibEntry[]; sessions: SessionEntry[] } {
  const bib = new Map<string, BibEntry>();
  for (const s of sessions) {
    const key = `${s.protocol} ${s.v6.src} ${s.v6.sport}`;
    if (!bib.has(key)) bib.set(key, { protocol: s.protocol, v6: { address: s.v6.src, port: s.v6.sport }, v4: { address: s.v4.src, port: s.v4.sport }, static: false });
  }
  return { bib: [...bib.values()], sessions };
}
