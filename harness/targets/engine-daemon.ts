/**
 * The `engine-daemon` target: the own NAT64 as a real process translating on
 * a TUN (`nat64lab engine --lab-clock`) in a network namespace of its own,
 * wired to the harness's TUNs by tc (one hop, no kernel forwarding). Cases
 * get exactly the configurations, refusals and capabilities of the
 * in-process target (harness/targets/engine-config.ts); each case
 * reconfigures the daemon over its control socket, which also resets its
 * state.
 *
 * Collecting needs no quiet period: the daemon's `sync` answers once every
 * packet injected before it has been translated and written, with the count
 * of packets it has written so far, and the harness reads until it has seen
 * that many. A case therefore sees exactly what an in-process translator
 * would have returned, and "nothing came out" is a fact, not a timeout.
 */
import type { ChildProcess } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import type { EngineConfig } from '../../engine/api';
import { ControlClient, ControlError } from '../../engine/daemon/control-client';
import { LAB } from '../lab/addressing';
import { LabUnavailable, Netns, onTeardown, requireRoot, requireTool, runPrefix } from '../lab/netns';
import { ConfigRefused } from '../lab/target';
import type { Captured, Capabilities, EffectiveConfig, LabSession, Target, TargetDescription, TargetNeeds } from '../lab/target';
import { TunLab } from '../lab/tun-lab';
import { decode, encode } from '../packet/codec';
import { embed } from '../packet/rfc6052';
import { checkedEngineConfig, effectiveEngineConfig, engineCapabilities, engineConfigFor, engineConfigInput } from './engine-config';
import type { EngineConfigSource } from './engine-config';

const VERSION: string = require('../../../package.json').version;
const CLI = path.resolve(__dirname, '..', '..', 'bin', 'nat64lab.js');

/** Start-up of the daemon (process start, TUN open, control socket) may take this long. */
const START_MS = 15_000;
/** The readiness probe is retried until this deadline. */
const PROBE_MS = 10_000;
/** Longest wait for packets the daemon says it has written (they are normally queued already). */
const COLLECT_MS = 1000;

export interface EngineDaemonTargetOptions extends EngineConfigSource {}

interface Lab {
  ns: Netns;
  tuns: TunLab;
  daemon: ChildProcess;
  ctl: ControlClient;
  dir: string;
  dutTun: string;
  /** Packets read from the lab TUNs (kernel noise excluded) plus those given up for lost. */
  received: number;
  /** The daemon's lab-clock offset, mirrored (only this target moves it). */
  offsetMs: number;
  /** Why the daemon is gone, once it is. */
  exited?: string;
}

/** Microseconds of real time, with sub-millisecond resolution. */
function realNowUs(): number {
  return (performance.timeOrigin + performance.now()) * 1000;
}

export class EngineDaemonTarget implements Target {
  readonly name = 'engine-daemon';
  readonly capabilities: Capabilities = engineCapabilities();
  private lab: Promise<Lab> | undefined;
  private unregister: (() => void) | undefined;
  private down = false;

  constructor(private readonly opts: EngineDaemonTargetOptions = {}) {}

  async describe(): Promise<TargetDescription> {
    return {
      name: this.opts.faults?.length ? `engine-daemon (faults: ${this.opts.faults.join(', ')})` : 'engine-daemon',
      version: `nat64lab ${VERSION} (daemon, TUN)`,
      config: { ...engineConfigFor({}, this.opts) },
    };
  }

  async start(): Promise<void> {
    await this.ensureLab();
  }

  async validate(needs: TargetNeeds): Promise<EffectiveConfig> {
    return effectiveEngineConfig(checkedEngineConfig(needs, this.opts));
  }

  async open(needs: TargetNeeds): Promise<LabSession> {
    // Refused here exactly as in-process; the daemon validates again with the same code.
    checkedEngineConfig(needs, this.opts);
    const lab = await this.ensureLab();
    let applied: EngineConfig;
    try {
      applied = (await lab.ctl.request('configure', { config: engineConfigInput(needs, this.opts) })).config;
    } catch (err) {
      if (err instanceof ControlError) throw new ConfigRefused(err.message);
      throw this.failure(lab, err);
    }
    // Whatever the previous case left queued is not this case's evidence.
    await this.collect(lab, COLLECT_MS);
    return this.session(lab, effectiveEngineConfig(applied));
  }

  async shutdown(): Promise<void> {
    this.down = true;
    const pending = this.lab;
    this.lab = undefined;
    if (!pending) return;
    const lab = await pending.catch(() => undefined);
    this.unregister?.();
    this.unregister = undefined;
    if (!lab) return;
    await stopDaemon(lab);
    await lab.tuns.close();
    await lab.ns.delete();
    rmSync(lab.dir, { recursive: true, force: true });
  }

  private ensureLab(): Promise<Lab> {
    if (this.down) return Promise.reject(new Error('engine-daemon: the target has been shut down'));
    // A failed start is remembered: every case gets the same one-line reason without a new attempt.
    this.lab ??= this.startLab();
    return this.lab;
  }

  private async startLab(): Promise<Lab> {
    try {
      requireRoot("the target 'engine-daemon'");
      requireTool('ip');
      requireTool('tc');
    } catch (err) {
      throw err instanceof LabUnavailable ? new LabUnavailable(`engine-daemon: ${err.message}`) : err;
    }
    const p = runPrefix();
    const ns = await Netns.create(`${p}-ed`);
    const dir = mkdtempSync(path.join(tmpdir(), 'nat64lab-ed-'));
    // On a signal the daemon is stopped as shutdown() does; on the exit path only the synchronous part
    // runs (the folder goes), and the namespace's own teardown kills the daemon.
    this.unregister = onTeardown(() => {
      rmSync(dir, { recursive: true, force: true });
      return this.shutdown();
    });
    let tuns: TunLab | undefined;
    let daemon: ChildProcess | undefined;
    try {
      tuns = await TunLab.create(ns, { tun6: `${p}ed6`, tun4: `${p}ed4` });
      const dutTun = `${p}edx`;
      const configFile = path.join(dir, 'engine.json');
      const control = path.join(dir, 'control.sock');
      writeFileSync(configFile, JSON.stringify({ tun: dutTun, ...engineConfigInput({}, this.opts) }, null, 2) + '\n');
      daemon = ns.spawn([process.execPath, CLI, 'engine', '--config', configFile, '--control', control, '--lab-clock'], { stdio: ['ignore', 'pipe', 'pipe'] });
      const lab: Lab = { ns, tuns, daemon, ctl: undefined as unknown as ControlClient, dir, dutTun, received: 0, offsetMs: 0 };
      await daemonUp(daemon, lab);
      lab.ctl = await ControlClient.connect(control);
      // Kernel chatter on the daemon's TUN would reach the translator; it has no business there.
      await ns.ip(`link set ${dutTun} addrgenmode none`);
      await ns.sysctl({ [`net.ipv6.conf.${dutTun}.disable_ipv6`]: 1 });
      await ns.ip(`link set ${dutTun} up`);
      await tuns.redirectTo(dutTun);
      lab.offsetMs = (await lab.ctl.request('stats')).offsetMs;
      await this.probe(lab);
      return lab;
    } catch (err) {
      if (daemon) await stopDaemon({ daemon } as Lab);
      await tuns?.close();
      await ns.delete().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
      this.unregister?.();
      this.unregister = undefined;
      const line = `engine-daemon: ${(err as Error).message.split('\n')[0]}`;
      // Kept as LabUnavailable (not root, a tool missing), so a caller can tell the machine from a fault.
      throw err instanceof LabUnavailable ? new LabUnavailable(line) : new Error(line);
    }
  }

  /** Readiness: a UDP packet injected on the IPv6 side comes out translated on the IPv4 side. */
  private async probe(lab: Lab): Promise<void> {
    const pool6 = engineConfigFor({}, this.opts).pool6;
    const server = LAB.server4[0];
    const probe = encode({
      ipv6: { src: LAB.client6[0], dst: embed(pool6, server), hopLimit: 64 },
      udp: { sport: 40999, dport: 7 },
      payload: Buffer.from('nat64lab engine-daemon readiness probe'),
    });
    const deadline = Date.now() + PROBE_MS;
    let last = 'nothing came out on the IPv4 side';
    while (Date.now() < deadline) {
      await lab.ctl.request('configure', { config: engineConfigInput({}, this.opts) });
      await this.collect(lab, 50);
      lab.tuns.tun6.write(probe);
      const out = await this.collect(lab, 200);
      const translated = out.find((c) => {
        const p = c.side === 4 ? decode(c.bytes) : undefined;
        return p?.ipv4?.dst === server && p.udp?.dport === 7;
      });
      if (translated) return;
      if (out.length) last = `${out.length} packet(s) came out, none the translated probe`;
      if (lab.exited) throw new Error(lab.exited);
    }
    throw new Error(`readiness probe: ${last} within ${PROBE_MS / 1000} s`);
  }

  /**
   * Everything the daemon has written up to now: `sync` gives its count, and
   * the harness reads its TUNs until it has that many (or `maxMs` passes:
   * those packets are counted lost so the next collection starts even).
   */
  private async collect(lab: Lab, maxMs: number): Promise<Captured[]> {
    let sync;
    try {
      sync = await lab.ctl.request('sync');
    } catch (err) {
      throw this.failure(lab, err);
    }
    const target = sync.out;
    const nowUs = () => realNowUs() + lab.offsetMs * 1000;
    const got: Captured[] = [];
    const take = () => {
      const more = lab.tuns.readQueued(512, nowUs);
      lab.received += more.length;
      got.push(...more);
    };
    take();
    if (lab.received >= target) return got;
    await new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        unsubscribe();
        resolve();
      };
      const timer = setTimeout(() => {
        take();
        lab.received = Math.max(lab.received, target);
        finish();
      }, maxMs);
      const unsubscribe = lab.tuns.onReadable(() => {
        take();
        if (lab.received >= target) finish();
      });
    });
    return got;
  }

  private session(lab: Lab, config: EffectiveConfig): LabSession {
    const base = lab.tuns.session(config);
    const ctl = lab.ctl;
    const fail = (err: unknown) => this.failure(lab, err);
    const collect = (maxMs?: number) => this.collect(lab, maxMs ?? COLLECT_MS);
    return {
      config,
      send: (side, bytes) => base.send(side, bytes),
      collect: (opts) => collect(opts?.maxMs),
      nowUs: () => realNowUs() + lab.offsetMs * 1000,
      async advance(ms: number) {
        try {
          await ctl.request('advance', { ms });
        } catch (err) {
          throw fail(err);
        }
        lab.offsetMs += ms;
        return collect();
      },
      async state() {
        const s = await ctl.request('state').catch((err) => Promise.reject(fail(err)));
        return { bib: s.bib, sessions: s.sessions };
      },
      async events() {
        return (await ctl.request('events').catch((err) => Promise.reject(fail(err)))).events;
      },
      ...(config.deterministic
        ? {
            async deterministicMap(q: { inside: string } | { address: string; port: number }) {
              return (await ctl.request('deterministic', q).catch((err) => Promise.reject(fail(err)))).block;
            },
          }
        : {}),
      close: () => base.close(),
    };
  }

  /** A control failure, explained by the daemon's exit when it has died. */
  private failure(lab: Lab, err: unknown): Error {
    const why = lab.exited ? `the engine daemon has stopped: ${lab.exited}` : (err as Error).message.split('\n')[0];
    return new Error(why);
  }
}

/** Resolves once the daemon prints its start-up line; rejects with its error line when it exits first. */
function daemonUp(daemon: ChildProcess, lab: Lab): Promise<void> {
  let stderr = '';
  daemon.stderr!.setEncoding('utf8');
  daemon.stderr!.on('data', (s: string) => {
    stderr = (stderr + s).slice(-4096);
  });
  daemon.once('exit', (code, signal) => {
    const line = stderr.trim().split('\n').pop();
    lab.exited = line || `exit ${code ?? signal}`;
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the daemon did not report ready within ${START_MS / 1000} s`)), START_MS);
    daemon.stdout!.setEncoding('utf8');
    daemon.stdout!.on('data', (s: string) => {
      out += s;
      if (/translating on /.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    daemon.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(lab.exited));
    });
  });
}

/** SIGTERM, then wait for the exit (SIGKILL when it does not come). */
async function stopDaemon(lab: Pick<Lab, 'daemon' | 'ctl'>): Promise<void> {
  lab.ctl?.close();
  const d = lab.daemon;
  if (d.exitCode !== null || d.signalCode !== null) return;
  const gone = new Promise<void>((r) => d.once('exit', () => r()));
  d.kill('SIGTERM');
  const timer = setTimeout(() => d.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(timer);
}
