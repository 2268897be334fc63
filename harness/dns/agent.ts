/**
 * The DNS lab's agent: runs inside the DNS namespace (started by dns-lab.ts
 * with `ip netns exec`), serves the harness authority on 127.0.0.2:53 and
 * streams every query it receives, and sends client queries to the resolvers
 * on request. Talks JSON lines on stdin/stdout (agent-protocol.ts); anything
 * else it has to say goes to stderr.
 *
 * Usage: node agent.js [--mode forward|root]
 */
import * as dgram from 'dgram';
import * as net from 'net';
import * as readline from 'readline';
import { createAuthority } from './authority';
import { serveAuthority } from './server';
import { AgentMessage, AgentRequest, wallUs } from './agent-protocol';
import { DNS } from './names';
import type { DnsTransport, UpstreamQuery } from './types';

function send(m: AgentMessage): void {
  process.stdout.write(JSON.stringify(m) + '\n');
}

/** One UDP exchange; resolves undefined when nothing came back from the server in time. */
function udpExchange(server: { address: string; port: number }, source: string, bytes: Buffer, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    let done = false;
    const finish = (v: Buffer | undefined, err?: Error): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.close();
      if (err) reject(err);
      else resolve(v);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    const id = bytes.length >= 2 ? bytes.readUInt16BE(0) : -1;
    sock.on('error', (e) => finish(undefined, e));
    sock.on('message', (msg, rinfo) => {
      // Only the server's answer to this query counts; a stray datagram is not an answer.
      if (rinfo.address !== server.address || rinfo.port !== server.port) return;
      if (id >= 0 && (msg.length < 2 || msg.readUInt16BE(0) !== id)) return;
      finish(msg);
    });
    sock.bind({ address: source, port: 0 }, () => {
      sock.send(bytes, server.port, server.address, (e) => e && finish(undefined, e));
    });
  });
}

/** One TCP exchange (RFC 1035 §4.2.2 length prefix); undefined when the server closed or stayed silent. */
function tcpExchange(server: { address: string; port: number }, source: string, bytes: Buffer, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: server.address, port: server.port, localAddress: source });
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (v: Buffer | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    sock.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(bytes.length);
      sock.write(Buffer.concat([len, bytes]));
    });
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) finish(buf.subarray(2, 2 + buf.readUInt16BE(0)));
    });
    sock.on('error', () => finish(undefined));
    sock.on('close', () => finish(undefined));
  });
}

function exchange(transport: DnsTransport, server: { address: string; port: number }, source: string, bytes: Buffer, timeoutMs: number): Promise<Buffer | undefined> {
  return transport === 'tcp' ? tcpExchange(server, source, bytes, timeoutMs) : udpExchange(server, source, bytes, timeoutMs);
}

/** A minimal SOA query for the lab zone, so readiness does not depend on any other module. */
function soaQuery(): Buffer {
  const labels = DNS.zone.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  const header = Buffer.from([0x4e, 0x41, 0x00, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([header, ...labels, Buffer.from([0, 0, 6, 0, 1])]);
}

/** Whether upstream queries are reported; off until the authority has answered its own readiness query. */
let streaming = false;

async function handle(req: AgentRequest): Promise<void> {
  try {
    if (req.op === 'ping') return send({ id: req.id, ok: true });
    if (req.op === 'stream') {
      streaming = req.on;
      return send({ id: req.id, ok: true });
    }
    if (req.op === 'query') {
      const reply = await exchange(req.transport, req.server, req.source, Buffer.from(req.bytes, 'base64'), req.timeoutMs);
      return send({ id: req.id, ok: true, reply: { bytes: reply?.toString('base64'), timeUs: wallUs() } });
    }
    send({ id: (req as { id: number }).id, ok: false, error: `unknown operation ${JSON.stringify((req as { op: unknown }).op)}` });
  } catch (e) {
    send({ id: req.id, ok: false, error: (e as Error).message.split('\n')[0] });
  }
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--mode');
  const mode = i >= 0 ? process.argv[i + 1] : 'root';
  if (mode !== 'root' && mode !== 'forward') throw new Error(`--mode ${mode}: give 'root' or 'forward'`);
  const onQuery = (q: UpstreamQuery): void => {
    if (!streaming) return;
    send({ event: 'upstream', timeUs: q.timeUs, transport: q.transport, from: q.from, bytes: q.bytes.toString('base64') });
  };
  const authority = createAuthority({ mode });
  const address = { address: DNS.authorityAddress, port: DNS.authorityPort };
  const server = await serveAuthority(authority, address, onQuery, { nowUs: wallUs });
  // Ready means answered: a query to the authority over the namespace's loopback comes back.
  const deadline = Date.now() + 5000;
  for (;;) {
    const reply = await udpExchange(address, DNS.resolverAddress, soaQuery(), 200);
    if (reply) break;
    if (Date.now() > deadline) throw new Error(`the authority on ${address.address}:${address.port} does not answer`);
  }
  streaming = true;
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    if (line.trim() === '') return;
    let req: AgentRequest;
    try {
      req = JSON.parse(line) as AgentRequest;
    } catch {
      process.stderr.write(`agent: not JSON: ${line.slice(0, 80)}\n`);
      return;
    }
    void handle(req);
  });
  // The lab closing stdin is the signal to stop; nothing may outlive it.
  rl.on('close', () => {
    void Promise.resolve(server.close()).finally(() => process.exit(0));
  });
  send({ event: 'ready' });
}

main().catch((e: Error) => {
  send({ event: 'fatal', message: e.message.split('\n')[0] });
  process.exit(1);
});
