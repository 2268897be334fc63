import { expect } from 'chai';
import * as dgram from 'dgram';
import * as net from 'net';
import { createAuthority } from '../../harness/dns/authority';
import { DNS, NAMES } from '../../harness/dns/names';
import { serveAuthority } from '../../harness/dns/server';
import type { UpstreamQuery } from '../../harness/dns/types';
import { data, query, read } from './helpers';

const Z = (n: string) => `${n}.${DNS.zone}`;

function udpAsk(port: number, bytes: Buffer, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      resolve(undefined);
    }, timeoutMs);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m);
    });
    s.send(bytes, port, '127.0.0.1');
  });
}

/** Sends the queries over one TCP connection, split into awkward pieces, and collects one framed answer per query. */
function tcpAsk(port: number, queries: Buffer[]): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const out: Buffer[] = [];
    sock.on('data', (c) => {
      buf = Buffer.concat([buf, c]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        out.push(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (out.length === queries.length) {
        sock.end();
        resolve(out);
      }
    });
    sock.on('error', reject);
    const framed = Buffer.concat(queries.map((q) => Buffer.concat([Buffer.from([q.length >> 8, q.length & 0xff]), q])));
    // One octet, then the rest: the server must reassemble the length prefix.
    sock.write(framed.subarray(0, 1));
    setImmediate(() => sock.write(framed.subarray(1)));
  });
}

describe('dns: authority server on loopback', () => {
  let seen: UpstreamQuery[];
  let server: { close(): Promise<void>; port: number };

  beforeEach(async () => {
    seen = [];
    server = await serveAuthority(createAuthority(), { address: '127.0.0.1', port: 0 }, (q) => seen.push(q));
  });
  afterEach(() => server.close());

  it('answers over UDP and reports the query with its source', async () => {
    const q = query(Z('a-only'), 'A');
    const r = await udpAsk(server.port, q, 5000);
    expect(r).to.not.equal(undefined);
    expect(data(read(r!).answers, 'A')).to.deep.equal([...NAMES.aOnly.a]);
    expect(seen).to.have.length(1);
    expect(seen[0].transport).to.equal('udp');
    expect(seen[0].from.address).to.equal('127.0.0.1');
    expect(seen[0].from.port).to.be.above(0);
    expect(seen[0].bytes.equals(q)).to.equal(true);
  });

  it('answers several queries on one TCP connection, with length framing, untruncated', async () => {
    const rs = await tcpAsk(server.port, [query(Z('big'), 'A', { edns: false }), query(Z('dual'), 'AAAA')]);
    expect(data(read(rs[0]).answers, 'A')).to.have.length(NAMES.big.aCount);
    expect(read(rs[0]).tc).to.equal(false);
    expect(data(read(rs[1]).answers, 'AAAA')).to.deep.equal([...NAMES.dual.aaaa]);
    expect(seen.map((s) => s.transport)).to.deep.equal(['tcp', 'tcp']);
  });

  it('truncates the same big answer over UDP without EDNS', async () => {
    const r = read((await udpAsk(server.port, query(Z('big'), 'A', { edns: false }), 5000))!);
    expect(r.tc).to.equal(true);
    expect(r.answers).to.deep.equal([]);
  });

  it('stays silent for the timeout name but still reports the query', async () => {
    // Both queries on one socket, the silent one first: the server handles them in order and answers
    // at once, so the first reply to arrive is the second query's unless the first was answered.
    const s = dgram.createSocket('udp4');
    const first = new Promise<Buffer>((resolve) => s.once('message', resolve));
    s.send(query(Z('timeout-aaaa'), 'AAAA', { id: 1 }), server.port, '127.0.0.1');
    s.send(query(Z('a-only'), 'A', { id: 2 }), server.port, '127.0.0.1');
    const r = read(await first);
    s.close();
    expect(r.m.id).to.equal(2);
    expect(seen.map((q) => read(q.bytes).m.questions![0].name)).to.deep.equal([Z('timeout-aaaa'), Z('a-only')]);
  });

  it('answers garbage with FORMERR instead of failing', async () => {
    const r = await udpAsk(server.port, Buffer.from('abcd0100000100000000000003', 'hex'), 5000);
    expect(r![3] & 0x0f).to.equal(1);
  });

  it('close is idempotent and frees the port', async () => {
    const port = server.port;
    await server.close();
    await server.close();
    const again = await serveAuthority(createAuthority(), { address: '127.0.0.1', port }, () => undefined);
    await again.close();
  });
});
