/**
 * The engine daemon's control protocol: a unix stream socket carrying JSON
 * lines. Each request is one object `{ "cmd": …, "id"?: …, …args }`; each
 * answer is one line `{ "id"?: …, "result": … }` or `{ "id"?: …, "error":
 * "<one line>" }`, in request order.
 */
import type { BibEntry, DeterministicBlock, EngineConfig, EngineEvent, SessionEntry } from '../api';

export type ControlCommand = 'state' | 'events' | 'configure' | 'advance' | 'stats' | 'sync' | 'deterministic' | 'stop';

export const CONTROL_COMMANDS: readonly ControlCommand[] = ['state', 'events', 'configure', 'advance', 'stats', 'sync', 'deterministic', 'stop'];

export interface ControlRequest {
  cmd: ControlCommand;
  id?: string | number;
  /** configure: the engine configuration (the engine part of the file, without `tun`). */
  config?: unknown;
  /** advance: milliseconds to move the lab clock forward. */
  ms?: number;
  /** deterministic: the RFC 7422 test function, forward (an inside address) ... */
  inside?: string;
  /** ... or reverse (an outside address and port). */
  address?: string;
  port?: number;
}

/** Per-side packet counters; side 6 is the IPv6 side, 4 the IPv4 side. */
export interface SideCounters {
  6: number;
  4: number;
}

export interface DaemonStats {
  /** Packets read from the TUN, by IP version. */
  in: SideCounters;
  /** How packets cross the TUN: "io_uring" or "read-write". */
  io: string;
  /** Packets written to the TUN, by the side they leave on. */
  out: SideCounters;
  /** Packets read that produced nothing at all. */
  dropped: SideCounters;
  /** Reads that were neither IPv4 nor IPv6 (dropped, counted apart). */
  notIp: number;
  /** Writes the kernel refused (the packet is lost; the loop goes on). */
  writeErrors: number;
  /** Exceptions the translator caught (a bug if not 0). */
  internalErrors: number;
  /** CPU time of the data-path thread and its wall time since start, in ms. */
  loop: { userMs: number; systemMs: number; wallMs: number };
  /** The daemon's clock (ms since the epoch; real time plus the lab offset). */
  now: number;
  /** Lab clock offset in ms (0 on real time). */
  offsetMs: number;
}

export interface StateResult {
  bib: BibEntry[];
  sessions: SessionEntry[];
  now: number;
}

export interface EventsResult {
  events: EngineEvent[];
}

export interface ConfigureResult {
  config: EngineConfig;
  now: number;
}

export interface AdvanceResult {
  now: number;
  /** Packets the due timers emitted (written to the TUN before the answer). */
  emitted: number;
}

export interface SyncResult {
  /** Packets read since start; every packet queued before the request has been translated and written. */
  in: number;
  /** Packets written since start (both sides), the request's packets included. */
  out: number;
  now: number;
}

export interface ResultOf {
  state: StateResult;
  events: EventsResult;
  configure: ConfigureResult;
  advance: AdvanceResult;
  stats: DaemonStats;
  sync: SyncResult;
  /** `block` absent: no subscriber or block matches. */
  deterministic: { block?: DeterministicBlock };
  stop: { stopping: true };
}

export interface ControlReply {
  id?: string | number;
  result?: unknown;
  error?: string;
}

/** Default control socket of the daemon translating on `tun`. */
export function defaultControlPath(tun: string): string {
  return `/run/nat64lab/engine-${tun}.sock`;
}
