/**
 * A client of the qemu guest agent (JSON over a unix stream socket, carried
 * over virtio-serial into the guest): the lab's only control channel to the
 * Jool appliance. One command is in flight at a time, as the agent answers
 * strictly in order; `exec` runs a program in the guest and returns its exit
 * code and output.
 */
import { connect, type Socket } from 'net';

export interface ExecResult {
  code: number;
  out: string;
  err: string;
}

/** How often `guest-exec-status` is asked while a program runs; the agent has no blocking wait. */
const STATUS_POLL_MS = 5;

export class GuestAgentError extends Error {}

export class GuestAgent {
  private sock?: Socket;
  private buf: Buffer = Buffer.alloc(0);
  private replies: unknown[] = [];
  private waiting?: { resolve: (v: unknown) => void; reject: (e: Error) => void };
  private chain: Promise<unknown> = Promise.resolve();
  private closedWith?: Error;
  /** Commands run and their total time, for the report. */
  readonly stats = { execs: 0, totalMs: 0 };

  constructor(private readonly path: string) {}

  /** Connects and synchronises (0xFF resets the agent's parser; the sync reply is preceded by 0xFF). */
  async connect(): Promise<void> {
    const s = connect(this.path);
    await new Promise<void>((resolve, reject) => {
      s.once('connect', resolve);
      s.once('error', (e) => reject(new GuestAgentError(`guest agent socket ${this.path}: ${e.message}`)));
    });
    this.sock = s;
    s.on('data', (d) => this.onData(d));
    s.on('error', () => undefined);
    s.on('close', () => this.fail(new GuestAgentError('the guest agent connection closed (the guest stopped?)')));
    const id = Math.floor(Math.random() * 2 ** 31);
    s.write(Buffer.concat([Buffer.from([0xff]), Buffer.from(JSON.stringify({ execute: 'guest-sync-delimited', arguments: { id } }))]));
    // Replies left from an earlier client may come first; the sync id marks where ours begin.
    for (;;) {
      const r = (await this.next()) as { return?: unknown };
      if (r.return === id) break;
    }
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    let i: number;
    while ((i = this.buf.indexOf(10)) >= 0) {
      const raw = this.buf.subarray(0, i);
      this.buf = this.buf.subarray(i + 1);
      let start = 0;
      while (start < raw.length && raw[start] === 0xff) start++;
      const line = raw.subarray(start).toString('utf8').trim();
      if (!line) continue;
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        continue; // not a reply (agent restarting); the sync protocol recovers
      }
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        w.resolve(msg);
      } else this.replies.push(msg);
    }
  }

  private fail(e: Error): void {
    this.closedWith ??= e;
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(e);
  }

  private next(): Promise<unknown> {
    if (this.replies.length) return Promise.resolve(this.replies.shift());
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  private command<T>(execute: string, args?: Record<string, unknown>): Promise<T> {
    const run = async (): Promise<T> => {
      if (!this.sock || this.closedWith) throw this.closedWith ?? new GuestAgentError('the guest agent is not connected');
      this.sock.write(JSON.stringify(args ? { execute, arguments: args } : { execute }));
      const r = (await this.next()) as { return?: T; error?: { desc?: string } };
      if (r.error) throw new GuestAgentError(`guest agent ${execute}: ${r.error.desc ?? 'failed'}`);
      return r.return as T;
    };
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** Runs argv in the guest (with `input` on stdin) and waits for it to exit. */
  async exec(argv: string[], input?: string): Promise<ExecResult> {
    const started = Date.now();
    const { pid } = await this.command<{ pid: number }>('guest-exec', {
      path: argv[0],
      arg: argv.slice(1),
      'capture-output': true,
      ...(input !== undefined ? { 'input-data': Buffer.from(input).toString('base64') } : {}),
    });
    for (;;) {
      const st = await this.command<{ exited: boolean; exitcode?: number; signal?: number; 'out-data'?: string; 'err-data'?: string }>('guest-exec-status', { pid });
      if (st.exited) {
        this.stats.execs++;
        this.stats.totalMs += Date.now() - started;
        return {
          code: st.exitcode ?? 128 + (st.signal ?? 0),
          out: Buffer.from(st['out-data'] ?? '', 'base64').toString('utf8'),
          err: Buffer.from(st['err-data'] ?? '', 'base64').toString('utf8'),
        };
      }
      await new Promise((r) => setTimeout(r, STATUS_POLL_MS));
    }
  }

  /** `sh -c script` in the guest; a non-zero exit throws with the first line of stderr. */
  async sh(script: string, input?: string): Promise<string> {
    const r = await this.exec(['/bin/sh', '-c', script], input);
    if (r.code !== 0) throw new GuestCommandError(firstLine(r.err) || firstLine(r.out) || `exit status ${r.code}`, r);
    return r.out;
  }

  close(): void {
    this.closedWith ??= new GuestAgentError('the guest agent connection is closed');
    this.sock?.destroy();
    this.sock = undefined;
  }
}

/** A command in the guest failed; the message is its first line of output. */
export class GuestCommandError extends Error {
  constructor(message: string, readonly result: ExecResult) {
    super(message);
  }
}

export function firstLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).filter((l) => l)[0] ?? '';
}
