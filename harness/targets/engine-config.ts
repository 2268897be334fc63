/**
 * How a case's needs become an engine configuration, shared by every target
 * that runs the own engine (in-process and daemon on TUN), so both refuse and
 * accept exactly the same things and report the same effective config.
 */
import { ConfigError, parseEngineConfig } from '../../engine/config';
import type { EngineConfig } from '../../engine/api';
import { LAB } from '../lab/addressing';
import { PREF64_LENGTHS } from '../packet/rfc6052';
import { ConfigRefused } from '../lab/target';
import type { Capabilities, EffectiveConfig, TargetNeeds } from '../lab/target';

/** Every knob of the own engine can be turned, and its clock moved, wherever it runs. */
export function engineCapabilities(): Capabilities {
  return {
    pool6Lengths: [...PREF64_LENGTHS],
    wellKnownPrefix: true,
    pool4: true,
    filtering: ['endpoint-independent', 'address-dependent'],
    staticBib: true,
    timeouts: true,
    virtualClock: true,
    readState: true,
  };
}

export interface EngineConfigSource {
  /** Base configuration (a parsed config file); case needs override it. */
  base?: Partial<EngineConfig>;
  /** Named faults (see engine/faults.ts). */
  faults?: string[];
}

/** The configuration object for `needs`, before validation: what a config file or a `configure` request would carry. */
export function engineConfigInput(needs: TargetNeeds, src: EngineConfigSource = {}): Record<string, unknown> {
  const base = src.base ?? {};
  // The lab's network-specific prefix unless the case asks otherwise; `unsetPool6` leaves the engine's own default.
  const pool6 = needs.unsetPool6 ? undefined : (needs.pool6 ?? base.pool6 ?? LAB.pool6);
  return {
    ...base,
    pool6,
    ...(needs.pool4 ? { pool4: needs.pool4 } : {}),
    ...(needs.filtering ? { filtering: needs.filtering } : {}),
    ...(needs.staticBib ? { staticBib: needs.staticBib } : {}),
    ...(needs.trafficClass ? { trafficClass: needs.trafficClass } : {}),
    ...(needs.mtu || base.mtu ? { mtu: { ...(base.mtu ?? {}), ...(needs.mtu ?? {}) } } : {}),
    ...(needs.fragmentMemory !== undefined ? { fragmentMemory: needs.fragmentMemory } : {}),
    ...(needs.icmpErrors || base.icmpErrors ? { icmpErrors: { ...(base.icmpErrors ?? {}), ...(needs.icmpErrors ?? {}) } } : {}),
    ...(needs.limits || base.limits
      ? { limits: { ...(base.limits ?? {}), ...(needs.limits ?? {}), ports: { ...(base.limits?.ports ?? {}), ...(needs.limits?.ports ?? {}) }, quarantine: { ...(base.limits?.quarantine ?? {}), ...(needs.limits?.quarantine ?? {}) } } }
      : {}),
    ...(needs.deterministic || base.deterministic ? { deterministic: { ...(base.deterministic ?? {}), ...(needs.deterministic ?? {}) } } : {}),
    timeouts: { ...(base.timeouts ?? {}), ...(needs.timeouts ?? {}) },
    faults: src.faults ?? [],
  };
}

/** The validated configuration for `needs`; a ConfigError is the engine's one-line refusal. */
export function engineConfigFor(needs: TargetNeeds, src: EngineConfigSource = {}): EngineConfig {
  return parseEngineConfig(engineConfigInput(needs, src));
}

/** engineConfigFor with the refusal turned into ConfigRefused, as the runner expects from a target. */
export function checkedEngineConfig(needs: TargetNeeds, src: EngineConfigSource = {}): EngineConfig {
  try {
    return engineConfigFor(needs, src);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigRefused(err.message);
    throw err;
  }
}

/** What a case can rely on, from the engine's configuration. */
export function effectiveEngineConfig(c: EngineConfig): EffectiveConfig {
  return { pool6: c.pool6, pool4: c.pool4, filtering: c.filtering, staticBib: c.staticBib, timeouts: c.timeouts, trafficClass: c.trafficClass, mtu: c.mtu, limits: c.limits, fragmentMemory: c.fragmentMemory, icmpErrors: c.icmpErrors, ...(c.deterministic ? { deterministic: c.deterministic } : {}) };
}
