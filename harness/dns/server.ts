/**
 * Puts an Authority on real sockets: UDP, and TCP with the two-octet length
 * framing of RFC 1035 §4.2.2 (several queries per connection, read in any
 * fragmentation). Every query is reported to `onQuery` before it is
 * answered, so a case sees what the server under test asked even when the
 * authority stays silent.
 */
import * as dgram from 'dgram';
import * as net from 'net';
import type { Authority } from './authority';
import type { UpstreamQuery } from './types';

export interface ServeOptions {
  /** Microseconds for UpstreamQuery.timeUs; default the wall clock. */
  nowUs?: () => number;
}

export async function serveAuthority(
  auth: Authority,
  addr: { address: string; port: number },
  onQuery: (q: UpstreamQuery) => void,
  opts: ServeOptions = {},
): Promise<{ close(): Promise<void>; port: number }> {
  const nowUs = opts.nowUs ?? (() => Date.now() * 1000);
  const timers = new Set<NodeJS.Timeout>();
  const conns = new Set<net.Socket>();
  let closed = false;

  const later = (ms: number | undefined, fn: () => void): void => {
    if (!ms) return fn();
    const t = setTimeout(() => {
      timers.delete(t);
      if (!closed) fn();
    }, ms);
    timers.add(t);
  };

  const udp = dgram.createSocket(addr.address.includes(':') ? 'udp6' : 'udp4');
  udp.on('message', (msg, rinfo) => {
    onQuery({ timeUs: nowUs(), transport: 'udp', from: { address: rinfo.address, port: rinfo.port }, bytes: Buffer.from(msg) });
    const a = auth.answer(msg, 'udp');
    if (a.bytes) {
      const bytes = a.bytes;
      later(a.delayMs, () => udp.send(bytes, rinfo.port, rinfo.address, () => undefined));
    }
  });
  udp.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(addr.port, addr.address, () => {
      udp.off('error', reject);
      resolve();
    });
  });
  const port = udp.address().port;

  const tcp = net.createServer((sock) => {
    conns.add(sock);
    let buf = Buffer.alloc(0);
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        onQuery({ timeUs: nowUs(), transport: 'tcp', from: { address: sock.remoteAddress ?? '', port: sock.remotePort ?? 0 }, bytes: Buffer.from(msg) });
        const a = auth.answer(Buffer.from(msg), 'tcp');
        if (!a.bytes) continue;
        const framed = Buffer.alloc(2 + a.bytes.length);
        framed.writeUInt16BE(a.bytes.length, 0);
        a.bytes.copy(framed, 2);
        later(a.delayMs, () => {
          if (!sock.destroyed) sock.write(framed);
        });
      }
    });
    sock.on('error', () => undefined);
    sock.on('close', () => conns.delete(sock));
  });
  // TCP on the same port as UDP, so one address names the server.
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(port, addr.address, () => {
      tcp.off('error', reject);
      resolve();
    });
  }).catch(async (err) => {
    udp.close();
    throw err;
  });

  return {
    port,
    async close() {
      if (closed) return;
      closed = true;
      for (const t of timers) clearTimeout(t);
      for (const c of conns) c.destroy();
      await Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]);
    },
  };
}
