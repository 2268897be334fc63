/**
 * What a case needs from a NAT64 under test, and the interface every target
 * (in-process engine, engine daemon on TUN, TAYGA, Jool, an external device)
 * offers the runner. A case never talks to a target directly: it sends and
 * receives packets through a LabSession.
 */
import type { FilteringMode, IcmpErrorPolicy, Limits, Pool4Entry, StaticBibEntry, Timeouts, BibEntry, SessionEntry, DeterministicBlock, DeterministicConfig, EngineEvent } from '../../engine/api';
import type { Side } from '../packet/types';

/** Settings a case asks for; anything left out is the target's default lab configuration. */
export interface TargetNeeds {
  pool6?: string;
  /** Configure no Pref64 at all, to see which prefix the target falls back to. */
  unsetPool6?: boolean;
  pool4?: Pool4Entry[];
  filtering?: FilteringMode;
  staticBib?: StaticBibEntry[];
  timeouts?: Partial<Timeouts>;
  /** The case advances time instantly (virtual clock) instead of waiting. */
  virtualClock?: boolean;
  /** The case reads the BIB and session tables. */
  readState?: boolean;
  /** RFC 7915 §4.1/§5.1 knob: copy TOS/Traffic Class (default) or zero it. */
  trafficClass?: 'copy' | 'zero';
  /** Next-hop MTUs on each side, and the translator's lowest-ipv6-mtu (RFC 7915 §4). */
  mtu?: { ipv6?: number; ipv4?: number; lowestIpv6?: number };
  /** Octets the target may hold for fragment reassembly (RFC 6146 §3.4 resource limit). */
  fragmentMemory?: number;
  /** Resource limits and port quarantine (RFC 6888 REQ-4/5/8, RFC 6146 §5.3); a limit left out is the target's default. */
  limits?: LimitsNeeds;
  /** ICMP errors the target originates: sent toward each side or not, rate limit (RFC 7915 §4.4/§5.4, RFC 5508 REQ-9/10f). */
  icmpErrors?: Partial<IcmpErrorPolicy>;
  /** RFC 7422 deterministic port blocks (inside range I required; the rest default as the target chooses). */
  deterministic?: Partial<DeterministicConfig> & { inside: string };
}

/** Limits a case asks for: any subset of the engine's `Limits`. */
export type LimitsNeeds = Partial<Omit<Limits, 'quarantine'>> & { quarantine?: Partial<Limits['quarantine']> };

/** Which knobs a target can turn; a case whose needs exceed them is na with the reason. */
export interface Capabilities {
  /** Prefix lengths the target can be configured with (RFC 6052 lengths). */
  pool6Lengths: number[];
  /** Whether the well-known prefix 64:ff9b::/96 can be used. */
  wellKnownPrefix: boolean;
  pool4: boolean;
  /** Filtering modes the target can be set to. */
  filtering: FilteringMode[];
  staticBib: boolean;
  timeouts: boolean;
  virtualClock: boolean;
  readState: boolean;
}

/** What the case can rely on once the session is open. */
export interface EffectiveConfig {
  pool6: string;
  pool4: Pool4Entry[];
  filtering: FilteringMode;
  staticBib: StaticBibEntry[];
  timeouts: Timeouts;
  trafficClass?: 'copy' | 'zero';
  mtu?: { ipv6: number; ipv4: number; lowestIpv6: number };
  fragmentMemory?: number;
  /** The limits in force, where the target can show them. */
  limits?: Limits;
  /** The policy for ICMP errors the target originates, where it can show it. */
  icmpErrors?: IcmpErrorPolicy;
  /** The RFC 7422 deterministic configuration in force, where the target has that mode. */
  deterministic?: DeterministicConfig;
}

/** A packet seen leaving the target, with the time it was captured. */
export interface Captured {
  side: Side;
  bytes: Buffer;
  /** Microseconds since the Unix epoch (on a virtual clock, the clock's time). */
  timeUs: number;
}

export interface LabSession {
  readonly config: EffectiveConfig;
  /** Inject a packet into the target on a side. */
  send(side: Side, bytes: Buffer): Promise<void>;
  /**
   * Everything the target emits (either side) until `quietMs` pass with
   * nothing new, or `maxMs` in all. In-process targets answer at once.
   */
  collect(opts?: { quietMs?: number; maxMs?: number }): Promise<Captured[]>;
  /** Microseconds on the session's clock (virtual or real). */
  nowUs(): number;
  /** Move a virtual clock forward; only when capabilities.virtualClock. */
  advance?(ms: number): Promise<Captured[]>;
  /** Read the BIB and session tables; only when capabilities.readState. */
  state?(): Promise<{ bib: BibEntry[]; sessions: SessionEntry[] }>;
  /** The target's event log (mapping events, notifications, RFC 7422 records); only where the lab can read it. */
  events?(): Promise<EngineEvent[]>;
  /** RFC 7422 §2 test function (both directions); only on a target in deterministic mode that offers it. */
  deterministicMap?(q: { inside: string } | { address: string; port: number }): Promise<DeterministicBlock | undefined>;
  close(): Promise<void>;
}

export interface TargetDescription {
  name: string;
  version: string;
  /** Configuration as the report should show it (base config; per-case overrides are recorded per case). */
  config: Record<string, unknown>;
}

export interface Target {
  readonly name: string;
  readonly capabilities: Capabilities;
  describe(): Promise<TargetDescription>;
  /**
   * Bring the lab up before the first case (namespaces, processes, a guest).
   * Throws LabUnavailable (harness/lab/netns) when this machine cannot build
   * it, so a run stops with one line instead of erroring every case.
   * Optional: targets that need nothing start lazily in open().
   */
  start?(): Promise<void>;
  /** Configure the target for one case and return a session; throws NotApplicable when needs cannot be met. */
  open(needs: TargetNeeds): Promise<LabSession>;
  /**
   * Check a configuration without running with it: the effective config, or
   * ConfigRefused with the target's reason. Optional: without it, attempts
   * open and close a session.
   */
  validate?(needs: TargetNeeds): Promise<EffectiveConfig>;
  /** Release everything (processes, namespaces, devices). Safe to call twice. */
  shutdown(): Promise<void>;
}

/** The target cannot meet a precondition of the case: the case (or check) is na, with this reason. */
export class NotApplicable extends Error {}

/** The target refused a configuration (a value out of bounds): the message is its one-line reason. */
export class ConfigRefused extends Error {}
