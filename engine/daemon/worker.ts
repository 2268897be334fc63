/**
 * The daemon's data-path thread. It owns the TUN and the translator and runs
 * a synchronous loop: drain the TUN through the translator, answer control
 * requests between batches, and sleep in poll(2) on the TUN and the wake-up
 * eventfd when there is nothing to do (after the busy-poll window, when one
 * is configured). Idle wake-ups run the timers. How packets cross the TUN
 * (io_uring batches or plain calls) is the port's business (tun-ports.ts).
 *
 * Control requests come through a MessagePort read with
 * receiveMessageOnPort, so the loop never has to return to the event loop;
 * a shared flag tells it that one is waiting without a system call.
 */
import { MessagePort, parentPort, receiveMessageOnPort, workerData } from 'worker_threads';
import type { EngineConfig } from '../api';
import { createTranslator, cryptoRandom } from '../index';
import { openTun } from '../../harness/io/tun';
import { pollReadable } from '../../harness/io/libc';
import { latchedClock } from './clock';
import { Dataplane } from './dataplane';
import { Wakeup, threadCpuMs } from './native';
import { IoMode, openPort } from './tun-ports';
import type { ControlRequest, DaemonStats } from './protocol';

export interface WorkerInit {
  tun: string;
  config: EngineConfig;
  labClock: boolean;
  io: IoMode;
  busyPollUs: number;
  wakeFd: number;
  /** Int32 slot 0: requests are waiting on `port`. */
  pending: SharedArrayBuffer;
  port: MessagePort;
}

/** Worker → control thread. */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'fatal'; message: string }
  | { type: 'reply'; id: number; result?: unknown; error?: string }
  | { type: 'stopped' };

/** Packets read between two looks at the control flag, at most: bounds control latency under load. */
const BATCH = 256;
/** Longest sleep in poll(2): timers run at least this often when no packet arrives. */
const IDLE_MS = 100;

function main(init: WorkerInit): void {
  const post = (m: WorkerMessage) => parentPort!.postMessage(m);
  const pending = new Int32Array(init.pending);
  const wake = new Wakeup(init.wakeFd);
  const clock = latchedClock();
  const random = cryptoRandom();
  const fresh = (config: EngineConfig) => createTranslator(config, { clock, random });

  let tun;
  let port;
  try {
    tun = openTun(init.tun);
    port = openPort(tun, init.io);
  } catch (err) {
    tun?.close();
    post({ type: 'fatal', message: `TUN ${init.tun}: ${(err as Error).message.split('\n')[0]}` });
    init.port.close();
    return;
  }
  const dp = new Dataplane(port, fresh(init.config));
  // Everything the loop does starts with a fresh look at the clock; packets of one batch share it.
  const pump = (max: number) => {
    clock.latch();
    return dp.pump(max);
  };
  const drain = () => {
    while (pump(BATCH) === BATCH);
  };
  const startedWall = Date.now();
  const startCpu = threadCpuMs();
  let stopping = false;
  post({ type: 'ready' });

  const stats = (): DaemonStats => {
    const cpu = threadCpuMs();
    const c = dp.counters;
    return {
      in: { ...c.in },
      out: { ...c.out },
      dropped: { ...c.dropped },
      notIp: c.notIp,
      writeErrors: c.writeErrors,
      internalErrors: dp.internalErrors,
      io: port.kind,
      loop: { userMs: cpu.userMs - startCpu.userMs, systemMs: cpu.systemMs - startCpu.systemMs, wallMs: Date.now() - startedWall },
      now: clock.now(),
      offsetMs: clock.offsetMs,
    };
  };

  const handle = (req: ControlRequest): unknown => {
    switch (req.cmd) {
      case 'state':
        return { bib: dp.translator.bib(), sessions: dp.translator.sessions(), now: clock.now() };
      case 'events':
        return { events: dp.translator.events?.() ?? [] };
      case 'configure': {
        // Whatever is queued was sent for the old configuration: translate it before the reset.
        drain();
        dp.replace(fresh(req.config as EngineConfig));
        return { config: dp.translator.config, now: clock.now() };
      }
      case 'advance': {
        if (!init.labClock) throw new Error('advance: the daemon runs on real time; start it with --lab-clock');
        // Packets sent before the clock moves are translated at the old time, as the sender meant.
        drain();
        clock.advance(req.ms ?? 0);
        clock.latch();
        return { now: clock.now(), emitted: dp.expire() };
      }
      case 'stats':
        return stats();
      case 'sync': {
        drain();
        const c = dp.counters;
        return { in: c.in[6] + c.in[4], out: c.out[6] + c.out[4], now: clock.now() };
      }
      case 'deterministic': {
        const det = dp.translator.deterministic;
        if (!det) throw new Error('deterministic: the engine is not in deterministic mode; configure "deterministic"');
        const block = req.inside !== undefined ? det.forward(req.inside) : det.reverse(req.address ?? '', req.port ?? 0);
        return block ? { block } : {};
      }
      case 'stop':
        stopping = true;
        return { stopping: true };
      default:
        throw new Error(`unknown command ${JSON.stringify((req as { cmd: unknown }).cmd)}`);
    }
  };

  const serviceControl = () => {
    Atomics.store(pending, 0, 0);
    clock.latch();
    for (let m = receiveMessageOnPort(init.port); m; m = receiveMessageOnPort(init.port)) {
      const req = m.message as ControlRequest & { id: number };
      try {
        post({ type: 'reply', id: req.id, result: handle(req) });
      } catch (err) {
        post({ type: 'reply', id: req.id, error: (err as Error).message.split('\n')[0] });
      }
    }
  };

  const fds = [tun.fd, wake.fd];
  const busyPollMs = init.busyPollUs / 1000;
  let lastPacketAt = 0;
  try {
    while (!stopping) {
      const n = pump(BATCH);
      if (Atomics.load(pending, 0) !== 0) serviceControl();
      if (n === BATCH || stopping) continue;
      if (busyPollMs > 0) {
        const t = performance.now();
        if (n > 0) lastPacketAt = t;
        if (t - lastPacketAt < busyPollMs) continue;
      }
      const ready = pollReadable(fds, IDLE_MS);
      if (ready.length === 0) {
        clock.latch();
        dp.expire();
      } else if (ready.includes(wake.fd)) wake.drain();
    }
  } catch (err) {
    post({ type: 'fatal', message: `data path on ${init.tun}: ${(err as Error).message.split('\n')[0]}` });
  } finally {
    port.close?.();
    tun.close();
    init.port.close();
  }
  post({ type: 'stopped' });
}

main(workerData as WorkerInit);
