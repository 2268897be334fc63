/**
 * The project's stateful NAT64 (RFC 6146 on top of the RFC 7915 translation
 * of engine/xlat), in-process: `createTranslator(config, { clock, random })`
 * returns a `Translator` (engine/api.ts). The pipeline itself is in
 * engine/nat64/pipeline.ts.
 */
import type { Side } from '../harness/packet/types';
import type { BibEntry, Clock, Emitted, EngineConfig, EngineEvent, RandomInt, SessionEntry, Translator } from './api';
import { Deterministic, blockOf, reverseLookup } from './nat64/deterministic';
import { EventLog } from './nat64/events';
import { faultFlags } from './nat64/flags';
import { Ctx, expireDue, installStaticBib, process4, process6 } from './nat64/pipeline';
import { limitedState } from './nat64/limits';
import { IcmpErrorGate } from './nat64/icmp-policy';
import { Pref64Map } from './nat64/pref64';
import { FastPathStats, createFastPath } from './nat64/fast-path';

export type { Translator } from './api';

export interface TranslatorDeps {
  clock: Clock;
  random: RandomInt;
  /**
   * Called when processing a packet threw (a bug: bad input is dropped, not
   * thrown). Default: the packet is dropped and the error counted in
   * `internalErrors`. Tests pass a function that rethrows.
   */
  onInternalError?: (err: unknown, side: Side, bytes: Buffer) => void;
  /**
   * Whether packets of established flows may take the byte-level fast path
   * (engine/nat64/fast-path.ts). Default true; false sends every packet
   * through the full pipeline (the fast path's differential test compares both).
   */
  fastPath?: boolean;
}

/** A Translator with a little introspection for tests and logs. */
export interface Nat64Translator extends Translator {
  /** Why the most recent packet that produced no translation was dropped. */
  readonly lastDrop: string | undefined;
  /** Exceptions caught in push/expire since creation (always 0 unless there is a bug). */
  readonly internalErrors: number;
  /** Packets the fast path translated and declined; undefined when it is off (disabled, or faults configured). */
  readonly fastPath: FastPathStats | undefined;
}

export function createTranslator(config: EngineConfig, deps: TranslatorDeps): Nat64Translator {
  // Pool with port quarantine, tables that count per subscriber, and the limiter (engine/nat64/limits.ts).
  const { pool, tables, limits } = limitedState(config, deps.clock);
  const flags = faultFlags(config.faults);
  const pref = new Pref64Map(config.pool6, flags);
  const faultSet: ReadonlySet<string> = new Set(config.faults);
  const ctx: Ctx = {
    config,
    pref,
    pool,
    tables,
    limits,
    flags,
    env: { pref, pool, flags, illegalSourcesAllowed: faultSet.has('illegal-source-translated'), translateIcmpInfo: faultSet.has('translate-icmp-info') },
    clock: deps.clock,
    random: deps.random,
    xopts: { faults: faultSet, trafficClass: config.trafficClass, tos: config.trafficClass === 'zero' ? 0 : 'copy', mtu: config.mtu },
    adf:
      // FAULT adf-filter-ignored / eif-filtering-broken: the configured filtering mode is not the one applied.
      config.filtering === 'address-dependent' ? !flags.adfFilterIgnored : flags.eifFilteringBroken,
    ms: {
      udp: config.timeouts.udp * 1000,
      // FAULT tcp-est-too-short / tcp-est-too-long: 1 h / 24 h whatever the configured TCP_EST.
      est: (flags.tcpEstTooShort ? 3600 : flags.tcpEstTooLong ? 86400 : config.timeouts.tcpEstablished) * 1000,
      // FAULT tcp-trans-too-short: 60 s for partially open and closing sessions whatever the configuration.
      trans: (flags.tcpTransTooShort ? 60 : config.timeouts.tcpTransitory) * 1000,
      // FAULT tcp-init-timeout-ignored: partially open sessions take the closing timeout (one transitory setting).
      init: (flags.tcpTransTooShort ? 60 : flags.tcpInitTimeoutIgnored ? config.timeouts.tcpTransitory : config.timeouts.tcpInit) * 1000,
      // FAULT v4-syn-not-held: an unsolicited IPv4 SYN's V4 INIT session expires at once (answered at the next step).
      syn: (flags.v4SynNotHeld ? 0 : config.timeouts.tcpIncomingSyn) * 1000,
      icmp: config.timeouts.icmp * 1000,
    },
    nextIpv4Id: deps.random(65536),
    rr: 0,
    held: 0,
    lastDrop: undefined,
    faultHosts: new Map(),
  };
  // Event log (mapping events, refusals) and RFC 7422 deterministic mode (engine/nat64/events.ts, deterministic.ts).
  const events = new EventLog(deps.clock, faultSet);
  tables.events = events;
  ctx.events = events;
  if (config.deterministic) ctx.det = new Deterministic(config.deterministic, config.pool4, pool, deps.random, deps.clock, events, faultSet);
  const det = ctx.det;
  installStaticBib(ctx);
  const errorGate = new IcmpErrorGate(config.icmpErrors, deps.clock, faultSet);
  const fast = deps.fastPath === false ? undefined : createFastPath(ctx);
  let internalErrors = 0;
  let slowPath: Emitted[] = [];
  const reorderLarge = (out: Emitted[]): Emitted[] => {
    const due = slowPath;
    slowPath = out.filter((e) => e.bytes.length > 1024);
    return [...out.filter((e) => e.bytes.length <= 1024), ...due];
  };
  const fail = (err: unknown, side: Side, bytes: Buffer) => {
    internalErrors++;
    ctx.lastDrop = `internal error: ${(err as Error)?.message ?? String(err)}`;
    deps.onInternalError?.(err, side, bytes);
  };

  return {
    config,
    push(side: Side, bytes: Buffer): Emitted[] {
      let out: Emitted[] = [];
      let expired = 0;
      ctx.lastDrop = undefined;
      try {
        det?.tick();
        expireDue(ctx, out);
        expired = out.length;
        // Established flows first try the fast path; what it declines takes the pipeline. A translated
        // packet is never an originated error, so with nothing expired it needs no gate.
        const fastOut = fast?.translate(side, bytes);
        if (fastOut && expired === 0) return [fastOut];
        if (fastOut) out.push(fastOut);
        else if (side === 6) process6(ctx, bytes, out);
        else if (side === 4) process4(ctx, bytes, out);
      } catch (err) {
        fail(err, side, bytes);
      }
      // ICMP errors the translator originates: per-side setting and rate limit (engine/nat64/icmp-policy.ts).
      out = [...errorGate.filter(undefined, undefined, out.slice(0, expired)), ...errorGate.filter(side, bytes, out.slice(expired))];
      // FAULT large-packets-reordered: packets over 1024 octets take a slow path and leave after the next push's output.
      if (faultSet.has('large-packets-reordered')) return reorderLarge(out);
      return out;
    },
    expire(): Emitted[] {
      const out: Emitted[] = [];
      try {
        det?.tick();
        expireDue(ctx, out);
      } catch (err) {
        fail(err, 6, Buffer.alloc(0));
      }
      return errorGate.filter(undefined, undefined, out);
    },
    events(): EngineEvent[] {
      return events.all();
    },
    deterministic: det && {
      forward: (v6: string) => blockOf(det.layout, v6),
      reverse: (address: string, port: number) => reverseLookup(det.layout, address, port, faultSet),
    },
    bib(): BibEntry[] {
      return ctx.tables.bibSnapshot();
    },
    sessions(): SessionEntry[] {
      return ctx.tables.sessionSnapshot();
    },
    get lastDrop() {
      return ctx.lastDrop;
    },
    get internalErrors() {
      return internalErrors;
    },
    get fastPath() {
      return fast;
    },
  };
}

/** A clock that moves only when told: `advance(ms)`. */
export interface VirtualClock extends Clock {
  advance(ms: number): void;
}

export function virtualClock(startMs = 0): VirtualClock {
  let now = startMs;
  return {
    now: () => now,
    advance(ms: number) {
      if (!(ms >= 0)) throw new RangeError(`virtual clock: cannot advance by ${ms} ms`);
      now += ms;
    },
  };
}

/**
 * A reproducible RandomInt (uniform integer in [0, n)): mulberry32 seeded
 * with `seed`. Not for production use where ports must be unguessable; the
 * daemon passes a crypto-backed source.
 */
export function seededRandom(seed: number): RandomInt {
  let a = seed >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const r = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return Math.floor(r * n);
  };
}

/** RandomInt from the operating system's CSPRNG (RFC 6056 wants ports hard to guess). */
export function cryptoRandom(): RandomInt {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { randomInt } = require('crypto') as typeof import('crypto');
  return (n: number) => (n <= 1 ? 0 : randomInt(n));
}
