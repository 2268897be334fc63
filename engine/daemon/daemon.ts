/**
 * The engine daemon's control thread: starts the data-path worker on the
 * TUN, serves the control socket and, when configured, the own DNS64 on its
 * `listen` endpoints, and stops cleanly (worker stopped, TUN closed, sockets
 * removed) on `stop`, SIGTERM or SIGINT. The DNS64 runs on this thread: its
 * work is socket I/O and waiting, which the data path must not share.
 */
import * as path from 'path';
import { MessageChannel, Worker } from 'worker_threads';
import type { EngineConfig } from '../api';
import { ConfigError, parseEngineConfig } from '../config';
import { serveDns64 } from '../dns64/sockets';
import type { Listening } from '../dns64/sockets';
import type { DaemonConfig } from './config';
import { serveControl } from './control-server';
import type { ControlServer } from './control-server';
import { Wakeup } from './native';
import type { ControlRequest } from './protocol';
import type { WorkerInit, WorkerMessage } from './worker';

export interface DaemonOptions {
  config: DaemonConfig;
  controlPath: string;
  /** The clock is real time plus an offset that `advance` moves. */
  labClock: boolean;
}

export interface RunningDaemon {
  /** Resolves with the exit status once the daemon has stopped (0: asked to stop). */
  readonly done: Promise<number>;
  stop(): Promise<number>;
  /** Why the data path failed, once it has. */
  failure(): string | undefined;
  /** "127.0.0.1#5305" per DNS64 endpoint; empty without a dns64 section. */
  readonly dns64: string[];
}

/** How long the worker may take to leave its loop before it is terminated. */
const WORKER_STOP_MS = 3000;

/** One line describing the engine configuration, for the start-up message. */
export function describeConfig(tun: string, c: EngineConfig): string {
  const pool4 = c.pool4.map((e) => e.address);
  const shown = pool4.length > 3 ? `${pool4.slice(0, 2).join(', ')}, … ${pool4.length} addresses` : pool4.join(', ');
  return `translating on ${tun} (pool6 ${c.pool6}, pool4 ${shown})`;
}

/** Starts the worker and the control socket; rejects with a one-line Error when either cannot start. */
export async function startDaemon(opts: DaemonOptions): Promise<RunningDaemon> {
  const wake = Wakeup.create();
  const pending = new SharedArrayBuffer(4);
  const flag = new Int32Array(pending);
  const { port1, port2 } = new MessageChannel();
  const init: WorkerInit = { tun: opts.config.tun, config: opts.config.engine, labClock: opts.labClock, io: opts.config.io, busyPollUs: opts.config.busyPollUs, wakeFd: wake.fd, pending, port: port2 };
  const worker = new Worker(path.join(__dirname, 'worker.js'), { workerData: init, transferList: [port2] });

  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let fatal: string | undefined;
  let exited = false;
  let server: ControlServer | undefined;
  let dns64: Listening | undefined;
  let stopping: Promise<number> | undefined;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));

  const failAll = (why: string) => {
    for (const w of waiting.values()) w.reject(new Error(why));
    waiting.clear();
  };

  let readyResolve!: () => void;
  let readyReject!: (e: Error) => void;
  const ready = new Promise<void>((res, rej) => {
    readyResolve = res;
    readyReject = rej;
  });

  worker.on('message', (m: WorkerMessage) => {
    if (m.type === 'ready') readyResolve();
    else if (m.type === 'fatal') {
      fatal = m.message;
      readyReject(new Error(m.message));
      void stop(1);
    } else if (m.type === 'reply') {
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      if (m.error !== undefined) w?.reject(new Error(m.error));
      else w?.resolve(m.result);
    }
  });
  worker.on('error', (err) => {
    fatal = `data path: ${err.message.split('\n')[0]}`;
    readyReject(new Error(fatal));
  });
  worker.on('exit', () => {
    exited = true;
    failAll('the data path has stopped');
    readyReject(new Error(fatal ?? 'the data path stopped before it was ready'));
    if (!stopping) void stop(fatal ? 1 : 0);
  });

  /** Hands a request to the worker and wakes it. */
  const ask = (req: ControlRequest): Promise<unknown> => {
    if (exited) return Promise.reject(new Error('the data path has stopped'));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      port1.postMessage({ ...req, id });
      Atomics.store(flag, 0, 1);
      wake.signal();
    });
  };

  const handler = async (req: ControlRequest): Promise<unknown> => {
    switch (req.cmd) {
      case 'configure': {
        let config: EngineConfig;
        try {
          config = parseEngineConfig(req.config, 'configure.config');
        } catch (err) {
          if (err instanceof ConfigError) throw err;
          throw new Error(`configure.config: ${(err as Error).message.split('\n')[0]}`);
        }
        return ask({ cmd: 'configure', config });
      }
      case 'advance': {
        if (!opts.labClock) throw new Error('advance: the daemon runs on real time; start it with --lab-clock');
        const ms = req.ms;
        if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new Error(`advance.ms: ${JSON.stringify(ms)} is not valid; give milliseconds >= 0`);
        return ask({ cmd: 'advance', ms });
      }
      case 'deterministic': {
        const { inside, address, port } = req;
        if (typeof inside === 'string') return ask({ cmd: 'deterministic', inside });
        if (typeof address === 'string' && typeof port === 'number') return ask({ cmd: 'deterministic', address, port });
        throw new Error('deterministic: give { "inside": "<IPv6 address>" } or { "address": "<IPv4 address>", "port": <n> }');
      }
      case 'stop': {
        setImmediate(() => void stop(0));
        return { stopping: true };
      }
      default:
        return ask({ cmd: req.cmd });
    }
  };

  async function stop(code: number): Promise<number> {
    if (stopping) return stopping;
    stopping = (async () => {
      if (!exited) {
        const gone = new Promise<void>((r) => worker.once('exit', () => r()));
        port1.postMessage({ cmd: 'stop', id: 0 });
        Atomics.store(flag, 0, 1);
        try {
          wake.signal();
        } catch {
          /* the worker is gone already */
        }
        const timer = setTimeout(() => void worker.terminate(), WORKER_STOP_MS);
        await gone;
        clearTimeout(timer);
      }
      port1.close();
      wake.close();
      await dns64?.close();
      await server?.close();
      const status = fatal && code === 0 ? 1 : code;
      resolveDone(status);
      return status;
    })();
    return stopping;
  }

  try {
    await ready;
    const d = opts.config.dns64;
    if (d) {
      try {
        dns64 = await serveDns64(d);
      } catch (err) {
        const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        throw new Error(`dns64: cannot listen on ${d.listen.map((l) => `${l.address}#${l.port}`).join(', ')} (${why}); pick a free port in "dns64.listen"`);
      }
    }
    server = await serveControl(opts.controlPath, handler);
  } catch (err) {
    await stop(1);
    throw new Error((err as Error).message.split('\n')[0]);
  }
  return { done, stop: () => stop(0), failure: () => fatal, dns64: dns64?.addresses ?? [] };
}
