/**
 * The TUN forwarding benchmark: the project's engine daemon against TAYGA
 * (+ nftables NAT44, the `tayga` target's stateful setup) on the same
 * kernel-routed TUN topology, in one run.
 *
 *   harness TUN <p>tb6 --kernel route Pref64--> DUT TUN --DUT translates-->
 *   DUT TUN --kernel route default--> harness TUN <p>tb4
 *
 * Throughput: a blaster process pinned to CPU 0 writes small IPv6/UDP
 * packets of one flow set (64 flows) into tb6 for the run's duration; the
 * DUT is pinned to CPU 1. Delivered packets are counted from tb4's
 * tx_packets + tx_dropped (nobody reads it then: its 500-packet queue
 * overflows into tx_dropped, which still means "the DUT delivered it").
 * Latency: one packet in flight, the harness writes and waits for the
 * translated packet carrying the same sequence number (content-matched, so
 * stray packets cannot pose as answers). Each DUT gets an unrecorded
 * warm-up first (a fresh process compiles its hot path, and a busy one
 * still collects the garbage of the throughput phase), and the rounds
 * alternate between DUTs like the throughput ones.
 *
 * The own daemon runs twice: as configured by default (it sleeps in poll(2)
 * as soon as its TUN is empty), and with `busyPollUs` set, which keeps it
 * looking at the TUN for that long after each packet. The second trades CPU
 * time while traffic trickles for the wake-up of an idle CPU per packet;
 * both are reported, so nobody mistakes one for the other.
 *
 * The harness's own send rate (the blaster) and capture rate (a reader on
 * tb4 fed through the kernel alone) are reported next to the DUT figures,
 * so a tester bottleneck shows. A benchmark, not a test: figures vary with
 * the machine and its neighbours; CPU time per packet survives that best.
 * Every DUT is warmed up first with an unrecorded blast, since the own
 * daemon, a JIT-compiled process, reaches its speed only after its first
 * second of traffic, and an operator's daemon runs for weeks.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { cpus, loadavg, setPriority, tmpdir } from 'os';
import path from 'path';
import { LAB } from '../harness/lab/addressing';
import { LabUnavailable, Netns, requireRoot, requireTool, runPrefix } from '../harness/lab/netns';
import { TunLab } from '../harness/lab/tun-lab';
import { setNonBlocking } from '../harness/io/libc';
import { ControlClient } from '../engine/daemon/control-client';
import { encode } from '../harness/packet/codec';
import { embed } from '../harness/packet/rfc6052';
import { INTERNAL_POOL, TAYGA_IPV6, taygaConf } from '../harness/targets/tayga-config';
import { NFT_TABLE, nat44Ruleset } from '../harness/targets/tayga-nat44';

export interface TunBenchOptions {
  /** Blast time per throughput repetition (default 1500 ms; quick 500 ms). */
  durationMs?: number;
  quick?: boolean;
  /** Throughput and latency rounds per DUT, interleaved round-robin (default 5; quick 1). */
  reps?: number;
  /** Round trips of the latency phase per DUT (default 5000; quick 500). */
  probes?: number;
}

export interface DutFigures {
  name: string;
  /** Median over the repetitions, packets/s delivered on the IPv4 side. */
  pps: number;
  ppsRuns: number[];
  /** DUT process CPU (user + system) per delivered packet, median. */
  cpuUsPerPacket: number;
  /** Blaster rate offered to this DUT, median packets/s. */
  offeredPps: number;
  latencyUs: Latency;
  /** DUT start to the first translated probe. */
  readyMs: number;
  /** How the DUT is set up, where it matters to the figures (the daemon's I/O mode and busy polling). */
  setup?: string;
}

interface Latency {
  p50: number;
  p99: number;
  min: number;
  probes: number;
  lost: number;
}

export interface TunBenchResult {
  skipped?: string;
  topology?: string;
  packet?: { ipv6Octets: number; ipv4Octets: number; flows: number };
  pinning?: string;
  harness?: { sendPps: number; capturePps: number; captureOfferedPps: number; captureLoss: number };
  duts?: DutFigures[];
  /** Own engine daemon (default configuration) pps / TAYGA pps (same run, same topology): ratio of the medians. */
  ratioOwnOverTayga?: number;
  /** The same ratio taken in each round (the two measured seconds apart), its median and range: robust to a machine that speeds up or slows down during the run. */
  pairedRatioOwnOverTayga?: { median: number; min: number; max: number };
  cpuRatioOwnOverTayga?: number;
  /** Median latency, own daemon / TAYGA: below 1 is faster. Default configuration, and with busy polling. */
  latencyRatioOwnOverTayga?: number;
  latencyRatioBusyPollOverTayga?: number;
  durationMs?: number;
  /** 1-minute load average when the run started: other work on the machine skews every figure but the ratios. */
  loadAverage?: number;
}

const FLOWS = 64;
const CLIENT = LAB.client6[0];
const SERVER = LAB.server4[0];
const PAYLOAD_OCTETS = 36; // 84-octet IPv6 packets, 64-octet IPv4 ones: minimum-size Ethernet frames once translated
const HOST6 = '2001:db8:6::fffe/64';
const HOST4 = '198.18.254.1/32';
const READY_MS = 5000;
/** Unrecorded round trips before each DUT's latency rounds, at least. */
const WARMUP_MS = 500;
/** The busy-poll window of the second own-daemon run. */
const BUSY_POLL_US = 50;
const DIST = path.join(__dirname, '..');
/** Blaster and DUTs run at a raised priority: on a shared machine other work would otherwise take most of their CPUs. */
const NICE = '-10';

function udp6(sport: number, payload: Buffer): Buffer {
  return encode({ ipv6: { src: CLIENT, dst: embed(LAB.pool6, SERVER), hopLimit: 64 }, udp: { sport, dport: 7 }, payload });
}

function payload(seq: number): Buffer {
  const b = Buffer.alloc(PAYLOAD_OCTETS, 0x61);
  b.write('nlbench', 0, 'latin1');
  b.writeUInt32BE(seq >>> 0, PAYLOAD_OCTETS - 4);
  return b;
}

/** Whether `b` is the IPv4/UDP translation of the packet carrying `seq`. */
function carries(b: Buffer, n: number, seq: number): boolean {
  if (n < 28 || b[0] >> 4 !== 4 || b[9] !== 17) return false;
  return n >= 20 + 8 + PAYLOAD_OCTETS && b.readUInt32BE(n - 4) === seq >>> 0 && b.toString('latin1', n - PAYLOAD_OCTETS, n - PAYLOAD_OCTETS + 7) === 'nlbench';
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] : NaN;
}

/** Pins every thread of this process to `cpus` (taskset syntax); the main thread, which reads and writes the TUNs, at the blaster's priority. */
function pinSelf(cpuList: string, raised = true): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpuList, String(process.pid)], { stdio: 'ignore' });
  setPriority(raised ? Number(NICE) : 0);
}

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // USER_HZ is 100 on Linux
}

interface Dut {
  name: string;
  tun: string;
  child?: ChildProcess;
  /** Extra set-up while this DUT is measured (TAYGA's NAT44) and its removal. */
  enter(): Promise<void>;
  leave(): Promise<void>;
  /** What the report should say of its set-up, read from the running DUT. */
  setup?(): Promise<string>;
}

class Bench {
  private readonly buf = Buffer.alloc(65536);
  constructor(readonly ns: Netns, readonly lab: TunLab, readonly dir: string) {}

  async txCount(): Promise<number> {
    const { stdout } = await this.ns.exec(['ip', '-s', '-j', 'link', 'show', 'dev', this.lab.tun4.name]);
    const tx = (JSON.parse(stdout) as { stats64: { tx: { packets: number; dropped: number } } }[])[0].stats64.tx;
    return tx.packets + tx.dropped;
  }

  /** Polls the tb4 counter until it stops moving (the DUT has emptied its queue), bounded. */
  async settledCount(): Promise<number> {
    let last = await this.txCount();
    let still = 0;
    const deadline = Date.now() + 3000;
    // Three unchanged reads in a row: one can fall between two bursts of a softirq deferred on a busy machine.
    while (Date.now() < deadline && still < 3) {
      const now = await this.txCount();
      still = now === last ? still + 1 : 0;
      last = now;
    }
    return last;
  }

  /** Writes probes until one comes out translated; ms from the call. */
  ready(what: string, child: ChildProcess): number {
    const started = Date.now();
    let seq = 0xf0000000;
    while (Date.now() - started < READY_MS) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited during start-up (status ${child.exitCode ?? child.signalCode})`);
      const s = seq++;
      this.lab.tun6.write(udp6(20000, payload(s)));
      const sent = Date.now();
      while (Date.now() - sent < 5) {
        if (!this.lab.tun4.waitReadable(5)) continue;
        for (let n = this.lab.tun4.read(this.buf); n >= 0; n = this.lab.tun4.read(this.buf)) if (carries(this.buf, n, s)) return Date.now() - started;
      }
    }
    throw new Error(`${what}: no translated probe within ${READY_MS} ms`);
  }

  /** Runs the blaster (pinned to `cpu`) with `packets` for `ms`; its own figures. */
  blast(packets: Buffer[], ms: number, cpu: number): Promise<{ sent: number; seconds: number }> {
    const child = spawn('nice', ['-n', NICE, 'taskset', '-c', String(cpu), process.execPath, path.join(DIST, 'bench', 'tun-blaster.js'), JSON.stringify({ packets: packets.map((p) => p.toString('hex')), ms })], {
      stdio: ['ignore', 'pipe', 'inherit', this.lab.tun6.fd],
    });
    let out = '';
    child.stdout!.on('data', (b: Buffer) => (out += b.toString('utf8')));
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => {
        // The child shares tb6's file description; make sure it stays non-blocking for the lab's reads.
        setNonBlocking(this.lab.tun6.fd);
        if (code !== 0) return reject(new Error(`tun-blaster exited with status ${code}`));
        try {
          resolve(JSON.parse(out.trim()) as { sent: number; seconds: number });
        } catch {
          reject(new Error(`tun-blaster: unreadable result ${JSON.stringify(out)}`));
        }
      });
    });
  }

  /** One packet in flight, `probes` times after `warmupMs` of the same unrecorded: round-trip times in µs, and how many got no answer. */
  latency(probes: number, warmupMs: number): { rtts: number[]; lost: number } {
    const warmUntil = Date.now() + warmupMs;
    // Warm-up probes carry sequence numbers of their own, so a late one never matches a recorded probe.
    for (let i = 0x40000000; Date.now() < warmUntil; i++) this.roundTrip(i);
    const rtts: number[] = [];
    let lost = 0;
    for (let i = 0; i < probes; i++) {
      const rtt = this.roundTrip(i);
      if (rtt === undefined) lost++;
      else rtts.push(rtt);
    }
    return { rtts, lost };
  }

  /** One probe: its round trip in µs, or undefined after 100 ms without the translated packet. */
  private roundTrip(i: number): number | undefined {
    const pkt = udp6(30000 + (i % FLOWS), payload(i));
    this.lab.drain();
    const t0 = process.hrtime.bigint();
    this.lab.tun6.write(pkt);
    const deadline = t0 + 100_000_000n;
    while (process.hrtime.bigint() < deadline) {
      const n = this.lab.tun4.read(this.buf);
      if (n < 0) {
        // Sleep in poll(2): a busy wait would steal the CPU the kernel needs.
        this.lab.tun4.waitReadable(1);
        continue;
      }
      if (carries(this.buf, n, i)) return Number(process.hrtime.bigint() - t0) / 1000;
    }
    return undefined;
  }


  /** How fast this process reads tb4 when the kernel alone feeds it (IPv4 written into tb6, routed to tb4). */
  async capture(ms: number): Promise<{ readPps: number; offeredPps: number }> {
    const pkts = Array.from({ length: FLOWS }, (_, i) => encode({ ipv4: { src: '198.18.0.1', dst: SERVER, ttl: 64 }, udp: { sport: 10000 + i, dport: 7 }, payload: payload(i) }));
    this.lab.drain();
    const before = await this.txCount();
    pinSelf('1');
    const running = this.blast(pkts, ms, 0);
    let read = 0;
    const start = process.hrtime.bigint();
    const end = start + BigInt(Math.round((ms + 300) * 1e6));
    // Synchronous on purpose: the reader is what is measured; the blaster runs in its own process meanwhile.
    while (process.hrtime.bigint() < end) {
      if (this.lab.tun4.read(this.buf) >= 0) read++;
      else this.lab.tun4.waitReadable(1);
    }
    const b = await running;
    pinSelf('0');
    const offered = (await this.settledCount()) - before;
    return { readPps: Math.round(read / b.seconds), offeredPps: Math.round(offered / b.seconds) };
  }
}

/** a / b to three decimals, as every ratio of the report is given. */
function ratio(a: number, b: number): number {
  return Math.round((a / b) * 1000) / 1000;
}

function paired(a: number[], b: number[]): { median: number; min: number; max: number } {
  const r = a.map((x, i) => ratio(x, b[i]));
  return { median: median(r), min: Math.min(...r), max: Math.max(...r) };
}

function summarise(rtts: number[], lost: number): Latency {
  const sorted = [...rtts].sort((a, b) => a - b);
  return { p50: round(percentile(sorted, 0.5)), p99: round(percentile(sorted, 0.99)), min: round(sorted[0]), probes: rtts.length + lost, lost };
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

async function engineDut(b: Bench, p: string, busyPollUs: number): Promise<Dut> {
  const id = busyPollUs ? 'bp' : 'e';
  const tun = `${p}tb${id}`;
  await b.ns.ip(`tuntap add dev ${tun} mode tun`);
  await b.ns.ip(`link set ${tun} up`);
  const conf = path.join(b.dir, `engine-${id}.json`);
  const control = path.join(b.dir, `engine-${id}.sock`);
  writeFileSync(conf, JSON.stringify({ tun, busyPollUs, pool6: LAB.pool6, pool4: LAB.pool4 }));
  const dut: Dut = {
    name: busyPollUs ? `engine daemon (nat64lab), busyPollUs ${busyPollUs}` : 'engine daemon (nat64lab)',
    tun,
    async enter() {
      if (!this.child) {
        this.child = b.ns.spawn(['nice', '-n', NICE, 'taskset', '-c', '1', process.execPath, path.join(DIST, 'bin', 'nat64lab.js'), 'engine', '--config', conf, '--control', control], { stdio: ['ignore', 'ignore', 'inherit'] });
      }
    },
    async leave() {},
    async setup() {
      const client = await ControlClient.connect(control);
      try {
        const stats = await client.request('stats');
        return `io ${stats.io}, busyPollUs ${busyPollUs}`;
      } finally {
        client.close();
      }
    },
  };
  return dut;
}

async function taygaDut(b: Bench, p: string): Promise<Dut> {
  const tun = `${p}tbt`;
  const conf = path.join(b.dir, 'tayga.conf');
  writeFileSync(conf, taygaConf({ tunDevice: tun, pool6: LAB.pool6 }));
  await b.ns.exec(['tayga', '-c', conf, '--mktun']);
  await b.ns.ip(`link set ${tun} up`);
  await b.ns.ip(`-4 route replace ${INTERNAL_POOL} dev ${tun}`);
  await b.ns.ip(`-6 route replace ${TAYGA_IPV6}/128 dev ${tun}`);
  const ruleset = nat44Ruleset(LAB.pool4.map((address) => ({ address })), b.lab.tun4.name);
  const dut: Dut = {
    name: 'TAYGA + NAT44',
    tun,
    async enter() {
      // conntrack runs only while TAYGA is measured: the engine's packets must not pay for TAYGA's NAT44.
      await b.ns.exec(['nft', '-f', '-'], { input: ruleset });
      if (!this.child) this.child = b.ns.spawn(['nice', '-n', NICE, 'taskset', '-c', '1', 'tayga', '-c', conf, '-d'], { stdio: ['ignore', 'ignore', 'ignore'] });
    },
    async leave() {
      await b.ns.exec(['nft', 'delete', 'table', 'ip', NFT_TABLE]);
    },
  };
  return dut;
}

export async function runTunBench(opts: TunBenchOptions = {}): Promise<TunBenchResult> {
  const quick = opts.quick ?? false;
  const ms = opts.durationMs ?? (quick ? 500 : 1500);
  const reps = opts.reps ?? (quick ? 1 : 5);
  const probes = opts.probes ?? (quick ? 500 : 5000);
  const warmupBlastMs = quick ? 300 : 1000;
  try {
    requireRoot('the TUN benchmark');
    for (const t of ['ip', 'nft', 'taskset', 'tayga']) requireTool(t);
  } catch (e) {
    if (e instanceof LabUnavailable) return { skipped: e.message };
    throw e;
  }
  if (cpus().length < 2) return { skipped: 'the TUN benchmark pins the blaster and the DUT to two different CPUs; this machine has one' };
  const load = Math.round(loadavg()[0] * 100) / 100;
  const p = runPrefix();
  const dir = mkdtempSync(path.join(tmpdir(), `${p}-tunbench-`));
  const ns = await Netns.create(`${p}-tb`);
  let lab: TunLab | undefined;
  const allCpus = `0-${cpus().length - 1}`;
  try {
    await ns.sysctl({ 'net.ipv6.conf.all.accept_dad': 0, 'net.ipv6.conf.default.accept_dad': 0 });
    lab = await TunLab.create(ns, { tun6: `${p}tb6`, tun4: `${p}tb4` });
    await lab.route({ v6Address: HOST6, v4Address: HOST4, v4Routes: ['default'] });
    const b = new Bench(ns, lab, dir);
    const duts: Dut[] = [await engineDut(b, p, 0), await taygaDut(b, p), await engineDut(b, p, BUSY_POLL_US)];
    const flows = Array.from({ length: FLOWS }, (_, i) => udp6(10000 + i, payload(0x10000 + i)));
    pinSelf('0');
    const figures = new Map<Dut, { pps: number[]; cpu: number[]; offered: number[]; readyMs: number }>();
    const send: number[] = [];
    for (let r = 0; r < reps; r++) {
      for (const d of duts) {
        await ns.ip(`-6 route replace ${LAB.pool6} dev ${d.tun}`);
        await d.enter();
        const readyMs = b.ready(d.name, d.child!);
        const f = figures.get(d) ?? { pps: [], cpu: [], offered: [], readyMs };
        figures.set(d, f);
        if (r === 0) {
          // Unrecorded: a fresh daemon spends its first second compiling its hot path and growing its heap.
          await b.blast(flows, warmupBlastMs, 0);
          await b.settledCount();
        }
        lab.drain();
        const before = await b.txCount();
        const cpu0 = cpuSeconds(d.child!.pid!);
        const run = await b.blast(flows, ms, 0);
        // Counted when the blaster stops: what the DUT delivered while it was fed. Its backlog then drains before the next phase.
        const delivered = (await b.txCount()) - before;
        const cpu = cpuSeconds(d.child!.pid!) - cpu0;
        await b.settledCount();
        f.pps.push(Math.round(delivered / run.seconds));
        f.cpu.push(delivered ? (cpu * 1e6) / delivered : NaN);
        f.offered.push(Math.round(run.sent / run.seconds));
        send.push(run.sent / run.seconds);
        await d.leave();
      }
    }
    const rounds = new Map<Dut, { rtts: number[]; lost: number }>();
    for (let r = 0; r < reps; r++) {
      for (const d of duts) {
        await ns.ip(`-6 route replace ${LAB.pool6} dev ${d.tun}`);
        await d.enter();
        b.ready(d.name, d.child!);
        const lat = b.latency(Math.ceil(probes / reps), WARMUP_MS);
        await d.leave();
        const all = rounds.get(d) ?? { rtts: [], lost: 0 };
        rounds.set(d, { rtts: all.rtts.concat(lat.rtts), lost: all.lost + lat.lost });
      }
    }
    const out: DutFigures[] = [];
    for (const d of duts) {
      const f = figures.get(d)!;
      const lat = rounds.get(d)!;
      out.push({
        name: d.name,
        pps: median(f.pps),
        ppsRuns: f.pps,
        cpuUsPerPacket: Math.round(median(f.cpu) * 100) / 100,
        offeredPps: median(f.offered),
        latencyUs: summarise(lat.rtts, lat.lost),
        readyMs: f.readyMs,
        ...(d.setup ? { setup: await d.setup() } : {}),
      });
    }
    const cap = await b.capture(ms);
    for (const d of duts) if (d.child && d.child.exitCode === null) d.child.kill('SIGTERM');
    const [own, tayga, busy] = out;
    return {
      topology: 'kernel-routed TUNs: tb6 -> route Pref64 -> DUT TUN -> route default -> tb4 (one namespace, no link to the host)',
      packet: { ipv6Octets: flows[0].length, ipv4Octets: flows[0].length - 20, flows: FLOWS },
      pinning: `blaster and latency harness on CPU 0, DUT on CPU 1 (taskset); blaster and DUT at nice ${NICE}`,
      harness: { sendPps: Math.round(median(send)), capturePps: cap.readPps, captureOfferedPps: cap.offeredPps, captureLoss: cap.offeredPps ? round((1 - cap.readPps / cap.offeredPps) * 1000) / 1000 : 0 },
      duts: out,
      ratioOwnOverTayga: ratio(own.pps, tayga.pps),
      pairedRatioOwnOverTayga: paired(own.ppsRuns, tayga.ppsRuns),
      cpuRatioOwnOverTayga: ratio(own.cpuUsPerPacket, tayga.cpuUsPerPacket),
      latencyRatioOwnOverTayga: ratio(own.latencyUs.p50, tayga.latencyUs.p50),
      latencyRatioBusyPollOverTayga: ratio(busy.latencyUs.p50, tayga.latencyUs.p50),
      durationMs: ms,
      loadAverage: load,
    };
  } finally {
    try {
      pinSelf(allCpus, false);
    } catch {
      /* taskset gone: nothing was pinned */
    }
    await lab?.close();
    await ns.delete();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const quick = process.argv.includes('--quick');
  runTunBench({ quick })
    .then((r) => {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      if (r.skipped) process.stderr.write(`tun bench skipped: ${r.skipped}\n`);
    })
    .catch((e: Error) => {
      process.stderr.write(`tun bench: ${e.message.split('\n')[0]}\n`);
      process.exitCode = 1;
    });
}
