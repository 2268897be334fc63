/**
 * A configuration driver for an external NAT64 device: the management API
 * the external target uses to meet a case's needs (timeouts, filtering,
 * static BIB entries, prefixes) and to read the device's sessions and
 * counters. A driver offers only what its device can do; the operator's
 * target file narrows that further (`driver.knobs`). Whatever neither
 * allows makes the cases that need it `na`, with the reason.
 */
import type { FilteringMode, Pool4Entry, SessionEntry, StaticBibEntry, Timeouts } from '../../engine/api';
import type { Knob } from '../targets/external-config';

/** The device refused a value (out of bounds, unsupported): the message is its one-line reason. */
export class DriverRefused extends Error {}

/** The management API failed (unreachable, bad credentials, unexpected answer): one line naming what and the fix. */
export class DriverError extends Error {}

export interface DeviceIdentity {
  product: string;
  version: string;
}

export interface DeviceDriver {
  readonly kind: string;
  /** The knobs this driver can turn on its device (before the operator's `knobs` narrow them). */
  readonly supports: ReadonlySet<Knob>;
  /** Timeout keys the driver can set (a subset of Timeouts). */
  readonly timeoutKeys: ReadonlySet<keyof Timeouts>;
  /** Filtering modes the driver can put the device in. */
  readonly filteringModes: readonly FilteringMode[];
  /** Logs in; rejects with a DriverError (one line) on bad credentials or an unreachable device. */
  connect(): Promise<DeviceIdentity>;
  setTimeouts?(t: Partial<Timeouts>): Promise<void>;
  setFiltering?(mode: FilteringMode): Promise<void>;
  /** Replaces the static BIB entries the driver created earlier with these. */
  setStaticBib?(entries: StaticBibEntry[]): Promise<void>;
  setPool6?(prefix: string): Promise<void>;
  setPool4?(pool: Pool4Entry[]): Promise<void>;
  /** Drops the device's dynamic sessions, so a case starts from an empty table. */
  clearSessions?(): Promise<void>;
  readSessions?(): Promise<SessionEntry[]>;
  /** Named counters as the device reports them. */
  readCounters?(): Promise<Record<string, number>>;
  /** Logs off; safe to call twice and after a failed connect. */
  disconnect(): Promise<void>;
}
