/**
 * How a case's needs are met on an external device: what the operator
 * declared in the target file, changed where needed through the driver's
 * knobs the operator allowed. A need that neither the declaration meets nor
 * an allowed knob can reach makes the case `na`, and the reason names both
 * the need and what the device was declared with, so the report explains
 * itself.
 */
import type { FilteringMode, Pool4Entry, Timeouts } from '../../engine/api';
import { DEFAULT_TIMEOUTS } from '../../engine/config';
import { NotApplicable } from '../lab/target';
import type { Capabilities, EffectiveConfig, TargetNeeds } from '../lab/target';
import { canonical } from '../packet/address';
import { PREF64_LENGTHS } from '../packet/rfc6052';
import type { ExternalSpec, Knob } from './external-config';

/** What a driver offers, already narrowed to the knobs the operator allowed. */
export interface Reach {
  knobs: ReadonlySet<Knob>;
  timeoutKeys: ReadonlySet<keyof Timeouts>;
  filteringModes: readonly FilteringMode[];
}

export const NO_REACH: Reach = { knobs: new Set(), timeoutKeys: new Set(), filteringModes: [] };

/** The device's settings as the harness last left them (declared, or set through the driver). */
export interface DeviceSettings {
  pool6: string;
  pool4: Pool4Entry[];
  filtering?: FilteringMode;
  timeouts: Partial<Timeouts>;
}

/** Changes to make through the driver before the case runs. */
export interface Plan {
  pool6?: string;
  filtering?: FilteringMode;
  timeouts?: Partial<Timeouts>;
  /** The settings once the plan is applied. */
  settings: DeviceSettings;
  config: EffectiveConfig;
}

export function declaredSettings(spec: ExternalSpec): DeviceSettings {
  return { pool6: spec.pool6, pool4: spec.pool4, ...(spec.filtering ? { filtering: spec.filtering } : {}), timeouts: { ...spec.timeouts } };
}

export function capabilitiesOf(spec: ExternalSpec, reach: Reach): Capabilities {
  const length = Number(spec.pool6.split('/')[1]);
  return {
    pool6Lengths: reach.knobs.has('pool6') ? [...PREF64_LENGTHS] : [length],
    wellKnownPrefix: reach.knobs.has('pool6') || spec.pool6 === '64:ff9b::/96',
    pool4: false,
    filtering: reach.knobs.has('filtering') ? [...reach.filteringModes] : spec.filtering ? [spec.filtering] : [],
    staticBib: false,
    timeouts: reach.knobs.has('timeouts') && reach.timeoutKeys.size > 0,
    virtualClock: false,
    readState: reach.knobs.has('readState'),
  };
}

function samePool4(a: Pool4Entry[], b: Pool4Entry[]): boolean {
  const key = (p: Pool4Entry[]) => p.map((e) => `${e.address} ${JSON.stringify(e.ports ?? {})}`).sort().join(',');
  return key(a) === key(b);
}

/**
 * The plan for `needs` starting from `current`; throws NotApplicable listing
 * every need the device cannot meet.
 */
export function planFor(needs: TargetNeeds, spec: ExternalSpec, reach: Reach, current: DeviceSettings): Plan {
  const why: string[] = [];
  const plan: Omit<Plan, 'settings' | 'config'> = {};
  const settings: DeviceSettings = { ...current, timeouts: { ...current.timeouts } };
  const knob = (k: Knob) => reach.knobs.has(k);
  const cannot = (k: Knob) => (spec.driver ? `its driver may not change it (add "${k}" to driver.knobs if the device allows it)` : 'no driver is configured to change it');

  if (needs.virtualClock) why.push("needs a controllable clock; an external device's clock runs in real time");
  if (needs.unsetPool6) why.push('needs the device without any Pref64; the harness does not remove the prefix of an external device');
  // Each case starts from the declaration: what an earlier case changed through the driver is put back where it can be.
  const declared = declaredSettings(spec);
  const wantPool6 = needs.pool6 !== undefined ? `${canonical(needs.pool6.split('/')[0])}/${needs.pool6.split('/')[1]}` : declared.pool6;
  if (wantPool6 !== current.pool6) {
    if (knob('pool6')) {
      plan.pool6 = wantPool6;
      settings.pool6 = wantPool6;
    } else why.push(`needs Pref64 ${wantPool6}; the device is declared with ${declared.pool6} and ${cannot('pool6')}`);
  }
  if (needs.pool4 && !samePool4(needs.pool4, current.pool4)) {
    why.push(`needs pool4 ${needs.pool4.map((e) => e.address).join(', ')}; the device is declared with ${current.pool4.map((e) => e.address).join(', ')} and the harness cannot change an external device's pool`);
  }
  // An undeclared mode that a driver set earlier cannot be put back: the device keeps it, and the config says so.
  const wantFiltering = needs.filtering ?? declared.filtering;
  if (wantFiltering !== undefined && wantFiltering !== current.filtering) {
    if (knob('filtering') && reach.filteringModes.includes(wantFiltering)) {
      plan.filtering = wantFiltering;
      settings.filtering = wantFiltering;
    } else if (knob('filtering')) why.push(`needs ${wantFiltering} filtering; the device's driver can set only ${reach.filteringModes.join(', ') || 'none'}`);
    else why.push(`needs ${wantFiltering} filtering; the device is declared with ${declared.filtering ?? 'an unknown filtering mode'} and ${cannot('filtering')}`);
  }
  if (needs.staticBib?.length) why.push('needs static BIB entries; the harness cannot create them on an external device');
  const wantTimeouts: Partial<Timeouts> = { ...declared.timeouts, ...(needs.timeouts ?? {}) };
  const set: Partial<Timeouts> = {};
  for (const [k, v] of Object.entries(wantTimeouts) as [keyof Timeouts, number][]) {
    if (v === undefined || current.timeouts[k] === v) continue;
    if (knob('timeouts') && reach.timeoutKeys.has(k)) set[k] = v;
    else if (knob('timeouts')) why.push(`needs the ${k} timeout at ${v} s; the device's driver has no setting for it`);
    else why.push(`needs the ${k} timeout at ${v} s; the device is declared with ${declared.timeouts[k] !== undefined ? `${declared.timeouts[k]} s` : 'an unknown value'} and ${cannot('timeouts')}`);
  }
  if (Object.keys(set).length) {
    plan.timeouts = set;
    Object.assign(settings.timeouts, set);
  }
  if (needs.readState && !knob('readState')) why.push(`reads the BIB and session tables; ${spec.driver ? 'the driver may not read them (add "readState" to driver.knobs)' : 'no driver is configured to read them'}`);
  if (needs.trafficClass) why.push(`needs the Traffic Class ${needs.trafficClass === 'zero' ? 'zeroed' : 'copied'} by setting; the harness cannot set this on an external device`);
  if (needs.mtu) {
    const m = needs.mtu;
    if ((m.ipv6 !== undefined && m.ipv6 !== spec.ipv6.mtu) || (m.ipv4 !== undefined && m.ipv4 !== spec.ipv4.mtu) || m.lowestIpv6 !== undefined) {
      why.push(`needs next-hop MTUs ${JSON.stringify(m)}; the links are declared with IPv6 ${spec.ipv6.mtu} and IPv4 ${spec.ipv4.mtu}, and the harness cannot change an external device's MTUs`);
    }
  }
  if (needs.fragmentMemory !== undefined) why.push('needs a fragment memory limit; the harness cannot set it on an external device');
  if (needs.limits) why.push('needs resource limits; the harness cannot set them on an external device');
  if (needs.icmpErrors) why.push('needs a policy for the ICMP errors the device originates; the harness cannot set it on an external device');
  if (needs.deterministic) why.push('needs RFC 7422 deterministic mode; the harness cannot set it on an external device');
  if (why.length) throw new NotApplicable(why.join('; '));

  const config: EffectiveConfig = {
    pool6: settings.pool6,
    pool4: settings.pool4,
    // Undeclared filtering is shown as RFC 6146's default; a case that depends on it asks for a mode and is na above.
    filtering: settings.filtering ?? 'endpoint-independent',
    staticBib: [],
    timeouts: { ...DEFAULT_TIMEOUTS, ...settings.timeouts },
  };
  return { ...plan, settings, config };
}
