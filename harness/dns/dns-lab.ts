/**
 * The DNS lab: one network namespace with only loopback, in which the
 * harness authority (127.0.0.2:53) and the DNS64 servers under test run. An
 * agent process inside it serves the authority and sends client queries
 * (agent.ts); this side keeps the log of upstream queries and hands out
 * Dns64Sessions.
 *
 * Resolvers in the namespace try the real root servers when they prime; with
 * no route out, that fails locally ("network unreachable") and no packet
 * leaves the machine.
 */
import type { ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as readline from 'readline';
import { LAB } from '../lab/addressing';
import { LabUnavailable, Netns, requireRoot, runPrefix } from '../lab/netns';
import { DNS } from './names';
import { AgentMessage, AgentRequest, wallUs } from './agent-protocol';
import type { Dns64EffectiveConfig, Dns64Session, DnsReply, DnsTransport, UpstreamQuery } from './types';

export type DnsLabMode = 'forward' | 'root';

/** Seconds the agent may take to come up (node start plus the authority answering itself). */
const AGENT_START_MS = 15000;

function fixturesDir(): string {
  const fromDist = path.resolve(__dirname, '../../../fixtures/zones');
  if (fs.existsSync(fromDist)) return fromDist;
  return path.resolve(__dirname, '../../fixtures/zones');
}

/** Omit over each member of a union (plain Omit would merge the members). */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/**
 * The namespace has only loopback, so the lab's IPv6 clients (LAB.client6)
 * are stood in for by distinct loopback sources, 127.0.0.101 onwards: each
 * client stays a different source, which is what cases about clients need.
 * A 127.0.0.0/8 address is used as it is; the default client is 127.0.0.1.
 */
export function clientSource(client: string | undefined): string {
  if (client === undefined) return DNS.resolverAddress;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(client)) return client;
  const i = (LAB.client6 as readonly string[]).indexOf(client);
  if (i >= 0) return `127.0.0.${101 + i}`;
  throw new Error(`client address ${client} is not usable in the DNS lab: give a 127.0.0.0/8 address or one of ${LAB.client6.join(', ')}`);
}

/** The DS record of signed.test from fixtures/zones, on one line. */
export function labTrustAnchor(): string {
  const file = path.join(fixturesDir(), 'signed.test.ds');
  const line = fs.readFileSync(file, 'utf8').split('\n').find((l) => /\sDS\s/.test(l));
  if (!line) throw new Error(`no DS record in ${file}`);
  return line.trim().replace(/\s+/g, ' ');
}

type Pending = { resolve: (m: AgentMessage) => void; reject: (e: Error) => void };

export class DnsLab {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly log: UpstreamQuery[] = [];
  /** Entries of `log` dropped from the front; cursors are absolute positions. */
  private dropped = 0;
  private closed = false;
  private exitReason?: string;

  private constructor(
    readonly ns: Netns,
    readonly mode: DnsLabMode,
    private readonly agent: ChildProcess,
  ) {}

  /** Creates the namespace `<prefix>-dns` and starts the agent in it; resolves once the authority answers. */
  static async create(opts: { mode?: DnsLabMode } = {}): Promise<DnsLab> {
    requireRoot('the DNS lab');
    const mode = opts.mode ?? 'root';
    const agentJs = path.join(__dirname, 'agent.js');
    if (!fs.existsSync(agentJs)) throw new LabUnavailable(`${agentJs} is missing: build first with 'npx tsc -p tsconfig.json'`);
    const ns = await Netns.create(`${runPrefix()}-dns`);
    let lab: DnsLab | undefined;
    try {
      const agent = ns.spawn([process.execPath, agentJs, '--mode', mode], { stdio: ['pipe', 'pipe', 'pipe'] });
      lab = new DnsLab(ns, mode, agent);
      await lab.started();
      return lab;
    } catch (e) {
      if (lab) lab.closed = true;
      await ns.delete();
      throw e;
    }
  }

  private started(): Promise<void> {
    return new Promise((resolve, reject) => {
      let stderr = '';
      const timer = setTimeout(() => reject(new Error(`DNS lab agent did not come up in ${AGENT_START_MS} ms${stderr ? `: ${firstLine(stderr)}` : ''}`)), AGENT_START_MS);
      this.agent.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.length > 8192) stderr = stderr.slice(-8192);
      });
      this.agent.on('exit', (code, sig) => {
        this.exitReason = `DNS lab agent exited (${sig ?? `status ${code}`})${stderr ? `: ${firstLine(stderr)}` : ''}`;
        clearTimeout(timer);
        reject(new Error(this.exitReason));
        for (const p of this.pending.values()) p.reject(new Error(this.exitReason));
        this.pending.clear();
      });
      const rl = readline.createInterface({ input: this.agent.stdout! });
      rl.on('line', (line) => {
        let m: AgentMessage;
        try {
          m = JSON.parse(line) as AgentMessage;
        } catch {
          return;
        }
        if ('event' in m) {
          if (m.event === 'ready') {
            clearTimeout(timer);
            resolve();
          } else if (m.event === 'fatal') {
            clearTimeout(timer);
            reject(new Error(`DNS lab agent: ${m.message}`));
          } else if (m.event === 'upstream') {
            this.log.push({ timeUs: m.timeUs, transport: m.transport, from: m.from, bytes: Buffer.from(m.bytes, 'base64') });
            this.trim();
          }
          return;
        }
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.ok) p.resolve(m);
        else p.reject(new Error(m.error));
      });
    });
  }

  /** Keeps the upstream log bounded on long runs (the benchmark sends millions of queries). */
  private trim(): void {
    const max = 200000;
    if (this.log.length > max) {
      const n = this.log.length - max / 2;
      this.log.splice(0, n);
      this.dropped += n;
    }
  }

  private request(req: WithoutId<AgentRequest>): Promise<AgentMessage> {
    if (this.closed) return Promise.reject(new Error('the DNS lab is closed'));
    if (this.exitReason) return Promise.reject(new Error(this.exitReason));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.agent.stdin!.write(JSON.stringify({ ...req, id }) + '\n');
    });
  }

  /** The DS record of signed.test (presentation format), the lab's only trust anchor. */
  trustAnchor(): string {
    return labTrustAnchor();
  }

  /** Sends one client query from `client` (a 127.0.0.0/8 address) to `server`. */
  async query(server: { address: string; port: number }, bytes: Buffer, opts: { transport: DnsTransport; client?: string; timeoutMs?: number }): Promise<DnsReply> {
    const source = clientSource(opts.client);
    const m = await this.request({ op: 'query', server, transport: opts.transport, source, bytes: bytes.toString('base64'), timeoutMs: opts.timeoutMs ?? 3000 });
    const reply = (m as { reply: { bytes?: string; timeUs: number } }).reply;
    return { bytes: reply.bytes === undefined ? undefined : Buffer.from(reply.bytes, 'base64'), timeUs: reply.timeUs, transport: opts.transport };
  }

  /** Turns the upstream log off (benchmarks) or back on; queries while off are not logged. */
  async logUpstream(on: boolean): Promise<void> {
    await this.request({ op: 'stream', on });
  }

  /** Position in the upstream log after everything the agent has reported so far. */
  async cursor(): Promise<number> {
    // A round trip through the agent: every query it saw before this point has been delivered.
    await this.request({ op: 'ping' });
    return this.dropped + this.log.length;
  }

  /** Upstream queries from `cursor` on (optionally only those from one source address), and the new cursor. */
  async upstreamSince(cursor: number, from?: string): Promise<{ queries: UpstreamQuery[]; cursor: number }> {
    const end = await this.cursor();
    const start = Math.max(cursor, this.dropped) - this.dropped;
    const queries = this.log.slice(start, end - this.dropped).filter((q) => from === undefined || q.from.address === from);
    return { queries, cursor: end };
  }

  /**
   * A session on the DNS64 at `server`. `upstreamFrom` narrows the upstream
   * log to the address the server sends its queries from, so sessions of
   * different servers in the same lab do not see each other's traffic.
   */
  async session(config: Dns64EffectiveConfig, server: { address: string; port: number }, opts: { upstreamFrom?: string; onClose?: () => Promise<void> } = {}): Promise<Dns64Session> {
    let cursor = await this.cursor();
    const lab = this;
    let open = true;
    return {
      config,
      query(bytes, q) {
        if (!open) return Promise.reject(new Error('the DNS64 session is closed'));
        return lab.query(server, bytes, q);
      },
      async upstream() {
        const r = await lab.upstreamSince(cursor, opts.upstreamFrom);
        cursor = r.cursor;
        return r.queries;
      },
      nowUs: wallUs,
      async close() {
        if (!open) return;
        open = false;
        await opts.onClose?.();
      },
    };
  }

  /** Stops the agent and everything else in the namespace, and deletes it. Safe twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.agent.stdin?.end();
    await this.ns.delete();
  }
}

function firstLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines.find((l) => /error|cannot|not found/i.test(l)) ?? lines[lines.length - 1] ?? '';
}

/**
 * The lab shared by every DNS64 target of the process: one namespace per run
 * (its name is fixed by the run prefix), opened by the first user and closed
 * when the last one releases it.
 */
let shared: { lab: Promise<DnsLab>; users: number } | undefined;

export async function acquireDnsLab(): Promise<{ lab: DnsLab; release: () => Promise<void> }> {
  if (!shared) {
    const entry = { lab: DnsLab.create({ mode: 'root' }), users: 0 };
    shared = entry;
    entry.lab.catch(() => {
      if (shared === entry) shared = undefined;
    });
  }
  const entry = shared;
  entry.users++;
  let lab: DnsLab;
  try {
    lab = await entry.lab;
  } catch (e) {
    entry.users--;
    throw e;
  }
  let released = false;
  return {
    lab,
    async release() {
      if (released) return;
      released = true;
      entry.users--;
      if (entry.users === 0 && shared === entry) {
        shared = undefined;
        await lab.close();
      }
    },
  };
}
