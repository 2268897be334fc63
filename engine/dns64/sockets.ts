/**
 * The DNS64 on real sockets: an UpstreamTransport over UDP (a socket bound
 * to the chosen random source port for each query) and TCP (RFC 7766
 * two-octet length framing), and listeners that feed client queries to the
 * server core. The core itself (server.ts) never touches a socket.
 */
import * as dgram from 'dgram';
import * as net from 'net';
import type { RandomInt } from '../api';
import { cryptoRandom } from '../index';
import type { Dns64Config, Dns64Server, UpstreamTransport } from './api';
import { createServer as createDns64 } from './server';

const family = (address: string) => (net.isIPv6(address) ? 'udp6' : 'udp4');

function udpExchange(server: { address: string; port: number }, bytes: Buffer, sourcePort: number, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket(family(server.address));
    let done = false;
    const finish = (b: Buffer | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.close();
      resolve(b);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    sock.on('error', () => finish(undefined));
    sock.on('message', (msg, rinfo) => {
      // Only the server asked may answer (RFC 5452 §9.1).
      if (rinfo.address === server.address && rinfo.port === server.port) finish(msg);
    });
    sock.bind(sourcePort, () => sock.send(bytes, server.port, server.address, (err) => err && finish(undefined)));
  });
}

function tcpExchange(server: { address: string; port: number }, bytes: Buffer, sourcePort: number, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    let done = false;
    let buf = Buffer.alloc(0);
    const sock = net.connect({ host: server.address, port: server.port, localPort: sourcePort });
    const finish = (b: Buffer | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(b);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    sock.on('error', () => finish(undefined));
    sock.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(bytes.length, 0);
      sock.write(Buffer.concat([len, bytes]));
    });
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) finish(buf.subarray(2, 2 + buf.readUInt16BE(0)));
    });
    sock.on('end', () => finish(undefined));
  });
}

/**
 * Upstream over real sockets. A source port already in use is replaced by
 * another random one (a busy port is no reason to lose the query).
 */
export function socketTransport(random: RandomInt): UpstreamTransport {
  return {
    async exchange(server, bytes, opts) {
      let port = opts.sourcePort;
      for (let attempt = 0; attempt < 3; attempt++) {
        const busy = await portBusy(opts.transport, port);
        if (!busy) break;
        port = 1024 + random(65536 - 1024);
      }
      return opts.transport === 'udp' ? udpExchange(server, bytes, port, opts.timeoutMs) : tcpExchange(server, bytes, port, opts.timeoutMs);
    },
  };
}

async function portBusy(transport: 'udp' | 'tcp', port: number): Promise<boolean> {
  if (transport === 'tcp') return false; // connect() reports it; the try then counts as lost
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => resolve(true));
    s.bind(port, () => s.close(() => resolve(false)));
  });
}

export interface Listening {
  /** "127.0.0.1#5305" per endpoint. */
  addresses: string[];
  close(): Promise<void>;
}

/** Serve `server` on UDP and TCP at each endpoint. Resolves once every socket is bound. */
export async function listen(server: Dns64Server, endpoints: { address: string; port: number }[]): Promise<Listening> {
  const closers: (() => Promise<void>)[] = [];
  const addresses: string[] = [];
  try {
    for (const ep of endpoints) {
      const udp = dgram.createSocket(family(ep.address));
      udp.on('message', (msg, rinfo) => {
        server.handle(msg, { address: rinfo.address, port: rinfo.port, transport: 'udp' }).then(
          (out) => out && udp.send(out, rinfo.port, rinfo.address),
          () => undefined,
        );
      });
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(ep.port, ep.address, () => resolve());
      });
      closers.push(() => new Promise((r) => udp.close(() => r())));
      const conns = new Set<net.Socket>();
      const tcp = net.createServer((conn) => {
        conns.add(conn);
        conn.setTimeout(10000, () => conn.destroy()); // RFC 7766 §6.2.3 idle timeout
        let buf = Buffer.alloc(0);
        conn.on('data', (d) => {
          buf = Buffer.concat([buf, d]);
          while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
            const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
            buf = buf.subarray(2 + msg.length);
            server.handle(msg, { address: conn.remoteAddress ?? '', port: conn.remotePort ?? 0, transport: 'tcp' }).then(
              (out) => {
                if (!out || conn.destroyed) return;
                const len = Buffer.alloc(2);
                len.writeUInt16BE(out.length, 0);
                conn.write(Buffer.concat([len, out]));
              },
              () => undefined,
            );
          }
        });
        conn.on('error', () => undefined);
        conn.on('close', () => conns.delete(conn));
      });
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        // Port 0: TCP takes the port UDP was given, so one number serves both.
        tcp.listen((udp.address() as { port: number }).port, ep.address, () => resolve());
      });
      closers.push(
        () =>
          new Promise((r) => {
            for (const c of conns) c.destroy();
            tcp.close(() => r());
          }),
      );
      addresses.push(`${ep.address}#${(udp.address() as { port: number }).port}`);
    }
  } catch (e) {
    await Promise.all(closers.map((c) => c()));
    throw e;
  }
  return { addresses, close: async () => void (await Promise.all(closers.map((c) => c()))) };
}

/**
 * The own DNS64 on real sockets and real time, as `nat64lab dns64` and the
 * engine daemon's `dns64` section run it: upstream over fresh random ports,
 * listening on every `config.listen` endpoint. Rejects when a socket cannot bind.
 */
export async function serveDns64(config: Dns64Config): Promise<Listening> {
  const random = cryptoRandom();
  const server = createDns64(config, { clock: { now: () => Date.now() }, random, upstream: socketTransport(random), wallTime: () => Date.now() });
  return listen(server, config.listen);
}
