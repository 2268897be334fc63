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
import { build, echo6, Flow6, flow6, FuzzInput, FuzzWorld, mutateBytes, PacketFuzzer, payloadOf, syn6, udp4Reply, udp6 } from './packets';
import { makeRng } from '../test/packet/generate';

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

// ---------------------------------------------------------------------------
// Scale phases (behind flags: `--fuzz N`, `--sessions N`, `--scale`)

const MB = 1024 * 1024;

let gcFn: (() => void) | undefined;

/** A full garbage collection (global.gc when node runs with --expose-gc, else switched on at run time); false if unavailable. */
export function collectGarbage(): boolean {
  if (!gcFn) {
    const g = (globalThis as { gc?: () => void }).gc;
    if (g) gcFn = g;
    else {
      try {
        // eslint-disable-next-line @typescript-eslint/no-var-requires
        (require('v8') as typeof import('v8')).setFlagsFromString('--expose-gc');
        // eslint-disable-next-line @typescript-eslint/no-var-requires
        gcFn = (require('vm') as typeof import('vm')).runInNewContext('gc') as () => void;
      } catch {
        return false;
      }
    }
  }
  for (let i = 0; i < 3; i++) gcFn();
  return true;
}

/** Heap figures after a full GC: V8 heap used, plus ArrayBuffers (Buffers, the pool's port bitmaps) outside it. */
export interface HeapFigures {
  heapUsedMB: number;
  arrayBuffersMB: number;
  /** heapUsed + arrayBuffers. */
  totalMB: number;
  rssMB: number;
}

export function heapNow(): HeapFigures {
  collectGarbage();
  const m = process.memoryUsage();
  return {
    heapUsedMB: round(m.heapUsed / MB, 2),
    arrayBuffersMB: round(m.arrayBuffers / MB, 2),
    totalMB: round((m.heapUsed + m.arrayBuffers) / MB, 2),
    rssMB: round(m.rss / MB, 1),
  };
}

function heapDelta(a: HeapFigures, b: HeapFigures): HeapFigures {
  return {
    heapUsedMB: round(b.heapUsedMB - a.heapUsedMB, 2),
    arrayBuffersMB: round(b.arrayBuffersMB - a.arrayBuffersMB, 2),
    totalMB: round(b.totalMB - a.totalMB, 2),
    rssMB: round(b.rssMB - a.rssMB, 1),
  };
}

/** V8's heap limit in MB (raise it with node --max-old-space-size=8192). */
export function heapLimitMB(): number {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return Math.round((require('v8') as typeof import('v8')).getHeapStatistics().heap_size_limit / MB);
}

export interface FuzzBenchOptions {
  /** Fuzzed packets pushed in the timed loop. */
  packets: number;
  /** Distinct inputs generated before the loop (the loop cycles over them, mutating replays after the first pass). */
  corpus: number;
  /** Share of replays (after the first pass over the corpus) that are mutated again. */
  mutateShare: number;
  batch: number;
  /** Virtual ms per batch: 250 ms per 250 packets runs ~2.8 h of engine time per 10 M packets, past TCP_EST + TCP_TRANS. */
  clockStepMs: number;
  seed: number;
}

export const FUZZ_DEFAULTS: Readonly<FuzzBenchOptions> = {
  packets: 10_000_000,
  corpus: 50_000,
  mutateShare: 0.25,
  batch: 250,
  clockStepMs: 250,
  seed: 6146,
};

export interface FuzzBenchResult {
  name: 'fuzz';
  description: string;
  packets: number;
  seconds: number;
  rate: number;
  nsPerPacket: number;
  cpuSeconds: number;
  cpuNsPerPacket: number;
  /** Virtual engine time the run covered, in seconds. */
  engineSeconds: number;
  corpus: { inputs: number; generateSeconds: number; kinds: Record<string, number> };
  /** Packets the engine emitted (translations, ICMP errors, fragments). */
  emitted: number;
  /** Exceptions that escaped push, and exceptions caught inside (onInternalError): both are bugs. */
  exceptions: number;
  internalErrors: number;
  firstError?: string;
  heap: {
    /** After the corpus is built and the translator created, before the loop. */
    before: HeapFigures;
    /** After the loop, state still live. */
    after: HeapFigures;
    growth: HeapFigures;
    /** After the clock passed every timeout and expiry ran: what the engine still holds. */
    afterExpiry: HeapFigures;
    residual: HeapFigures;
  };
  state: { bib: number; sessions: number; bibAfterExpiry: number; sessionsAfterExpiry: number };
}

/** The world the fuzz bench aims at: the bench config's Pref64 and pool4, the lab hosts. */
function fuzzWorld(cfg: EngineConfig): FuzzWorld {
  return {
    pool6: cfg.pool6,
    pool4: cfg.pool4.map((e) => e.address),
    clients6: [...LAB.client6, '2001:db8:6::99'],
    servers4: [...LAB.server4, ...LAB.server4Global],
    routers4: [LAB.router4],
    routers6: [LAB.router6],
    ports: [0, 7, 53, 80, 443, 1023, 1024, 1025, 5000, 5001, 5353, 8080, 40000, 40001, 65535],
  };
}

/**
 * `--fuzz N`: N fuzzed packets (PacketFuzzer: valid, answers, ICMP errors,
 * fragments, option soup, broken, mutated, random; both sides) through one
 * translator, reporting throughput, exceptions and the heap before, after
 * and once everything has expired. The corpus is generated first against a
 * priming translator with the same seed and clock, so its answers and quotes
 * meet real mappings on the first pass; later passes mutate a share again.
 */
export function fuzzBench(opts: Partial<FuzzBenchOptions> = {}, o: PhaseOptions = {}): FuzzBenchResult {
  const p = { ...FUZZ_DEFAULTS, ...opts };
  const cfg = benchConfig();
  const world = fuzzWorld(cfg);
  const mk = () => {
    const clock = virtualClock(1_000_000);
    let internal = 0;
    let firstError: string | undefined;
    const translator = createTranslator(cfg, {
      clock,
      random: seededRandom(p.seed),
      onInternalError: (err) => {
        internal++;
        firstError ??= (err as Error)?.stack ?? String(err);
      },
    });
    return { translator, clock, errors: () => ({ internal, firstError }) };
  };

  progress(`fuzz: generating a corpus of ${p.corpus} inputs (seed ${p.seed})`, o.quiet);
  const g0 = process.hrtime.bigint();
  const corpus = ((): FuzzInput[] => {
    // The priming translator goes out of scope here, so the heap figures below are the measured one's.
    const fz = new PacketFuzzer(makeRng(p.seed), world);
    const prime = mk();
    const inputs: FuzzInput[] = [];
    for (let i = 0; i < p.corpus; i++) {
      const inp = fz.next();
      inputs.push(inp);
      try {
        fz.learn(prime.translator.push(inp.side, inp.bytes));
      } catch {
        // counted in the measured run
      }
      if ((i + 1) % p.batch === 0) prime.clock.advance(p.clockStepMs);
    }
    return inputs;
  })();
  const generateSeconds = Number(process.hrtime.bigint() - g0) / 1e9;

  const run = mk();
  const t = run.translator;
  const before = heapNow();
  progress(`fuzz: pushing ${p.packets} packets (heap ${before.totalMB} MB, limit ${heapLimitMB()} MB)`, o.quiet);
  const mut = makeRng(p.seed ^ 0x9e3779b9);
  let emitted = 0;
  let exceptions = 0;
  let firstThrow: string | undefined;
  let done = 0;
  let idx = 0;
  let nextReport = 1_000_000;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let firstPass = true;
  while (done < p.packets) {
    const m = Math.min(p.batch, p.packets - done);
    for (let k = 0; k < m; k++) {
      const inp = corpus[idx];
      let bytes = inp.bytes;
      if (!firstPass && mut.float() < p.mutateShare) bytes = mutateBytes(mut, bytes).bytes;
      try {
        emitted += t.push(inp.side, bytes).length;
      } catch (err) {
        exceptions++;
        firstThrow ??= (err as Error)?.stack ?? String(err);
      }
      if (++idx === corpus.length) {
        idx = 0;
        firstPass = false;
      }
    }
    done += m;
    run.clock.advance(p.clockStepMs);
    if (done >= nextReport) {
      nextReport += 1_000_000;
      progress(`fuzz: ${done} packets, ${Math.round(done / (Number(process.hrtime.bigint() - t0) / 1e9))}/s`, o.quiet);
    }
  }
  const ns = process.hrtime.bigint() - t0;
  const cpu = process.cpuUsage(cpu0);
  const after = heapNow();
  const bib = t.bib().length;
  const sessions = t.sessions().length;
  run.clock.advance(10 * 86_400_000);
  try {
    t.expire();
    t.expire();
  } catch (err) {
    exceptions++;
    firstThrow ??= (err as Error)?.stack ?? String(err);
  }
  const afterExpiry = heapNow();
  const errs = run.errors();
  const seconds = Number(ns) / 1e9;
  return {
    name: 'fuzz',
    description: `${p.packets} fuzzed packets from both sides (corpus of ${p.corpus} cycled, ${Math.round(p.mutateShare * 100)}% of replays mutated again), ${p.clockStepMs} virtual ms per ${p.batch} packets`,
    packets: done,
    seconds: round(seconds, 3),
    rate: Math.round(done / seconds),
    nsPerPacket: round(Number(ns) / done, 1),
    cpuSeconds: round((cpu.user + cpu.system) / 1e6, 3),
    cpuNsPerPacket: round(((cpu.user + cpu.system) * 1000) / done, 1),
    engineSeconds: round((Math.ceil(done / p.batch) * p.clockStepMs) / 1000, 1),
    corpus: { inputs: corpus.length, generateSeconds: round(generateSeconds, 2), kinds: kindCounts(corpus) },
    emitted,
    exceptions,
    internalErrors: errs.internal,
    ...(firstThrow || errs.firstError ? { firstError: (firstThrow ?? errs.firstError)!.split('\n').slice(0, 4).join(' | ') } : {}),
    heap: { before, after, growth: heapDelta(before, after), afterExpiry, residual: heapDelta(before, afterExpiry) },
    state: { bib, sessions, bibAfterExpiry: t.bib().length, sessionsAfterExpiry: t.sessions().length },
  };
}

function kindCounts(corpus: FuzzInput[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of corpus) {
    const k = c.kind.replace(/:.*/, '');
    out[k] = (out[k] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1]));
}

export interface SessionsBenchOptions {
  sessions: number;
  /** Lookups per direction on the established flows (default: one per session). */
  lookups?: number;
  /** pool4 of the run: several /24s by default (1024 addresses), full port ranges. */
  pool4: string[];
  payloadBytes: number;
  batch: number;
  clockStepMs: number;
}

export const SESSIONS_DEFAULTS: Readonly<SessionsBenchOptions> = {
  sessions: 1_000_000,
  pool4: ['198.18.0.0/24', '198.18.1.0/24', '198.18.2.0/24', '198.18.3.0/24'],
  payloadBytes: 64,
  batch: 250,
  clockStepMs: 1,
};

/** The timing figures of a phase, for the lookups measured inside the sessions phase. */
export type LookupFigures = Pick<PhaseResult, 'packets' | 'seconds' | 'rate' | 'nsPerPacket' | 'cpuSeconds' | 'cpuNsPerPacket' | 'unexpected'>;

export interface SessionsBenchResult {
  name: 'sessions';
  description: string;
  config: { pool4: string; addresses: number; limits: { maxBib: number; maxSessions: number } };
  sessions: number;
  /** BIB entries and sessions the translator reports after creation (each should equal `sessions`). */
  bib: number;
  sessionsInTables: number;
  creation: { seconds: number; rate: number; nsPerSession: number; cpuSeconds: number; cpuNsPerSession: number; unexpected: number };
  lookup6to4: LookupFigures;
  lookup4to6: LookupFigures;
  heap: { before: HeapFigures; afterCreation: HeapFigures; growth: HeapFigures; afterLookups: HeapFigures };
  /** Heap growth per session in bytes: V8 heap alone, and with ArrayBuffers (the pool's port bitmaps). */
  bytesPerSession: { heapUsed: number; total: number };
  heapLimitMB: number;
}

/** Steps of a stride walk over n items that visits each once (a step coprime with n, far from 1). */
function strideFor(n: number): number {
  const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);
  let s = Math.floor(n * 0.6180339887) | 1;
  while (gcd(s, n) !== 1) s += 2;
  return Math.max(1, s % n || 1);
}

/**
 * `--sessions N`: N concurrent UDP sessions (each a fresh client address /
 * source port: one BIB entry and one session each), then lookups on them in
 * both directions, visiting the flows in a scattered order. Reports creation
 * and lookup rates and the heap per session. Inputs are encoded in chunks
 * with the timer stopped and dropped after use, so the heap delta is the
 * engine's.
 */
export function sessionsBench(opts: Partial<SessionsBenchOptions> = {}, o: PhaseOptions = {}): SessionsBenchResult {
  const p = { ...SESSIONS_DEFAULTS, ...opts };
  const n = p.sessions;
  const lookups = p.lookups ?? n;
  const maxBib = Math.max(n, 1 << 20);
  const maxSessions = Math.max(2 * n, 1 << 21);
  const cfg = parseEngineConfig({ pool6: LAB.pool6, pool4: p.pool4, limits: { maxBib, maxSessions } }, 'bench --sessions');
  const limit = heapLimitMB();
  if (n >= 500_000 && limit < 6000) {
    progress(`sessions: warning: V8 heap limit is ${limit} MB; ${n} sessions may need node --max-old-space-size=8192`, o.quiet);
  }
  const clock = virtualClock(1_000_000);
  const t = createTranslator(cfg, { clock, random: seededRandom(5) });
  const payload = payloadOf(p.payloadBytes);
  // (T,t) of each flow, read from the translated packet (IPv4 source address and UDP source port).
  const tAddr = new Uint32Array(n);
  const tPort = new Uint16Array(n);
  const before = heapNow();
  progress(`sessions: creating ${n} UDP sessions over ${cfg.pool4.length} pool4 addresses (heap ${before.totalMB} MB, limit ${limit} MB)`, o.quiet);

  const chunk = NEW_SESSION_CHUNK * 4;
  const timed = (inputs: Buffer[], side: Side, onOut: (k: number, out: Buffer) => void): { ns: bigint; cpuUs: number; unexpected: number } => {
    const expect: Side = side === 6 ? 4 : 6;
    let unexpected = 0;
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < inputs.length; k++) {
      const out = t.push(side, inputs[k]);
      if (out.length === 1 && out[0].side === expect) onOut(k, out[0].bytes);
      else unexpected++;
      if ((k + 1) % p.batch === 0) clock.advance(p.clockStepMs);
    }
    const ns = process.hrtime.bigint() - t0;
    const cpu = process.cpuUsage(cpu0);
    return { ns, cpuUs: cpu.user + cpu.system, unexpected };
  };
  const sum = { ns: 0n, cpuUs: 0, unexpected: 0 };
  const add = (c: { ns: bigint; cpuUs: number; unexpected: number }) => {
    sum.ns += c.ns;
    sum.cpuUs += c.cpuUs;
    sum.unexpected += c.unexpected;
  };

  for (let done = 0; done < n; ) {
    const m = Math.min(chunk, n - done);
    const base = done;
    const inputs = build(m, 5, (f) => udp6(f, payload), base); // not timed
    add(
      timed(inputs, 6, (k, out) => {
        tAddr[base + k] = out.readUInt32BE(12);
        tPort[base + k] = out.readUInt16BE(20);
      }),
    );
    done += m;
    if (done % 200_000 < chunk) progress(`sessions: ${done} created`, o.quiet);
  }
  const creation = sum.ns;
  const creationCpu = sum.cpuUs;
  const creationUnexpected = sum.unexpected;
  const afterCreation = heapNow();
  const bib = t.bib().length;
  const sessionsInTables = t.sessions().length;
  collectGarbage();

  const stride = strideFor(n);
  const order = (j: number) => (j * stride) % n;
  const lookup = (side: Side): LookupFigures => {
    const s = { ns: 0n, cpuUs: 0, unexpected: 0 };
    for (let done = 0; done < lookups; ) {
      const m = Math.min(chunk, lookups - done);
      const inputs = new Array<Buffer>(m);
      for (let k = 0; k < m; k++) {
        const i = order(done + k);
        const f = flow6(i, 5);
        if (side === 6) inputs[k] = udp6(f, payload);
        else {
          const a = tAddr[i];
          inputs[k] = udp4Reply(f, `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`, tPort[i], payload);
        }
      }
      const c = timed(inputs, side, () => undefined);
      s.ns += c.ns;
      s.cpuUs += c.cpuUs;
      s.unexpected += c.unexpected;
      done += m;
    }
    const seconds = Number(s.ns) / 1e9;
    return {
      packets: lookups,
      seconds: round(seconds, 3),
      rate: Math.round(lookups / seconds),
      nsPerPacket: round(Number(s.ns) / lookups, 1),
      cpuSeconds: round(s.cpuUs / 1e6, 3),
      cpuNsPerPacket: round((s.cpuUs * 1000) / lookups, 1),
      unexpected: s.unexpected,
    };
  };
  progress(`sessions: ${lookups} lookups 6->4 on established flows`, o.quiet);
  const lookup6to4 = lookup(6);
  progress(`sessions: ${lookups} lookups 4->6 (replies) on established flows`, o.quiet);
  const lookup4to6 = lookup(4);
  const afterLookups = heapNow();
  const growth = heapDelta(before, afterCreation);
  const cs = Number(creation) / 1e9;
  return {
    name: 'sessions',
    description: `${n} concurrent UDP sessions (one BIB entry each, fresh client/port), then lookups on them in scattered order, ${p.payloadBytes}-byte payload`,
    config: { pool4: p.pool4.join(', '), addresses: cfg.pool4.length, limits: { maxBib, maxSessions } },
    sessions: n,
    bib,
    sessionsInTables,
    creation: {
      seconds: round(cs, 3),
      rate: Math.round(n / cs),
      nsPerSession: round(Number(creation) / n, 1),
      cpuSeconds: round(creationCpu / 1e6, 3),
      cpuNsPerSession: round((creationCpu * 1000) / n, 1),
      unexpected: creationUnexpected,
    },
    lookup6to4,
    lookup4to6,
    heap: { before, afterCreation, growth, afterLookups },
    bytesPerSession: { heapUsed: Math.round((growth.heapUsedMB * MB) / n), total: Math.round((growth.totalMB * MB) / n) },
    heapLimitMB: limit,
  };
}

export interface ScaleReport {
  benchmark: string;
  profile: 'scale';
  date: string;
  node: string;
  v8: string;
  cpu: { model: string; logicalCpus: number };
  platform: string;
  loadavg: { start: number; end: number };
  /** How to give the run room: the scale phases want more than V8's default heap. */
  note: string;
  heapLimitMB: number;
  results: { fuzz?: FuzzBenchResult; sessions?: SessionsBenchResult };
  totalSeconds: number;
}

/** Runs the scale phases asked for and returns the report (the caller prints it). */
export function runScale(what: { fuzz?: Partial<FuzzBenchOptions>; sessions?: Partial<SessionsBenchOptions> }, o: PhaseOptions = {}): ScaleReport {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const os = require('os') as typeof import('os');
  const t0 = process.hrtime.bigint();
  const load0 = os.loadavg()[0];
  const results: ScaleReport['results'] = {};
  if (what.sessions) results.sessions = sessionsBench(what.sessions, o);
  if (what.fuzz) results.fuzz = fuzzBench(what.fuzz, o);
  const cpus = os.cpus();
  return {
    benchmark: 'nat64lab in-process engine (engine/index.ts createTranslator), scale phases',
    profile: 'scale',
    date: new Date().toISOString(),
    node: process.version,
    v8: process.versions.v8,
    cpu: { model: cpus[0]?.model ?? 'unknown', logicalCpus: cpus.length },
    platform: `${os.platform()} ${os.arch()} ${os.release()}`,
    loadavg: { start: round(load0, 2), end: round(os.loadavg()[0], 2) },
    note: 'run as: node --max-old-space-size=8192 dist/bench/run.js --scale (1 M sessions need ~2-3 GB of heap; heap figures are after a full GC)',
    heapLimitMB: heapLimitMB(),
    results,
    totalSeconds: round(Number(process.hrtime.bigint() - t0) / 1e9, 3),
  };
}
