/**
 * A client for the engine daemon's control socket (engine/daemon/protocol.ts):
 * one connection, requests answered in order, each answer matched to its
 * request by id. An `error` answer rejects with a ControlError carrying the
 * daemon's one-line reason.
 */
import * as net from 'net';
import type { ControlCommand, ControlReply, ResultOf } from './protocol';

/** The daemon answered with an error; `message` is its one line. */
export class ControlError extends Error {}

export class ControlClient {
  private buffered = '';
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private closedReason: string | undefined;

  private constructor(private readonly sock: net.Socket, readonly path: string) {
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => this.onData(chunk));
    sock.on('error', (err) => this.fail(`control socket ${path}: ${err.message}`));
    sock.on('close', () => this.fail(`control socket ${path}: the daemon closed the connection`));
  }

  /** Connects to the daemon's socket; rejects with a one-line Error when nothing listens there. */
  static connect(socketPath: string): Promise<ControlClient> {
    return new Promise((resolve, reject) => {
      const sock = net.connect(socketPath);
      sock.once('connect', () => {
        sock.removeAllListeners('error');
        resolve(new ControlClient(sock, socketPath));
      });
      sock.once('error', (err: NodeJS.ErrnoException) => reject(new Error(`control socket ${socketPath}: ${err.code ?? err.message}; is the daemon running?`)));
    });
  }

  request<C extends ControlCommand>(cmd: C, args: { config?: unknown; ms?: number; inside?: string; address?: string; port?: number } = {}): Promise<ResultOf[C]> {
    if (this.closedReason) return Promise.reject(new Error(this.closedReason));
    const id = this.nextId++;
    return new Promise<ResultOf[C]>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.sock.write(JSON.stringify({ cmd, id, ...args }) + '\n');
    });
  }

  close(): void {
    this.closedReason ??= `control socket ${this.path}: closed`;
    this.sock.destroy();
  }

  private onData(chunk: string): void {
    this.buffered += chunk;
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      let reply: ControlReply;
      try {
        reply = JSON.parse(line) as ControlReply;
      } catch {
        this.fail(`control socket ${this.path}: the daemon sent a line that is not JSON`);
        return;
      }
      const w = typeof reply.id === 'number' ? this.waiting.get(reply.id) : undefined;
      if (!w) continue;
      this.waiting.delete(reply.id as number);
      if (reply.error !== undefined) w.reject(new ControlError(reply.error));
      else w.resolve(reply.result);
    }
  }

  private fail(reason: string): void {
    this.closedReason ??= reason;
    for (const w of this.waiting.values()) w.reject(new Error(reason));
    this.waiting.clear();
  }
}
