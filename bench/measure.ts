/**
 * The benchmark's measurement functions. Each builds its own translator
 * (engine/index.ts) on a virtual clock and a seeded random source,
 * pre-encodes its input packets, runs a warm-up whose figures are
 * discarded, then pushes packets in a timed loop (process.hrtime.bigint)
 * until a packet count or a time budget is reached, whichever comes first.
 *
 * Every push is checked: a translated packet is one that produced exactly
 * one packet on the other side. Anything else (a drop, an ICMP error, two
 * packets) is counted as `unexpected`, so a broken engine cannot post a good
 * figure by dropping everything.
 */
import type { Side } from '../harness/packet/types';
import { LAB } from '../harness/lab/addressing';
import type { EngineConfig } from '../engine/api';
import { parseEngineConfig } from '../engine/config';
import { createTranslator, Nat64Translator, seededRandom, VirtualClock, virtualClock } from '../engine/index';
import { build, echo6, Flow6, flow6, payloadOf, syn6, udp4Reply, udp6 } from './packets';

/** Sizes and budgets of a run. */
export interface BenchProfile {
  name: string;
  /** Established flows of the UDP and ICMP phases. */
  flows: number;
  /** UDP / ICMP echo payload in bytes. */
  payloadBytes: number;
  /** Packets pushed before each measurement (discarded), at most... */
  warmupPackets: number;
  /** ...and for at most this long, in seconds. */
  warmupSeconds: number;
  /** Upper bound on measured packets per phase on established flows. */
  packets: number;
  /** Upper bound on new sessions per new-session phase (each needs a pre-encoded packet). */
  newSessions: number;
  /** Time budget per phase in seconds; the loop stops after the batch that crosses it. */
  seconds: number;
  /** Packets between clock advances and time checks. */
  batch: number;
  /** Virtual milliseconds added after each batch. */
  clockStepMs: number;
}

export const PROFILES: Readonly<Record<'full' | 'quick', BenchProfile>> = {
  full: {
    name: 'full',
    flows: 1000,
    payloadBytes: 64,
    warmupPackets: 50_000,
    warmupSeconds: 0.5,
    packets: 20_000_000,
    newSessions: 300_000,
    seconds: 2,
    batch: 250,
    clockStepMs: 1,
  },
  quick: {
    name: 'quick',
    flows: 1000,
    payloadBytes: 64,
    warmupPackets: 5_000,
    warmupSeconds: 0.08,
    packets: 2_000_000,
    newSessions: 40_000,
    seconds: 0.2,
    batch: 250,
    clockStepMs: 1,
  },
};

/**
 * The engine configuration of the benchmark: lab defaults (Pref64
 * 2001:db8:64::/96, EIF, RFC 6146 timeouts) with pool4 widened from the two
 * lab addresses to the /28 that holds them, so the new-session phases
 * measure allocation rather than a pool running full.
 */
export const BENCH_POOL4 = '198.18.0.0/28';

export function benchConfig(): EngineConfig {
  return parseEngineConfig({ pool6: LAB.pool6, pool4: [BENCH_POOL4] }, 'bench');
}

export interface PhaseResult {
  name: string;
  description: string;
  /** "packets/s" or "sessions/s" (one packet opens one session). */
  unit: 'packets/s' | 'sessions/s';
  /** Measured packets (warm-up excluded). */
  packets: number;
  /** Wall-clock time of the timed loop (what `rate` and `nsPerPacket` use). */
  seconds: number;
  rate: number;
  nsPerPacket: number;
  /**
   * Process CPU time (user + system, all threads, so GC helpers count)
   * during the timed loop; well below `seconds` means the machine was busy
   * with something else and the wall-clock figures are pessimistic.
   */
  cpuSeconds: number;
  /** `cpuSeconds` per packet, in ns: the figure to compare across runs on a shared machine. */
  cpuNsPerPacket: number;
  /** Pushes that produced exactly one packet on the other side. */
  translated: number;
  /** Pushes that produced anything else (nothing, an error, several packets). */
  unexpected: number;
  /** Packets pushed in the warm-up (discarded). */
  warmupPackets: number;
  /** Distinct flows the inputs cycle over (established phases). */
  flows?: number;
  /** BIB entries of the protocol after the phase (new-session phases). */
  bibSize?: number;
  /** Sessions of the protocol after the phase (new-session phases). */
  sessions?: number;
}

export interface Counts {
  packets: number;
  translated: number;
  unexpected: number;
  ns: bigint;
  /** Process CPU time in microseconds during the loop. */
  cpuUs: number;
}

interface Rig {
  translator: Nat64Translator;
  clock: VirtualClock;
}

export function rig(seed = 1): Rig {
  const clock = virtualClock(1_000_000);
  const translator = createTranslator(benchConfig(), {
    clock,
    random: seededRandom(seed),
  });
  return { translator, clock };
}

/**
 * Pushes up to `total` packets from `inputs` (cycling when `cycle`, else at
 * most inputs.length) in batches of `batch`, advancing the virtual clock
 * after each batch, until the count or the time budget runs out.
 */
export function pushLoop(
  r: Rig,
  side: Side,
  inputs: readonly Buffer[],
  total: number,
  opts: { batch: number; clockStepMs: number; seconds: number; cycle: boolean; start?: number },
): Counts {
  const t = r.translator;
  const expect: Side = side === 6 ? 4 : 6;
  const n = inputs.length;
  if (!opts.cycle) total = Math.min(total, n - (opts.start ?? 0));
  // Infinity: no time limit (the count alone decides).
  const budget = Number.isFinite(opts.seconds) ? BigInt(Math.round(opts.seconds * 1e9)) : -1n;
  let idx = opts.start ?? 0;
  let done = 0;
  let translated = 0;
  let unexpected = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let elapsed = 0n;
  while (done < total) {
    const m = Math.min(opts.batch, total - done);
    for (let k = 0; k < m; k++) {
      const out = t.push(side, inputs[idx]);
      if (out.length === 1 && out[0].side === expect) translated++;
      else unexpected++;
      if (++idx === n) idx = 0;
    }
    done += m;
    r.clock.advance(opts.clockStepMs);
    elapsed = process.hrtime.bigint() - t0;
    if (budget >= 0n && elapsed >= budget) break;
  }
  const cpu = process.cpuUsage(cpu0);
  return { packets: done, translated, unexpected, ns: elapsed, cpuUs: cpu.user + cpu.system };
}

function result(name: string, description: string, unit: PhaseResult['unit'], c: Counts, warmupPackets: number, extra: Partial<PhaseResult> = {}): PhaseResult {
  const seconds = Number(c.ns) / 1e9;
  return {
    name,
    description,
    unit,
    packets: c.packets,
    seconds: round(seconds, 6),
    rate: c.packets && seconds > 0 ? Math.round(c.packets / seconds) : 0,
    nsPerPacket: c.packets ? round(Number(c.ns) / c.packets, 1) : 0,
    cpuSeconds: round(c.cpuUs / 1e6, 6),
    cpuNsPerPacket: c.packets ? round((c.cpuUs * 1000) / c.packets, 1) : 0,
    translated: c.translated,
    unexpected: c.unexpected,
    warmupPackets,
    ...extra,
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function progress(msg: string, quiet: boolean | undefined): void {
  if (!quiet) process.stderr.write(`bench: ${msg}\n`);
}

export interface PhaseOptions {
  quiet?: boolean;
}

/** The state shared by the two established-UDP phases: flows opened 6->4, their mappings, and both directions pre-encoded. */
export interface EstablishedUdp {
  rig: Rig;
  flows: Flow6[];
  out6: Buffer[];
  in4: Buffer[];
}

/** Opens `profile.flows` UDP flows (one packet each, not timed) and pre-encodes traffic and replies for them. */
export function establishUdp(profile: BenchProfile): EstablishedUdp {
  const r = rig(1);
  const payload = payloadOf(profile.payloadBytes);
  const flows: Flow6[] = [];
  for (let i = 0; i < profile.flows; i++) flows.push(flow6(i, 1));
  const out6 = flows.map((f) => udp6(f, payload));
  for (const b of out6) {
    const o = r.translator.push(6, b);
    if (o.length !== 1 || o[0].side !== 4) throw new Error(`bench: opening flow failed: ${r.translator.lastDrop ?? `${o.length} packets out`}`);
  }
  const map = new Map<string, { address: string; port: number }>();
  for (const e of r.translator.bib()) if (e.protocol === 'udp') map.set(`${e.v6.address}|${e.v6.port}`, e.v4);
  const in4 = flows.map((f) => {
    const m = map.get(`${f.client}|${f.sport}`);
    if (!m) throw new Error(`bench: no BIB entry for [${f.client}]:${f.sport}`);
    return udp4Reply(f, m.address, m.port, payload);
  });
  return { rig: r, flows, out6, in4 };
}

function loopOpts(p: BenchProfile, cycle: boolean, seconds = p.seconds) {
  return { batch: p.batch, clockStepMs: p.clockStepMs, seconds, cycle };
}

/** UDP 6->4 on established flows. */
export function udp6to4Established(p: BenchProfile, est: EstablishedUdp, o: PhaseOptions = {}): PhaseResult {
  progress(`udp 6->4 established: warm-up`, o.quiet);
  const w = pushLoop(est.rig, 6, est.out6, p.warmupPackets, loopOpts(p, true, p.warmupSeconds));
  progress(`udp 6->4 established: measuring (${p.flows} flows, ${p.payloadBytes}-byte payload)`, o.quiet);
  const c = pushLoop(est.rig, 6, est.out6, p.packets, loopOpts(p, true));
  return result(
    'udp6to4Established',
    `UDP IPv6->IPv4 on ${est.flows.length} established flows, ${p.payloadBytes}-byte payload`,
    'packets/s',
    c,
    w.packets,
    { flows: est.flows.length },
  );
}

/** UDP 4->6 replies on the same established flows. */
export function udp4to6Established(p: BenchProfile, est: EstablishedUdp, o: PhaseOptions = {}): PhaseResult {
  progress(`udp 4->6 replies: warm-up`, o.quiet);
  const w = pushLoop(est.rig, 4, est.in4, p.warmupPackets, loopOpts(p, true, p.warmupSeconds));
  progress(`udp 4->6 replies: measuring`, o.quiet);
  const c = pushLoop(est.rig, 4, est.in4, p.packets, loopOpts(p, true));
  return result(
    'udp4to6Established',
    `UDP IPv4->IPv6 replies on the same ${est.flows.length} flows, ${p.payloadBytes}-byte payload`,
    'packets/s',
    c,
    w.packets,
    { flows: est.flows.length },
  );
}

/** Packets encoded per chunk of a new-session phase (encoding happens between timed chunks). */
export const NEW_SESSION_CHUNK = 5000;

/**
 * New sessions: each input is the first packet of a distinct flow (a fresh
 * client/source-port pair), so each push creates a BIB entry and a session.
 * Inputs are encoded chunk by chunk with the timer stopped, so the number
 * encoded follows the engine's speed rather than a guess. The warm-up runs
 * on a separate translator with its own flows, so the measured translator
 * starts empty and its final BIB size is the measured count.
 */
function newSessions(
  name: string,
  description: string,
  proto: 'udp' | 'tcp',
  make: (f: Flow6, i: number) => Buffer,
  p: BenchProfile,
  o: PhaseOptions,
): PhaseResult {
  const warmInputs = build(Math.min(p.warmupPackets, p.newSessions), 2, make);
  progress(`${name}: warm-up on a separate translator`, o.quiet);
  const w = pushLoop(rig(2), 6, warmInputs, warmInputs.length, loopOpts(p, false, p.warmupSeconds));
  progress(`${name}: measuring (at most ${p.newSessions} sessions)`, o.quiet);
  const r = rig(3);
  const budgetNs = p.seconds * 1e9; // may be Infinity (count only)
  const total: Counts = { packets: 0, translated: 0, unexpected: 0, ns: 0n, cpuUs: 0 };
  while (total.packets < p.newSessions && Number(total.ns) < budgetNs) {
    const n = Math.min(NEW_SESSION_CHUNK, p.newSessions - total.packets);
    const chunk = build(n, 3, make, total.packets); // not timed
    const left = (budgetNs - Number(total.ns)) / 1e9;
    const c = pushLoop(r, 6, chunk, n, loopOpts(p, false, left));
    total.packets += c.packets;
    total.translated += c.translated;
    total.unexpected += c.unexpected;
    total.ns += c.ns;
    total.cpuUs += c.cpuUs;
  }
  const bibSize = r.translator.bib().filter((e) => e.protocol === proto).length;
  const sessions = r.translator.sessions().filter((s) => s.protocol === proto).length;
  return result(name, description, 'sessions/s', total, w.packets, { bibSize, sessions });
}

export function udpNewSessions(p: BenchProfile, o: PhaseOptions = {}): PhaseResult {
  const payload = payloadOf(p.payloadBytes);
  return newSessions(
    'udpNewSessions',
    `UDP IPv6->IPv4, every packet from a fresh (client, source port): new BIB entry + session, ${p.payloadBytes}-byte payload`,
    'udp',
    (f) => udp6(f, payload),
    p,
    o,
  );
}

export function tcpSynNewSessions(p: BenchProfile, o: PhaseOptions = {}): PhaseResult {
  return newSessions(
    'tcpSynNewSessions',
    'TCP SYN IPv6->IPv4, every SYN from a fresh (client, source port): new BIB entry + V6 INIT session',
    'tcp',
    (f, i) => syn6(f, (i * 2654435761) >>> 0),
    p,
    o,
  );
}

/** Sequence numbers per echo flow in the input set (the set cycles). */
const ECHO_SEQS = 4;

/** ICMPv6 Echo Request -> ICMPv4 on established query flows (distinct identifiers). */
export function icmpEcho6to4(p: BenchProfile, o: PhaseOptions = {}): PhaseResult {
  const r = rig(4);
  const payload = payloadOf(p.payloadBytes);
  const flows: Flow6[] = [];
  for (let i = 0; i < p.flows; i++) flows.push(flow6(i, 4));
  const inputs: Buffer[] = [];
  for (let s = 0; s < ECHO_SEQS; s++) for (const f of flows) inputs.push(echo6(f, s, payload));
  // The first pass over the flows opens them (not timed, not counted), then the warm-up.
  progress(`icmp echo 6->4: opening ${flows.length} identifiers, warm-up`, o.quiet);
  const open = pushLoop(r, 6, inputs, flows.length, loopOpts(p, false, Infinity));
  if (open.translated !== flows.length) throw new Error(`bench: opening echo flows failed: ${r.translator.lastDrop}`);
  const w = pushLoop(r, 6, inputs, p.warmupPackets, { ...loopOpts(p, true, p.warmupSeconds), start: flows.length });
  progress(`icmp echo 6->4: measuring (${flows.length} identifiers)`, o.quiet);
  const c = pushLoop(r, 6, inputs, p.packets, { ...loopOpts(p, true), start: (flows.length + w.packets) % inputs.length });
  return result(
    'icmpEcho6to4',
    `ICMPv6 Echo Request -> ICMPv4 on ${flows.length} established identifiers, ${p.payloadBytes}-byte payload`,
    'packets/s',
    c,
    w.packets,
    { flows: flows.length },
  );
}

export interface BenchReport {
  benchmark: string;
  profile: string;
  date: string;
  node: string;
  v8: string;
  cpu: { model: string; logicalCpus: number };
  platform: string;
  /** 1-minute load average at the start and the end: a loaded machine gives lower, noisier figures. */
  loadavg: { start: number; end: number };
  config: {
    pool6: string;
    pool4: string;
    filtering: string;
    flows: number;
    payloadBytes: number;
    batch: number;
    clockStepMs: number;
    secondsPerPhase: number;
    warmupSecondsPerPhase: number;
  };
  results: {
    udp6to4Established: PhaseResult;
    udp4to6Established: PhaseResult;
    udpNewSessions: PhaseResult;
    icmpEcho6to4: PhaseResult;
    tcpSynNewSessions: PhaseResult;
  };
  totalSeconds: number;
}

/** Runs every phase of a profile and returns the report (the caller prints it). */
export function runAll(p: BenchProfile, o: PhaseOptions = {}): BenchReport {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const os = require('os') as typeof import('os');
  const t0 = process.hrtime.bigint();
  const load0 = os.loadavg()[0];
  const cfg = benchConfig();
  progress(`profile ${p.name}: opening ${p.flows} UDP flows`, o.quiet);
  const est = establishUdp(p);
  const udp6to4 = udp6to4Established(p, est, o);
  const udp4to6 = udp4to6Established(p, est, o);
  const udpNew = udpNewSessions(p, o);
  const icmp = icmpEcho6to4(p, o);
  const tcpSyn = tcpSynNewSessions(p, o);
  const cpus = os.cpus();
  return {
    benchmark: 'nat64lab in-process engine (engine/index.ts createTranslator)',
    profile: p.name,
    date: new Date().toISOString(),
    node: process.version,
    v8: process.versions.v8,
    cpu: { model: cpus[0]?.model ?? 'unknown', logicalCpus: cpus.length },
    platform: `${os.platform()} ${os.arch()} ${os.release()}`,
    loadavg: { start: round(load0, 2), end: round(os.loadavg()[0], 2) },
    config: {
      pool6: cfg.pool6 ?? LAB.pool6,
      pool4: `${BENCH_POOL4} (${cfg.pool4.length} addresses)`,
      filtering: cfg.filtering,
      flows: p.flows,
      payloadBytes: p.payloadBytes,
      batch: p.batch,
      clockStepMs: p.clockStepMs,
      secondsPerPhase: p.seconds,
      warmupSecondsPerPhase: p.warmupSeconds,
    },
    results: {
      udp6to4Established: udp6to4,
      udp4to6Established: udp4to6,
      udpNewSessions: udpNew,
      icmpEcho6to4: icmp,
      tcpSynNewSessions: tcpSyn,
    },
    totalSeconds: round(Number(process.hrtime.bigint() - t0) / 1e9, 3),
  };
}
